package dev.sandgate.servlet

import dev.sandgate.code
import jakarta.servlet.DispatcherType
import jakarta.servlet.Filter
import jakarta.servlet.http.HttpServlet
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletResponse
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.booleanOrNull
import kotlinx.serialization.json.intOrNull
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import org.eclipse.jetty.ee10.servlet.FilterHolder
import org.eclipse.jetty.ee10.servlet.ServletContextHandler
import org.eclipse.jetty.ee10.servlet.ServletHolder
import org.eclipse.jetty.http.UriCompliance
import org.eclipse.jetty.server.HttpConfiguration
import org.eclipse.jetty.server.HttpConnectionFactory
import org.eclipse.jetty.server.Server
import org.eclipse.jetty.server.ServerConnector
import java.io.ByteArrayOutputStream
import java.io.File
import java.net.InetAddress
import java.net.Socket
import java.util.EnumSet
import java.util.concurrent.atomic.AtomicInteger

/** The shared case files in sdk-tests/cases (the path comes from the pom). */
object Cases {
    private val dir = File(System.getProperty("sandgate.cases") ?: "../../sdk-tests/cases")

    fun load(name: String): JsonObject = Json.parseToJsonElement(File(dir, "$name.json").readText()).jsonObject
}

fun JsonObject.arr(key: String): JsonArray = getValue(key).jsonArray

fun JsonObject.obj(key: String): JsonObject = getValue(key).jsonObject

/** The string at [key]; null when absent or JSON null. */
fun JsonObject.str(key: String): String? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull && it.isString }?.content

fun JsonObject.s(key: String): String = str(key) ?: error("case field $key is not a string: ${this[key]}")

fun JsonObject.int(key: String): Int? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.intOrNull

fun JsonObject.bool(key: String): Boolean? = (this[key] as? JsonPrimitive)?.takeIf { it !is JsonNull }?.booleanOrNull

/** A case's request headers as (name, value) pairs in order. */
fun JsonObject.requestHeaders(): List<Pair<String, String>> =
    obj("request").arr("headers").map { h -> h.jsonArray.let { it[0].jsonPrimitive.content to it[1].jsonPrimitive.content } }

/** One raw HTTP/1.1 answer. */
data class RawResponse(val status: Int, val headers: List<Pair<String, String>>, val body: String) {
    fun header(name: String): String? = headers.firstOrNull { it.first.equals(name, ignoreCase = true) }?.second

    /** The app's `key=value` lines. */
    val seen: Map<String, String> get() = body.lines().associate { it.substringBefore("=") to it.substringAfter("=") }
}

/** The servlet behind the filter: answers what it saw (target, path info, header names, route and grant attributes). */
class EchoServlet : HttpServlet() {
    override fun doGet(req: HttpServletRequest, resp: HttpServletResponse) {
        val route = SandgateGatewayFilter.route(req)
        val names = req.headerNames.toList().map { it.lowercase() }.sorted()
        val lines = listOf(
            "target=${req.requestURI}${req.queryString?.let { "?$it" } ?: ""}",
            "uri=${req.requestURI}",
            "query=${req.queryString}",
            "pathInfo=${req.pathInfo}",
            "url=${req.requestURL}",
            "headers=${names.joinToString(",")}",
            "secureAccess=${req.getHeader("opensandbox-secure-access")}",
            "ingressTo=${req.getHeaders("OPENSANDBOX-INGRESS-TO").toList()}",
            "route=${route?.let { "${it.sandboxId} ${it.port} ${it.expires} ${it.keyId}" }}",
            "routeAttribute=${req.getAttribute(SandgateGatewayFilter.ROUTE_ATTRIBUTE)?.javaClass?.name}",
            "grant=${SandgateGatewayFilter.grant(req)?.code}",
        )
        val body = lines.joinToString("\n").toByteArray()
        resp.setHeader("X-App", "yes")
        resp.contentType = "text/plain"
        resp.setContentLength(body.size)
        resp.outputStream.write(body)
    }
}

/**
 * A real Jetty 12 (ee10) server on loopback: [filter] on every path in front of [EchoServlet]. A
 * counting filter before it tells whether Jetty handed the request to the filter chain at all.
 * [ambiguousPaths] opts in to UriCompliance.UNSAFE and decodeAmbiguousURIs (Jetty's defaults
 * refuse them with 400).
 */
class JettyServer(filter: Filter, ambiguousPaths: Boolean = false) : AutoCloseable {
    private val server = Server()
    private val config = HttpConfiguration().apply { if (ambiguousPaths) uriCompliance = UriCompliance.UNSAFE }
    private val connector = ServerConnector(server, HttpConnectionFactory(config)).apply {
        host =
            InetAddress.getLoopbackAddress().hostAddress
    }

    /** How many requests reached the filter chain. */
    val filterCalls = AtomicInteger()

    init {
        server.addConnector(connector)
        val context = ServletContextHandler()
        context.contextPath = "/"
        // Opt-in: let ambiguous paths (%2F, %2e, empty segments) through to the filters.
        context.servletHandler.isDecodeAmbiguousURIs = ambiguousPaths
        val counter = Filter { req, resp, chain ->
            filterCalls.incrementAndGet()
            chain.doFilter(req, resp)
        }
        context.addFilter(FilterHolder(counter), "/*", EnumSet.of(DispatcherType.REQUEST))
        context.addFilter(FilterHolder(filter), "/*", EnumSet.of(DispatcherType.REQUEST))
        context.addServlet(ServletHolder(EchoServlet()), "/*")
        server.handler = context
        server.start()
    }

    val port: Int get() = connector.localPort

    fun send(target: String, headers: List<Pair<String, String>>): RawResponse = rawGet(port, target, headers)

    override fun close() = server.stop()
}

/** Sends `GET target` to loopback:[port] with [headers] exactly (names, order, repeats) and reads the answer. */
fun rawGet(port: Int, target: String, headers: List<Pair<String, String>>): RawResponse {
    Socket(InetAddress.getLoopbackAddress(), port).use { s ->
        s.soTimeout = 10_000
        val req = StringBuilder("GET $target HTTP/1.1\r\n")
        for ((k, v) in headers) req.append("$k: $v\r\n")
        req.append("Connection: close\r\n\r\n")
        s.getOutputStream().write(req.toString().toByteArray(Charsets.UTF_8))
        s.getOutputStream().flush()
        val out = ByteArrayOutputStream()
        s.getInputStream().copyTo(out)
        val text = out.toString(Charsets.UTF_8)
        val head = text.substringBefore("\r\n\r\n")
        val lines = head.split("\r\n")
        val status = lines[0].split(" ")[1].toInt()
        val hs = lines.drop(1).map { it.substringBefore(":").trim() to it.substringAfter(":").trim() }
        return RawResponse(status, hs, text.substringAfter("\r\n\r\n"))
    }
}

/** One shared case as a dynamic test named "[group] [index]", its name in front of any failure. */
fun case(group: String, index: Int, name: String, body: () -> Unit): org.junit.jupiter.api.DynamicTest =
    org.junit.jupiter.api.DynamicTest.dynamicTest("$group ${index + 1}") {
        try {
            body()
        } catch (e: AssertionError) {
            throw AssertionError("[$name] ${e.message}", e)
        } catch (e: Exception) {
            throw AssertionError("[$name] unexpected $e", e)
        }
    }

package dev.sandgate

import com.sun.net.httpserver.HttpServer
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonPrimitive
import org.junit.jupiter.api.DynamicTest
import org.junit.jupiter.api.Test
import org.junit.jupiter.api.TestFactory
import java.io.ByteArrayOutputStream
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.Socket
import java.nio.file.Files
import kotlin.test.assertEquals
import kotlin.test.assertFailsWith
import kotlin.test.assertFalse
import kotlin.test.assertNull
import kotlin.test.assertTrue

/** One raw HTTP/1.1 answer. */
data class RawResponse(val status: Int, val headers: List<Pair<String, String>>, val body: String) {
    fun header(name: String): String? = headers.firstOrNull { it.first.equals(name, ignoreCase = true) }?.second
}

/**
 * A real loopback `com.sun.net.httpserver.HttpServer` with the [GatewayFilter] in front of an
 * app that answers what it saw (the target, the header names, the route attribute), and a raw
 * socket client that sends each request exactly as a case gives it.
 */
class GatewayServer(gateway: Gateway) : AutoCloseable {
    private val server: HttpServer = HttpServer.create(InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0)

    init {
        val context = server.createContext("/") { ex ->
            val route = GatewayFilter.route(ex)
            val grant = ex.getAttribute(GatewayFilter.GRANT_ATTRIBUTE) as Grant?
            val lines = listOf(
                "target=${ex.requestURI}",
                "headers=${ex.requestHeaders.keys.map { it.lowercase() }.sorted().joinToString(",")}",
                "route=${route?.let { "${it.sandboxId} ${it.port} ${it.expires} ${it.keyId}" }}",
                "grant=${grant?.code}",
            )
            val body = lines.joinToString("\n").toByteArray()
            ex.responseHeaders.add("X-App", "yes")
            ex.sendResponseHeaders(200, body.size.toLong())
            ex.responseBody.use { it.write(body) }
        }
        context.filters.add(gateway.filter())
        server.start()
    }

    val port: Int get() = server.address.port

    /** Sends `GET target` with [headers] exactly (names, order, repeats) and reads the answer. */
    fun send(target: String, headers: List<Pair<String, String>>): RawResponse {
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

    override fun close() = server.stop(0)
}

/** gateway.json through Gateway.check and through the GatewayFilter middleware on a real HttpServer. */
class GatewayTest {
    private fun gatewayOf(c: JsonObject): Gateway = SigningKeys.fromFlag(c.s("keys")).use { keys ->
        Gateway(RouteMode.valueOf(c.s("mode").uppercase()), keys, policy = c.str("policy"), now = c.s("now").toULong())
    }

    private fun headersOf(c: JsonObject): List<Pair<String, String>> =
        c.obj("request").arr("headers").map { h -> h.jsonArray.let { it[0].jsonPrimitive.content to it[1].jsonPrimitive.content } }

    private fun strip(expect: JsonObject) = expect.arr("headers_to_strip").map { it.jsonPrimitive.content.lowercase() }.toSet()

    @TestFactory
    fun gatewayCheckCases(): List<DynamicTest> = Cases.load("gateway").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("gateway", i, c.s("name")) {
            val v = gatewayOf(c).use { it.check(c.obj("request").s("target"), headersOf(c)) }
            val expect = c.obj("expect")
            assertEquals(expect.bool("allowed"), v.allowed, "allowed: $v")
            assertEquals(expect.int("status"), v.status)
            assertEquals(expect.str("reason"), v.reason)
            assertEquals(strip(expect), v.headersToStrip.map { it.lowercase() }.toSet())
            if (v.allowed) {
                assertEquals(expect.s("grant"), v.grant!!.code)
                val r = v.route!!
                assertEquals(expect.s("sandbox_id"), r.sandboxId)
                assertEquals(expect.int("port"), r.port)
                assertEquals(expect.str("expires")?.toULong(), r.expires)
                assertEquals(expect.str("key_id"), r.keyId)
                assertEquals(expect.s("upstream_target"), v.upstreamTarget)
                assertEquals(emptyList(), v.responseHeaders)
                assertEquals("", v.body)
            } else {
                assertNull(v.grant)
                assertNull(v.route)
                assertNull(v.upstreamTarget)
                assertTrue(v.body.startsWith("OpenSandbox Ingress: "), v.body)
                val retryAfter = v.responseHeaders.firstOrNull { it.first.equals("retry-after", ignoreCase = true) }?.second
                assertEquals(expect.str("retry_after"), retryAfter)
                val type = v.responseHeaders.first { it.first.equals("content-type", ignoreCase = true) }.second
                assertTrue(type.startsWith("text/plain"), type)
            }
        }
    }

    @TestFactory
    fun gatewayMiddlewareCases(): List<DynamicTest> = Cases.load("gateway").arr("cases").mapIndexed { i, e ->
        val c = e.asObj()
        case("middleware", i, c.s("name")) {
            val expect = c.obj("expect")
            gatewayOf(c).use { g ->
                GatewayServer(g).use { server ->
                    val target = c.obj("request").s("target")
                    val r = server.send(target, headersOf(c))
                    if (!target.startsWith("/")) {
                        // The JDK server maps requests to contexts by path: a target without a
                        // leading "/" (`*`, `abc`, `?q=1`) matches no context, and the server
                        // itself answers 404 before any filter or handler runs (fail closed).
                        assertEquals(404, r.status, r.body)
                        assertTrue("No context found" in r.body, r.body)
                        assertNull(r.header("X-App"), "the app must not run")
                        return@case
                    }
                    assertEquals(expect.int("status"), r.status, r.body)
                    if (expect.bool("allowed")!!) {
                        assertEquals("yes", r.header("X-App"), "the app answered")
                        val seen = r.body.lines().associate { it.substringBefore("=") to it.substringAfter("=") }
                        assertEquals(expect.s("upstream_target"), seen["target"])
                        val names = seen.getValue("headers").split(",").toSet()
                        assertTrue(names.intersect(strip(expect)).isEmpty(), "credentials reached the app: $names")
                        assertTrue("host" in names, "$names")
                        assertEquals(
                            "${expect.s("sandbox_id")} ${expect.int("port")} ${expect.str("expires")} ${expect.str("key_id")}",
                            seen["route"],
                        )
                        assertEquals(expect.s("grant"), seen["grant"])
                    } else {
                        assertNull(r.header("X-App"), "the app must not run")
                        assertEquals(expect.s("reason"), r.header("X-Sandgate-Reason"))
                        assertEquals(expect.str("retry_after"), r.header("Retry-After"))
                        assertTrue(r.header("Content-Type")!!.startsWith("text/plain"))
                        assertTrue(r.body.startsWith("OpenSandbox Ingress: "), r.body)
                        val v = g.check(c.obj("request").s("target"), headersOf(c))
                        assertEquals(v.body, r.body, "the refusal is answered exactly")
                    }
                }
            }
        }
    }

    @Test
    fun gatewayReplaceKeysAndBadOptions() {
        val now = 1_900_000_000uL
        val b = SigningKeys.fromFlag("b=YmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmJiYmI=")
        val token = RouteSigner(b, "b").use { it.sign("sbx-1", 8080, now + 60uL) }.token
        val headers = listOf("Host" to "gw", "OpenSandbox-Ingress-To" to token)
        Gateway(RouteMode.HEADER, SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ="), now = now).use { g ->
            assertEquals("unknown_key", g.check("/", headers).reason)
            g.replaceKeys(b)
            val v = g.check("/x?y=1", headers)
            assertTrue(v.allowed, "$v")
            assertEquals("/x?y=1", v.upstreamTarget)
            assertEquals(Grant.SIGNATURE, v.grant)
            assertFalse(token in g.toString())
        }
        val bad = assertFailsWith<SandgateException.InvalidConfig> { Gateway(RouteMode.HEADER, b, policy = "{not json") }
        assertFalse(bad.message.isNullOrEmpty())
        val both = assertFailsWith<SandgateException.InvalidConfig> {
            Gateway(RouteMode.HEADER, b, policy = "{}", policyFile = Files.createTempFile("policy", ".json"))
        }
        assertTrue("at most one" in both.message!!, both.toString())
    }

    @Test
    fun gatewayPolicyFileIsReadAndMissingFileIsAClearError() {
        val file = Files.createTempFile("sandgate-policy", ".json")
        try {
            Files.writeString(file, """{"sandboxes": {"sbx-open": {"secure": false}}}""")
            Gateway(RouteMode.HEADER, SigningKeys.fromFlag("a=bXktdGVzdC1zZWNyZXQ="), policyFile = file).use { g ->
                val v = g.check("/", listOf("Host" to "gw", "OpenSandbox-Ingress-To" to "sbx-open-8080"))
                assertTrue(v.allowed, "$v")
                assertEquals(Grant.OPEN, v.grant)
            }
        } finally {
            Files.deleteIfExists(file)
        }
        val e = assertFailsWith<SandgateException.InvalidConfig> {
            Gateway(RouteMode.HEADER, SigningKeys.fromFlag(""), policyFile = file)
        }
        assertFalse(e.message.isNullOrEmpty())
    }
}

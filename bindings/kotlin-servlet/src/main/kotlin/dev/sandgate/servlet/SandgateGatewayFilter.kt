package dev.sandgate.servlet

import dev.sandgate.Gateway
import dev.sandgate.GatewayVerdict
import dev.sandgate.Grant
import dev.sandgate.RouteInfo
import jakarta.servlet.Filter
import jakarta.servlet.FilterChain
import jakarta.servlet.ServletException
import jakarta.servlet.ServletRequest
import jakarta.servlet.ServletResponse
import jakarta.servlet.http.HttpServletRequest
import jakarta.servlet.http.HttpServletRequestWrapper
import jakarta.servlet.http.HttpServletResponse
import java.util.Collections
import java.util.Enumeration

/**
 * A Jakarta Servlet filter (Servlet 6) that puts [gateway]'s check (core's SPEC §1.4, §1.5, §6
 * decision) in front of the application and decides nothing itself.
 *
 * - A refused request is answered with exactly the verdict's status, response headers
 *   (`Content-Type: text/plain`, `X-Sandgate-Reason`, `Retry-After` on 503) and body; the rest
 *   of the chain never runs.
 * - An allowed request goes down the chain wrapped: the credential headers
 *   ([GatewayVerdict.headersToStrip]) are gone from every header accessor; the request URI and
 *   query string are the verdict's upstream target (escaping kept; the context and servlet path
 *   are empty and the path info is the decoded upstream path); the verified [RouteInfo] is the
 *   request attribute [ROUTE_ATTRIBUTE] and the [Grant] is [GRANT_ATTRIBUTE]. In Spring MVC:
 *   `@RequestAttribute(SandgateGatewayFilter.ROUTE_ATTRIBUTE) route: RouteInfo`.
 *
 * The check sees the request target as the container received it (`getRequestURI()` plus `?` and
 * `getQueryString()`) and every header value in arrival order as the bytes received (the
 * container's ISO-8859-1 reading of them, undone).
 * The filter takes its [gateway] from the constructor, for programmatic registration (Jetty's
 * `ServletContextHandler.addFilter(FilterHolder(...))`, Spring Boot's `FilterRegistrationBean`);
 * the caller owns the gateway (close it when the server stops; rotate keys with
 * [Gateway.replaceKeys], which takes effect on the next request).
 */
public class SandgateGatewayFilter(private val gateway: Gateway) : Filter {
    override fun doFilter(request: ServletRequest, response: ServletResponse, chain: FilterChain) {
        if (request !is HttpServletRequest || response !is HttpServletResponse) {
            throw ServletException("SandgateGatewayFilter needs an HTTP request and response, not ${request.javaClass.name}")
        }
        // Containers (Jetty, Tomcat) read header bytes as ISO-8859-1: back to the bytes received.
        val headers = mutableListOf<Pair<String, ByteArray>>()
        for (name in request.headerNames.asSequence()) {
            for (value in request.getHeaders(name).asSequence()) headers += name to value.toByteArray(Charsets.ISO_8859_1)
        }
        val query = request.queryString
        val target = if (query == null) request.requestURI else "${request.requestURI}?$query"
        val verdict = gateway.checkBytes(target, headers)
        if (!verdict.allowed) {
            refuse(response, verdict)
            return
        }
        val forwarded = ForwardedRequest(request, verdict)
        forwarded.setAttribute(ROUTE_ATTRIBUTE, verdict.route)
        forwarded.setAttribute(GRANT_ATTRIBUTE, verdict.grant)
        chain.doFilter(forwarded, response)
    }

    private fun refuse(response: HttpServletResponse, verdict: GatewayVerdict) {
        val body = verdict.body.toByteArray(Charsets.UTF_8)
        response.status = verdict.status
        for ((name, value) in verdict.responseHeaders) response.addHeader(name, value)
        response.setContentLength(body.size)
        response.outputStream.use { it.write(body) }
    }

    /** The gateway's description (route mode and key ids, never a secret). */
    override fun toString(): String = "SandgateGatewayFilter($gateway)"

    public companion object {
        /** The request attribute that holds the verified [RouteInfo] of an allowed request. */
        public const val ROUTE_ATTRIBUTE: String = "dev.sandgate.route"

        /** The request attribute that holds the [Grant] of an allowed request. */
        public const val GRANT_ATTRIBUTE: String = "dev.sandgate.grant"

        /** The verified route of a request the filter let through, or null. */
        @JvmStatic
        public fun route(request: ServletRequest): RouteInfo? = request.getAttribute(ROUTE_ATTRIBUTE) as? RouteInfo

        /** The grant of a request the filter let through, or null. */
        @JvmStatic
        public fun grant(request: ServletRequest): Grant? = request.getAttribute(GRANT_ATTRIBUTE) as? Grant
    }
}

/** The request the application sees: the upstream target, without the credential headers. */
private class ForwardedRequest(request: HttpServletRequest, verdict: GatewayVerdict) : HttpServletRequestWrapper(request) {
    private val upstream = verdict.upstreamTarget ?: throw ServletException("an allowed verdict has no upstream target")
    private val path = upstream.substringBefore('?')
    private val query = if ('?' in upstream) upstream.substringAfter('?') else null
    private val strip = verdict.headersToStrip

    private fun stripped(name: String) = strip.any { it.equals(name, ignoreCase = true) }

    override fun getHeader(name: String): String? = if (stripped(name)) null else super.getHeader(name)

    override fun getHeaders(name: String): Enumeration<String> =
        if (stripped(name)) Collections.emptyEnumeration() else super.getHeaders(name)

    override fun getHeaderNames(): Enumeration<String> =
        Collections.enumeration(super.getHeaderNames().asSequence().filterNot { stripped(it) }.toList())

    override fun getIntHeader(name: String): Int = if (stripped(name)) -1 else super.getIntHeader(name)

    override fun getDateHeader(name: String): Long = if (stripped(name)) -1 else super.getDateHeader(name)

    override fun getRequestURI(): String = path

    override fun getQueryString(): String? = query

    override fun getRequestURL(): StringBuffer {
        val url = StringBuffer(scheme).append("://").append(serverName)
        val default = (scheme == "http" && serverPort == 80) || (scheme == "https" && serverPort == 443)
        if (!default) url.append(':').append(serverPort)
        return url.append(path)
    }

    override fun getContextPath(): String = ""

    override fun getServletPath(): String = ""

    override fun getPathInfo(): String = percentDecode(path)
}

/** [path] with each `%XX` escape decoded (UTF-8); a `%` not followed by two hex digits stays as it is. */
internal fun percentDecode(path: String): String {
    if ('%' !in path) return path
    val out = java.io.ByteArrayOutputStream(path.length)
    var i = 0
    while (i < path.length) {
        val c = path[i]
        val hi = if (c == '%' && i + 2 < path.length) Character.digit(path[i + 1], 16) else -1
        val lo = if (hi >= 0) Character.digit(path[i + 2], 16) else -1
        if (lo >= 0) {
            out.write(hi * 16 + lo)
            i += 3
        } else {
            val n = Character.charCount(path.codePointAt(i))
            out.write(path.substring(i, i + n).toByteArray(Charsets.UTF_8))
            i += n
        }
    }
    return out.toString(Charsets.UTF_8)
}

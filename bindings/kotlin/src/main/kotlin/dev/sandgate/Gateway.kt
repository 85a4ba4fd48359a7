package dev.sandgate

import com.sun.net.httpserver.Filter
import com.sun.net.httpserver.Headers
import com.sun.net.httpserver.HttpContext
import com.sun.net.httpserver.HttpExchange
import com.sun.net.httpserver.HttpPrincipal
import dev.sandgate.ffi.FfiGateway
import dev.sandgate.ffi.FfiGatewayVerdict
import dev.sandgate.ffi.FfiHeader
import java.io.InputStream
import java.io.OutputStream
import java.net.InetSocketAddress
import java.net.URI
import java.nio.file.Path

/**
 * Core's verdict on one request at the gateway (SPEC §1.4, §1.5, §6). When [allowed], forward
 * the request to [upstreamTarget] (its path and query, escaping kept) without the
 * [headersToStrip] (compare names case-insensitively); [grant] and [route] say how and where.
 * When refused, answer exactly [status], [responseHeaders] and [body] (`text/plain`); [reason]
 * is the reason code (a [DenyReason] code, or `policy_unavailable`) and [message] the body's
 * text without its prefix.
 */
@ConsistentCopyVisibility
public data class GatewayVerdict internal constructor(
    val allowed: Boolean,
    val status: Int,
    val reason: String?,
    val grant: Grant?,
    val route: RouteInfo?,
    val upstreamTarget: String?,
    val headersToStrip: List<String>,
    val responseHeaders: List<Pair<String, String>>,
    val body: String,
    val message: String,
) {
    internal constructor(v: FfiGatewayVerdict) : this(
        v.allowed,
        v.status.toInt(),
        v.reason,
        v.grant?.let { Grant.fromCode(it) },
        v.route?.toRouteInfo(),
        v.upstreamTarget,
        v.headersToStrip,
        v.responseHeaders.map { it.name to it.value },
        v.body,
        v.message,
    )
}

/**
 * The gateway check of core, for a JVM server in front of sandboxes: which requests go on to
 * a sandbox, and the exact answer to the others. [routeMode] says where routes travel (the
 * `OpenSandbox-Ingress-To` header, the host's first label, or the path); [keys] are the
 * platform's signing keys (an empty set answers `not_configured`, 503, to signed routes). The
 * policy says which sandboxes are secure and their access tokens: at most one of [policy] (a
 * JSON or TOML document, the form of docs/gateway.md) and [policyFile] (re-read when it
 * changes; a bad file keeps the last good policy); neither is signature-only (every sandbox
 * needs a valid signed route). [now] fixes the clock (Unix seconds; tests). A bad option is
 * [SandgateException.InvalidConfig]. Use [check] directly, or [filter] in a
 * `com.sun.net.httpserver.HttpServer`.
 */
public class Gateway @JvmOverloads constructor(
    routeMode: RouteMode,
    keys: SigningKeys,
    policy: String? = null,
    policyFile: Path? = null,
    now: ULong? = null,
) : AutoCloseable {
    private val handle = native { FfiGateway(routeMode.name.lowercase(), keys.handle, policy, policyFile?.toString(), now) }

    private val description = handle.describe()

    /**
     * The verdict for one request: its [target] as received (path and query, still
     * percent-encoded) and its [headers] as (name, value) pairs in arrival order (a repeated
     * header is repeated; the host is the `Host` pair). Never blocks on I/O.
     */
    public fun check(target: String, headers: List<Pair<String, String>>): GatewayVerdict =
        checkBytes(target, headers.map { it.first to it.second.toByteArray(Charsets.UTF_8) })

    /** [check] with header values as the bytes received. */
    public fun checkBytes(target: String, headers: List<Pair<String, ByteArray>>): GatewayVerdict =
        GatewayVerdict(handle.check(target, headers.map { FfiHeader(it.first, it.second) }))

    /** Replaces the signing keys at once (a live rotation step); later checks use [keys]. */
    public fun replaceKeys(keys: SigningKeys): Unit = handle.replaceKeys(keys.handle)

    /** The [GatewayFilter] of this gateway, for `HttpContext.getFilters().add(...)`. */
    public fun filter(): GatewayFilter = GatewayFilter(this)

    /** The route mode and key ids, never a secret. */
    override fun toString(): String = description

    /** Frees the native gateway; safe to call more than once. */
    override fun close(): Unit = handle.close()
}

/**
 * A `com.sun.net.httpserver.Filter` that puts [gateway]'s check in front of the handler and
 * decides nothing itself. A refused request is answered with the verdict's status, headers and
 * body, and the handler never runs. An allowed one reaches the handler without the credential
 * headers, with its request URI rewritten to the upstream target, and with the verified route
 * as the attribute [ROUTE_ATTRIBUTE] (read it with [route]; the grant is [GRANT_ATTRIBUTE]).
 * Header values are checked as the bytes received (the JDK server reads them as ISO-8859-1).
 */
public class GatewayFilter(private val gateway: Gateway) : Filter() {
    override fun description(): String = "sandgate gateway check (SPEC §1.4, §6)"

    override fun doFilter(exchange: HttpExchange, chain: Chain) {
        val pairs = mutableListOf<Pair<String, ByteArray>>()
        for ((name, values) in exchange.requestHeaders) {
            for (value in values) pairs += name to value.toByteArray(Charsets.ISO_8859_1)
        }
        val verdict = gateway.checkBytes(exchange.requestURI.toString(), pairs)
        if (!verdict.allowed) {
            val body = verdict.body.toByteArray(Charsets.UTF_8)
            for ((name, value) in verdict.responseHeaders) exchange.responseHeaders.add(name, value)
            exchange.sendResponseHeaders(verdict.status, if (body.isEmpty()) -1 else body.size.toLong())
            exchange.responseBody.use { it.write(body) }
            return
        }
        val headers = Headers()
        for ((name, values) in exchange.requestHeaders) {
            if (verdict.headersToStrip.none { it.equals(name, ignoreCase = true) }) headers[name] = values.toList()
        }
        val forwarded = ForwardedExchange(exchange, URI(verdict.upstreamTarget!!), headers)
        forwarded.setAttribute(ROUTE_ATTRIBUTE, verdict.route)
        forwarded.setAttribute(GRANT_ATTRIBUTE, verdict.grant)
        chain.doFilter(forwarded)
    }

    public companion object {
        /** The exchange attribute that holds the verified [RouteInfo]. */
        public const val ROUTE_ATTRIBUTE: String = "dev.sandgate.route"

        /** The exchange attribute that holds the [Grant]. */
        public const val GRANT_ATTRIBUTE: String = "dev.sandgate.grant"

        /** The verified route of an exchange the filter let through, or null. */
        @JvmStatic
        public fun route(exchange: HttpExchange): RouteInfo? = exchange.getAttribute(ROUTE_ATTRIBUTE) as? RouteInfo
    }
}

/**
 * The exchange the handler sees: the original one with the upstream URI and the remaining
 * headers. Its attributes are its own (JDK 17's exchange attributes are those of the whole
 * context, shared by concurrent requests), falling back to the original's.
 */
private class ForwardedExchange(private val inner: HttpExchange, private val uri: URI, private val headers: Headers) : HttpExchange() {
    override fun getRequestHeaders(): Headers = headers

    override fun getResponseHeaders(): Headers = inner.responseHeaders

    override fun getRequestURI(): URI = uri

    override fun getRequestMethod(): String = inner.requestMethod

    override fun getHttpContext(): HttpContext = inner.httpContext

    override fun close() = inner.close()

    override fun getRequestBody(): InputStream = inner.requestBody

    override fun getResponseBody(): OutputStream = inner.responseBody

    override fun sendResponseHeaders(rCode: Int, responseLength: Long) = inner.sendResponseHeaders(rCode, responseLength)

    override fun getRemoteAddress(): InetSocketAddress = inner.remoteAddress

    override fun getResponseCode(): Int = inner.responseCode

    override fun getLocalAddress(): InetSocketAddress = inner.localAddress

    override fun getProtocol(): String = inner.protocol

    private val attributes = java.util.concurrent.ConcurrentHashMap<String, Any>()

    override fun getAttribute(name: String): Any? = attributes[name] ?: inner.getAttribute(name)

    override fun setAttribute(name: String, value: Any?) {
        if (value == null) attributes.remove(name) else attributes[name] = value
    }

    override fun setStreams(i: InputStream?, o: OutputStream?) = inner.setStreams(i, o)

    override fun getPrincipal(): HttpPrincipal? = inner.principal
}

package dev.sandgate

import dev.sandgate.ffi.FfiFaults
import dev.sandgate.ffi.FfiMockServer

/** How the mock's gateway reads routes and renders endpoints (SPEC §1.4). */
enum class RouteMode {
    /** Route in header `OpenSandbox-Ingress-To`. */
    HEADER,

    /** Route in the first label of the host: `{token}.localhost:{port}`. */
    WILDCARD,

    /** Route in the path: `/{id}/{port}/{expires_b36}/{signature}/...`. */
    URI,
}

/** One API request the mock received; [status] is 0 for a dropped connection. */
data class RequestRecord(
    val method: String,
    val path: String,
    val status: Int,
    val userAgent: String?,
)

/**
 * The embedded OpenSandbox mock (lifecycle API, keys API and a verifying gateway) on free
 * loopback ports, for tests. Close it to stop it.
 */
class MockServer private constructor(private val handle: FfiMockServer, val routeMode: RouteMode) :
    AutoCloseable {
    /** Base URL of the API, `http://127.0.0.1:PORT`. */
    val apiUrl: String = handle.apiUrl()

    /** Base URL of the gateway. */
    val gatewayUrl: String = handle.gatewayUrl()

    /** `host:port` of the API: the client's domain. */
    val domain: String = handle.domain()

    /** The static admin key (role `service_admin`). */
    val adminKey: Secret = Secret(handle.adminKey())

    /** The mock's signing keys as a flag string `a=BASE64,b=BASE64`. */
    val signingKeys: Secret = Secret(handle.signingKeys())

    private val description = handle.describe()

    /** "Now" on the mock clock, Unix seconds. */
    fun now(): ULong = handle.now()

    /** Sets the mock clock to [now]; it keeps running from there. */
    fun setNow(now: ULong) = handle.setNow(now)

    /** Moves the mock clock by [seconds] (negative goes back). */
    fun advance(seconds: Long) = handle.advance(seconds)

    /**
     * Replaces the injected faults: fail the next [failNext] API requests with [status]
     * (default 503) and optional [retryAfter] seconds, add [latencyMs] to every API request,
     * drop the connection of the next [dropNext], answer the next [corruptNext] with a body
     * that is not JSON.
     */
    @JvmOverloads
    fun setFaults(
        failNext: Int = 0,
        status: Int? = null,
        retryAfter: Long? = null,
        latencyMs: Long = 0,
        dropNext: Int = 0,
        corruptNext: Int = 0,
    ) = native {
        handle.setFaults(
            FfiFaults(
                failNext = failNext.toLong(),
                status = status?.toLong(),
                retryAfter = retryAfter,
                latencyMs = latencyMs,
                dropNext = dropNext.toLong(),
                corruptNext = corruptNext.toLong(),
            ),
        )
    }

    /** Clears every injected fault. */
    fun clearFaults() = handle.clearFaults()

    /** Forgets every sandbox, key, fault, logged request and clock offset. */
    fun reset() = handle.reset()

    /** The API requests received so far, oldest first. */
    fun requests(): List<RequestRecord> =
        handle.requests().map { RequestRecord(it.method, it.path, it.status.toInt(), it.userAgent) }

    /** Stops both listeners; safe to call more than once. */
    fun stop() = handle.stop()

    /** Shows the URLs and route mode; the admin key prints `***`. */
    override fun toString(): String = description

    /** Stops the server and frees it; safe to call more than once. */
    @Synchronized
    override fun close() {
        if (!handle.uniffiIsDestroyed) handle.stop()
        handle.close()
    }

    companion object {
        /** Starts a mock in [routeMode]; [trustedHeaders] accepts `X-OpenSandbox-User/Team/Roles`. */
        @JvmStatic
        @JvmOverloads
        fun start(routeMode: RouteMode = RouteMode.HEADER, trustedHeaders: Boolean = false): MockServer =
            MockServer(native { FfiMockServer.start(routeMode.name.lowercase(), trustedHeaders) }, routeMode)
    }
}

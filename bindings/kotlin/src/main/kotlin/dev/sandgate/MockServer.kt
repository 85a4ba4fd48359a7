package dev.sandgate

import dev.sandgate.ffi.FfiFaults
import dev.sandgate.ffi.FfiMockServer

/** Where routes travel (SPEC §1.4): how the mock's gateway and a [Gateway] read them, and how the mock renders endpoints. */
public typealias RouteMode = dev.sandgate.ffi.RouteMode

/** One API request the mock received; [status] is 0 for a dropped connection. */
public data class RequestRecord(val method: String, val path: String, val status: Int, val userAgent: String?)

/**
 * The embedded OpenSandbox mock (lifecycle API, keys API and a verifying gateway) on free
 * loopback ports, for tests. Start one with [MockServer.start]; close it to stop it.
 */
public class MockServer private constructor(private val handle: FfiMockServer) : AutoCloseable {
    /** How the gateway reads routes. */
    public val routeMode: RouteMode = handle.routeMode()

    /** Base URL of the API, `http://127.0.0.1:PORT`. */
    public val apiUrl: String = handle.apiUrl()

    /** Base URL of the gateway. */
    public val gatewayUrl: String = handle.gatewayUrl()

    /** `host:port` of the API: the client's domain. */
    public val domain: String = handle.domain()

    /** The static admin key (role `service_admin`). */
    public val adminKey: Secret = Secret(handle.adminKey())

    /** The mock's current signing keys as a flag string `a=BASE64,b=BASE64`. */
    public val signingKeys: Secret get() = Secret(handle.signingKeys())

    /** The id of the key the mock signs with now, or null when it has none. */
    public val activeKeyId: String? get() = handle.activeKeyId()

    /**
     * Replaces the signing keys of the running mock: its gateway verifies with [keys] and its
     * signed endpoints are signed with their active key from the next request on (a live key
     * rotation step; the admin route `PUT /_mock/signing-keys` does the same).
     */
    public fun setSigningKeys(keys: SigningKeys): Unit = native { handle.setSigningKeys(keys.handle) }

    private val description = handle.describe()

    /** "Now" on the mock clock, Unix seconds. */
    public fun now(): ULong = handle.now()

    /** Sets the mock clock to [now]; it keeps running from there. */
    public fun setNow(now: ULong): Unit = handle.setNow(now)

    /** Moves the mock clock by [seconds] (negative goes back). */
    public fun advance(seconds: Long): Unit = handle.advance(seconds)

    /**
     * Replaces the injected faults: fail the next [failNext] API requests with [status]
     * (default 503) and optional [retryAfter] seconds, add [latencyMs] to every API request,
     * drop the connection of the next [dropNext], answer the next [corruptNext] with a body
     * that is not JSON.
     */
    @JvmOverloads
    public fun setFaults(
        failNext: Int = 0,
        status: Int? = null,
        retryAfter: Long? = null,
        latencyMs: Long = 0,
        dropNext: Int = 0,
        corruptNext: Int = 0,
    ): Unit = native {
        val faults = FfiFaults(failNext.toLong(), status?.toLong(), retryAfter, latencyMs, dropNext.toLong(), corruptNext.toLong())
        handle.setFaults(faults)
    }

    /** Clears every injected fault. */
    public fun clearFaults(): Unit = handle.clearFaults()

    /** Forgets every sandbox, key, fault, logged request and clock offset. */
    public fun reset(): Unit = handle.reset()

    /** The API requests received so far, oldest first. */
    public fun requests(): List<RequestRecord> =
        handle.requests().map { RequestRecord(it.method, it.path, it.status.toInt(), it.userAgent) }

    /** Stops both listeners; safe to call more than once. */
    public fun stop(): Unit = handle.stop()

    /** Shows the URLs and route mode; the admin key prints `***`. */
    override fun toString(): String = description

    /** Stops the server and frees it; safe to call more than once. */
    @Synchronized
    override fun close() {
        if (!handle.uniffiIsDestroyed) handle.stop()
        handle.close()
    }

    public companion object {
        /**
         * Starts a mock in [routeMode]; [trustedHeaders] accepts `X-OpenSandbox-User/Team/Roles`;
         * [endpointOrigin] is sent as the `OPEN-SANDBOX-ORIGIN` of every endpoint answer;
         * [signingKeys] replaces the default keys (two random keys, `a` active, and `b`).
         */
        @JvmStatic
        @JvmOverloads
        public fun start(
            routeMode: RouteMode = RouteMode.HEADER,
            trustedHeaders: Boolean = false,
            endpointOrigin: String? = null,
            signingKeys: SigningKeys? = null,
        ): MockServer = MockServer(native { FfiMockServer.start(routeMode, trustedHeaders, endpointOrigin, signingKeys?.handle) })
    }
}

package dev.sandgate

import dev.sandgate.ffi.FfiClient
import dev.sandgate.ffi.FfiClientOptions
import dev.sandgate.ffi.FfiEndpoint
import dev.sandgate.ffi.FfiHeader
import dev.sandgate.ffi.FfiSandbox
import kotlin.time.Duration

/**
 * An endpoint of a sandbox port. Send [headers] on every request to [url]. [route] is the
 * signed route a signed endpoint carries. `toString` hides the `OpenSandbox-Secure-Access` value.
 */
data class Endpoint(
    /** The endpoint exactly as the server returned it (no scheme). */
    val endpoint: String,
    /** The endpoint as a URL. */
    val url: String,
    val headers: Map<String, String>,
    val route: RouteInfo?,
) {
    override fun toString(): String =
        "Endpoint(endpoint=$endpoint, url=$url, headers=${dev.sandgate.ffi.redactedHeaders(headers).toSortedMap()}, route=$route)"
}

/** A key just minted: [key] is the raw secret, returned this one time only. */
data class CreatedApiKey(
    val id: String,
    val name: String,
    val prefix: String,
    /** The raw key; prints `***`. */
    val key: Secret,
    /** Expiry (RFC 3339), if any. */
    val expiresAt: String?,
)

/** A key as listed: never its secret or hash. */
data class ApiKeyInfo(
    val id: String,
    val name: String,
    val prefix: String,
    val createdAt: String?,
    val expiresAt: String?,
    val revoked: Boolean,
)

/** A sandbox. [metadata] includes the server-set `access.owner` for user-owned sandboxes. */
data class Sandbox(
    val id: String,
    val image: String?,
    val state: String,
    val metadata: Map<String, String>,
    val secureAccess: Boolean,
    val createdAt: String?,
    val expiresAt: String?,
)

private fun FfiEndpoint.toEndpoint() = Endpoint(endpoint, url, headers, route?.toRouteInfo())

private fun FfiSandbox.toSandbox() =
    Sandbox(id, image, state, metadata, secureAccess, createdAt, expiresAt)

/**
 * A client for one OpenSandbox server: the lifecycle API and the keys API.
 *
 * Options left null come from `OPEN_SANDBOX_DOMAIN`, `OPEN_SANDBOX_API_KEY` and
 * `OPEN_SANDBOX_PROTOCOL` (unless [useEnv] is false) and then from the defaults
 * (`localhost:8080`, `http`, 30 s timeout). [headers] go with every request (for example the
 * trusted user headers); [retries] turns the retry policy for idempotent requests on or off.
 *
 * Every operation is a `suspend` function that runs on sandgate's native runtime; cancelling
 * the calling coroutine cancels the request. One client may be used from many coroutines at
 * once. Failures are [SandgateException]s.
 */
class Client @JvmOverloads constructor(
    domain: String? = null,
    apiKey: String? = null,
    protocol: String? = null,
    timeout: Duration? = null,
    headers: Map<String, String> = emptyMap(),
    retries: Boolean = true,
    useEnv: Boolean = true,
) : AutoCloseable {
    private val handle = native {
        FfiClient(
            FfiClientOptions(
                domain = domain,
                protocol = protocol,
                apiKey = apiKey,
                timeoutNanos = timeout?.inWholeNanoseconds,
                headers = headers.map { (k, v) -> FfiHeader(k, v) },
                retries = retries,
                useEnv = useEnv,
            ),
        )
    }

    private val description = handle.describe()

    /** `protocol://domain`, the server root. */
    val baseUrl: String = handle.baseUrl()

    /** The unsigned endpoint of [port] of a sandbox. */
    suspend fun getEndpoint(sandboxId: String, port: Int): Endpoint =
        native { handle.getEndpoint(sandboxId, port.toLong()) }.toEndpoint()

    /** An endpoint with a signed route that expires at [expires] (Unix seconds, in the future). */
    suspend fun getSignedEndpoint(sandboxId: String, port: Int, expires: ULong): Endpoint =
        native { handle.getSignedEndpoint(sandboxId, port.toLong(), expires) }.toEndpoint()

    /** An endpoint with a signed route that expires [ttl] from now (whole seconds, at least one). */
    suspend fun getSignedEndpoint(sandboxId: String, port: Int, ttl: Duration): Endpoint =
        native { handle.getSignedEndpointFor(sandboxId, port.toLong(), ttl.inWholeSeconds) }.toEndpoint()

    /**
     * Mints an API key for the calling user. The raw key is in the result this one time only.
     * [expiresAt] is Unix seconds in the future. Never retried once sent.
     */
    suspend fun createApiKey(name: String? = null, expiresAt: ULong? = null): CreatedApiKey {
        val k = native { handle.createApiKey(name, expiresAt) }
        return CreatedApiKey(k.id, k.name, k.prefix, Secret(k.key), k.expiresAt)
    }

    /** The calling user's keys. */
    suspend fun listApiKeys(): List<ApiKeyInfo> =
        native { handle.listApiKeys() }.map {
            ApiKeyInfo(it.id, it.name, it.prefix, it.createdAt, it.expiresAt, it.revoked)
        }

    /** Revokes one of the calling user's keys. */
    suspend fun revokeApiKey(keyId: String) = native { handle.revokeApiKey(keyId) }

    /**
     * Creates a sandbox running [image]. [secureAccess] makes it require a signed route or
     * its access token; [timeout] is its lifetime (whole seconds). Never retried once sent.
     */
    suspend fun createSandbox(
        image: String,
        secureAccess: Boolean = false,
        metadata: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
    ): Sandbox = native { handle.createSandbox(image, secureAccess, metadata, timeout?.inWholeSeconds) }.toSandbox()

    suspend fun getSandbox(sandboxId: String): Sandbox = native { handle.getSandbox(sandboxId) }.toSandbox()

    /** The sandboxes the caller may see. */
    suspend fun listSandboxes(): List<Sandbox> = native { handle.listSandboxes() }.map { it.toSandbox() }

    suspend fun deleteSandbox(sandboxId: String) = native { handle.deleteSandbox(sandboxId) }

    /** Shows the base URL and options; the API key prints `***`. */
    override fun toString(): String = description

    /**
     * Releases the native client; safe to call more than once. Calls already running finish;
     * later calls throw [IllegalStateException].
     */
    override fun close() = handle.close()
}

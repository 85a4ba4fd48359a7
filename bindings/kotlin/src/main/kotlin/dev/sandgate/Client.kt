package dev.sandgate

import dev.sandgate.ffi.FfiClient
import dev.sandgate.ffi.FfiClientOptions
import dev.sandgate.ffi.FfiEndpoint
import dev.sandgate.ffi.FfiRetryOptions
import dev.sandgate.ffi.FfiSandbox
import kotlin.time.Duration

/**
 * An endpoint of a sandbox port. Send [headers] on every request to [url]; [redactedHeaders]
 * (what `toString` shows) hides the secret values. [route] is the signed route a signed
 * endpoint carries.
 */
public data class Endpoint(
    /** The endpoint exactly as the server returned it (no scheme). */
    val endpoint: String,
    /** The endpoint as a URL. */
    val url: String,
    /** Headers to send on every request to the endpoint (may hold the access token). */
    val headers: Map<String, String>,
    /** [headers] with secrets replaced by `***`, as core decides: safe to print. */
    val redactedHeaders: Map<String, String>,
    val route: RouteInfo?,
) {
    override fun toString(): String = "Endpoint(endpoint=$endpoint, url=$url, headers=${redactedHeaders.toSortedMap()}, route=$route)"
}

/** A key just minted: [key] is the raw secret, returned this one time only. */
public data class CreatedApiKey(
    val id: String,
    val name: String,
    val prefix: String,
    /** The raw key; prints `***`. */
    val key: Secret,
    /** Expiry (RFC 3339), if any. */
    val expiresAt: String?,
)

/** A key as listed (core's record): never its secret or hash. */
public typealias ApiKeyInfo = dev.sandgate.ffi.ApiKeyInfo

/**
 * A sandbox's new expiry (core's record): `expiresAt` exactly as the server returned it
 * (RFC 3339) and `expires`, the same instant in Unix seconds.
 */
public typealias SandboxRenewal = dev.sandgate.ffi.SandboxRenewal

/** A sandbox. [metadata] includes the server-set `access.owner` for user-owned sandboxes. */
public data class Sandbox(
    val id: String,
    val image: String?,
    val state: String,
    val metadata: Map<String, String>,
    val secureAccess: Boolean,
    val createdAt: String?,
    val expiresAt: String?,
)

/**
 * How the client retries idempotent requests (SPEC §2.1); null keeps core's default.
 * [maxRetries] is the number of retries after the first attempt (0 turns retrying off; default
 * 3); the delay starts at [initialBackoff] (default 0.5 s) and never exceeds [maxBackoff]
 * (default 30 s), in whole milliseconds.
 */
public data class RetryOptions @JvmOverloads constructor(
    val maxRetries: Int? = null,
    val initialBackoff: Duration? = null,
    val maxBackoff: Duration? = null,
)

private fun FfiEndpoint.toEndpoint() = Endpoint(endpoint, url, headers, redactedHeaders, route?.toRouteInfo())

private fun FfiSandbox.toSandbox() = Sandbox(id, image, state, metadata, secureAccess, createdAt, expiresAt)

/**
 * A client for one OpenSandbox server: the lifecycle API and the keys API.
 *
 * Options left null come from `OPEN_SANDBOX_DOMAIN`, `OPEN_SANDBOX_API_KEY` and
 * `OPEN_SANDBOX_PROTOCOL` (unless [useEnv] is false) and then from core's defaults
 * (`localhost:8080`, `http`, 30 s timeout). [headers] go with every request (for example the
 * trusted user headers); [retry] tunes the retries of idempotent requests. The API key is a
 * [Secret] or a string.
 *
 * Every operation is a `suspend` function that runs on sandgate's native runtime; cancelling
 * the calling coroutine cancels the request. One client may be used from many coroutines at
 * once. Failures are [SandgateException]s.
 */
public class Client @JvmOverloads constructor(
    domain: String? = null,
    apiKey: Secret? = null,
    protocol: String? = null,
    timeout: Duration? = null,
    headers: Map<String, String> = emptyMap(),
    retry: RetryOptions = RetryOptions(),
    useEnv: Boolean = true,
) : AutoCloseable {
    /** The same client with the API key as a string (from Java: pass a [Secret]). */
    public constructor(
        domain: String? = null,
        apiKey: String?,
        protocol: String? = null,
        timeout: Duration? = null,
        headers: Map<String, String> = emptyMap(),
        retry: RetryOptions = RetryOptions(),
        useEnv: Boolean = true,
    ) : this(domain, apiKey?.let(::Secret), protocol, timeout, headers, retry, useEnv)

    private val handle =
        native {
            val retries =
                FfiRetryOptions(
                    retry.maxRetries?.toLong(),
                    retry.initialBackoff?.inWholeMilliseconds,
                    retry.maxBackoff?.inWholeMilliseconds,
                )
            val options =
                FfiClientOptions(domain, protocol, apiKey?.expose(), timeout?.inWholeMilliseconds, headers, retries, useEnv)
            FfiClient(options)
        }

    private val description = handle.describe()

    /** `protocol://domain`, the server root. */
    public val baseUrl: String = handle.baseUrl()

    /** The unsigned endpoint of [port] of a sandbox. */
    public suspend fun getEndpoint(sandboxId: String, port: Int): Endpoint =
        native { handle.getEndpoint(sandboxId, port.toLong()) }.toEndpoint()

    /** An endpoint with a signed route that expires at [expires] (Unix seconds, in the future). */
    public suspend fun getSignedEndpoint(sandboxId: String, port: Int, expires: ULong): Endpoint =
        native { handle.getSignedEndpoint(sandboxId, port.toLong(), expires, null) }.toEndpoint()

    /**
     * An endpoint with a signed route that expires [ttl] (whole seconds, at least one) from
     * now by the server's clock.
     */
    public suspend fun getSignedEndpoint(sandboxId: String, port: Int, ttl: Duration): Endpoint {
        val seconds = ttl.inWholeSeconds.coerceAtLeast(0).toULong()
        return native { handle.getSignedEndpoint(sandboxId, port.toLong(), null, seconds) }.toEndpoint()
    }

    /**
     * Mints an API key for the calling user. The raw key is in the result this one time only.
     * [expiresAt] is Unix seconds in the future. Never retried once sent.
     */
    public suspend fun createApiKey(name: String? = null, expiresAt: ULong? = null): CreatedApiKey {
        val k = native { handle.createApiKey(name, expiresAt) }
        return CreatedApiKey(k.id, k.name, k.prefix, Secret(k.key), k.expiresAt)
    }

    /** The calling user's keys. */
    public suspend fun listApiKeys(): List<ApiKeyInfo> = native { handle.listApiKeys() }

    /** Revokes one of the calling user's keys. */
    public suspend fun revokeApiKey(keyId: String): Unit = native { handle.revokeApiKey(keyId) }

    /**
     * Creates a sandbox running [image]. [secureAccess] makes it require a signed route or
     * its access token; [timeout] is its lifetime (whole seconds). Never retried once sent.
     */
    public suspend fun createSandbox(
        image: String,
        secureAccess: Boolean = false,
        metadata: Map<String, String> = emptyMap(),
        timeout: Duration? = null,
    ): Sandbox = native { handle.createSandbox(image, secureAccess, metadata, timeout?.inWholeSeconds) }.toSandbox()

    /** One sandbox. */
    public suspend fun getSandbox(sandboxId: String): Sandbox = native { handle.getSandbox(sandboxId) }.toSandbox()

    /** The sandboxes the caller may see. */
    public suspend fun listSandboxes(): List<Sandbox> = native { handle.listSandboxes() }.map { it.toSandbox() }

    /** Deletes a sandbox. */
    public suspend fun deleteSandbox(sandboxId: String): Unit = native { handle.deleteSandbox(sandboxId) }

    /** Renews a sandbox to expire at [expires] (Unix seconds, in the future). Never retried once sent. */
    public suspend fun renewSandbox(sandboxId: String, expires: ULong): SandboxRenewal =
        native { handle.renewSandbox(sandboxId, expires, null) }

    /** Renews a sandbox to expire [ttl] (whole seconds, at least one) from now. Never retried once sent. */
    public suspend fun renewSandbox(sandboxId: String, ttl: Duration): SandboxRenewal {
        val seconds = ttl.inWholeSeconds.coerceAtLeast(0).toULong()
        return native { handle.renewSandbox(sandboxId, null, seconds) }
    }

    /** Shows the base URL and options; the API key prints `***`. */
    override fun toString(): String = description

    /**
     * Releases the native client; safe to call more than once. Calls already running finish;
     * later calls throw [IllegalStateException].
     */
    override fun close(): Unit = handle.close()
}

package dev.sandgate

import dev.sandgate.ffi.FfiClient
import dev.sandgate.ffi.FfiClientOptions
import dev.sandgate.ffi.FfiEndpoint
import dev.sandgate.ffi.FfiSandbox
import kotlin.time.Duration

/** What kind of endpoint an [Endpoint] is: `DIRECT`, `SERVER_PROXY` or `SIGNED` (core's enum). */
public typealias EndpointKind = dev.sandgate.ffi.EndpointKind

/**
 * How an endpoint is asked for, one explicit choice (SPEC §2.1): [Direct] (the gateway's own
 * endpoint, unsigned), [ServerProxy] (through the lifecycle server: its headers carry the
 * client's API key), [SignedAt] (a signed route expiring at an instant) or [SignedFor] (a
 * signed route expiring after a TTL on the server's clock). Direct and signed endpoints never carry the API key.
 */
public sealed class EndpointMode {
    /** The gateway's own endpoint, unsigned. */
    public data object Direct : EndpointMode()

    /** Through the lifecycle server; the endpoint's headers carry the API key. */
    public data object ServerProxy : EndpointMode()

    /** A signed route expiring at [expires] (Unix seconds, in the future). */
    public data class SignedAt(val expires: ULong) : EndpointMode()

    /** A signed route expiring [ttl] (whole seconds, at least one) from now by the server's clock. */
    public data class SignedFor(val ttl: Duration) : EndpointMode()
}

/**
 * An endpoint of a sandbox port. Send [headers] on every request to [url]; [redactedHeaders]
 * (what `toString` shows) hides the secret values. [route] is the signed route a signed
 * endpoint carries; [origin] the server's `OPEN-SANDBOX-ORIGIN` when it sent one; [kind] how it
 * was asked for.
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
    val origin: String?,
    val kind: EndpointKind,
) {
    /**
     * A URL carrying everything a request to [path] (empty, or starting with `/`; a query may
     * follow) needs, for wildcard and uri mode endpoints. Where something must travel in a
     * header (header route mode, the access-token header, a server-proxy endpoint) it throws
     * [SandgateException.InvalidArgument] saying what.
     */
    @JvmOverloads
    public fun shareableUrl(path: String = ""): String = native { dev.sandgate.ffi.shareableUrl(url, kind, headers, path) }

    override fun toString(): String =
        "Endpoint(endpoint=$endpoint, url=$url, headers=${redactedHeaders.toSortedMap()}, route=$route, origin=$origin, kind=$kind)"
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

private fun FfiEndpoint.toEndpoint() = Endpoint(endpoint, url, headers, redactedHeaders, route?.toRouteInfo(), origin, kind)

private fun FfiSandbox.toSandbox() = Sandbox(id, image, state, metadata, secureAccess, createdAt, expiresAt)

/**
 * A client for one OpenSandbox server: the lifecycle API and the keys API.
 *
 * Options left null come from `OPEN_SANDBOX_DOMAIN`, `OPEN_SANDBOX_API_KEY` and
 * `OPEN_SANDBOX_PROTOCOL` (unless [useEnv] is false) and then from core's defaults
 * (`localhost:8080`, `http`, 30 s timeout). [headers] go with every request (for example the
 * trusted user headers); [retry] tunes the retries ([RetryOptions]) and [onRetry] is called
 * before each retry sleeps; [cache] tunes the endpoint cache ([CacheOptions], on by default).
 * The API key is a [Secret] or a string.
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
    cache: CacheOptions = CacheOptions(),
    onRetry: RetryListener? = null,
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
        cache: CacheOptions = CacheOptions(),
        onRetry: RetryListener? = null,
    ) : this(domain, apiKey?.let(::Secret), protocol, timeout, headers, retry, useEnv, cache, onRetry)

    private val handle =
        native {
            val options =
                FfiClientOptions(
                    domain,
                    protocol,
                    apiKey?.expose(),
                    timeout?.inWholeMilliseconds,
                    headers,
                    retry.toFfi(),
                    cache.toFfi(),
                    useEnv,
                )
            FfiClient(options, onRetry?.let(::RetryHookAdapter))
        }

    private val description = handle.describe()

    /** `protocol://domain`, the server root. */
    public val baseUrl: String = handle.baseUrl()

    /**
     * The endpoint of [port] of a sandbox in [mode] (default [EndpointMode.Direct]). Endpoints
     * are cached (see [CacheOptions]): concurrent calls for one endpoint share one request.
     */
    @JvmOverloads
    public suspend fun endpoint(sandboxId: String, port: Int, mode: EndpointMode = EndpointMode.Direct): Endpoint {
        val e =
            when (mode) {
                EndpointMode.Direct -> native { handle.endpoint(sandboxId, port.toLong(), false, null, null) }

                EndpointMode.ServerProxy -> native { handle.endpoint(sandboxId, port.toLong(), true, null, null) }

                is EndpointMode.SignedAt -> native { handle.endpoint(sandboxId, port.toLong(), false, mode.expires, null) }

                is EndpointMode.SignedFor -> {
                    val seconds = mode.ttl.inWholeSeconds.coerceAtLeast(0).toULong()
                    native { handle.endpoint(sandboxId, port.toLong(), false, null, seconds) }
                }
            }
        return e.toEndpoint()
    }

    /** The unsigned endpoint of [port] of a sandbox: `endpoint(sandboxId, port, EndpointMode.Direct)`. */
    public suspend fun getEndpoint(sandboxId: String, port: Int): Endpoint = endpoint(sandboxId, port, EndpointMode.Direct)

    /** An endpoint with a signed route that expires at [expires] (Unix seconds, in the future). */
    public suspend fun getSignedEndpoint(sandboxId: String, port: Int, expires: ULong): Endpoint =
        endpoint(sandboxId, port, EndpointMode.SignedAt(expires))

    /**
     * An endpoint with a signed route that expires [ttl] (whole seconds, at least one) from
     * now by the server's clock.
     */
    public suspend fun getSignedEndpoint(sandboxId: String, port: Int, ttl: Duration): Endpoint =
        endpoint(sandboxId, port, EndpointMode.SignedFor(ttl))

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

    /** Deletes a sandbox (and drops its cached endpoints). */
    public suspend fun deleteSandbox(sandboxId: String): Unit = native { handle.deleteSandbox(sandboxId) }

    /** Pauses a sandbox (and drops its cached endpoints). Never retried once sent. */
    public suspend fun pauseSandbox(sandboxId: String): Unit = native { handle.pauseSandbox(sandboxId) }

    /** Resumes a paused sandbox (and drops its cached endpoints). Never retried once sent. */
    public suspend fun resumeSandbox(sandboxId: String): Unit = native { handle.resumeSandbox(sandboxId) }

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

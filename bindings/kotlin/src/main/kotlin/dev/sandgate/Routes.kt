@file:JvmName("Routes")

package dev.sandgate

import dev.sandgate.ffi.ErrorView
import dev.sandgate.ffi.FfiAccessRequest
import dev.sandgate.ffi.FfiDecision
import dev.sandgate.ffi.FfiRouteVerifier
import dev.sandgate.ffi.FfiSigningKeys
import dev.sandgate.ffi.RouteView
import dev.sandgate.ffi.newSigner
import dev.sandgate.ffi.signingKeysFromEnv
import dev.sandgate.ffi.wildcardHost
import kotlin.time.Duration

/**
 * A validated set of signing keys (SPEC §1.6), from the ingress flag string or the server
 * TOML. Prints key ids, never secrets.
 */
public class SigningKeys private constructor(internal val handle: FfiSigningKeys) : AutoCloseable {
    /** Key ids in configuration order, each one character. */
    public val keyIds: List<String> = handle.keyIds()

    /** The key used for signing when none is named, if the configuration has one. */
    public val activeKeyId: String? = handle.activeKeyId()

    private val description = handle.describe()

    override fun toString(): String = description

    /** Frees the native keys; safe to call more than once. */
    override fun close(): Unit = handle.close()

    public companion object {
        /** From the ingress flag string `a=BASE64,b=BASE64`. */
        @JvmStatic
        public fun fromFlag(text: String): SigningKeys = SigningKeys(native { FfiSigningKeys.fromFlag(text) })

        /** From the ingress flag string held as a [Secret] (for example [MockServer.signingKeys]). */
        @JvmStatic
        public fun fromFlag(text: Secret): SigningKeys = fromFlag(text.expose())

        /** From the server TOML table `[ingress.secure_access]`. */
        @JvmStatic
        public fun fromToml(text: String): SigningKeys = SigningKeys(native { FfiSigningKeys.fromToml(text) })

        /** From the server TOML held as a [Secret]. */
        @JvmStatic
        public fun fromToml(text: Secret): SigningKeys = fromToml(text.expose())

        /**
         * From the server's pair `OPENSANDBOX_SECURE_ACCESS_KEYS` + `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY`
         * in [env] (default: the process environment); null when neither is set.
         */
        @JvmStatic
        @JvmOverloads
        public fun fromEnv(env: Map<String, String> = System.getenv()): SigningKeys? = native {
            signingKeysFromEnv(env["OPENSANDBOX_SECURE_ACCESS_KEYS"], env["OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY"])
        }?.let(::SigningKeys)
    }
}

/** A parsed or verified route. [expires] and [keyId] are null for a legacy unsigned route. */
public data class RouteInfo(
    val sandboxId: String,
    val port: Int,
    val expires: ULong?,
    /** The signing key id, one character. */
    val keyId: String?,
)

internal fun RouteView.toRouteInfo() = RouteInfo(sandboxId, port.toInt(), expires, keyId)

/**
 * Signs routes with one key: [keyId], or the keys' active key when null. Signing is one native
 * call that writes every part of the route into a buffer (the C ABI's `sandgate_sign_into`).
 */
public class RouteSigner @JvmOverloads constructor(keys: SigningKeys, keyId: String? = null) : AutoCloseable {
    private val signer = native { newSigner(keys.handle, keyId) }
    private val hot = HotHandle(signer.handle.toLong(), Hot::sandgate_signer_free, "RouteSigner")

    /** The key this signer signs with. */
    public val keyId: String = signer.keyId

    /** Signs a route to [port] of [sandboxId] that expires at [expires] (Unix seconds). */
    public fun sign(sandboxId: String, port: Int, expires: ULong): SignedRoute = sign(sandboxId, port, 1, expires.toLong(), 0, 0L, null)

    /**
     * Signs a route to [port] of [sandboxId] that expires [ttl] (whole seconds, at least one)
     * after [now] (Unix seconds; default: the system clock).
     */
    @JvmOverloads
    public fun sign(sandboxId: String, port: Int, ttl: Duration, now: ULong? = null): SignedRoute =
        sign(sandboxId, port, 0, 0L, 1, ttl.inWholeSeconds.coerceAtLeast(0), now)

    private fun sign(sandboxId: String, port: Int, hasExpires: Byte, expires: Long, hasTtl: Byte, ttl: Long, now: ULong?): SignedRoute {
        val id = sandboxId.toByteArray(Charsets.UTF_8)
        val buf = ByteArray(Hot.sandgate_sign_into_capacity(id.size.toLong()).toInt())
        val out = LongArray(9)
        val rc =
            hot.use { h ->
                val hasNow: Byte = if (now == null) 0 else 1
                Hot.sandgate_sign_into(
                    h, id, id.size.toLong(), port.toLong(), hasExpires, expires, hasTtl, ttl,
                    hasNow, now?.toLong() ?: 0L, buf, buf.size.toLong(), out,
                )
            }
        val parts = Parts(buf)
        if (rc != 0) {
            val message = parts.next(out[7])
            throw ErrorView(Tables.kinds[-rc - 1], message, parts.next(out[8]), null, null, null, null, false, null).toException()
        }
        val token = parts.next(out[0])
        val expiresB36 = parts.next(out[1])
        val signature = parts.next(out[2])
        val keyId = parts.next(out[3])
        return SignedRoute(token, sandboxId, out[6].toInt(), out[5].toULong(), expiresB36, signature, keyId, parts.next(out[4]))
    }

    /** Strings written back to back into a buffer. */
    private class Parts(val buf: ByteArray) {
        var at = 0

        fun next(len: Long): String = String(buf, at, len.toInt(), Charsets.UTF_8).also { at += len.toInt() }
    }

    private val description = signer.description

    override fun toString(): String = description

    /** Frees the native signer; safe to call more than once. */
    override fun close(): Unit = hot.close()
}

/** A signed route (SPEC §1.2) and the three ways it travels (SPEC §1.4): plain data. */
public class SignedRoute internal constructor(
    /** `{sandbox_id}-{port}-{expires_b36}-{signature}` */
    public val token: String,
    public val sandboxId: String,
    public val port: Int,
    public val expires: ULong,
    public val expiresB36: String,
    /** Eight hex digits and the key id. */
    public val signature: String,
    /** The signing key id, one character. */
    public val keyId: String,
    /** `/{sandbox_id}/{port}/{expires_b36}/{signature}`, for uri mode. */
    public val uriPrefix: String,
) {
    /** The value of `OpenSandbox-Ingress-To`, for header mode: the token. */
    public val headerValue: String get() = token

    /** The wildcard host `{token}.{baseDomain}`; throws InvalidArgument when [baseDomain] is not a DNS name. */
    public fun host(baseDomain: String): String = native { wildcardHost(token, baseDomain) }

    override fun equals(other: Any?): Boolean = other is SignedRoute && other.token == token

    override fun hashCode(): Int = token.hashCode()

    override fun toString(): String = "SignedRoute(token=$token, expires=$expires)"
}

/** What a gateway saw on a request. [secureAccess] is the `OpenSandbox-Secure-Access` value. */
public data class AccessRequest @JvmOverloads constructor(
    val ingressTo: String? = null,
    val host: String? = null,
    val path: String? = null,
    val secureAccess: String? = null,
) {
    override fun toString(): String =
        "AccessRequest(ingressTo=$ingressTo, host=$host, path=$path, secureAccess=${secureAccess?.let { "***" }})"
}

/**
 * Core's access decision (SPEC §1.5): allowed with a [grant], [route], [path] and [query], or
 * denied with a [reason], [status] and [detail]. [throwIfDenied] raises the denial as core's
 * [SandgateException.AccessDenied].
 */
@ConsistentCopyVisibility
public data class AccessDecision internal constructor(
    val allowed: Boolean,
    val reason: DenyReason?,
    val status: Int,
    val detail: String?,
    val grant: Grant?,
    val route: RouteInfo?,
    val path: String?,
    val query: String?,
    private val denial: ErrorView?,
) {
    internal constructor(d: FfiDecision) :
        this(d.allowed, d.reason, d.status.toInt(), d.detail, d.grant, d.route?.toRouteInfo(), d.path, d.query, d.error)

    /** The denial as an error, or null when allowed. */
    public val error: SandgateException.AccessDenied? get() = denial?.toException() as SandgateException.AccessDenied?

    /** Returns this decision when allowed; throws the denial otherwise. */
    public fun throwIfDenied(): AccessDecision {
        error?.let { throw it }
        return this
    }
}

/**
 * Verifies routes and takes access decisions with a set of signing keys. Each verify is one
 * native call (the C ABI's `sandgate_verify`) that answers the route or the denial's reason.
 */
public class RouteVerifier(keys: SigningKeys) : AutoCloseable {
    private val handle = native { FfiRouteVerifier(keys.handle) }
    private val hot = HotHandle(handle.hotHandle().toLong(), Hot::sandgate_verifier_free, "RouteVerifier")

    /**
     * Verifies a route token (the `OpenSandbox-Ingress-To` value) at [now] (Unix seconds;
     * default: the system clock).
     *
     * @throws SandgateException.AccessDenied with the [DenyReason] when it is not valid.
     */
    @JvmOverloads
    public fun verify(token: String, now: ULong? = null): RouteInfo = verify(Hot.TOKEN, token, now)

    /** Verifies the route in a `Host` value (its first DNS label), like [verify]. */
    @JvmOverloads
    public fun verifyHost(host: String, now: ULong? = null): RouteInfo = verify(Hot.HOST, host, now)

    /** Verifies a uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest][?query]`, like [verify]. */
    @JvmOverloads
    public fun verifyPath(path: String, now: ULong? = null): RouteInfo = verify(Hot.PATH, path, now)

    private fun verify(form: Int, input: String, now: ULong?): RouteInfo {
        val bytes = input.toByteArray(Charsets.UTF_8)
        val out = LongArray(8)
        val rc =
            hot.use { h ->
                val hasNow: Byte = if (now == null) 0 else 1
                Hot.sandgate_verify(h, form, bytes, bytes.size.toLong(), hasNow, now?.toLong() ?: 0L, out)
            }
        if (rc != 0) throw Hot.verifyError(rc, out)
        val sandboxId = String(bytes, out[3].toInt(), out[4].toInt(), Charsets.UTF_8)
        return RouteInfo(sandboxId, out[0].toInt(), out[1].toULong(), Hot.keyId(out[2]))
    }

    /**
     * The access decision for [request] to a sandbox whose access token is [accessToken]
     * (null: the sandbox does not require secure access), at [now] (default: the system clock).
     */
    @JvmOverloads
    public fun decide(request: AccessRequest, accessToken: String? = null, now: ULong? = null): AccessDecision {
        val r = FfiAccessRequest(request.ingressTo, request.host, request.path, request.secureAccess)
        return AccessDecision(native { handle.decide(r, accessToken, now) })
    }

    /**
     * Replaces the verifier's keys at once (a live rotation step): every later verify and
     * decision, on any thread, uses [keys]; a verify already running finishes with the old
     * ones. Nothing is locked on the verify path.
     */
    public fun replaceKeys(keys: SigningKeys): Unit = handle.replaceKeys(keys.handle)

    override fun toString(): String = "RouteVerifier"

    /** Frees the native verifier; safe to call more than once. */
    override fun close() {
        hot.close()
        handle.close()
    }
}

/** [expires] (Unix seconds) in base 36, as it appears in a route (SPEC §1.1). */
public fun encodeExpiresB36(expires: ULong): String = dev.sandgate.ffi.encodeExpiresB36(expires)

/** Decodes a base-36 expiry; every non-canonical form is a [SandgateException.InvalidArgument]. */
public fun decodeExpiresB36(text: String): ULong = native { dev.sandgate.ffi.decodeExpiresB36(text) }

@file:JvmName("Routes")

package dev.sandgate

import dev.sandgate.ffi.FfiAccessRequest
import dev.sandgate.ffi.FfiRouteInfo
import dev.sandgate.ffi.FfiRouteSigner
import dev.sandgate.ffi.FfiRouteVerifier
import dev.sandgate.ffi.FfiSignedRouteParts
import dev.sandgate.ffi.FfiSigningKeys
import dev.sandgate.ffi.signingKeysFromEnv
import dev.sandgate.ffi.wildcardHost

/**
 * A validated set of signing keys (SPEC §1.6), from the ingress flag string or the server
 * TOML. Prints key ids, never secrets.
 */
class SigningKeys private constructor(internal val handle: FfiSigningKeys) : AutoCloseable {
    /** Key ids in configuration order. */
    val keyIds: List<Char> = handle.keyIds().map { it.single() }

    /** The key used for signing when none is named, if the configuration has one. */
    val activeKeyId: Char? = handle.activeKeyId()?.single()

    private val description = handle.describe()

    override fun toString(): String = description

    /** Frees the native keys; safe to call more than once. */
    override fun close() = handle.close()

    companion object {
        /** From the ingress flag string `a=BASE64,b=BASE64`. */
        @JvmStatic
        fun fromFlag(text: String): SigningKeys = SigningKeys(native { FfiSigningKeys.fromFlag(text) })

        /** From the server TOML table `[ingress.secure_access]`. */
        @JvmStatic
        fun fromToml(text: String): SigningKeys = SigningKeys(native { FfiSigningKeys.fromToml(text) })

        /**
         * From the server's pair `OPENSANDBOX_SECURE_ACCESS_KEYS` + `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY`
         * in [env] (default: the process environment); null when neither is set.
         */
        @JvmStatic
        @JvmOverloads
        fun fromEnv(env: Map<String, String> = System.getenv()): SigningKeys? =
            native {
                signingKeysFromEnv(env["OPENSANDBOX_SECURE_ACCESS_KEYS"], env["OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY"])
            }?.let(::SigningKeys)
    }
}

/** A parsed or verified route. [expires] and [keyId] are null for a legacy unsigned route. */
data class RouteInfo(
    val sandboxId: String,
    val port: Int,
    val expires: ULong?,
    val keyId: Char?,
)

internal fun FfiRouteInfo.toRouteInfo() = RouteInfo(sandboxId, port.toInt(), expires, keyId?.single())

/** Signs routes with one key: [keyId], or the keys' active key when null. */
class RouteSigner @JvmOverloads constructor(keys: SigningKeys, keyId: Char? = null) : AutoCloseable {
    private val handle = native { FfiRouteSigner(keys.handle, keyId?.toString()) }
    private val hot = NativeLease(this, handle.hotHandle().toLong(), Hot::sandgate_kt_signer_release)

    /** The key this signer signs with. */
    val keyId: Char = handle.keyId().single()

    /** Signs a route to [port] of [sandboxId] that expires at [expires] (Unix seconds). */
    fun sign(sandboxId: String, port: Int, expires: ULong): SignedRoute {
        val id = sandboxId.toByteArray(Charsets.UTF_8)
        val buf = ByteArray(2 * id.size + 96)
        val lens = IntArray(4)
        val rc = hot.use { h ->
            Hot.sandgate_kt_sign(h, id, id.size, port.toLong(), expires.toLong(), buf, buf.size, lens)
        }
        if (rc != 0) {
            // Closed, or the core refused: uniffi raises the exact error.
            return SignedRoute(native { handle.sign(sandboxId, port.toLong(), expires) })
        }
        var at = 0
        val part = { n: Int -> String(buf, at, n, Charsets.UTF_8).also { at += n } }
        val token = part(lens[0])
        val b36 = part(lens[1])
        val signature = part(lens[2])
        return SignedRoute(token, sandboxId, port, expires, b36, signature, part(lens[3]))
    }

    private val description = handle.describe()

    override fun toString(): String = description

    /** Frees the native signer; safe to call more than once. */
    override fun close() {
        hot.close()
        handle.close()
    }
}

/** A signed route (SPEC §1.2) and the three ways it travels (SPEC §1.4). */
class SignedRoute internal constructor(
    /** `{sandbox_id}-{port}-{expires_b36}-{signature}` */
    val token: String,
    val sandboxId: String,
    val port: Int,
    val expires: ULong,
    val expiresB36: String,
    /** Eight hex digits and the key id. */
    val signature: String,
    /** `/{sandbox_id}/{port}/{expires_b36}/{signature}`, for uri mode. */
    val uriPrefix: String,
) {
    internal constructor(p: FfiSignedRouteParts) :
        this(p.token, p.sandboxId, p.port.toInt(), p.expires, p.expiresB36, p.signature, p.uriPrefix)

    val keyId: Char get() = signature.last()

    /** The value of `OpenSandbox-Ingress-To`, for header mode. */
    val headerValue: String get() = token

    /** The wildcard host `{token}.{baseDomain}`; throws InvalidArgument when [baseDomain] is not a DNS name. */
    fun host(baseDomain: String): String = native { wildcardHost(token, baseDomain) }

    override fun equals(other: Any?): Boolean = other is SignedRoute && other.token == token

    override fun hashCode(): Int = token.hashCode()

    override fun toString(): String = "SignedRoute(token=$token, expires=$expires)"
}

/** What a gateway saw on a request. [secureAccess] is the `OpenSandbox-Secure-Access` value. */
data class AccessRequest @JvmOverloads constructor(
    val ingressTo: String? = null,
    val host: String? = null,
    val path: String? = null,
    val secureAccess: String? = null,
) {
    override fun toString(): String =
        "AccessRequest(ingressTo=$ingressTo, host=$host, path=$path, secureAccess=${secureAccess?.let { "***" }})"
}

/** How an allowed request was granted. */
enum class Grant {
    OPEN,
    HEADER,
    SIGNATURE;

    /** The stable code: `open`, `header`, `signature`. */
    val code: String get() = name.lowercase()

    companion object {
        @JvmStatic
        fun fromCode(code: String): Grant =
            entries.firstOrNull { it.code == code }
                ?: throw IllegalArgumentException("unknown grant code \"$code\"")
    }
}

/** The access decision of SPEC §1.5: allowed with a grant and route, or denied with a reason. */
data class AccessDecision(
    val allowed: Boolean,
    val reason: DenyReason?,
    val status: Int,
    val detail: String?,
    val grant: Grant?,
    val route: RouteInfo?,
    val path: String?,
    val query: String?,
)

/** Verifies routes and takes access decisions with a set of signing keys. */
class RouteVerifier(keys: SigningKeys) : AutoCloseable {
    private val handle = native { FfiRouteVerifier(keys.handle) }
    private val hot = NativeLease(this, handle.hotHandle().toLong(), Hot::sandgate_kt_verifier_release)

    /**
     * Verifies a route token at [now] (Unix seconds; default: the system clock).
     *
     * @throws SandgateException.AccessDenied with the [DenyReason] when it is not valid.
     */
    @JvmOverloads
    fun verify(token: String, now: ULong? = null): RouteInfo {
        val bytes = token.toByteArray(Charsets.UTF_8)
        val out = LongArray(5)
        val rc = hot.use { h ->
            Hot.sandgate_kt_verify(h, bytes, bytes.size, if (now == null) 0 else 1, now?.toLong() ?: 0L, out)
        }
        if (rc != 0) {
            // Denied, closed or invalid: uniffi raises the exact error.
            return native { handle.verify(token, now) }.toRouteInfo()
        }
        val sandboxId = String(bytes, out[3].toInt(), out[4].toInt(), Charsets.UTF_8)
        return RouteInfo(sandboxId, out[0].toInt(), out[1].toULong(), out[2].toInt().toChar())
    }

    /**
     * The access decision for [request] to a sandbox whose access token is [accessToken]
     * (null: the sandbox does not require secure access), at [now] (default: the system clock).
     */
    @JvmOverloads
    fun decide(request: AccessRequest, accessToken: String? = null, now: ULong? = null): AccessDecision {
        val r = FfiAccessRequest(request.ingressTo, request.host, request.path, request.secureAccess)
        val d = native { handle.decide(r, accessToken, now) }
        return AccessDecision(
            allowed = d.allowed,
            reason = d.reason?.let(DenyReason::fromCode),
            status = d.status.toInt(),
            detail = d.detail,
            grant = d.grant?.let(Grant::fromCode),
            route = d.route?.toRouteInfo(),
            path = d.path,
            query = d.query,
        )
    }

    override fun toString(): String = "RouteVerifier"

    /** Frees the native verifier; safe to call more than once. */
    override fun close() {
        hot.close()
        handle.close()
    }
}

/** [expires] (Unix seconds) in base 36, as it appears in a route (SPEC §1.1). */
fun encodeExpiresB36(expires: ULong): String = dev.sandgate.ffi.encodeExpiresB36(expires)

/** Decodes a base-36 expiry; every non-canonical form is a [SandgateException.InvalidArgument]. */
fun decodeExpiresB36(text: String): ULong = native { dev.sandgate.ffi.decodeExpiresB36(text) }

@file:JvmName("Routes")

package dev.sandgate

import dev.sandgate.ffi.FfiAccessRequest
import dev.sandgate.ffi.FfiRouteInfo
import dev.sandgate.ffi.FfiRouteSigner
import dev.sandgate.ffi.FfiRouteVerifier
import dev.sandgate.ffi.FfiSignedRoute
import dev.sandgate.ffi.FfiSigningKeys

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

    /** The key this signer signs with. */
    val keyId: Char = handle.keyId().single()

    /** Signs a route to [port] of [sandboxId] that expires at [expires] (Unix seconds). */
    fun sign(sandboxId: String, port: Int, expires: ULong): SignedRoute =
        SignedRoute(native { handle.sign(sandboxId, port.toLong(), expires) })

    private val description = handle.describe()

    override fun toString(): String = description

    /** Frees the native signer; safe to call more than once. */
    override fun close() = handle.close()
}

/** A signed route (SPEC §1.2) and the three ways it travels (SPEC §1.4). */
class SignedRoute internal constructor(private val handle: FfiSignedRoute) {
    private val parts = handle.parts()

    /** `{sandbox_id}-{port}-{expires_b36}-{signature}` */
    val token: String get() = parts.token
    val sandboxId: String get() = parts.sandboxId
    val port: Int get() = parts.port.toInt()
    val expires: ULong get() = parts.expires
    val expiresB36: String get() = parts.expiresB36

    /** Eight hex digits and the key id. */
    val signature: String get() = parts.signature
    val keyId: Char get() = parts.keyId.single()

    /** `/{sandbox_id}/{port}/{expires_b36}/{signature}`, for uri mode. */
    val uriPrefix: String get() = parts.uriPrefix

    /** The value of `OpenSandbox-Ingress-To`, for header mode. */
    val headerValue: String get() = parts.headerValue

    /** The wildcard host `{token}.{baseDomain}`. */
    fun host(baseDomain: String): String = handle.host(baseDomain)

    override fun equals(other: Any?): Boolean = other is SignedRoute && other.parts == parts

    override fun hashCode(): Int = parts.hashCode()

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

    /**
     * Verifies a route token at [now] (Unix seconds; default: the system clock).
     *
     * @throws SandgateException.AccessDenied with the [DenyReason] when it is not valid.
     */
    @JvmOverloads
    fun verify(token: String, now: ULong? = null): RouteInfo =
        native { handle.verify(token, now) }.toRouteInfo()

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
    override fun close() = handle.close()
}

/** [expires] (Unix seconds) in base 36, as it appears in a route (SPEC §1.1). */
fun encodeExpiresB36(expires: ULong): String = dev.sandgate.ffi.encodeExpiresB36(expires)

/** Decodes a base-36 expiry; every non-canonical form is a [SandgateException.InvalidArgument]. */
fun decodeExpiresB36(text: String): ULong = native { dev.sandgate.ffi.decodeExpiresB36(text) }

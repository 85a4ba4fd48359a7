package dev.sandgate

import dev.sandgate.ffi.FfiErrorDetail
import dev.sandgate.ffi.FfiException
import dev.sandgate.ffi.InternalException

/**
 * Every failure sandgate reports: one subclass per core error kind, so callers can match in
 * `when`. [kind] is core's stable code (`invalid_argument`, `api`, ...), and [status], [code],
 * [requestId] and [reason] are set where they apply. Messages never contain secrets.
 */
sealed class SandgateException(
    /** The stable kind code, as in core's error table. */
    val kind: String,
    message: String,
    /** The HTTP status, for API errors and denials. */
    val status: Int?,
    /** The server's error code (for example `SANDBOX::NOT_FOUND`), for API errors. */
    val code: String?,
    /** The server's `X-Request-ID`, when it sent one. */
    val requestId: String?,
    /** Why access was denied, for [AccessDenied]. */
    val reason: DenyReason?,
) : RuntimeException(message) {
    private constructor(d: FfiErrorDetail) : this(
        d.kind, d.message, d.status?.toInt(), d.code, d.requestId, d.reason?.let(DenyReason::fromCode),
    )

    /** A caller-supplied value was rejected before any work was done. */
    class InvalidArgument internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** A configuration (signing keys, TOML, client options) is invalid. */
    class InvalidConfig internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** A route or credential was denied; see [reason] and [status]. */
    class AccessDenied internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** The server answered with an error status; see [status], [code] and [requestId]. */
    class Api internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** The request did not finish within its timeout. */
    class Timeout internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** Connecting to or talking with the server failed (refused, reset, TLS, DNS). */
    class Transport internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** The server's response could not be decoded. */
    class Decode internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** The operation was cancelled. */
    class Cancelled internal constructor(d: FfiErrorDetail) : SandgateException(d)

    /** A bug inside sandgate (for example a caught panic in the native library). */
    class Internal internal constructor(d: FfiErrorDetail) : SandgateException(d)
}

/** Why an access decision denied a request (SPEC §1.5); [code] is core's stable code. */
enum class DenyReason {
    MALFORMED,
    EXPIRED,
    UNKNOWN_KEY,
    BAD_SIGNATURE,
    HEADER_MISMATCH,
    CREDENTIAL_REQUIRED,
    NOT_CONFIGURED,
    UNKNOWN_SANDBOX;

    /** The stable snake_case code, for example `bad_signature`. */
    val code: String get() = name.lowercase()

    companion object {
        /** The reason whose [code] is [code]. */
        @JvmStatic
        fun fromCode(code: String): DenyReason =
            entries.firstOrNull { it.code == code }
                ?: throw IllegalArgumentException("unknown denial reason code \"$code\"")
    }
}

private fun FfiException.toSandgate(): SandgateException = when (this) {
    is FfiException.InvalidArgument -> SandgateException.InvalidArgument(detail)
    is FfiException.InvalidConfig -> SandgateException.InvalidConfig(detail)
    is FfiException.AccessDenied -> SandgateException.AccessDenied(detail)
    is FfiException.Api -> SandgateException.Api(detail)
    is FfiException.Timeout -> SandgateException.Timeout(detail)
    is FfiException.Transport -> SandgateException.Transport(detail)
    is FfiException.Decode -> SandgateException.Decode(detail)
    is FfiException.Cancelled -> SandgateException.Cancelled(detail)
    is FfiException.Internal -> SandgateException.Internal(detail)
}

/** Runs one native call and turns its errors into [SandgateException]s. */
internal inline fun <T> native(block: () -> T): T =
    try {
        block()
    } catch (e: FfiException) {
        throw e.toSandgate()
    } catch (e: InternalException) {
        throw SandgateException.Internal(
            FfiErrorDetail("internal", "internal: ${e.message}", null, null, null, null),
        )
    }

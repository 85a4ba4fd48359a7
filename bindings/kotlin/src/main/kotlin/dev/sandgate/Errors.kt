@file:JvmName("Errors")

package dev.sandgate

import dev.sandgate.ffi.ErrorKind
import dev.sandgate.ffi.ErrorView
import dev.sandgate.ffi.FfiException
import dev.sandgate.ffi.InternalException
import dev.sandgate.ffi.codeTables
import dev.sandgate.ffi.panickedError
import java.util.EnumMap
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds

/** Why an access decision denied a request (SPEC §1.5): core's enum, exported through uniffi. */
public typealias DenyReason = dev.sandgate.ffi.DenyReason

/** How an allowed request was granted: core's enum, exported through uniffi. */
public typealias Grant = dev.sandgate.ffi.Grant

/**
 * Core's code tables, read once. Each list is in core's table order, which is also the C ABI's
 * numbering: the hot paths return reason `n` (a denial) or `-n` (an error of kind `n`).
 */
internal object Tables {
    private val tables = codeTables()
    val kinds: List<ErrorKind> = tables.kinds.map { it.kind }
    val reasons: List<DenyReason> = tables.reasons.map { it.reason }
    val kindCodes: Map<ErrorKind, String> = EnumMap(tables.kinds.associate { it.kind to it.code })
    val reasonCodes: Map<DenyReason, String> = EnumMap(tables.reasons.associate { it.reason to it.code })
    val reasonStatuses: Map<DenyReason, Int> = EnumMap(tables.reasons.associate { it.reason to it.status.toInt() })
    val grantCodes: Map<Grant, String> = EnumMap(tables.grants.associate { it.grant to it.code })
}

/** Core's stable code, for example `bad_signature`. */
public val DenyReason.code: String get() = Tables.reasonCodes.getValue(this)

/** The HTTP status a gateway answers with: 400, 401, 404 or 503. */
public val DenyReason.status: Int get() = Tables.reasonStatuses.getValue(this)

/** The reason whose [code] is [code]; [IllegalArgumentException] for an unknown code. */
public fun dev.sandgate.ffi.DenyReason.Companion.fromCode(code: String): DenyReason =
    Tables.reasonCodes.entries.firstOrNull { it.value == code }?.key
        ?: throw IllegalArgumentException("unknown denial reason code \"$code\"")

/** Core's stable code: `open`, `header` or `signature`. */
public val Grant.code: String get() = Tables.grantCodes.getValue(this)

/** The grant whose [code] is [code]; [IllegalArgumentException] for an unknown code. */
public fun dev.sandgate.ffi.Grant.Companion.fromCode(code: String): Grant = Tables.grantCodes.entries.firstOrNull { it.value == code }?.key
    ?: throw IllegalArgumentException("unknown grant code \"$code\"")

/**
 * Every failure sandgate reports: one subclass per core error kind, so callers can match in
 * `when`. [message] is core's bare message and `toString()` its full line (for an API error
 * `API error 404 SANDBOX::NOT_FOUND: ... (request id r1)`). [kind] is core's stable code
 * (`invalid_argument`, `api`, ...); [status], [code], [requestId] and [reason] are set where
 * they apply. Nothing in an error is secret.
 */
public sealed class SandgateException(view: ErrorView) : RuntimeException(view.message) {
    /** The stable kind code, as in core's error table. */
    public val kind: String = Tables.kindCodes.getValue(view.kind)

    /** The HTTP status, for API errors and denials. */
    public val status: Int? = view.status?.toInt()

    /** The server's error code (for example `SANDBOX::NOT_FOUND`), for API errors. */
    public val code: String? = view.code

    /** The server's `X-Request-ID`, when it sent one. */
    public val requestId: String? = view.requestId

    /** Why access was denied, for [AccessDenied]. */
    public val reason: DenyReason? = view.reason

    /**
     * Whether the client's retry policy would retry the request that failed this way (SPEC
     * §2.1); a retried request that still failed reports true here too.
     */
    public val isRetryable: Boolean = view.retryable

    /** The server's `Retry-After` as it sent it, on an answer (such as a 429) that carried one. */
    public val retryAfter: Duration? = view.retryAfterMs?.toLong()?.milliseconds

    private val display = view.display

    /** Core's full line: the kind, status, code, message and request id. */
    override fun toString(): String = display

    /** A caller-supplied value was rejected before any work was done. */
    public class InvalidArgument internal constructor(view: ErrorView) : SandgateException(view)

    /** A configuration (signing keys, TOML, client options) is invalid. */
    public class InvalidConfig internal constructor(view: ErrorView) : SandgateException(view)

    /** A route or credential was denied; see [reason] and [status]. */
    public class AccessDenied internal constructor(view: ErrorView) : SandgateException(view)

    /** The server answered with an error status; see [status], [code] and [requestId]. */
    public class Api internal constructor(view: ErrorView) : SandgateException(view)

    /** The request did not finish within its timeout. */
    public class Timeout internal constructor(view: ErrorView) : SandgateException(view)

    /** Connecting to or talking with the server failed (refused, reset, TLS, DNS). */
    public class Transport internal constructor(view: ErrorView) : SandgateException(view)

    /** The server's response could not be decoded. */
    public class Decode internal constructor(view: ErrorView) : SandgateException(view)

    /** The operation was cancelled. */
    public class Cancelled internal constructor(view: ErrorView) : SandgateException(view)

    /** A bug inside sandgate (for example a caught panic in the native library). */
    public class Internal internal constructor(view: ErrorView) : SandgateException(view)
}

/** The exception for core's error view (a new core kind fails this `when` at compile time). */
internal fun ErrorView.toException(): SandgateException = when (kind) {
    ErrorKind.INVALID_ARGUMENT -> SandgateException.InvalidArgument(this)
    ErrorKind.INVALID_CONFIG -> SandgateException.InvalidConfig(this)
    ErrorKind.ACCESS_DENIED -> SandgateException.AccessDenied(this)
    ErrorKind.API -> SandgateException.Api(this)
    ErrorKind.TIMEOUT -> SandgateException.Timeout(this)
    ErrorKind.TRANSPORT -> SandgateException.Transport(this)
    ErrorKind.DECODE -> SandgateException.Decode(this)
    ErrorKind.CANCELLED -> SandgateException.Cancelled(this)
    ErrorKind.INTERNAL -> SandgateException.Internal(this)
}

/** Runs one uniffi call and turns its errors into [SandgateException]s. */
internal inline fun <T> native(block: () -> T): T = try {
    block()
} catch (e: FfiException.Failed) {
    throw e.view.toException()
} catch (e: InternalException) {
    // uniffi caught a panic: core's one message for it.
    throw panickedError().toException()
}

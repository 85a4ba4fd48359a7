@file:JvmName("Resilience")

package dev.sandgate

import dev.sandgate.ffi.FfiCacheOptions
import dev.sandgate.ffi.FfiRetryEvent
import dev.sandgate.ffi.FfiRetryOptions
import dev.sandgate.ffi.FfiRetryQuery
import dev.sandgate.ffi.RetryHook
import kotlin.time.Duration
import kotlin.time.Duration.Companion.milliseconds

/**
 * How the client retries (SPEC §2.1); a null field keeps core's default. [maxRetries] is the
 * number of retries after the first attempt (0 turns retrying off; default 3). The first retry
 * waits [initialBackoff] (default 0.5 s); later ones a decorrelated jitter up to
 * [maxBackoff] (default 30 s) growing by [multiplier] (1 to 100, default 2); a `Retry-After`
 * answer replaces that (capped at 60 s). Idempotent requests are retried on [retryStatuses]
 * (default 429, 502, 503; empty: never on a status) and on connection failures and timeouts;
 * POST only when nothing was sent, and on a status only when it is in [postRetryStatuses] (an
 * opt-in, default none). [attemptTimeout] bounds one attempt (default: the client's timeout),
 * [deadline] all attempts and waits together (default none). Times count whole milliseconds;
 * core checks every value (a bad one is [SandgateException.InvalidConfig]).
 */
public data class RetryOptions @JvmOverloads constructor(
    val maxRetries: Int? = null,
    val initialBackoff: Duration? = null,
    val maxBackoff: Duration? = null,
    val multiplier: Double? = null,
    val retryStatuses: Set<Int>? = null,
    val postRetryStatuses: Set<Int>? = null,
    val attemptTimeout: Duration? = null,
    val deadline: Duration? = null,
) {
    internal fun toFfi() = FfiRetryOptions(
        maxRetries?.toLong(),
        initialBackoff?.inWholeMilliseconds,
        maxBackoff?.inWholeMilliseconds,
        multiplier,
        retryStatuses?.toList(),
        postRetryStatuses?.toList(),
        attemptTimeout?.inWholeMilliseconds,
        deadline?.inWholeMilliseconds,
    )

    public companion object {
        /** No retries at all. */
        @JvmField
        public val OFF: RetryOptions = RetryOptions(maxRetries = 0)
    }
}

/**
 * The client's endpoint cache (SPEC §2.1), on by default; a null field keeps core's default.
 * [enabled] false turns it off; [maxEntries] bounds it (default 1024, least recently used out
 * first); a direct or server-proxy endpoint is reused for [ttl] (default 10 min) and a signed
 * one until [margin] (default 30 s) before its route expires, by the server's clock. Times
 * count whole milliseconds.
 */
public data class CacheOptions @JvmOverloads constructor(
    val enabled: Boolean? = null,
    val maxEntries: Long? = null,
    val ttl: Duration? = null,
    val margin: Duration? = null,
) {
    internal fun toFfi() = FfiCacheOptions(enabled, maxEntries, ttl?.inWholeMilliseconds, margin?.inWholeMilliseconds)

    public companion object {
        /** No caching: every endpoint call asks the server. */
        @JvmField
        public val OFF: CacheOptions = CacheOptions(enabled = false)
    }
}

/** What the retry hook is told before a retry sleeps: the failed [attempt] (from 1), the [delay] before the next, and the [cause]. */
public data class RetryEvent(val attempt: Int, val delay: Duration, val cause: SandgateException)

/**
 * The client's retry hook (`onRetry`), called before each retry sleeps, on a thread of
 * sandgate's native runtime: keep it short. An exception it throws does not stop the retry; it
 * goes to the thread's uncaught-exception handler (by default printed to standard error).
 */
public fun interface RetryListener {
    public fun onRetry(event: RetryEvent)
}

internal class RetryHookAdapter(private val listener: RetryListener) : RetryHook {
    override fun onRetry(event: FfiRetryEvent) {
        try {
            listener.onRetry(RetryEvent(event.attempt.toInt(), event.delayMs.toLong().milliseconds, event.cause.toException()))
        } catch (t: Throwable) {
            val thread = Thread.currentThread()
            thread.uncaughtExceptionHandler?.uncaughtException(thread, t)
        }
    }
}

/**
 * One failed attempt, as the retry rule sees it: the request [method]; how it failed,
 * [outcome]: `status` (with [status]), `pre_send` (nothing was sent), `post_send` (the
 * connection failed after sending) or `timeout`; the [attempt] number (from 1); the delay slept
 * before it, [prevDelay] (null for the first); the answer's `Retry-After` text [retryAfter];
 * [now] (Unix seconds an HTTP-date `Retry-After` counts from; null: the clock); and the time
 * since the first attempt began, [elapsed].
 */
public data class RetryAttempt @JvmOverloads constructor(
    val method: String,
    val outcome: String,
    val status: Int? = null,
    val attempt: Int = 1,
    val prevDelay: Duration? = null,
    val retryAfter: String? = null,
    val now: ULong? = null,
    val elapsed: Duration = Duration.ZERO,
)

/**
 * The retry rule's answer: whether the attempt is [retry]ed, why ([verdict]: `retry`,
 * `not_retryable`, `exhausted`, `deadline`), the bounds of the delay before the next attempt
 * ([minDelay], [maxDelay]; zero when not retried) and what the attempt's error reports as
 * [retryable].
 */
public data class RetryDecision(
    val retry: Boolean,
    val verdict: String,
    val minDelay: Duration,
    val maxDelay: Duration,
    val retryable: Boolean,
)

/** The cache rule's answer: the entry is served while [fresh]; [untilMs] is the first millisecond it is not. */
public data class CacheFreshness(val fresh: Boolean, val untilMs: ULong)

/**
 * Core's retry rule (SPEC §2.1), the one the client follows: the decision for one failed
 * [attempt] under [options]. A bad option is [SandgateException.InvalidConfig], a bad attempt
 * [SandgateException.InvalidArgument].
 */
public fun retryDecision(options: RetryOptions, attempt: RetryAttempt): RetryDecision {
    val q =
        FfiRetryQuery(
            attempt.method,
            attempt.outcome,
            attempt.status,
            attempt.attempt.toLong(),
            attempt.prevDelay?.inWholeMilliseconds,
            attempt.retryAfter,
            attempt.now,
            attempt.elapsed.inWholeMilliseconds,
        )
    val d = native { dev.sandgate.ffi.retryDecision(options.toFfi(), q) }
    return RetryDecision(d.retry, d.verdict, d.minDelayMs.toLong().milliseconds, d.maxDelayMs.toLong().milliseconds, d.retryable)
}

/**
 * Core's endpoint-cache rule (SPEC §2.1): whether an entry fetched at [fetchedAtMs] is still
 * served at [nowMs] under [options]. [signedExpires] is a signed entry's route expiry (Unix
 * seconds; then [nowMs] is the server's clock), null for a direct or server-proxy entry.
 */
public fun cacheDecision(options: CacheOptions, signedExpires: ULong?, fetchedAtMs: ULong, nowMs: ULong): CacheFreshness {
    val f = native { dev.sandgate.ffi.cacheDecision(options.toFfi(), signedExpires, fetchedAtMs, nowMs) }
    return CacheFreshness(f.fresh, f.untilMs)
}

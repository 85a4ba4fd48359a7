//! The retry rule of SPEC §2.1 (upstream OSEP-0017) as pure functions: whether a failed attempt
//! is retried, and within which bounds its delay lies. The transport calls [`decide`] after
//! every failed attempt; the shared case table `sdk-tests/cases/retry.json` drives the same
//! function in every language through `surface::retry_decision`.

use super::config::RetryPolicy;
use crate::error::{Error, Result};
use std::time::{Duration, SystemTime};

/// The most a server's `Retry-After` can make the client wait (SPEC §2.1).
pub const RETRY_AFTER_CAP: Duration = Duration::from_secs(60);

/// How one attempt failed, as far as retrying is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// The server answered with this status.
    Status(u16),
    /// The request failed before any byte of it was sent: DNS, connect, TLS, or a pooled
    /// connection that closed before the first write. Safe to send again, whatever the method.
    PreSend,
    /// The connection failed after the request may have been sent.
    PostSend,
    /// The attempt did not finish within its timeout.
    Timeout,
}

impl Outcome {
    /// The stable code: `status`, `pre_send`, `post_send`, `timeout`.
    pub const fn code(self) -> &'static str {
        match self {
            Outcome::Status(_) => "status",
            Outcome::PreSend => "pre_send",
            Outcome::PostSend => "post_send",
            Outcome::Timeout => "timeout",
        }
    }

    /// The outcome named by `code`; `status` is required with `status` and refused otherwise.
    pub fn from_code(code: &str, status: Option<u16>) -> Result<Self> {
        match (code, status) {
            ("status", Some(s)) if (100..=599).contains(&s) => Ok(Outcome::Status(s)),
            ("status", Some(s)) => Err(Error::invalid_argument(format!(
                "an HTTP status is 100..599, got {s}"
            ))),
            ("status", None) => Err(Error::invalid_argument(
                "outcome status needs the status it answered",
            )),
            (_, Some(_)) if ["pre_send", "post_send", "timeout"].contains(&code) => Err(
                Error::invalid_argument(format!("outcome {code} has no status")),
            ),
            ("pre_send", None) => Ok(Outcome::PreSend),
            ("post_send", None) => Ok(Outcome::PostSend),
            ("timeout", None) => Ok(Outcome::Timeout),
            _ => Err(Error::invalid_argument(format!(
                "outcome must be one of status, pre_send, post_send, timeout; got {code:?}"
            ))),
        }
    }
}

/// Why a failed attempt is, or is not, retried.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Retried after a delay within the decision's bounds.
    Retry,
    /// The policy does not retry this outcome for this method (or retries are off).
    NotRetryable,
    /// Retryable, but `max_retries` retries were already made.
    Exhausted,
    /// Retryable, but the overall deadline leaves no time for the wait.
    Deadline,
}

impl Verdict {
    /// Every verdict, in table order.
    pub const ALL: [Verdict; 4] = [
        Verdict::Retry,
        Verdict::NotRetryable,
        Verdict::Exhausted,
        Verdict::Deadline,
    ];

    /// The stable code: `retry`, `not_retryable`, `exhausted`, `deadline`.
    pub const fn code(self) -> &'static str {
        match self {
            Verdict::Retry => "retry",
            Verdict::NotRetryable => "not_retryable",
            Verdict::Exhausted => "exhausted",
            Verdict::Deadline => "deadline",
        }
    }
}

/// One failed attempt, as [`decide`] needs it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attempt<'a> {
    /// The request method (`GET`, `POST`, ...).
    pub method: &'a str,
    /// How it failed.
    pub outcome: Outcome,
    /// Its number, from 1 for the first attempt.
    pub attempt: u32,
    /// The delay slept before it (`None` for the first attempt).
    pub prev_delay: Option<Duration>,
    /// The answer's `Retry-After`, already read ([`parse_retry_after`]), uncapped.
    pub retry_after: Option<Duration>,
    /// Time since the first attempt started.
    pub elapsed: Duration,
}

/// What [`decide`] answers: retry or not, and the bounds of the delay (equal bounds: exactly
/// that delay; both zero when not retried).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Why.
    pub verdict: Verdict,
    /// The least delay before the next attempt.
    pub min_delay: Duration,
    /// The most delay before the next attempt.
    pub max_delay: Duration,
}

impl Decision {
    /// Whether the attempt is retried.
    pub fn retry(&self) -> bool {
        self.verdict == Verdict::Retry
    }

    fn no(verdict: Verdict) -> Self {
        Decision {
            verdict,
            min_delay: Duration::ZERO,
            max_delay: Duration::ZERO,
        }
    }
}

/// GET, HEAD, PUT, DELETE and OPTIONS (ASCII case ignored): the methods a server may receive
/// twice without a second effect.
pub fn is_idempotent(method: &str) -> bool {
    ["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]
        .iter()
        .any(|m| m.eq_ignore_ascii_case(method))
}

/// Whether `policy` retries `outcome` for `method` at all, before counting retries or time:
/// what [`Error::is_retryable`] reports.
pub fn retryable(policy: &RetryPolicy, method: &str, outcome: Outcome) -> bool {
    if policy.max_retries == 0 {
        return false;
    }
    let idempotent = is_idempotent(method);
    match outcome {
        Outcome::Status(s) if idempotent => policy.retry_statuses.contains(s),
        Outcome::Status(s) => policy.post_retry_statuses.contains(s),
        Outcome::PreSend => true,
        Outcome::PostSend | Outcome::Timeout => idempotent,
    }
}

/// The retry decision for one failed attempt (SPEC §2.1), in this order:
/// 1. not [`retryable`] → `not_retryable`;
/// 2. `attempt > max_retries` → `exhausted`;
/// 3. the delay: `min(Retry-After, 60 s)` when the answer had one; else `initial_backoff` for
///    the first retry, and later `[initial_backoff, min(max_backoff, max(initial_backoff,
///    prev_delay * multiplier))]` (decorrelated jitter);
/// 4. with an overall deadline: `elapsed + min_delay >= deadline` → `deadline`; else the upper
///    bound is cut to the time left.
pub fn decide(policy: &RetryPolicy, a: &Attempt<'_>) -> Decision {
    if !retryable(policy, a.method, a.outcome) {
        return Decision::no(Verdict::NotRetryable);
    }
    if a.attempt > policy.max_retries {
        return Decision::no(Verdict::Exhausted);
    }
    let (mut lo, mut hi) = match (a.outcome, a.retry_after) {
        (Outcome::Status(_), Some(r)) => {
            let d = r.min(RETRY_AFTER_CAP);
            (d, d)
        }
        _ => {
            let lo = policy.initial_backoff.min(policy.max_backoff);
            let hi = match a.prev_delay {
                None => lo,
                Some(p) => Duration::try_from_secs_f64(p.as_secs_f64() * policy.multiplier)
                    .unwrap_or(policy.max_backoff)
                    .max(lo)
                    .min(policy.max_backoff),
            };
            (lo, hi)
        }
    };
    if let Some(deadline) = policy.deadline {
        let left = deadline.saturating_sub(a.elapsed);
        if lo >= left {
            return Decision::no(Verdict::Deadline);
        }
        hi = hi.min(left);
        lo = lo.min(hi);
    }
    Decision {
        verdict: Verdict::Retry,
        min_delay: lo,
        max_delay: hi,
    }
}

/// A `Retry-After` value as a delay: delta-seconds (`120`), or an HTTP-date counted from
/// `now` (a date in the past is zero). Anything else is `None`: the computed backoff applies.
pub fn parse_retry_after(value: &str, now: SystemTime) -> Option<Duration> {
    let v = value.trim();
    if !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()) {
        // Digits past u64 are a wait of "forever": the cap takes it.
        return Some(Duration::from_secs(v.parse().unwrap_or(u64::MAX)));
    }
    let at = httpdate::parse_http_date(v).ok()?;
    Some(at.duration_since(now).unwrap_or(Duration::ZERO))
}

/// A delay drawn uniformly from the decision's bounds (millisecond steps; the bounds included).
pub fn sample_delay(d: &Decision) -> Duration {
    let (lo, hi) = (
        d.min_delay.as_millis() as u64,
        d.max_delay.as_millis() as u64,
    );
    if hi <= lo {
        return d.min_delay;
    }
    let mut b = [0u8; 8];
    let r = if getrandom::getrandom(&mut b).is_ok() {
        u64::from_le_bytes(b)
    } else {
        0
    };
    Duration::from_millis(lo + r % (hi - lo + 1))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(outcome: Outcome, attempt: u32, prev_ms: Option<u64>) -> Attempt<'static> {
        Attempt {
            method: "GET",
            outcome,
            attempt,
            prev_delay: prev_ms.map(Duration::from_millis),
            retry_after: None,
            elapsed: Duration::ZERO,
        }
    }

    #[test]
    fn jitter_bounds_grow_and_cap() {
        let p = RetryPolicy::default();
        let d = decide(&p, &at(Outcome::Status(503), 1, None));
        assert_eq!(
            (d.min_delay, d.max_delay),
            (p.initial_backoff, p.initial_backoff)
        );
        let d = decide(&p, &at(Outcome::Status(503), 2, Some(500)));
        assert_eq!(d.max_delay, Duration::from_secs(1));
        let d = decide(&p, &at(Outcome::Status(503), 3, Some(20_000)));
        assert_eq!(d.max_delay, Duration::from_secs(30));
        assert_eq!(
            decide(&p, &at(Outcome::Status(503), 4, Some(1))).verdict,
            Verdict::Exhausted
        );
        for _ in 0..100 {
            let s = sample_delay(&decide(&p, &at(Outcome::Timeout, 2, Some(900))));
            assert!(s >= Duration::from_millis(500) && s <= Duration::from_millis(1800));
        }
    }

    #[test]
    fn retry_after_forms() {
        let now = httpdate::parse_http_date("Sun, 06 Nov 2033 08:49:37 GMT").unwrap();
        assert_eq!(parse_retry_after(" 7 ", now), Some(Duration::from_secs(7)));
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 2033 08:50:37 GMT", now),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            parse_retry_after("Sun, 06 Nov 2033 08:00:00 GMT", now),
            Some(Duration::ZERO)
        );
        assert_eq!(parse_retry_after("-1", now), None);
        assert_eq!(parse_retry_after("soon", now), None);
        assert_eq!(
            parse_retry_after("99999999999999999999999", now),
            Some(Duration::from_secs(u64::MAX))
        );
    }
}

//! Client configuration: explicit options, then environment, then defaults.

use crate::error::{Error, Result};
use crate::secret::SecretString;
use std::time::Duration;

/// Default request timeout.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
/// Default domain when neither an option nor `OPEN_SANDBOX_DOMAIN` gives one.
pub const DEFAULT_DOMAIN: &str = "localhost:8080";
/// Default cap on the size of a response body (SPEC §2.1): 8 MiB.
pub const DEFAULT_MAX_RESPONSE_BYTES: usize = 8 * 1024 * 1024;

/// `text` (a domain or a URL) with any userinfo replaced by `***`: `user:SECRET@host` becomes
/// `***@host`, `https://u:p@host/x` becomes `https://***@host/x`. For messages and `Debug`.
pub fn redact_userinfo(text: &str) -> std::borrow::Cow<'_, str> {
    let start = text.find("://").map_or(0, |i| i + 3);
    let rest = &text[start..];
    let authority = &rest[..rest.find(['/', '?', '#']).unwrap_or(rest.len())];
    match authority.rfind('@') {
        None => std::borrow::Cow::Borrowed(text),
        Some(at) => std::borrow::Cow::Owned(format!("{}***{}", &text[..start], &rest[at..])),
    }
}

/// A set of HTTP error statuses (400..=599), stored as a bit set: copying and testing it costs
/// nothing.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct StatusSet([u64; 10]);

impl StatusSet {
    /// No status.
    pub const EMPTY: StatusSet = StatusSet([0; 10]);

    /// The statuses idempotent requests retry by default (SPEC §2.1): 429, 502, 503.
    pub const DEFAULT_IDEMPOTENT: StatusSet = StatusSet::EMPTY.with(429).with(502).with(503);

    const fn with(mut self, status: u16) -> Self {
        self.0[(status / 64) as usize] |= 1 << (status % 64);
        self
    }

    /// The set of `statuses`; each must be an error status, 400..=599.
    pub fn of(statuses: &[u16]) -> Result<Self> {
        let mut set = StatusSet::EMPTY;
        for &s in statuses {
            if !(400..=599).contains(&s) {
                return Err(Error::invalid_config(format!(
                    "a retry status must be an error status (400..599), got {s}"
                )));
            }
            set = set.with(s);
        }
        Ok(set)
    }

    /// Whether `status` is in the set.
    pub const fn contains(&self, status: u16) -> bool {
        status < 640 && self.0[(status / 64) as usize] & (1 << (status % 64)) != 0
    }

    /// The statuses, in increasing order.
    pub fn to_vec(&self) -> Vec<u16> {
        (400..600).filter(|&s| self.contains(s)).collect()
    }
}

impl std::fmt::Debug for StatusSet {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_set().entries(self.to_vec()).finish()
    }
}

/// When and how requests are retried (SPEC §2.1, upstream OSEP-0017).
///
/// - `max_retries` retries after the first attempt (3: up to 4 attempts; 0: never retry).
/// - Idempotent methods (GET, HEAD, PUT, DELETE, OPTIONS) retry on a status in
///   `retry_statuses` (default 429, 502, 503), on a connection failure and on a timeout.
/// - Other methods (POST: minting a key, creating, pausing or resuming a sandbox) retry only
///   when the failure provably happened before any byte of the request was sent (DNS,
///   connect, TLS, a pooled connection closed before the first write), and on a status only
///   when the caller put it in `post_retry_statuses` (default: none).
/// - The delay before retry n is decorrelated jitter: the first is `initial_backoff`, each
///   later one `min(max_backoff, uniform(initial_backoff, previous * multiplier))`. A
///   server's `Retry-After` (delta-seconds or HTTP-date) replaces it, capped at 60 s
///   ([`RETRY_AFTER_CAP`](super::retry::RETRY_AFTER_CAP)).
/// - Each attempt has `attempt_timeout` (default: the client's timeout); `deadline`, when
///   set, bounds all attempts and the waits between them together.
///
/// The rule itself is the pure function [`retry::decide`](super::retry::decide).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RetryPolicy {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// Delay before the first retry, and the least delay before any later one.
    pub initial_backoff: Duration,
    /// Longest computed delay between attempts (a `Retry-After` has its own 60 s cap).
    pub max_backoff: Duration,
    /// Growth factor of the jitter's upper bound (at least 1).
    pub multiplier: f64,
    /// Statuses on which idempotent requests are retried.
    pub retry_statuses: StatusSet,
    /// Statuses on which POST (and other non-idempotent) requests are retried: an explicit
    /// opt-in, empty by default, because such a request may already have taken effect.
    pub post_retry_statuses: StatusSet,
    /// Timeout of one attempt; `None` uses the client's timeout.
    pub attempt_timeout: Option<Duration>,
    /// Time allowed for all attempts and waits together; `None`: no overall deadline.
    pub deadline: Option<Duration>,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_retries: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(30),
            multiplier: 2.0,
            retry_statuses: StatusSet::DEFAULT_IDEMPOTENT,
            post_retry_statuses: StatusSet::EMPTY,
            attempt_timeout: None,
            deadline: None,
        }
    }
}

impl RetryPolicy {
    /// Largest accepted `max_retries`.
    pub const MAX_RETRIES: u32 = 100;
    /// Largest accepted `multiplier`.
    pub const MAX_MULTIPLIER: f64 = 100.0;

    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_retries: 0,
            ..Default::default()
        }
    }

    /// Checks every knob; the error says which one is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.max_retries > Self::MAX_RETRIES {
            return Err(Error::invalid_config(format!(
                "retry max_retries must be at most {}, got {}",
                Self::MAX_RETRIES,
                self.max_retries
            )));
        }
        if self.initial_backoff > self.max_backoff {
            return Err(Error::invalid_config(format!(
                "retry initial_backoff ({} ms) must not exceed max_backoff ({} ms)",
                self.initial_backoff.as_millis(),
                self.max_backoff.as_millis()
            )));
        }
        if !(self.multiplier.is_finite() && (1.0..=Self::MAX_MULTIPLIER).contains(&self.multiplier))
        {
            return Err(Error::invalid_config(format!(
                "retry multiplier must be a number from 1 to {}, got {}",
                Self::MAX_MULTIPLIER,
                self.multiplier
            )));
        }
        for (name, set) in [
            ("retry_statuses", self.retry_statuses),
            ("post_retry_statuses", self.post_retry_statuses),
        ] {
            if let Some(s) = (0..400).chain(600..640).find(|&s| set.contains(s)) {
                return Err(Error::invalid_config(format!(
                    "retry {name} must hold error statuses (400..599), not {s}"
                )));
            }
        }
        if self.attempt_timeout.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid_config(
                "retry attempt_timeout must be greater than zero",
            ));
        }
        if self.deadline.is_some_and(|t| t.is_zero()) {
            return Err(Error::invalid_config(
                "retry deadline must be greater than zero",
            ));
        }
        Ok(())
    }
}

/// The endpoint cache (SPEC §2.1): on by default, LRU-bounded, keyed by (sandbox, port, mode).
/// A signed endpoint is reused until `expires - margin` on the server's clock and never past
/// it; a direct or server-proxy endpoint for `ttl` after it was fetched. The rule is the pure
/// function [`cache::decide`](super::cache::decide).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EndpointCacheConfig {
    /// Whether endpoints are cached at all.
    pub enabled: bool,
    /// Most entries kept; the least recently used one goes first.
    pub max_entries: usize,
    /// How long a direct or server-proxy endpoint is reused.
    pub ttl: Duration,
    /// How long before its expiry a signed endpoint stops being reused.
    pub margin: Duration,
}

impl Default for EndpointCacheConfig {
    fn default() -> Self {
        EndpointCacheConfig {
            enabled: true,
            max_entries: 1024,
            ttl: Duration::from_secs(600),
            margin: Duration::from_secs(30),
        }
    }
}

impl EndpointCacheConfig {
    /// Largest accepted `max_entries`.
    pub const MAX_ENTRIES: usize = 1_000_000;

    /// No caching.
    pub fn off() -> Self {
        EndpointCacheConfig {
            enabled: false,
            ..Default::default()
        }
    }

    /// Checks every field; the error says which one is wrong.
    pub fn validate(&self) -> Result<()> {
        if self.max_entries == 0 || self.max_entries > Self::MAX_ENTRIES {
            return Err(Error::invalid_config(format!(
                "endpoint cache max_entries must be 1..={} (turn the cache off with enabled = false), got {}",
                Self::MAX_ENTRIES,
                self.max_entries
            )));
        }
        if self.ttl.is_zero() {
            return Err(Error::invalid_config(
                "endpoint cache ttl must be greater than zero (turn the cache off with enabled = false)",
            ));
        }
        Ok(())
    }
}

/// Called before each retry sleeps, with the attempt that failed, the delay chosen and the
/// failure. It runs on the runtime thread: it must not block; a panic in it is caught and
/// ignored.
pub type OnRetry = std::sync::Arc<dyn Fn(&RetryEvent) + Send + Sync>;

pub use crate::surface::RetryEvent;

/// Resolved settings of a client.
#[derive(Clone)]
pub(crate) struct Settings {
    pub protocol: String,
    pub domain: String,
    pub api_key: Option<SecretString>,
    pub timeout: Duration,
    pub headers: Vec<(String, String)>,
    pub user_agent: String,
    pub retry: RetryPolicy,
    pub on_retry: Option<OnRetry>,
    pub cache: EndpointCacheConfig,
    pub max_response_bytes: usize,
}

/// Options for [`Client`](super::Client); every field falls back to the environment and then
/// to the defaults.
#[derive(Clone, Default)]
pub struct ClientBuilder {
    domain: Option<String>,
    protocol: Option<String>,
    api_key: Option<SecretString>,
    timeout: Option<Duration>,
    headers: Vec<(String, String)>,
    language: Option<String>,
    retry: Option<RetryPolicy>,
    on_retry: Option<OnRetry>,
    cache: Option<EndpointCacheConfig>,
    max_response_bytes: Option<usize>,
    ignore_env: bool,
}

impl std::fmt::Debug for ClientBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientBuilder")
            .field("domain", &self.domain.as_deref().map(redact_userinfo))
            .field("protocol", &self.protocol)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout", &self.timeout)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("retry", &self.retry)
            .field("on_retry", &self.on_retry.as_ref().map(|_| "<hook>"))
            .field("cache", &self.cache)
            .field("max_response_bytes", &self.max_response_bytes)
            .finish()
    }
}

fn env_var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

impl ClientBuilder {
    /// Server domain (`host:port`, optionally with a path; a scheme written here wins over
    /// the protocol). Env: `OPEN_SANDBOX_DOMAIN`; default `localhost:8080`.
    pub fn domain(mut self, domain: impl Into<String>) -> Self {
        self.domain = Some(domain.into());
        self
    }
    /// `http` or `https`. Env: `OPEN_SANDBOX_PROTOCOL`; default `http`.
    pub fn protocol(mut self, protocol: impl Into<String>) -> Self {
        self.protocol = Some(protocol.into());
        self
    }
    /// API key sent as `OPEN-SANDBOX-API-KEY` (lifecycle) and `X-API-Key` (keys API).
    /// Env: `OPEN_SANDBOX_API_KEY`.
    pub fn api_key(mut self, key: impl Into<SecretString>) -> Self {
        self.api_key = Some(key.into());
        self
    }
    /// Per-request timeout (default 30 s).
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }
    /// A header sent on every request (for example the trusted user headers).
    pub fn header(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }
    /// The language named in the user agent `sandgate/<version> (<language>)`; default `rust`.
    pub fn language(mut self, language: impl Into<String>) -> Self {
        self.language = Some(language.into());
        self
    }
    /// The retry policy (default: [`RetryPolicy::default`], up to 4 attempts).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }
    /// A hook called before each retry sleeps ([`OnRetry`]).
    pub fn on_retry(mut self, hook: impl Fn(&RetryEvent) + Send + Sync + 'static) -> Self {
        self.on_retry = Some(std::sync::Arc::new(hook));
        self
    }
    /// The same hook, already shared (what the language packages pass).
    pub fn on_retry_shared(mut self, hook: Option<OnRetry>) -> Self {
        self.on_retry = hook;
        self
    }
    /// The endpoint cache (default: [`EndpointCacheConfig::default`], on).
    pub fn endpoint_cache(mut self, cache: EndpointCacheConfig) -> Self {
        self.cache = Some(cache);
        self
    }
    /// The largest response body accepted, in bytes (default 8 MiB). A larger response is a
    /// `decode` error, refused before the rest of it is read.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }
    /// Do not read `OPEN_SANDBOX_*` environment variables.
    pub fn ignore_env(mut self) -> Self {
        self.ignore_env = true;
        self
    }

    pub(crate) fn settings(self) -> Result<Settings> {
        let env = |name| if self.ignore_env { None } else { env_var(name) };
        let mut protocol = self
            .protocol
            .clone()
            .or_else(|| env("OPEN_SANDBOX_PROTOCOL"))
            .unwrap_or_else(|| "http".to_owned())
            .trim()
            .to_ascii_lowercase();
        let mut domain = self
            .domain
            .clone()
            .or_else(|| env("OPEN_SANDBOX_DOMAIN"))
            .unwrap_or_else(|| DEFAULT_DOMAIN.to_owned())
            .trim()
            .to_owned();
        if let Some((scheme, rest)) = domain.split_once("://") {
            protocol = scheme.to_ascii_lowercase();
            domain = rest.to_owned();
        }
        let domain = domain.trim_end_matches('/').to_owned();
        if protocol != "http" && protocol != "https" {
            return Err(Error::invalid_config(format!(
                "protocol must be http or https, not {protocol:?}"
            )));
        }
        // Userinfo written in the domain (`user:SECRET@host`) never reaches a message.
        let shown = redact_userinfo(&domain);
        if domain.is_empty() || domain.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(Error::invalid_config(format!(
                "domain {shown:?} must be a non-empty host[:port] without spaces"
            )));
        }
        reqwest::Url::parse(&format!("{protocol}://{domain}/")).map_err(|e| {
            Error::invalid_config(format!("domain {shown:?} does not form a valid URL: {e}"))
        })?;
        let api_key = self
            .api_key
            .clone()
            .or_else(|| env("OPEN_SANDBOX_API_KEY").map(SecretString::new))
            .filter(|k| !k.expose().is_empty());
        if let Some(k) = &api_key {
            if reqwest::header::HeaderValue::from_str(k.expose()).is_err() {
                return Err(Error::invalid_config(
                    "API key contains characters that cannot be sent in a header",
                ));
            }
        }
        let timeout = self.timeout.unwrap_or(DEFAULT_TIMEOUT);
        if timeout.is_zero() {
            return Err(Error::invalid_config("timeout must be greater than zero"));
        }
        for (name, value) in &self.headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(Error::invalid_config(format!(
                    "{name:?} is not a valid header name"
                )));
            }
            if reqwest::header::HeaderValue::from_str(value).is_err() {
                return Err(Error::invalid_config(format!(
                    "the value of header {name:?} cannot be sent in a header"
                )));
            }
        }
        let retry = self.retry.unwrap_or_default();
        retry.validate()?;
        let cache = self.cache.unwrap_or_default();
        cache.validate()?;
        let max_response_bytes = self
            .max_response_bytes
            .unwrap_or(DEFAULT_MAX_RESPONSE_BYTES);
        if max_response_bytes == 0 {
            return Err(Error::invalid_config(
                "max_response_bytes must be at least 1",
            ));
        }
        let language = self.language.as_deref().unwrap_or("rust");
        Ok(Settings {
            protocol,
            domain,
            api_key,
            timeout,
            headers: self.headers,
            user_agent: format!("sandgate/{} ({language})", env!("CARGO_PKG_VERSION")),
            retry,
            on_retry: self.on_retry,
            cache,
            max_response_bytes,
        })
    }
}

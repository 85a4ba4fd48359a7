//! The client's options and results as every language sees them.

use crate::client::cache::{self, Freshness};
use crate::client::retry::{self, Attempt, Outcome, Verdict};
use crate::client::{
    Client, ClientBuilder, Endpoint, EndpointCacheConfig, EndpointKind, EndpointMode, OnRetry,
    RetryPolicy, SandboxRenewal, StatusSet,
};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::{ErrorView, Expiry, RouteView};

/// Retry options (SPEC §2.1); `None` keeps the default. Every language exposes all of them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RetryOptions {
    /// Retries after the first attempt (default 3; 0 turns retrying off).
    pub max_retries: Option<u32>,
    /// Delay before the first retry, and the least delay of any later one, in milliseconds
    /// (default 500).
    pub initial_backoff_ms: Option<u64>,
    /// Longest computed delay between attempts, in milliseconds (default 30 000).
    pub max_backoff_ms: Option<u64>,
    /// Growth factor of the jitter's upper bound, 1..=100 (default 2).
    pub multiplier: Option<f64>,
    /// Statuses on which idempotent requests (GET, HEAD, PUT, DELETE, OPTIONS) are retried
    /// (default 429, 502, 503; empty: never on a status).
    pub retry_statuses: Option<Vec<u16>>,
    /// Statuses on which POST requests are retried: an opt-in (default none).
    pub post_retry_statuses: Option<Vec<u16>>,
    /// Timeout of one attempt in milliseconds (default: the client's timeout).
    pub attempt_timeout_ms: Option<u64>,
    /// Time allowed for all attempts and waits together, in milliseconds (default: none).
    pub deadline_ms: Option<u64>,
}

impl RetryOptions {
    /// No retries at all.
    pub fn off() -> Self {
        RetryOptions {
            max_retries: Some(0),
            ..Default::default()
        }
    }

    /// The policy these options give, checked.
    pub fn policy(&self) -> Result<RetryPolicy> {
        let mut p = RetryPolicy::default();
        if let Some(n) = self.max_retries {
            p.max_retries = n;
        }
        if let Some(ms) = self.initial_backoff_ms {
            p.initial_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = self.max_backoff_ms {
            p.max_backoff = Duration::from_millis(ms);
        }
        if let Some(m) = self.multiplier {
            p.multiplier = m;
        }
        if let Some(s) = &self.retry_statuses {
            p.retry_statuses = StatusSet::of(s)?;
        }
        if let Some(s) = &self.post_retry_statuses {
            p.post_retry_statuses = StatusSet::of(s)?;
        }
        for (name, ms) in [
            ("attempt_timeout_ms", self.attempt_timeout_ms),
            ("deadline_ms", self.deadline_ms),
        ] {
            if ms == Some(0) {
                return Err(Error::invalid_config(format!(
                    "retry {name} must be at least 1"
                )));
            }
        }
        if p.initial_backoff > p.max_backoff {
            return Err(Error::invalid_config(format!(
                "retry initial_backoff_ms ({} ms) must not exceed max_backoff_ms ({} ms)",
                p.initial_backoff.as_millis(),
                p.max_backoff.as_millis()
            )));
        }
        p.attempt_timeout = self.attempt_timeout_ms.map(Duration::from_millis);
        p.deadline = self.deadline_ms.map(Duration::from_millis);
        p.validate()?;
        Ok(p)
    }
}

/// Endpoint cache options (SPEC §2.1); `None` keeps the default.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheOptions {
    /// Whether endpoints are cached (default true).
    pub enabled: Option<bool>,
    /// Most entries kept, least recently used first out (default 1024).
    pub max_entries: Option<u64>,
    /// How long a direct or server-proxy endpoint is reused, in milliseconds (default 600 000).
    pub ttl_ms: Option<u64>,
    /// How long before its expiry a signed endpoint stops being reused, in milliseconds
    /// (default 30 000).
    pub margin_ms: Option<u64>,
}

impl CacheOptions {
    /// No caching.
    pub fn off() -> Self {
        CacheOptions {
            enabled: Some(false),
            ..Default::default()
        }
    }

    /// The configuration these options give, checked.
    pub fn config(&self) -> Result<EndpointCacheConfig> {
        let mut c = EndpointCacheConfig::default();
        if let Some(e) = self.enabled {
            c.enabled = e;
        }
        if let Some(n) = self.max_entries {
            c.max_entries = usize::try_from(n).unwrap_or(usize::MAX);
        }
        if let Some(ms) = self.ttl_ms {
            c.ttl = Duration::from_millis(ms);
        }
        if let Some(ms) = self.margin_ms {
            c.margin = Duration::from_millis(ms);
        }
        c.validate()?;
        Ok(c)
    }
}

/// What an `on_retry` hook is told before each retry sleeps.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RetryEvent {
    /// The attempt that failed, from 1; the next one is `attempt + 1`.
    pub attempt: u32,
    /// The delay before the next attempt, in milliseconds.
    pub delay_ms: u64,
    /// The failure (its `retryable` is true).
    pub cause: ErrorView,
}

/// Client options as one flat value; `None` falls back to `OPEN_SANDBOX_*` env and then the
/// defaults (SPEC §2).
#[derive(Clone, Default)]
pub struct ClientOptions {
    /// Server domain (`host:port`; a scheme written here wins over `protocol`).
    pub domain: Option<String>,
    /// `http` or `https`.
    pub protocol: Option<String>,
    /// API key (a secret).
    pub api_key: Option<SecretString>,
    /// Per-request timeout in milliseconds (at least 1).
    pub timeout_ms: Option<u64>,
    /// Headers sent with every request.
    pub headers: Vec<(String, String)>,
    /// The language named in the user agent (`python`, `node`, ...).
    pub language: Option<String>,
    /// Retry options.
    pub retry: RetryOptions,
    /// Called before each retry sleeps; a language wraps its callback in it.
    pub on_retry: Option<OnRetry>,
    /// Endpoint cache options.
    pub cache: CacheOptions,
    /// Do not read `OPEN_SANDBOX_*` environment variables.
    pub ignore_env: bool,
}

impl std::fmt::Debug for ClientOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClientOptions")
            .field("domain", &self.domain)
            .field("protocol", &self.protocol)
            .field("api_key", &self.api_key.as_ref().map(|_| "***"))
            .field("timeout_ms", &self.timeout_ms)
            .field(
                "headers",
                &self.headers.iter().map(|(k, _)| k).collect::<Vec<_>>(),
            )
            .field("language", &self.language)
            .field("retry", &self.retry)
            .field("on_retry", &self.on_retry.as_ref().map(|_| "<hook>"))
            .field("cache", &self.cache)
            .field("ignore_env", &self.ignore_env)
            .finish()
    }
}

impl ClientOptions {
    /// The builder these options describe (not yet validated).
    pub fn builder(&self) -> Result<ClientBuilder> {
        let mut b = Client::builder();
        if let Some(d) = &self.domain {
            b = b.domain(d.clone());
        }
        if let Some(p) = &self.protocol {
            b = b.protocol(p.clone());
        }
        if let Some(k) = &self.api_key {
            b = b.api_key(k.clone());
        }
        if let Some(ms) = self.timeout_ms {
            if ms == 0 {
                return Err(Error::invalid_config("timeout_ms must be at least 1"));
            }
            b = b.timeout(Duration::from_millis(ms));
        }
        for (k, v) in &self.headers {
            b = b.header(k.clone(), v.clone());
        }
        if let Some(l) = &self.language {
            b = b.language(l.clone());
        }
        b = b.retry(self.retry.policy()?);
        b = b.on_retry_shared(self.on_retry.clone());
        b = b.endpoint_cache(self.cache.config()?);
        if self.ignore_env {
            b = b.ignore_env();
        }
        Ok(b)
    }

    /// Builds the client, validating every option.
    pub fn build(&self) -> Result<Client> {
        self.builder()?.build()
    }
}

/// An endpoint as every language shows it.
#[derive(Clone, PartialEq, Eq)]
pub struct EndpointView {
    /// The endpoint exactly as the server returned it.
    pub endpoint: String,
    /// The endpoint as a URL.
    pub url: String,
    /// Headers to send on every request to the endpoint (may hold the access token, or the
    /// API key of a server-proxy endpoint).
    pub headers: BTreeMap<String, String>,
    /// `headers` with secrets replaced by `***`: safe to print.
    pub redacted_headers: BTreeMap<String, String>,
    /// For a signed endpoint, the route it carries.
    pub route: Option<RouteView>,
    /// The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, when it sent one.
    pub origin: Option<String>,
    /// Direct, server-proxy or signed.
    pub kind: EndpointKind,
}

impl std::fmt::Debug for EndpointView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointView")
            .field("url", &self.url)
            .field("headers", &self.redacted_headers)
            .field("route", &self.route)
            .field("origin", &self.origin)
            .field("kind", &self.kind)
            .finish()
    }
}

impl From<Endpoint> for EndpointView {
    fn from(e: Endpoint) -> Self {
        EndpointView {
            redacted_headers: crate::client::redact_headers(&e.headers),
            route: e.route.map(RouteView::from),
            endpoint: e.endpoint,
            url: e.url,
            headers: e.headers,
            origin: e.origin,
            kind: e.kind,
        }
    }
}

impl EndpointView {
    /// The kind's stable code: `direct`, `server_proxy`, `signed`.
    pub fn kind_code(&self) -> &'static str {
        self.kind.code()
    }

    /// A URL carrying everything a request to `path` needs (wildcard and uri route modes), or
    /// the `invalid_argument` error saying what must travel in a header
    /// ([`Endpoint::shareable_url`]).
    pub fn shareable_url(&self, path: &str) -> Result<String> {
        crate::client::shareable_url(&self.url, self.kind, &self.headers, path)
    }
}

/// The endpoint of `port` of a sandbox in `mode` ([`Client::endpoint`]), as an
/// [`EndpointView`]: the one call every adapter uses.
pub async fn endpoint(
    client: &Client,
    sandbox_id: &str,
    port: u16,
    mode: EndpointMode,
) -> Result<EndpointView> {
    client
        .endpoint(sandbox_id, port, mode)
        .await
        .map(EndpointView::from)
}

/// GetSignedEndpoint with the expiry given either way (an instant or a TTL on the server's
/// clock), as an [`EndpointView`].
pub async fn get_signed_endpoint(
    client: &Client,
    sandbox_id: &str,
    port: u16,
    expiry: Expiry,
) -> Result<EndpointView> {
    endpoint(client, sandbox_id, port, EndpointMode::Signed(expiry)).await
}

/// One row of the retry table: a failed attempt as flat values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryQuery<'a> {
    /// The request method.
    pub method: &'a str,
    /// How it failed: `status`, `pre_send`, `post_send` or `timeout`.
    pub outcome: &'a str,
    /// The status, with outcome `status` only.
    pub status: Option<u16>,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// The delay slept before it, in milliseconds (none for the first attempt).
    pub prev_delay_ms: Option<u64>,
    /// The answer's `Retry-After` header value, as sent.
    pub retry_after: Option<&'a str>,
    /// Unix seconds an HTTP-date `Retry-After` is counted from (default: the system clock).
    pub now: Option<u64>,
    /// Milliseconds since the first attempt started.
    pub elapsed_ms: u64,
}

/// The retry decision as flat values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryDecision {
    /// Whether the attempt is retried.
    pub retry: bool,
    /// Why: `retry`, `not_retryable`, `exhausted`, `deadline`.
    pub verdict: Verdict,
    /// The least delay before the next attempt, in milliseconds (0 when not retried).
    pub min_delay_ms: u64,
    /// The most delay before the next attempt, in milliseconds (0 when not retried).
    pub max_delay_ms: u64,
    /// What the error of this attempt reports as `retryable`.
    pub retryable: bool,
}

impl RetryDecision {
    /// The verdict's stable code.
    pub fn verdict_code(&self) -> &'static str {
        self.verdict.code()
    }
}

fn ms(d: Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

/// The client's retry rule ([`retry::decide`]) for one failed attempt under `options`: the
/// function the shared table `retry.json` runs in every language.
pub fn retry_decision(options: &RetryOptions, q: &RetryQuery<'_>) -> Result<RetryDecision> {
    let policy = options.policy()?;
    let outcome = Outcome::from_code(q.outcome, q.status)?;
    if q.attempt == 0 {
        return Err(Error::invalid_argument("attempt counts from 1"));
    }
    if q.method.is_empty() {
        return Err(Error::invalid_argument("method must not be empty"));
    }
    let now = q
        .now
        .map_or_else(SystemTime::now, |s| UNIX_EPOCH + Duration::from_secs(s));
    let retry_after = match outcome {
        Outcome::Status(_) => q.retry_after.and_then(|v| retry::parse_retry_after(v, now)),
        _ => None,
    };
    let d = retry::decide(
        &policy,
        &Attempt {
            method: q.method,
            outcome,
            attempt: q.attempt,
            prev_delay: q.prev_delay_ms.map(Duration::from_millis),
            retry_after,
            elapsed: Duration::from_millis(q.elapsed_ms),
        },
    );
    Ok(RetryDecision {
        retry: d.retry(),
        verdict: d.verdict,
        min_delay_ms: ms(d.min_delay),
        max_delay_ms: ms(d.max_delay),
        retryable: retry::retryable(&policy, q.method, outcome),
    })
}

/// The endpoint cache's freshness rule ([`cache::decide`]) under `options`: an entry signed
/// until `signed_expires` (Unix seconds; `None` for a direct or server-proxy entry) fetched
/// at `fetched_at_ms`, looked up at `now_ms`. The function the shared table `cache.json` runs.
pub fn cache_decision(
    options: &CacheOptions,
    signed_expires: Option<u64>,
    fetched_at_ms: u64,
    now_ms: u64,
) -> Result<Freshness> {
    Ok(cache::decide(
        &options.config()?,
        signed_expires,
        fetched_at_ms,
        now_ms,
    ))
}

/// RenewSandboxExpiration with the new expiry given either way (an instant or a TTL from now):
/// the one dispatch every adapter uses.
pub async fn renew_sandbox(
    client: &Client,
    sandbox_id: &str,
    expiry: Expiry,
) -> Result<SandboxRenewal> {
    match expiry {
        Expiry::At(e) => client.renew_sandbox(sandbox_id, e).await,
        Expiry::Ttl(t) => {
            client
                .renew_sandbox_for(sandbox_id, Duration::from_secs(t))
                .await
        }
    }
}

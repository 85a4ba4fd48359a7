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

/// When and how idempotent requests (GET, DELETE) are retried.
///
/// Retries happen on 429, 502, 503, 504 and connection errors, with exponential backoff from
/// `initial_backoff` doubling up to `max_backoff`, ±25% jitter, and a server's `Retry-After`
/// (capped at `max_backoff`) taking the place of the computed delay. Requests that create
/// something (minting a key, creating a sandbox) are retried only when the connection failed
/// before the request was sent.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts, including the first (1 = no retries).
    pub max_attempts: u32,
    /// Delay before the first retry.
    pub initial_backoff: Duration,
    /// Longest delay between attempts.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 3,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
        }
    }
}

impl RetryPolicy {
    /// No retries.
    pub fn none() -> Self {
        RetryPolicy {
            max_attempts: 1,
            ..Default::default()
        }
    }

    /// The delay before retry number `retry` (1-based), before jitter.
    pub fn backoff(&self, retry: u32) -> Duration {
        let factor = 1u32
            .checked_shl(retry.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .checked_mul(factor)
            .unwrap_or(self.max_backoff)
            .min(self.max_backoff)
    }
}

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
    /// The retry policy (default: 3 attempts, 0.5 s doubling to 8 s).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
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
        if retry.max_attempts == 0 {
            return Err(Error::invalid_config(
                "retry max_attempts must be at least 1",
            ));
        }
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
            max_response_bytes,
        })
    }
}

//! The client's options and results as every language sees them.

use crate::client::{Client, ClientBuilder, Endpoint, RetryPolicy, SandboxRenewal};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use std::collections::BTreeMap;
use std::time::Duration;

use super::{Expiry, RouteView};

/// Retry options; `None` keeps the default. Every language exposes all of them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct RetryOptions {
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: Option<u32>,
    /// Delay before the first retry, in milliseconds.
    pub initial_backoff_ms: Option<u64>,
    /// Longest delay between attempts, in milliseconds.
    pub max_backoff_ms: Option<u64>,
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
            p.max_attempts = n.checked_add(1).ok_or_else(|| {
                Error::invalid_config(format!("retry max_retries is too large: {n}"))
            })?;
        }
        if let Some(ms) = self.initial_backoff_ms {
            p.initial_backoff = Duration::from_millis(ms);
        }
        if let Some(ms) = self.max_backoff_ms {
            p.max_backoff = Duration::from_millis(ms);
        }
        if p.initial_backoff > p.max_backoff {
            return Err(Error::invalid_config(format!(
                "retry initial_backoff_ms ({} ms) must not exceed max_backoff_ms ({} ms)",
                p.initial_backoff.as_millis(),
                p.max_backoff.as_millis()
            )));
        }
        Ok(p)
    }
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
    /// Headers to send on every request to the endpoint (may hold the access token).
    pub headers: BTreeMap<String, String>,
    /// `headers` with secrets replaced by `***`: safe to print.
    pub redacted_headers: BTreeMap<String, String>,
    /// For a signed endpoint, the route it carries.
    pub route: Option<RouteView>,
}

impl std::fmt::Debug for EndpointView {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EndpointView")
            .field("url", &self.url)
            .field("headers", &self.redacted_headers)
            .field("route", &self.route)
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
        }
    }
}

/// GetSignedEndpoint with the expiry given either way (an instant or a TTL from now), as an
/// [`EndpointView`]: the one dispatch every adapter uses.
pub async fn get_signed_endpoint(
    client: &Client,
    sandbox_id: &str,
    port: u16,
    expiry: Expiry,
) -> Result<EndpointView> {
    match expiry {
        Expiry::At(e) => client.get_signed_endpoint(sandbox_id, port, e).await,
        Expiry::Ttl(t) => {
            client
                .get_signed_endpoint_for(sandbox_id, port, Duration::from_secs(t))
                .await
        }
    }
    .map(EndpointView::from)
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

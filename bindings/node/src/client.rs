//! The Promise-based client over `sandgate::client::Client`, with its options and results
//! shaped by `sandgate::surface`.

use crate::routes::{with_text, RouteInfoData, TextOrSecret};
use crate::{
    count_arg, opt_count, opt_seconds, port_arg, promise, seconds_js, view_data, CancelToken,
    ErrorData, IntoJs, Secret, ToData, MAX_SAFE_INTEGER,
};
use napi::bindgen_prelude::{BigInt, Either, Env, Function, PromiseRaw};
use napi::threadsafe_function::ThreadsafeFunctionCallMode;
use napi_derive::napi;
use sandgate::client::{
    shareable_url, ApiKeyInfo, CreateSandbox, CreatedApiKey, EndpointKind, Sandbox, SandboxRenewal,
};
use sandgate::route::check_port;
use sandgate::surface::{
    self, EndpointMode, EndpointView, Expiry, OnRetry, RetryEvent, RetryQuery,
};
use sandgate::Error;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;
use std::sync::Arc;

/// Retry options (core's `RetryOptions`, SPEC §2.1); unset fields keep core's defaults.
#[napi(object, object_to_js = false)]
pub struct RetryOptions {
    /// Retries after the first attempt (default 3); 0 turns retrying off.
    pub max_retries: Option<f64>,
    /// Delay before the first retry, and the least delay of any later one, in milliseconds
    /// (default 500).
    pub initial_backoff_ms: Option<f64>,
    /// Longest computed delay between attempts, in milliseconds (default 30000).
    pub max_backoff_ms: Option<f64>,
    /// Growth factor of the jitter's upper bound, 1 to 100 (default 2).
    pub multiplier: Option<f64>,
    /// Statuses on which idempotent requests are retried (default 429, 502, 503).
    pub retry_statuses: Option<Vec<f64>>,
    /// Statuses on which POST requests are retried: an opt-in (default none).
    pub post_retry_statuses: Option<Vec<f64>>,
    /// Timeout of one attempt, in milliseconds (default: the client's timeout).
    pub attempt_timeout_ms: Option<f64>,
    /// Time allowed for all attempts and waits together, in milliseconds (default: none).
    pub deadline_ms: Option<f64>,
}

/// Endpoint cache options (core's `CacheOptions`, SPEC §2.1); unset fields keep the defaults.
#[napi(object, object_to_js = false)]
pub struct CacheOptions {
    /// Whether endpoints are cached (default true).
    pub enabled: Option<bool>,
    /// Most entries kept, least recently used out first (default 1024).
    pub max_entries: Option<f64>,
    /// How long a direct or server-proxy endpoint is reused, in milliseconds (default 600000).
    pub ttl_ms: Option<f64>,
    /// How long before its expiry a signed endpoint stops being reused, in milliseconds
    /// (default 30000).
    pub margin_ms: Option<f64>,
}

/// Client options (core's `ClientOptions`); unset ones come from `OPEN_SANDBOX_*` env and then
/// the defaults.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct ClientOptions {
    /// `host:port`; a scheme written here wins over `protocol`.
    pub domain: Option<String>,
    /// `http` or `https`.
    pub protocol: Option<String>,
    /// Per-request timeout in whole milliseconds (at least 1).
    pub timeout_ms: Option<f64>,
    /// Headers sent with every request.
    pub headers: Option<HashMap<String, String>>,
    /// An object tunes retries; `false` is `{ maxRetries: 0 }`, `true` the defaults.
    pub retries: Option<Either<bool, RetryOptions>>,
    /// An object tunes the endpoint cache; `false` turns it off, `true` the defaults.
    pub cache: Option<Either<bool, CacheOptions>>,
}

/// An optional whole number for an option: an `invalid_config` error otherwise.
fn option_count(what: &str, n: Option<f64>) -> sandgate::Result<Option<u64>> {
    opt_count(what, n, u32::MAX).map_err(|e| Error::invalid_config(e.message()))
}

/// An optional list of HTTP statuses for an option.
fn option_statuses(what: &str, v: Option<Vec<f64>>) -> sandgate::Result<Option<Vec<u16>>> {
    v.map(|list| {
        list.into_iter()
            .map(|n| {
                opt_count(what, Some(n), u16::MAX.into())
                    .map(|n| n.unwrap_or_default() as u16)
                    .map_err(|e| Error::invalid_config(e.message()))
            })
            .collect()
    })
    .transpose()
}

/// Core's retry options from the JS ones.
pub(crate) fn retry_options(r: RetryOptions) -> sandgate::Result<surface::RetryOptions> {
    Ok(surface::RetryOptions {
        max_retries: option_count("retries.maxRetries", r.max_retries)?.map(|n| n as u32),
        initial_backoff_ms: option_count("retries.initialBackoffMs", r.initial_backoff_ms)?,
        max_backoff_ms: option_count("retries.maxBackoffMs", r.max_backoff_ms)?,
        multiplier: r.multiplier,
        retry_statuses: option_statuses("retries.retryStatuses", r.retry_statuses)?,
        post_retry_statuses: option_statuses("retries.postRetryStatuses", r.post_retry_statuses)?,
        attempt_timeout_ms: option_count("retries.attemptTimeoutMs", r.attempt_timeout_ms)?,
        deadline_ms: option_count("retries.deadlineMs", r.deadline_ms)?,
    })
}

/// Core's cache options from the JS ones.
pub(crate) fn cache_options(c: CacheOptions) -> sandgate::Result<surface::CacheOptions> {
    Ok(surface::CacheOptions {
        enabled: c.enabled,
        max_entries: option_count("cache.maxEntries", c.max_entries)?,
        ttl_ms: option_count("cache.ttlMs", c.ttl_ms)?,
        margin_ms: option_count("cache.marginMs", c.margin_ms)?,
    })
}

fn client_options(
    o: ClientOptions,
    api_key: Option<&TextOrSecret>,
    on_retry: Option<OnRetry>,
) -> sandgate::Result<surface::ClientOptions> {
    let retry = match o.retries {
        None | Some(Either::A(true)) => surface::RetryOptions::default(),
        Some(Either::A(false)) => surface::RetryOptions::off(),
        Some(Either::B(r)) => retry_options(r)?,
    };
    let cache = match o.cache {
        None | Some(Either::A(true)) => surface::CacheOptions::default(),
        Some(Either::A(false)) => surface::CacheOptions::off(),
        Some(Either::B(c)) => cache_options(c)?,
    };
    Ok(surface::ClientOptions {
        domain: o.domain,
        protocol: o.protocol,
        api_key: api_key.map(|k| with_text(k, |k| k.into())),
        timeout_ms: option_count("timeoutMs", o.timeout_ms)?,
        headers: o.headers.unwrap_or_default().into_iter().collect(),
        language: Some("node".to_owned()),
        retry,
        on_retry,
        cache,
        ignore_env: false,
    })
}

/// What the `onRetry` hook is told before a retry waits (core's `RetryEvent`).
#[napi(object, object_from_js = false)]
pub struct RetryEventData {
    /// The attempt that failed, from 1; the next one is `attempt + 1`.
    pub attempt: u32,
    /// The delay before the next attempt, in milliseconds.
    pub delay_ms: f64,
    /// The failure, as core's error view.
    pub cause: ErrorData,
}

/// The hook core calls, forwarding each event to the JS function on the JS thread. The
/// function does not keep the process alive, and the call never blocks the retry.
fn on_retry_hook(f: &Function<'_, RetryEventData, ()>) -> napi::Result<OnRetry> {
    let tsfn = f
        .build_threadsafe_function::<RetryEventData>()
        .weak::<true>()
        .callee_handled::<false>()
        .build()?;
    Ok(Arc::new(move |ev: &RetryEvent| {
        let data = RetryEventData {
            attempt: ev.attempt,
            delay_ms: ev.delay_ms as f64,
            cause: view_data(ev.cause.clone()),
        };
        tsfn.call(data, ThreadsafeFunctionCallMode::NonBlocking);
    }))
}

/// An endpoint (core's `EndpointView`): where to send requests and the headers to send.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct EndpointData {
    /// The endpoint as the server returned it (no scheme).
    pub endpoint: String,
    /// `protocol://endpoint`.
    pub url: String,
    /// Headers to send with every request to `url` (may hold the access token).
    pub headers: BTreeMap<String, String>,
    /// `headers` with the access token replaced by `***`.
    pub redacted_headers: BTreeMap<String, String>,
    /// The signed route, for a signed endpoint.
    pub route: Option<RouteInfoData>,
    /// The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, when it sent one.
    pub origin: Option<String>,
    /// `direct`, `server_proxy` or `signed`.
    pub kind: String,
}

impl ToData for EndpointView {
    type Data = EndpointData;
    fn data(self) -> EndpointData {
        let kind = self.kind_code().to_owned();
        EndpointData {
            kind,
            endpoint: self.endpoint,
            url: self.url,
            headers: self.headers,
            redacted_headers: self.redacted_headers,
            route: self.route.map(RouteInfoData::from),
            origin: self.origin,
        }
    }
}

/// The URL that carries everything a request to `path` of an endpoint needs (core's
/// `EndpointView::shareable_url`): `url`, `kind` and `headers` are the endpoint's.
#[napi(catch_unwind)]
pub fn endpoint_shareable_url(
    url: String,
    kind: String,
    headers: HashMap<String, String>,
    path: String,
) -> napi::Result<String> {
    let kind = EndpointKind::ALL
        .into_iter()
        .find(|k| k.code() == kind)
        .ok_or_else(|| Error::invalid_argument(format!("unknown endpoint kind {kind:?}")))
        .js()?;
    let headers: BTreeMap<String, String> = headers.into_iter().collect();
    shareable_url(&url, kind, &headers, &path).js()
}

/// An endpoint mode (core's `EndpointMode::from_options`): server proxy (`serverProxy`),
/// signed (exactly one of `expires` and `ttlSeconds`), or direct (none of them).
#[napi(object, object_to_js = false)]
pub struct EndpointModeOptions {
    /// Through the lifecycle server; its headers carry the API key.
    pub server_proxy: Option<bool>,
    /// Signed, expiring at this Unix second.
    pub expires: Option<Either<f64, BigInt>>,
    /// Signed, expiring this many seconds from now on the server's clock.
    pub ttl_seconds: Option<f64>,
}

/// A key just minted; `key` is the raw key, shown this one time.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CreatedApiKeyData {
    /// The key id (to revoke it).
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// The display prefix (the first 12 characters of the key).
    pub prefix: String,
    /// The raw key.
    pub key: Secret,
    /// When the key expires (RFC 3339).
    pub expires_at: Option<String>,
}

/// A key as listed: never its secret or hash.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ApiKeyInfoData {
    /// The key id.
    pub id: String,
    /// The name given at creation.
    pub name: String,
    /// The display prefix.
    pub prefix: String,
    /// When the key was created (RFC 3339).
    pub created_at: Option<String>,
    /// When the key expires (RFC 3339).
    pub expires_at: Option<String>,
    /// Whether the key was revoked.
    pub revoked: bool,
}

impl ToData for ApiKeyInfo {
    type Data = ApiKeyInfoData;
    fn data(self) -> ApiKeyInfoData {
        ApiKeyInfoData {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            created_at: self.created_at,
            expires_at: self.expires_at,
            revoked: self.revoked,
        }
    }
}

impl ToData for CreatedApiKey {
    type Data = CreatedApiKeyData;
    fn data(self) -> CreatedApiKeyData {
        CreatedApiKeyData {
            id: self.id,
            name: self.name,
            prefix: self.prefix,
            key: Secret::new(self.key),
            expires_at: self.expires_at,
        }
    }
}

/// A sandbox.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct SandboxData {
    /// The sandbox id.
    pub id: String,
    /// The image URI.
    pub image: Option<String>,
    /// The lifecycle state, e.g. `Running`.
    pub state: String,
    /// Metadata, including `access.owner`.
    pub metadata: BTreeMap<String, String>,
    /// Whether routes to it must be signed or carry its access token.
    pub secure_access: bool,
    /// When it was created (RFC 3339).
    pub created_at: Option<String>,
    /// When it expires (RFC 3339).
    pub expires_at: Option<String>,
}

impl ToData for Sandbox {
    type Data = SandboxData;
    fn data(self) -> SandboxData {
        SandboxData {
            id: self.id,
            image: self.image,
            state: self.state,
            metadata: self.metadata,
            secure_access: self.secure_access,
            created_at: self.created_at,
            expires_at: self.expires_at,
        }
    }
}

/// A sandbox's new expiry.
#[napi(object, object_from_js = false)]
pub struct SandboxRenewalData {
    /// The new expiry exactly as the server returned it (RFC 3339).
    pub expires_at: String,
    /// The same instant in Unix seconds (a bigint past 2^53-1).
    pub expires: Either<f64, BigInt>,
}

impl ToData for SandboxRenewal {
    type Data = SandboxRenewalData;
    fn data(self) -> SandboxRenewalData {
        SandboxRenewalData {
            expires_at: self.expires_at,
            expires: seconds_js(self.expires),
        }
    }
}

/// What to create.
#[napi(object, object_to_js = false)]
pub struct CreateSandboxOptions {
    /// Image URI.
    pub image: String,
    /// Require signed routes or the access token header.
    pub secure_access: Option<bool>,
    /// Metadata to attach.
    pub metadata: Option<HashMap<String, String>>,
    /// Lifetime in seconds (default: the server's).
    pub timeout_seconds: Option<f64>,
}

/// A client for one OpenSandbox server; every call returns a Promise.
#[napi]
pub struct Client {
    inner: sandgate::Client,
}

impl Client {
    /// `work` on a clone of the core client, as a Promise.
    fn call<'env, V: ToData, W: Future<Output = sandgate::Result<V>> + Send + 'static>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
        work: impl FnOnce(sandgate::Client) -> W,
    ) -> napi::Result<PromiseRaw<'env, V::Data>> {
        promise(env, cancel, work(self.inner.clone()))
    }
}

#[napi]
impl Client {
    /// A client from `options` and `apiKey`, each falling back to the env, then the defaults;
    /// `onRetry` is called before each retry waits.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: Option<ClientOptions>,
        #[napi(ts_arg_type = "string | Secret")] api_key: Option<TextOrSecret>,
        on_retry: Option<Function<'_, RetryEventData, ()>>,
    ) -> napi::Result<Self> {
        let hook = on_retry.as_ref().map(on_retry_hook).transpose()?;
        let inner = client_options(options.unwrap_or_default(), api_key.as_ref(), hook)
            .and_then(|o| o.build())
            .js()?;
        Ok(Client { inner })
    }

    /// `protocol://domain`.
    #[napi(getter, catch_unwind)]
    pub fn base_url(&self) -> String {
        self.inner.base_url().to_owned()
    }

    /// The user agent sent with every request.
    #[napi(getter, catch_unwind)]
    pub fn user_agent(&self) -> String {
        self.inner.user_agent().to_owned()
    }

    /// The endpoint of `port` of a sandbox, with the headers to send to it.
    #[napi(catch_unwind)]
    pub fn get_endpoint<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        port: f64,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, EndpointData>> {
        let port = port_arg(port).and_then(check_port).js()?;
        self.call(env, cancel, |c| async move {
            c.get_endpoint(&sandbox_id, port)
                .await
                .map(EndpointView::from)
        })
    }

    /// The endpoint of `port` of a sandbox in one mode (see `EndpointModeOptions`).
    #[napi(catch_unwind)]
    pub fn endpoint<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        port: f64,
        mode: EndpointModeOptions,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, EndpointData>> {
        let port = port_arg(port).and_then(check_port).js()?;
        let expires = opt_seconds("expires", mode.expires.as_ref())?;
        let ttl = opt_count("ttlSeconds", mode.ttl_seconds, u32::MAX).js()?;
        let server_proxy = mode.server_proxy.unwrap_or(false);
        let mode = EndpointMode::from_options(server_proxy, expires, ttl).js()?;
        self.call(env, cancel, |c| async move {
            surface::endpoint(&c, &sandbox_id, port, mode).await
        })
    }

    /// A signed endpoint expiring at `expires` (Unix seconds) or in `ttlSeconds`: exactly one.
    #[napi(catch_unwind)]
    pub fn get_signed_endpoint<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        port: f64,
        expires: Option<Either<f64, BigInt>>,
        ttl_seconds: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, EndpointData>> {
        let port = port_arg(port).and_then(check_port).js()?;
        let expires = opt_seconds("expires", expires.as_ref())?;
        let ttl = opt_count("ttlSeconds", ttl_seconds, u32::MAX).js()?;
        let expiry = Expiry::from_options(expires, ttl).js()?;
        self.call(env, cancel, |c| async move {
            surface::get_signed_endpoint(&c, &sandbox_id, port, expiry).await
        })
    }

    /// Mints an API key for the calling user; `expiresAt` is Unix seconds.
    #[napi(catch_unwind)]
    pub fn create_api_key<'env>(
        &self,
        env: &'env Env,
        name: Option<String>,
        expires_at: Option<Either<f64, BigInt>>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, CreatedApiKeyData>> {
        let expires_at = opt_seconds("expiresAt", expires_at.as_ref())?;
        self.call(env, cancel, |c| async move {
            c.create_api_key(name.as_deref(), expires_at).await
        })
    }

    /// The calling user's keys.
    #[napi(catch_unwind)]
    pub fn list_api_keys<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Vec<ApiKeyInfoData>>> {
        self.call(env, cancel, |c| async move { c.list_api_keys().await })
    }

    /// Revokes a key by its id.
    #[napi(catch_unwind)]
    pub fn revoke_api_key<'env>(
        &self,
        env: &'env Env,
        key_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.call(
            env,
            cancel,
            |c| async move { c.revoke_api_key(&key_id).await },
        )
    }

    /// Creates a sandbox (never retried once sent).
    #[napi(catch_unwind)]
    pub fn create_sandbox<'env>(
        &self,
        env: &'env Env,
        options: CreateSandboxOptions,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, SandboxData>> {
        let timeout = opt_count("timeoutSeconds", options.timeout_seconds, u32::MAX).js()?;
        let req = CreateSandbox {
            image: options.image,
            secure_access: options.secure_access.unwrap_or(false),
            metadata: options.metadata.unwrap_or_default().into_iter().collect(),
            timeout,
        };
        self.call(env, cancel, |c| async move { c.create_sandbox(&req).await })
    }

    /// One sandbox by id.
    #[napi(catch_unwind)]
    pub fn get_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, SandboxData>> {
        self.call(
            env,
            cancel,
            |c| async move { c.get_sandbox(&sandbox_id).await },
        )
    }

    /// Every sandbox the caller may see.
    #[napi(catch_unwind)]
    pub fn list_sandboxes<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Vec<SandboxData>>> {
        self.call(env, cancel, |c| async move { c.list_sandboxes().await })
    }

    /// Renews a sandbox to expire at `expires` (Unix seconds) or in `ttlSeconds`: exactly one.
    #[napi(catch_unwind)]
    pub fn renew_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        expires: Option<Either<f64, BigInt>>,
        ttl_seconds: Option<f64>,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, SandboxRenewalData>> {
        let expires = opt_seconds("expires", expires.as_ref())?;
        let ttl = opt_count("ttlSeconds", ttl_seconds, u32::MAX).js()?;
        let expiry = Expiry::from_options(expires, ttl).js()?;
        self.call(env, cancel, |c| async move {
            surface::renew_sandbox(&c, &sandbox_id, expiry).await
        })
    }

    /// Pauses a sandbox (its cached endpoints are dropped).
    #[napi(catch_unwind)]
    pub fn pause_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.call(env, cancel, |c| async move {
            c.pause_sandbox(&sandbox_id).await
        })
    }

    /// Resumes a paused sandbox (its cached endpoints are dropped).
    #[napi(catch_unwind)]
    pub fn resume_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.call(env, cancel, |c| async move {
            c.resume_sandbox(&sandbox_id).await
        })
    }

    /// Deletes a sandbox (its cached endpoints are dropped).
    #[napi(catch_unwind)]
    pub fn delete_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        self.call(env, cancel, |c| async move {
            c.delete_sandbox(&sandbox_id).await
        })
    }
}

/// One failed attempt, for [`retry_decision`] (core's `RetryQuery`).
#[napi(object, object_to_js = false)]
pub struct RetryAttemptData {
    /// The request method.
    pub method: String,
    /// How it failed: `status`, `pre_send`, `post_send` or `timeout`.
    pub outcome: String,
    /// The status, with outcome `status`.
    pub status: Option<f64>,
    /// The attempt's number, from 1.
    pub attempt: f64,
    /// The delay slept before it, in milliseconds (none for the first attempt).
    pub prev_delay_ms: Option<f64>,
    /// The answer's `Retry-After` header value, as sent.
    pub retry_after: Option<String>,
    /// Unix seconds an HTTP-date `Retry-After` is counted from (default: the system clock).
    pub now: Option<Either<f64, BigInt>>,
    /// Milliseconds since the first attempt started (default 0).
    pub elapsed_ms: Option<f64>,
}

/// The retry decision for one failed attempt (core's `RetryDecision`).
#[napi(object, object_from_js = false)]
pub struct RetryDecisionData {
    /// Whether the attempt is retried.
    pub retry: bool,
    /// Why: `retry`, `not_retryable`, `exhausted` or `deadline`.
    pub verdict: String,
    /// The least delay before the next attempt, in milliseconds (0 when not retried).
    pub min_delay_ms: f64,
    /// The most delay before the next attempt, in milliseconds (0 when not retried).
    pub max_delay_ms: f64,
    /// What the error of this attempt reports as `retryable`.
    pub retryable: bool,
}

/// The client's retry rule (SPEC §2.1) for one failed attempt under `options`.
#[napi(catch_unwind)]
pub fn retry_decision(
    options: Option<RetryOptions>,
    attempt: RetryAttemptData,
) -> napi::Result<RetryDecisionData> {
    let options = options
        .map(retry_options)
        .transpose()
        .js()?
        .unwrap_or_default();
    let count = |what, n| opt_count(what, n, u32::MAX).js();
    let big = |what, n: Option<f64>| {
        n.map(|n| count_arg(what, n, MAX_SAFE_INTEGER))
            .transpose()
            .js()
    };
    let status = count("status", attempt.status)?.map(|s| u16::try_from(s).unwrap_or(u16::MAX));
    let q = RetryQuery {
        method: &attempt.method,
        outcome: &attempt.outcome,
        status,
        attempt: count("attempt", Some(attempt.attempt))?.unwrap_or_default() as u32,
        prev_delay_ms: big("prevDelayMs", attempt.prev_delay_ms)?,
        retry_after: attempt.retry_after.as_deref(),
        now: opt_seconds("now", attempt.now.as_ref())?,
        elapsed_ms: big("elapsedMs", attempt.elapsed_ms)?.unwrap_or_default(),
    };
    let d = surface::retry_decision(&options, &q).js()?;
    Ok(RetryDecisionData {
        retry: d.retry,
        verdict: d.verdict_code().to_owned(),
        min_delay_ms: d.min_delay_ms as f64,
        max_delay_ms: d.max_delay_ms as f64,
        retryable: d.retryable,
    })
}

/// Whether a cached endpoint is still served (core's `Freshness`).
#[napi(object, object_from_js = false)]
pub struct FreshnessData {
    /// `nowMs < untilMs` and the cache is on.
    pub fresh: bool,
    /// The first millisecond the entry is no longer served (a bigint past 2^53-1).
    pub until_ms: Either<f64, BigInt>,
}

/// The endpoint cache's freshness rule (SPEC §2.1) under `options`: an entry signed until
/// `signedExpires` (Unix seconds; null for a direct or server-proxy entry) fetched at
/// `fetchedAtMs`, looked up at `nowMs` (both Unix milliseconds).
#[napi(catch_unwind)]
pub fn cache_decision(
    options: Option<CacheOptions>,
    signed_expires: Option<Either<f64, BigInt>>,
    fetched_at_ms: f64,
    now_ms: f64,
) -> napi::Result<FreshnessData> {
    let options = options
        .map(cache_options)
        .transpose()
        .js()?
        .unwrap_or_default();
    let signed_expires = opt_seconds("signedExpires", signed_expires.as_ref())?;
    let fetched_at = count_arg("fetchedAtMs", fetched_at_ms, MAX_SAFE_INTEGER).js()?;
    let now = count_arg("nowMs", now_ms, MAX_SAFE_INTEGER).js()?;
    let f = surface::cache_decision(&options, signed_expires, fetched_at, now).js()?;
    Ok(FreshnessData {
        fresh: f.fresh,
        until_ms: seconds_js(f.until_ms),
    })
}

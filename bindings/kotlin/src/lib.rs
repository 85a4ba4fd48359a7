//! The uniffi adapter of sandgate for Kotlin/JVM.
//!
//! It maps core's binding surface (`sandgate::surface`) one to one and decides nothing: core's
//! enums and flat records cross as they are (uniffi remote types: `ErrorKind`, `DenyReason`,
//! `Grant`, `RouteMode`, `ErrorView`, `RouteView`, `ApiKeyInfo`, `SandboxRenewal`); the rest
//! is owned records converted from the surface's views. The Kotlin sources generated from this crate land in
//! `dev.sandgate.ffi`; the hand-written package `dev.sandgate` is what users call. Nothing here
//! is Rust API (the crate is a `cdylib`), so every item is crate-private.
//!
//! The two hot paths (verify and sign) are not here: this library re-exports the C ABI's
//! `sandgate_verify` and `sandgate_sign_into` (crate `sandgate-ffi`), which the Kotlin layer
//! calls through JNA's direct mapping; this crate only hands out their handles. Every `suspend`
//! function runs through core's `surface::run`: cancelling the coroutine drops the future,
//! which aborts the work; a panic becomes core's one `internal` error.

// `FfiError` is lowered into one buffer at the boundary; its size on the Rust stack is moot.
#![allow(clippy::result_large_err)]

use sandgate::client::{ApiKeyInfo, Client, CreateSandbox, SandboxRenewal};
use sandgate::keys::{StoredKeyView, DEFAULT_API_KEY_PREFIX};
use sandgate::route::{check_port, Grant};
use sandgate::surface::{
    self, CacheOptions, ClientOptions, Decision, EndpointKind, EndpointMode, EndpointView,
    ErrorView, Expiry, GatewayOptions, PolicyOptions, RetryEvent, RetryOptions, RetryQuery,
    RouteView,
};
use sandgate::{
    AccessRequest, DenyReason, ErrorKind, RouteSigner, RouteVerifier, SecretString, SigningKeys,
};
use sandgate_ffi::routes::{SandgateSigner, SandgateVerifier};
use sandgate_mock::RouteMode;
use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};

uniffi::setup_scaffolding!();

// ---------------------------------------------------------------- core's types, as they are

/// What went wrong, as a stable category (core's `ErrorKind`).
#[uniffi::remote(Enum)]
#[non_exhaustive]
enum ErrorKind {
    InvalidArgument,
    InvalidConfig,
    AccessDenied,
    Api,
    Timeout,
    Transport,
    Decode,
    Cancelled,
    Internal,
}

/// Why an access decision denied a request (core's `DenyReason`, SPEC §1.5).
#[uniffi::remote(Enum)]
#[non_exhaustive]
enum DenyReason {
    /// `malformed` (400)
    Malformed,
    /// `expired` (401)
    Expired,
    /// `unknown_key` (401)
    UnknownKey,
    /// `bad_signature` (401)
    BadSignature,
    /// `header_mismatch` (401)
    HeaderMismatch,
    /// `credential_required` (401)
    CredentialRequired,
    /// `not_configured` (503)
    NotConfigured,
    /// `unknown_sandbox` (404)
    UnknownSandbox,
}

/// How an allowed request was granted (core's `Grant`).
#[uniffi::remote(Enum)]
enum Grant {
    /// The sandbox does not require secure access.
    Open,
    /// `OpenSandbox-Secure-Access` matched the sandbox's access token.
    Header,
    /// The signed route verified.
    Signature,
}

/// How the mock's gateway reads routes and renders endpoints (SPEC §1.4).
#[uniffi::remote(Enum)]
enum RouteMode {
    /// Route in header `OpenSandbox-Ingress-To`.
    Header,
    /// Route in the first label of the host: `{token}.localhost:{port}`.
    Wildcard,
    /// Route in the path: `/{id}/{port}/{expires_b36}/{signature}/...`.
    Uri,
}

/// What kind of endpoint an endpoint is (core's `EndpointKind`).
#[uniffi::remote(Enum)]
enum EndpointKind {
    /// Direct (unsigned): never carries the API key.
    Direct,
    /// Through the lifecycle server: its headers carry the API key.
    ServerProxy,
    /// A signed route: never carries the API key.
    Signed,
}

/// An error as every language shows it (core's `ErrorView`): `message` is bare, `display`
/// the full line.
#[uniffi::remote(Record)]
struct ErrorView {
    kind: ErrorKind,
    message: String,
    display: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    reason: Option<DenyReason>,
    retryable: bool,
    retry_after_ms: Option<u64>,
}

/// A route's facts (core's `RouteView`); the key id is a one-character string.
#[uniffi::remote(Record)]
struct RouteView {
    sandbox_id: String,
    port: u16,
    expires: Option<u64>,
    key_id: Option<String>,
}

/// An API key as listed: never its secret or hash (core's `ApiKeyInfo`).
#[uniffi::remote(Record)]
struct ApiKeyInfo {
    id: String,
    name: String,
    prefix: String,
    created_at: Option<String>,
    expires_at: Option<String>,
    revoked: bool,
}

/// A sandbox's new expiry (core's `SandboxRenewal`).
#[uniffi::remote(Record)]
struct SandboxRenewal {
    expires_at: String,
    expires: u64,
}

/// One row of core's error-kind table.
#[derive(uniffi::Record)]
struct KindRow {
    kind: ErrorKind,
    code: String,
}

/// One row of core's denial-reason table.
#[derive(uniffi::Record)]
struct ReasonRow {
    reason: DenyReason,
    code: String,
    status: u16,
}

/// One row of core's grant table.
#[derive(uniffi::Record)]
struct GrantRow {
    grant: Grant,
    code: String,
}

/// Core's code tables, each in core's table order (`ALL`), which is also the C ABI's
/// numbering (position + 1) of the values the hot paths return.
#[derive(uniffi::Record)]
struct CodeTables {
    kinds: Vec<KindRow>,
    reasons: Vec<ReasonRow>,
    grants: Vec<GrantRow>,
}

/// Core's code tables.
#[uniffi::export]
fn code_tables() -> CodeTables {
    CodeTables {
        kinds: ErrorKind::ALL
            .iter()
            .map(|&kind| KindRow {
                kind,
                code: kind.code().to_owned(),
            })
            .collect(),
        reasons: DenyReason::ALL
            .iter()
            .map(|&reason| ReasonRow {
                reason,
                code: reason.code().to_owned(),
                status: reason.status(),
            })
            .collect(),
        grants: Grant::ALL
            .iter()
            .map(|&grant| GrantRow {
                grant,
                code: grant.code().to_owned(),
            })
            .collect(),
    }
}

// ---------------------------------------------------------------- errors

/// Every failure: core's error view.
#[derive(Debug, uniffi::Error)]
enum FfiError {
    Failed { view: ErrorView },
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let FfiError::Failed { view } = self;
        f.write_str(&view.display)
    }
}

impl From<sandgate::Error> for FfiError {
    fn from(e: sandgate::Error) -> Self {
        FfiError::Failed {
            view: ErrorView::from(&e),
        }
    }
}

type Result<T, E = FfiError> = std::result::Result<T, E>;

/// Core's error for a panic inside sandgate: Kotlin reports uniffi's caught panics with it.
#[uniffi::export]
fn panicked_error() -> ErrorView {
    ErrorView::from(&surface::panicked())
}

/// A JVM `Long` that must fit an unsigned field; `kind` says whose error it is.
fn unsigned<T: TryFrom<i64>>(kind: ErrorKind, name: &str, v: i64) -> sandgate::Result<T> {
    T::try_from(v).map_err(|_| sandgate::Error::new(kind, format!("{name} is out of range: {v}")))
}

fn option<T: TryFrom<i64>>(name: &str, v: Option<i64>) -> sandgate::Result<Option<T>> {
    v.map(|v| unsigned(ErrorKind::InvalidConfig, name, v))
        .transpose()
}

// ---------------------------------------------------------------- signing keys and routes

/// A validated set of signing keys.
#[derive(uniffi::Object)]
struct FfiSigningKeys {
    keys: SigningKeys,
}

#[uniffi::export]
impl FfiSigningKeys {
    /// From the ingress flag string `a=BASE64,b=BASE64`.
    #[uniffi::constructor]
    fn from_flag(text: String) -> Result<Arc<Self>> {
        let keys = SigningKeys::from_flag(SecretString::from(text).expose())?;
        Ok(Arc::new(FfiSigningKeys { keys }))
    }

    /// From the server TOML table `[ingress.secure_access]`.
    #[uniffi::constructor]
    fn from_toml(text: String) -> Result<Arc<Self>> {
        let keys = SigningKeys::from_toml(SecretString::from(text).expose())?;
        Ok(Arc::new(FfiSigningKeys { keys }))
    }

    /// Key ids in configuration order.
    fn key_ids(&self) -> Vec<String> {
        self.keys.key_ids().iter().map(char::to_string).collect()
    }

    /// The active key id, if the configuration names one.
    fn active_key_id(&self) -> Option<String> {
        self.keys.active_key_id().map(String::from)
    }

    /// Core's description: key ids, never secrets.
    fn describe(&self) -> String {
        format!("{:?}", self.keys)
    }
}

/// A signer as the Kotlin layer holds it: `handle` is a C ABI `SandgateSigner *` for
/// `sandgate_sign_into`, freed with `sandgate_signer_free`.
#[derive(uniffi::Record)]
struct FfiSigner {
    handle: u64,
    key_id: String,
    description: String,
}

/// A signer with key `key_id`, or the keys' active key when `None`.
#[uniffi::export]
fn new_signer(keys: &FfiSigningKeys, key_id: Option<String>) -> Result<FfiSigner> {
    let key_id = key_id
        .map(|id| sandgate::keys::parse_key_id(&id))
        .transpose()?;
    let signer = RouteSigner::new(&keys.keys, key_id)?;
    std::hint::black_box(sandgate_ffi::hot_path_symbols());
    Ok(FfiSigner {
        handle: SandgateSigner::into_raw(&signer) as u64,
        key_id: signer.key_id().to_string(),
        description: format!("{signer:?}"),
    })
}

/// The wildcard host `{token}.{base_domain}` of a route token; a base domain that is not a
/// DNS name is `invalid_argument`.
#[uniffi::export]
fn wildcard_host(token: String, base_domain: String) -> Result<String> {
    Ok(sandgate::route::wildcard_host(&token, &base_domain)?)
}

/// The server's environment pair: the values of `OPENSANDBOX_SECURE_ACCESS_KEYS` and
/// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY` (`None` = unset). `None` when neither is set.
#[uniffi::export]
fn signing_keys_from_env(
    keys: Option<String>,
    active_key: Option<String>,
) -> Result<Option<Arc<FfiSigningKeys>>> {
    let keys = keys.map(SecretString::from);
    let parsed =
        SigningKeys::from_env_vars(keys.as_ref().map(|k| k.expose()), active_key.as_deref())?;
    Ok(parsed.map(|keys| Arc::new(FfiSigningKeys { keys })))
}

/// `expires` in base 36 (SPEC §1.1).
#[uniffi::export]
fn encode_expires_b36(expires: u64) -> String {
    sandgate::route::encode_expires_b36(expires)
        .as_str()
        .to_owned()
}

/// Decodes a base-36 expiry, rejecting every non-canonical form.
#[uniffi::export]
fn decode_expires_b36(text: String) -> Result<u64> {
    Ok(sandgate::route::decode_expires_b36(&text)?)
}

/// What a gateway saw on a request (`secure_access` absent: not sent; empty: sent empty).
#[derive(uniffi::Record)]
struct FfiAccessRequest {
    ingress_to: Option<String>,
    host: Option<String>,
    path: Option<String>,
    secure_access: Option<String>,
}

/// Core's access decision (`surface::Decision`), with its denial as an error view.
#[derive(uniffi::Record)]
struct FfiDecision {
    allowed: bool,
    status: u16,
    reason: Option<DenyReason>,
    detail: Option<String>,
    grant: Option<Grant>,
    route: Option<RouteView>,
    path: Option<String>,
    query: Option<String>,
    error: Option<ErrorView>,
}

impl From<Decision> for FfiDecision {
    fn from(d: Decision) -> Self {
        FfiDecision {
            error: d.error().as_ref().map(ErrorView::from),
            allowed: d.allowed,
            status: d.status,
            reason: d.reason,
            detail: d.detail.map(str::to_owned),
            grant: d.grant,
            route: d.route,
            path: d.path,
            query: d.query,
        }
    }
}

/// Verifies routes and takes access decisions.
#[derive(uniffi::Object)]
struct FfiRouteVerifier {
    verifier: RouteVerifier,
}

#[uniffi::export]
impl FfiRouteVerifier {
    /// A verifier over `keys`.
    #[uniffi::constructor]
    fn new(keys: &FfiSigningKeys) -> Arc<Self> {
        Arc::new(FfiRouteVerifier {
            verifier: RouteVerifier::new(keys.keys.clone()),
        })
    }

    /// Replaces the keys at once (core's `RouteVerifier::replace_keys`); the hot handles made
    /// from this verifier share them.
    fn replace_keys(&self, keys: &FfiSigningKeys) {
        self.verifier.replace_keys(keys.keys.clone());
    }

    /// A new C ABI handle for `sandgate_verify` (a `SandgateVerifier *`), freed with
    /// `sandgate_verifier_free`.
    fn hot_handle(&self) -> u64 {
        std::hint::black_box(sandgate_ffi::hot_path_symbols());
        SandgateVerifier::into_raw(&self.verifier) as u64
    }

    /// Core's decision for `request` to a sandbox whose access token is `access_token`
    /// (`None`: it does not require secure access), at `now` (default: the system clock).
    fn decide(
        &self,
        request: FfiAccessRequest,
        access_token: Option<String>,
        now: Option<u64>,
    ) -> FfiDecision {
        let req = AccessRequest {
            ingress_to: request.ingress_to.as_deref(),
            host: request.host.as_deref(),
            path: request.path.as_deref(),
            secure_access: request.secure_access.as_deref(),
            ..Default::default()
        };
        surface::decide(&self.verifier, &req, access_token.as_deref(), now).into()
    }
}

// ---------------------------------------------------------------- API keys

/// A generated API key; `key` is the raw secret.
#[derive(uniffi::Record)]
struct FfiGeneratedApiKey {
    key: String,
    prefix: String,
    hash: String,
}

/// Generates a key with `prefix` (default `osk_`).
#[uniffi::export]
fn generate_api_key(prefix: Option<String>) -> Result<FfiGeneratedApiKey> {
    let k = sandgate::generate_api_key(prefix.as_deref().unwrap_or(DEFAULT_API_KEY_PREFIX))?;
    Ok(FfiGeneratedApiKey {
        key: k.key.expose().to_owned(),
        prefix: k.prefix,
        hash: k.hash,
    })
}

/// Lowercase hex SHA-256 of `raw`.
#[uniffi::export]
fn hash_api_key(raw: String) -> String {
    sandgate::hash_api_key(SecretString::from(raw).expose())
}

/// Whether `key` is valid for the stored record at `now` (default: the system clock).
#[uniffi::export]
fn verify_api_key(
    key: String,
    hash: String,
    expires_at: Option<String>,
    revoked: bool,
    now: Option<u64>,
) -> Result<bool> {
    let key = SecretString::from(key);
    let stored = StoredKeyView {
        hash: &hash,
        revoked,
        expires_at: expires_at.as_deref(),
    };
    Ok(sandgate::keys::verify_stored_api_key(
        key.expose(),
        &stored,
        now,
    )?)
}

// ---------------------------------------------------------------- client

/// Retry options (core's `RetryOptions`, times in milliseconds); JVM longs and ints, checked
/// to fit.
#[derive(uniffi::Record)]
struct FfiRetryOptions {
    max_retries: Option<i64>,
    initial_backoff_ms: Option<i64>,
    max_backoff_ms: Option<i64>,
    multiplier: Option<f64>,
    retry_statuses: Option<Vec<i32>>,
    post_retry_statuses: Option<Vec<i32>>,
    attempt_timeout_ms: Option<i64>,
    deadline_ms: Option<i64>,
}

fn statuses(name: &str, v: Option<Vec<i32>>) -> sandgate::Result<Option<Vec<u16>>> {
    v.map(|list| {
        list.into_iter()
            .map(|s| unsigned(ErrorKind::InvalidConfig, name, i64::from(s)))
            .collect()
    })
    .transpose()
}

impl FfiRetryOptions {
    fn into_core(self) -> sandgate::Result<RetryOptions> {
        Ok(RetryOptions {
            max_retries: option("retry max_retries", self.max_retries)?,
            initial_backoff_ms: option("retry initial_backoff_ms", self.initial_backoff_ms)?,
            max_backoff_ms: option("retry max_backoff_ms", self.max_backoff_ms)?,
            multiplier: self.multiplier,
            retry_statuses: statuses("retry retry_statuses", self.retry_statuses)?,
            post_retry_statuses: statuses("retry post_retry_statuses", self.post_retry_statuses)?,
            attempt_timeout_ms: option("retry attempt_timeout_ms", self.attempt_timeout_ms)?,
            deadline_ms: option("retry deadline_ms", self.deadline_ms)?,
        })
    }
}

/// Endpoint cache options (core's `CacheOptions`, times in milliseconds).
#[derive(uniffi::Record)]
struct FfiCacheOptions {
    enabled: Option<bool>,
    max_entries: Option<i64>,
    ttl_ms: Option<i64>,
    margin_ms: Option<i64>,
}

impl FfiCacheOptions {
    fn to_core(&self) -> sandgate::Result<CacheOptions> {
        Ok(CacheOptions {
            enabled: self.enabled,
            max_entries: option("cache max_entries", self.max_entries)?,
            ttl_ms: option("cache ttl_ms", self.ttl_ms)?,
            margin_ms: option("cache margin_ms", self.margin_ms)?,
        })
    }
}

/// What the retry hook is told before each retry sleeps (core's `RetryEvent`).
#[derive(uniffi::Record)]
struct FfiRetryEvent {
    attempt: u32,
    delay_ms: u64,
    cause: ErrorView,
}

/// The Kotlin side of the retry hook: called on the native runtime's thread before each retry
/// sleeps.
#[uniffi::export(with_foreign)]
trait RetryHook: Send + Sync {
    /// One retry about to happen.
    fn on_retry(&self, event: FfiRetryEvent);
}

/// One failed attempt for the retry rule (core's `RetryQuery`, flat).
#[derive(uniffi::Record)]
struct FfiRetryQuery {
    method: String,
    outcome: String,
    status: Option<i32>,
    attempt: i64,
    prev_delay_ms: Option<i64>,
    retry_after: Option<String>,
    now: Option<u64>,
    elapsed_ms: i64,
}

/// The retry rule's answer (core's `RetryDecision`); `verdict` is its stable code.
#[derive(uniffi::Record)]
struct FfiRetryDecision {
    retry: bool,
    verdict: String,
    min_delay_ms: u64,
    max_delay_ms: u64,
    retryable: bool,
}

/// Core's retry rule (`surface::retry_decision`) for one failed attempt under `options`.
#[uniffi::export]
fn retry_decision(options: FfiRetryOptions, query: FfiRetryQuery) -> Result<FfiRetryDecision> {
    let options = options.into_core()?;
    fn arg<T: TryFrom<i64>>(name: &str, v: i64) -> sandgate::Result<T> {
        unsigned(ErrorKind::InvalidArgument, name, v)
    }
    let status: Option<u16> = query
        .status
        .map(|s| arg("status", i64::from(s)))
        .transpose()?;
    let q = RetryQuery {
        method: &query.method,
        outcome: &query.outcome,
        status,
        attempt: arg("attempt", query.attempt)?,
        prev_delay_ms: query
            .prev_delay_ms
            .map(|v| arg("prev_delay_ms", v))
            .transpose()?,
        retry_after: query.retry_after.as_deref(),
        now: query.now,
        elapsed_ms: arg("elapsed_ms", query.elapsed_ms)?,
    };
    let d = surface::retry_decision(&options, &q)?;
    Ok(FfiRetryDecision {
        retry: d.retry,
        verdict: d.verdict_code().to_owned(),
        min_delay_ms: d.min_delay_ms,
        max_delay_ms: d.max_delay_ms,
        retryable: d.retryable,
    })
}

/// The cache's freshness rule's answer (core's `Freshness`).
#[derive(uniffi::Record)]
struct FfiFreshness {
    fresh: bool,
    until_ms: u64,
}

/// Core's endpoint-cache freshness rule (`surface::cache_decision`).
#[uniffi::export]
fn cache_decision(
    options: FfiCacheOptions,
    signed_expires: Option<u64>,
    fetched_at_ms: u64,
    now_ms: u64,
) -> Result<FfiFreshness> {
    let f = surface::cache_decision(&options.to_core()?, signed_expires, fetched_at_ms, now_ms)?;
    Ok(FfiFreshness {
        fresh: f.fresh,
        until_ms: f.until_ms,
    })
}

/// Client options (core's `ClientOptions`, timeout in milliseconds); `None` falls back to
/// `OPEN_SANDBOX_*` env (unless `use_env` is false) and then to core's defaults.
#[derive(uniffi::Record)]
struct FfiClientOptions {
    domain: Option<String>,
    protocol: Option<String>,
    api_key: Option<String>,
    timeout_ms: Option<i64>,
    headers: HashMap<String, String>,
    retry: FfiRetryOptions,
    cache: FfiCacheOptions,
    use_env: bool,
}

/// An endpoint (core's `EndpointView`).
#[derive(uniffi::Record)]
struct FfiEndpoint {
    endpoint: String,
    url: String,
    headers: HashMap<String, String>,
    redacted_headers: HashMap<String, String>,
    route: Option<RouteView>,
    origin: Option<String>,
    kind: EndpointKind,
}

impl From<EndpointView> for FfiEndpoint {
    fn from(e: EndpointView) -> Self {
        FfiEndpoint {
            endpoint: e.endpoint,
            url: e.url,
            headers: e.headers.into_iter().collect(),
            redacted_headers: e.redacted_headers.into_iter().collect(),
            route: e.route,
            origin: e.origin,
            kind: e.kind,
        }
    }
}

/// A URL carrying everything a request to `path` needs (core's `shareable_url`), or the
/// `invalid_argument` error saying what must travel in a header.
#[uniffi::export]
fn shareable_url(
    url: String,
    kind: EndpointKind,
    headers: HashMap<String, String>,
    path: String,
) -> Result<String> {
    let headers = headers.into_iter().collect();
    Ok(sandgate::client::shareable_url(
        &url, kind, &headers, &path,
    )?)
}

/// A key just minted; `key` is the raw secret.
#[derive(uniffi::Record)]
struct FfiCreatedApiKey {
    id: String,
    name: String,
    prefix: String,
    key: String,
    expires_at: Option<String>,
}

/// A sandbox.
#[derive(uniffi::Record)]
struct FfiSandbox {
    id: String,
    image: Option<String>,
    state: String,
    metadata: HashMap<String, String>,
    secure_access: bool,
    created_at: Option<String>,
    expires_at: Option<String>,
}

impl From<sandgate::client::Sandbox> for FfiSandbox {
    fn from(s: sandgate::client::Sandbox) -> Self {
        FfiSandbox {
            id: s.id,
            image: s.image,
            state: s.state,
            metadata: s.metadata.into_iter().collect(),
            secure_access: s.secure_access,
            created_at: s.created_at,
            expires_at: s.expires_at,
        }
    }
}

/// `work` on the shared runtime through core's one awaitable run.
async fn run<T: Send + 'static>(
    work: impl Future<Output = sandgate::Result<T>> + Send + 'static,
) -> Result<T> {
    Ok(surface::run(work).await?)
}

/// The lifecycle and keys API client.
#[derive(uniffi::Object)]
struct FfiClient {
    client: Client,
}

#[uniffi::export]
impl FfiClient {
    /// Builds a client; core validates every option.
    #[uniffi::constructor]
    fn new(options: FfiClientOptions, on_retry: Option<Arc<dyn RetryHook>>) -> Result<Arc<Self>> {
        let retry = options.retry.into_core()?;
        let cache = options.cache.to_core()?;
        let on_retry: Option<surface::OnRetry> = on_retry.map(|hook| {
            Arc::new(move |e: &RetryEvent| {
                hook.on_retry(FfiRetryEvent {
                    attempt: e.attempt,
                    delay_ms: e.delay_ms,
                    cause: e.cause.clone(),
                })
            }) as surface::OnRetry
        });
        let client = ClientOptions {
            domain: options.domain,
            protocol: options.protocol,
            api_key: options.api_key.map(SecretString::from),
            timeout_ms: option("timeout_ms", options.timeout_ms)?,
            headers: options.headers.into_iter().collect(),
            language: Some("kotlin".to_owned()),
            retry,
            on_retry,
            cache,
            ignore_env: !options.use_env,
        }
        .build()?;
        Ok(Arc::new(FfiClient { client }))
    }

    /// Core's description (the API key prints `***`).
    fn describe(&self) -> String {
        format!("{:?}", self.client)
    }

    /// `protocol://domain`.
    fn base_url(&self) -> String {
        self.client.base_url().to_owned()
    }

    /// The endpoint of `port` in one explicit mode (core's `EndpointMode::from_options`):
    /// server-proxy, signed (exactly one of `expires` and `ttl_seconds`) or neither (direct).
    async fn endpoint(
        &self,
        sandbox_id: String,
        port: i64,
        server_proxy: bool,
        expires: Option<u64>,
        ttl_seconds: Option<u64>,
    ) -> Result<FfiEndpoint> {
        let c = self.client.clone();
        let port = check_port(port)?;
        let mode = EndpointMode::from_options(server_proxy, expires, ttl_seconds)?;
        run(async move {
            let e = surface::endpoint(&c, &sandbox_id, port, mode).await?;
            Ok(e.into())
        })
        .await
    }

    /// Pauses a sandbox (its cached endpoints are dropped).
    async fn pause_sandbox(&self, sandbox_id: String) -> Result<()> {
        let c = self.client.clone();
        run(async move { c.pause_sandbox(&sandbox_id).await }).await
    }

    /// Resumes a paused sandbox.
    async fn resume_sandbox(&self, sandbox_id: String) -> Result<()> {
        let c = self.client.clone();
        run(async move { c.resume_sandbox(&sandbox_id).await }).await
    }

    /// Mints an API key for the caller.
    async fn create_api_key(
        &self,
        name: Option<String>,
        expires_at: Option<u64>,
    ) -> Result<FfiCreatedApiKey> {
        let c = self.client.clone();
        run(async move {
            let k = c.create_api_key(name.as_deref(), expires_at).await?;
            Ok(FfiCreatedApiKey {
                key: k.key.expose().to_owned(),
                id: k.id,
                name: k.name,
                prefix: k.prefix,
                expires_at: k.expires_at,
            })
        })
        .await
    }

    /// The caller's keys.
    async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let c = self.client.clone();
        run(async move { c.list_api_keys().await }).await
    }

    /// Revokes one of the caller's keys.
    async fn revoke_api_key(&self, key_id: String) -> Result<()> {
        let c = self.client.clone();
        run(async move { c.revoke_api_key(&key_id).await }).await
    }

    /// Creates a sandbox; `timeout_seconds` is its lifetime.
    async fn create_sandbox(
        &self,
        image: String,
        secure_access: bool,
        metadata: HashMap<String, String>,
        timeout_seconds: Option<i64>,
    ) -> Result<FfiSandbox> {
        let c = self.client.clone();
        let req = CreateSandbox {
            image,
            secure_access,
            metadata: metadata.into_iter().collect(),
            timeout: timeout_seconds
                .map(|t| unsigned(ErrorKind::InvalidArgument, "timeout", t))
                .transpose()?,
        };
        run(async move { Ok(c.create_sandbox(&req).await?.into()) }).await
    }

    /// One sandbox.
    async fn get_sandbox(&self, sandbox_id: String) -> Result<FfiSandbox> {
        let c = self.client.clone();
        run(async move { Ok(c.get_sandbox(&sandbox_id).await?.into()) }).await
    }

    /// The sandboxes the caller may see.
    async fn list_sandboxes(&self) -> Result<Vec<FfiSandbox>> {
        let c = self.client.clone();
        run(async move {
            let list = c.list_sandboxes().await?;
            Ok(list.into_iter().map(Into::into).collect())
        })
        .await
    }

    /// Deletes a sandbox.
    async fn delete_sandbox(&self, sandbox_id: String) -> Result<()> {
        let c = self.client.clone();
        run(async move { c.delete_sandbox(&sandbox_id).await }).await
    }

    /// Renews a sandbox to expire at `expires` or `ttl_seconds` from now (exactly one).
    async fn renew_sandbox(
        &self,
        sandbox_id: String,
        expires: Option<u64>,
        ttl_seconds: Option<u64>,
    ) -> Result<SandboxRenewal> {
        let c = self.client.clone();
        let expiry = Expiry::from_options(expires, ttl_seconds)?;
        run(async move { surface::renew_sandbox(&c, &sandbox_id, expiry).await }).await
    }
}

// ---------------------------------------------------------------- mock server

/// One API request the mock received.
#[derive(uniffi::Record)]
struct FfiRequestRecord {
    method: String,
    path: String,
    status: u16,
    user_agent: Option<String>,
}

/// Faults to inject; JVM longs, checked to fit their fields.
#[derive(uniffi::Record)]
struct FfiFaults {
    fail_next: i64,
    status: Option<i64>,
    retry_after: Option<i64>,
    latency_ms: i64,
    drop_next: i64,
    corrupt_next: i64,
}

/// The embedded mock server.
#[derive(uniffi::Object)]
struct FfiMockServer {
    mock: Mutex<sandgate_mock::MockServer>,
}

impl FfiMockServer {
    fn with<T>(&self, f: impl FnOnce(&mut sandgate_mock::MockServer) -> T) -> T {
        let mut m = self.mock.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut m)
    }
}

#[uniffi::export]
impl FfiMockServer {
    /// Starts a mock on free loopback ports.
    #[uniffi::constructor]
    fn start(
        route_mode: RouteMode,
        trusted_headers: bool,
        endpoint_origin: Option<String>,
        signing_keys: Option<Arc<FfiSigningKeys>>,
    ) -> Result<Arc<Self>> {
        let mock = sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
            route_mode,
            trusted_headers,
            endpoint_origin,
            signing_keys: signing_keys.map(|k| k.keys.clone()),
            ..Default::default()
        })?;
        Ok(Arc::new(FfiMockServer {
            mock: Mutex::new(mock),
        }))
    }

    fn api_url(&self) -> String {
        self.with(|m| m.api_url())
    }
    fn gateway_url(&self) -> String {
        self.with(|m| m.gateway_url())
    }
    fn domain(&self) -> String {
        self.with(|m| m.domain())
    }
    fn route_mode(&self) -> RouteMode {
        self.with(|m| m.route_mode())
    }
    /// The static admin key (a secret: the Kotlin layer wraps it).
    fn admin_key(&self) -> String {
        self.with(|m| m.admin_key().expose().to_owned())
    }
    /// The signing keys as a flag string (secrets included, on purpose).
    fn signing_keys(&self) -> String {
        self.with(|m| m.signing_keys().expose_flag_string())
    }
    /// Replaces the signing keys of the running mock (its gateway and signed endpoints).
    fn set_signing_keys(&self, keys: &FfiSigningKeys) -> Result<()> {
        Ok(self.with(|m| m.set_signing_keys(keys.keys.clone()))?)
    }
    /// The active signing key id, if any.
    fn active_key_id(&self) -> Option<String> {
        self.with(|m| m.signing_keys().active_key_id().map(String::from))
    }
    /// Core's description (no secrets).
    fn describe(&self) -> String {
        self.with(|m| format!("{m:?}"))
    }
    fn now(&self) -> u64 {
        self.with(|m| m.now())
    }
    fn set_now(&self, now: u64) {
        self.with(|m| m.set_now(now))
    }
    fn advance(&self, seconds: i64) {
        self.with(|m| m.advance(seconds))
    }
    fn set_faults(&self, faults: FfiFaults) -> Result<()> {
        fn count<T: TryFrom<i64>>(name: &str, v: i64) -> sandgate::Result<T> {
            unsigned(ErrorKind::InvalidArgument, name, v)
        }
        let f = sandgate_mock::Faults {
            fail_next: count("fail_next", faults.fail_next)?,
            status: match faults.status {
                Some(s) => count("status", s)?,
                None => sandgate_mock::Faults::default().status,
            },
            retry_after: faults
                .retry_after
                .map(|s| count("retry_after", s))
                .transpose()?,
            latency_ms: count("latency_ms", faults.latency_ms)?,
            drop_next: count("drop_next", faults.drop_next)?,
            corrupt_next: count("corrupt_next", faults.corrupt_next)?,
        };
        Ok(self.with(|m| m.set_faults(f))?)
    }
    fn clear_faults(&self) {
        self.with(|m| m.clear_faults())
    }
    fn reset(&self) {
        self.with(|m| m.reset())
    }
    fn requests(&self) -> Vec<FfiRequestRecord> {
        self.with(|m| m.requests())
            .into_iter()
            .map(|r| FfiRequestRecord {
                method: r.method,
                path: r.path,
                status: r.status,
                user_agent: r.user_agent,
            })
            .collect()
    }
    /// Stops both listeners; safe to call more than once.
    fn stop(&self) {
        self.with(|m| m.stop())
    }
}

// ---------------------------------------------------------------- gateway

/// One request header; the value is its bytes as received.
#[derive(uniffi::Record)]
struct FfiHeader {
    name: String,
    value: Vec<u8>,
}

/// One response header of a refusal.
#[derive(uniffi::Record)]
struct FfiResponseHeader {
    name: String,
    value: String,
}

/// Core's gateway verdict (`surface::GatewayVerdict`); reason and grant are stable codes.
#[derive(uniffi::Record)]
struct FfiGatewayVerdict {
    allowed: bool,
    status: u16,
    reason: Option<String>,
    grant: Option<String>,
    route: Option<RouteView>,
    upstream_target: Option<String>,
    headers_to_strip: Vec<String>,
    response_headers: Vec<FfiResponseHeader>,
    body: String,
    message: String,
}

/// The gateway check (core's `Gateway` through `surface::gateway` / `check_request`).
#[derive(uniffi::Object)]
struct FfiGateway {
    gateway: sandgate::gateway::Gateway,
}

#[uniffi::export]
impl FfiGateway {
    /// A gateway in `route_mode` with `keys` and a policy: at most one of `policy` (a JSON or
    /// TOML document) and `policy_file` (a path); neither is signature-only. `now` fixes the
    /// clock (Unix seconds).
    #[uniffi::constructor]
    fn new(
        route_mode: String,
        keys: &FfiSigningKeys,
        policy: Option<String>,
        policy_file: Option<String>,
        now: Option<u64>,
    ) -> Result<Arc<Self>> {
        let gateway = surface::gateway(GatewayOptions {
            route_mode,
            keys: keys.keys.clone(),
            policy: PolicyOptions::from_options(policy, policy_file)?,
            now,
        })?;
        Ok(Arc::new(FfiGateway { gateway }))
    }

    /// The verdict for a request: its target as received and its headers in arrival order.
    fn check(&self, target: String, headers: Vec<FfiHeader>) -> FfiGatewayVerdict {
        let pairs: Vec<(String, Vec<u8>)> =
            headers.into_iter().map(|h| (h.name, h.value)).collect();
        let v = surface::check_request(&self.gateway, &target, &pairs);
        FfiGatewayVerdict {
            allowed: v.allowed,
            status: v.status,
            reason: v.reason.map(str::to_owned),
            grant: v.grant.map(str::to_owned),
            route: v.route,
            upstream_target: v.upstream_target,
            headers_to_strip: v.headers_to_strip.iter().map(|h| (*h).to_owned()).collect(),
            response_headers: v
                .response_headers
                .iter()
                .map(|(n, val)| FfiResponseHeader {
                    name: (*n).to_owned(),
                    value: (*val).to_owned(),
                })
                .collect(),
            body: v.body,
            message: v.message,
        }
    }

    /// Replaces the signing keys at once (core's `Gateway::replace_keys`).
    fn replace_keys(&self, keys: &FfiSigningKeys) {
        self.gateway.replace_keys(keys.keys.clone());
    }

    /// Core's description (no secrets).
    fn describe(&self) -> String {
        format!("{:?}", self.gateway)
    }
}

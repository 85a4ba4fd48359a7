//! The uniffi surface of sandgate for Kotlin/JVM (`dev.sandgate`).
//!
//! Everything here converts between uniffi types and the `sandgate` core, which decides every
//! rule. The Kotlin sources generated from this crate land in package `dev.sandgate.ffi`; the
//! hand-written package `dev.sandgate` (in `src/main/kotlin`) is what users call.
//!
//! Async methods run on the one shared tokio runtime through
//! [`sandgate::runtime::run_on_runtime`]: when the Kotlin coroutine is cancelled, uniffi drops
//! the Rust future, and dropping it aborts the request.

// `FfiError` is lowered into one buffer at the boundary; its size on the Rust stack is moot.
#![allow(clippy::result_large_err)]

use sandgate::client::{check_port, Client, CreateSandbox, RetryPolicy};
use sandgate::keys::{StoredKeyView, DEFAULT_API_KEY_PREFIX};
use sandgate::runtime::run_on_runtime;
use sandgate::{AccessRequest, ErrorKind, RouteInfo, RouteSigner, RouteVerifier, SigningKeys};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

pub mod hot;

uniffi::setup_scaffolding!();

// ---------------------------------------------------------------- errors

/// Every failure, one variant per core error kind, each with the same fields.
#[derive(Debug, uniffi::Error)]
pub enum FfiError {
    /// `invalid_argument`
    InvalidArgument { detail: FfiErrorDetail },
    /// `invalid_config`
    InvalidConfig { detail: FfiErrorDetail },
    /// `access_denied`
    AccessDenied { detail: FfiErrorDetail },
    /// `api`
    Api { detail: FfiErrorDetail },
    /// `timeout`
    Timeout { detail: FfiErrorDetail },
    /// `transport`
    Transport { detail: FfiErrorDetail },
    /// `decode`
    Decode { detail: FfiErrorDetail },
    /// `cancelled`
    Cancelled { detail: FfiErrorDetail },
    /// `internal`
    Internal { detail: FfiErrorDetail },
}

/// The fields of a core error. `message` is core's full human-readable text.
#[derive(Debug, uniffi::Record)]
pub struct FfiErrorDetail {
    pub kind: String,
    pub message: String,
    pub status: Option<u16>,
    pub code: Option<String>,
    pub request_id: Option<String>,
    pub reason: Option<String>,
}

impl std::fmt::Display for FfiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.detail().message)
    }
}

impl FfiError {
    fn detail(&self) -> &FfiErrorDetail {
        match self {
            FfiError::InvalidArgument { detail }
            | FfiError::InvalidConfig { detail }
            | FfiError::AccessDenied { detail }
            | FfiError::Api { detail }
            | FfiError::Timeout { detail }
            | FfiError::Transport { detail }
            | FfiError::Decode { detail }
            | FfiError::Cancelled { detail }
            | FfiError::Internal { detail } => detail,
        }
    }
}

impl From<sandgate::Error> for FfiError {
    fn from(e: sandgate::Error) -> Self {
        let detail = FfiErrorDetail {
            kind: e.kind().code().to_owned(),
            message: e.to_string(),
            status: e.status(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
            reason: e.reason().map(|r| r.code().to_owned()),
        };
        match e.kind() {
            ErrorKind::InvalidArgument => FfiError::InvalidArgument { detail },
            ErrorKind::InvalidConfig => FfiError::InvalidConfig { detail },
            ErrorKind::AccessDenied => FfiError::AccessDenied { detail },
            ErrorKind::Api => FfiError::Api { detail },
            ErrorKind::Timeout => FfiError::Timeout { detail },
            ErrorKind::Transport => FfiError::Transport { detail },
            ErrorKind::Decode => FfiError::Decode { detail },
            ErrorKind::Cancelled => FfiError::Cancelled { detail },
            _ => FfiError::Internal { detail },
        }
    }
}

impl From<sandgate::Denial> for FfiError {
    fn from(d: sandgate::Denial) -> Self {
        sandgate::Error::from(d).into()
    }
}

type Result<T, E = FfiError> = std::result::Result<T, E>;

/// Every error kind code core knows, in table order (lets the Kotlin tests check the mapping).
#[uniffi::export]
pub fn error_kind_codes() -> Vec<String> {
    ErrorKind::ALL.iter().map(|k| k.code().to_owned()).collect()
}

/// Every denial reason code core knows, in table order.
#[uniffi::export]
pub fn deny_reason_codes() -> Vec<String> {
    sandgate::DenyReason::ALL
        .iter()
        .map(|r| r.code().to_owned())
        .collect()
}

/// A count or size that must fit an unsigned field.
fn unsigned<T: TryFrom<i64>>(name: &str, v: i64) -> Result<T> {
    T::try_from(v).map_err(|_| {
        sandgate::Error::invalid_argument(format!("{name} is out of range: {v}")).into()
    })
}

fn key_id(id: Option<String>) -> Result<Option<char>> {
    Ok(match id {
        Some(s) => Some(sandgate::keys::parse_key_id(&s)?),
        None => None,
    })
}

// ---------------------------------------------------------------- signing keys and routes

/// A validated set of signing keys.
#[derive(uniffi::Object)]
pub struct FfiSigningKeys {
    keys: SigningKeys,
}

#[uniffi::export]
impl FfiSigningKeys {
    /// From the ingress flag string `a=BASE64,b=BASE64`.
    #[uniffi::constructor]
    pub fn from_flag(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(FfiSigningKeys {
            keys: SigningKeys::from_flag(&text)?,
        }))
    }

    /// From the server TOML table `[ingress.secure_access]`.
    #[uniffi::constructor]
    pub fn from_toml(text: String) -> Result<Arc<Self>> {
        Ok(Arc::new(FfiSigningKeys {
            keys: SigningKeys::from_toml(&text)?,
        }))
    }

    pub fn key_ids(&self) -> Vec<String> {
        self.keys.key_ids().iter().map(char::to_string).collect()
    }

    pub fn active_key_id(&self) -> Option<String> {
        self.keys.active_key_id().map(String::from)
    }

    /// Core's description: key ids, never secrets.
    pub fn describe(&self) -> String {
        format!("{:?}", self.keys)
    }
}

/// A route as parsed or verified.
#[derive(uniffi::Record)]
pub struct FfiRouteInfo {
    pub sandbox_id: String,
    pub port: u16,
    pub expires: Option<u64>,
    pub key_id: Option<String>,
}

impl From<RouteInfo> for FfiRouteInfo {
    fn from(r: RouteInfo) -> Self {
        FfiRouteInfo {
            sandbox_id: r.sandbox_id,
            port: r.port,
            expires: r.expires,
            key_id: r.key_id.map(String::from),
        }
    }
}

/// The fields of a signed route.
#[derive(uniffi::Record)]
pub struct FfiSignedRouteParts {
    pub token: String,
    pub sandbox_id: String,
    pub port: u16,
    pub expires: u64,
    pub expires_b36: String,
    pub signature: String,
    pub key_id: String,
    pub uri_prefix: String,
    pub header_value: String,
}

impl From<&sandgate::SignedRoute> for FfiSignedRouteParts {
    fn from(r: &sandgate::SignedRoute) -> Self {
        FfiSignedRouteParts {
            token: r.token(),
            sandbox_id: r.sandbox_id().to_owned(),
            port: r.port(),
            expires: r.expires(),
            expires_b36: r.expires_b36().to_owned(),
            signature: r.signature().to_owned(),
            key_id: r.key_id().to_string(),
            uri_prefix: r.uri_prefix(),
            header_value: r.header_value(),
        }
    }
}

/// The wildcard host `{token}.{base_domain}` of a route token; a base domain that is not a
/// DNS name is `invalid_argument`.
#[uniffi::export]
pub fn wildcard_host(token: String, base_domain: String) -> Result<String> {
    Ok(sandgate::route::wildcard_host(&token, &base_domain)?)
}

/// The server's environment pair: the values of `OPENSANDBOX_SECURE_ACCESS_KEYS` and
/// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY` (`None` = unset). `None` when neither is set.
#[uniffi::export]
pub fn signing_keys_from_env(
    keys: Option<String>,
    active_key: Option<String>,
) -> Result<Option<Arc<FfiSigningKeys>>> {
    let keys = keys.map(sandgate::SecretString::new);
    let parsed =
        SigningKeys::from_env_vars(keys.as_ref().map(|k| k.expose()), active_key.as_deref())?;
    Ok(parsed.map(|keys| Arc::new(FfiSigningKeys { keys })))
}

#[derive(uniffi::Object)]
pub struct FfiRouteSigner {
    signer: RouteSigner,
}

#[uniffi::export]
impl FfiRouteSigner {
    /// With key `key_id`, or the keys' active key when `None`.
    #[uniffi::constructor]
    pub fn new(keys: &FfiSigningKeys, key_id: Option<String>) -> Result<Arc<Self>> {
        Ok(Arc::new(FfiRouteSigner {
            signer: RouteSigner::new(&keys.keys, self::key_id(key_id)?)?,
        }))
    }

    pub fn key_id(&self) -> String {
        self.signer.key_id().to_string()
    }

    pub fn sign(&self, sandbox_id: String, port: i64, expires: u64) -> Result<FfiSignedRouteParts> {
        let route = self.signer.sign(&sandbox_id, check_port(port)?, expires)?;
        Ok((&route).into())
    }

    /// A handle for the direct-mapped hot path ([`hot`]); free it with
    /// `sandgate_kt_signer_release`.
    pub fn hot_handle(&self) -> u64 {
        hot::signer_handle(&self.signer)
    }

    pub fn describe(&self) -> String {
        format!("{:?}", self.signer)
    }
}

/// What a gateway saw on a request.
#[derive(uniffi::Record)]
pub struct FfiAccessRequest {
    pub ingress_to: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    pub secure_access: Option<String>,
}

/// The full access decision of SPEC §1.5.
#[derive(uniffi::Record)]
pub struct FfiAccessDecision {
    pub allowed: bool,
    pub reason: Option<String>,
    pub status: u16,
    pub detail: Option<String>,
    pub grant: Option<String>,
    pub route: Option<FfiRouteInfo>,
    pub path: Option<String>,
    pub query: Option<String>,
}

/// Verifies routes and takes access decisions.
#[derive(uniffi::Object)]
pub struct FfiRouteVerifier {
    verifier: RouteVerifier,
}

#[uniffi::export]
impl FfiRouteVerifier {
    #[uniffi::constructor]
    pub fn new(keys: &FfiSigningKeys) -> Arc<Self> {
        Arc::new(FfiRouteVerifier {
            verifier: RouteVerifier::new(keys.keys.clone()),
        })
    }

    /// A handle for the direct-mapped hot path ([`hot`]); free it with
    /// `sandgate_kt_verifier_release`.
    pub fn hot_handle(&self) -> u64 {
        hot::verifier_handle(&self.verifier)
    }

    /// Verifies a route token at `now` (default: the system clock).
    pub fn verify(&self, token: String, now: Option<u64>) -> Result<FfiRouteInfo> {
        let now = now.unwrap_or_else(sandgate::now_unix);
        Ok(self.verifier.verify_at(&token, now)?.to_info().into())
    }

    /// The access decision for `request` to a sandbox whose access token is `access_token`
    /// (`None`: the sandbox does not require secure access).
    pub fn decide(
        &self,
        request: FfiAccessRequest,
        access_token: Option<String>,
        now: Option<u64>,
    ) -> FfiAccessDecision {
        let req = AccessRequest {
            ingress_to: request.ingress_to.as_deref(),
            host: request.host.as_deref(),
            path: request.path.as_deref(),
            secure_access: request.secure_access.as_deref(),
            ..Default::default()
        };
        let d = self.verifier.decision(&req, access_token.as_deref(), now);
        FfiAccessDecision {
            allowed: d.allowed,
            reason: d.reason.map(|r| r.code().to_owned()),
            status: d.status,
            detail: d.detail.map(str::to_owned),
            grant: d.grant.map(|g| g.code().to_owned()),
            route: d.route.map(Into::into),
            path: d.path,
            query: d.query,
        }
    }
}

/// `expires` in base 36 (SPEC §1.1).
#[uniffi::export]
pub fn encode_expires_b36(expires: u64) -> String {
    sandgate::route::encode_expires_b36(expires)
        .as_str()
        .to_owned()
}

/// Decodes a base-36 expiry, rejecting every non-canonical form.
#[uniffi::export]
pub fn decode_expires_b36(text: String) -> Result<u64> {
    Ok(sandgate::route::decode_expires_b36(&text)?)
}

// ---------------------------------------------------------------- API keys

/// A generated API key; `key` is the raw secret.
#[derive(uniffi::Record)]
pub struct FfiGeneratedApiKey {
    pub key: String,
    pub prefix: String,
    pub hash: String,
}

/// Generates a key with `prefix` (default `osk_`).
#[uniffi::export]
pub fn generate_api_key(prefix: Option<String>) -> Result<FfiGeneratedApiKey> {
    let k = sandgate::generate_api_key(prefix.as_deref().unwrap_or(DEFAULT_API_KEY_PREFIX))?;
    Ok(FfiGeneratedApiKey {
        key: k.key.expose().to_owned(),
        prefix: k.prefix,
        hash: k.hash,
    })
}

#[uniffi::export]
pub fn hash_api_key(raw: String) -> String {
    sandgate::hash_api_key(&raw)
}

/// Whether `key` is valid for the stored record at `now` (default: the system clock).
#[uniffi::export]
pub fn verify_api_key(
    key: String,
    hash: String,
    expires_at: Option<String>,
    revoked: bool,
    now: Option<u64>,
) -> Result<bool> {
    let stored = StoredKeyView {
        hash: &hash,
        revoked,
        expires_at: expires_at.as_deref(),
    };
    Ok(sandgate::keys::verify_stored_api_key(&key, &stored, now)?)
}

// ---------------------------------------------------------------- client

/// Client options; `None` falls back to `OPEN_SANDBOX_*` env (unless `use_env` is false) and
/// then to core's defaults.
#[derive(uniffi::Record)]
pub struct FfiClientOptions {
    pub domain: Option<String>,
    pub protocol: Option<String>,
    pub api_key: Option<String>,
    /// Request timeout in nanoseconds.
    pub timeout_nanos: Option<i64>,
    pub headers: Vec<FfiHeader>,
    pub retries: bool,
    pub use_env: bool,
}

#[derive(uniffi::Record)]
pub struct FfiHeader {
    pub name: String,
    pub value: String,
}

#[derive(uniffi::Record)]
pub struct FfiEndpoint {
    pub endpoint: String,
    pub url: String,
    pub headers: HashMap<String, String>,
    pub route: Option<FfiRouteInfo>,
}

impl From<sandgate::Endpoint> for FfiEndpoint {
    fn from(e: sandgate::Endpoint) -> Self {
        FfiEndpoint {
            endpoint: e.endpoint,
            url: e.url,
            headers: e.headers.into_iter().collect(),
            route: e.route.map(Into::into),
        }
    }
}

/// `headers` with every secret value replaced by `***` (core decides which).
#[uniffi::export]
pub fn redacted_headers(headers: HashMap<String, String>) -> HashMap<String, String> {
    sandgate::Endpoint {
        endpoint: String::new(),
        url: String::new(),
        headers: headers.into_iter().collect(),
        route: None,
    }
    .redacted_headers()
    .into_iter()
    .collect()
}

#[derive(uniffi::Record)]
pub struct FfiCreatedApiKey {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub key: String,
    pub expires_at: Option<String>,
}

#[derive(uniffi::Record)]
pub struct FfiApiKeyInfo {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

#[derive(uniffi::Record)]
pub struct FfiSandbox {
    pub id: String,
    pub image: Option<String>,
    pub state: String,
    pub metadata: HashMap<String, String>,
    pub secure_access: bool,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
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

/// The lifecycle and keys API client. Every operation runs on the shared runtime and is
/// aborted when the caller stops waiting for it.
#[derive(uniffi::Object)]
pub struct FfiClient {
    client: Client,
}

#[uniffi::export]
impl FfiClient {
    #[uniffi::constructor]
    pub fn new(options: FfiClientOptions) -> Result<Arc<Self>> {
        let mut b = Client::builder().language("kotlin");
        if let Some(d) = options.domain {
            b = b.domain(d);
        }
        if let Some(p) = options.protocol {
            b = b.protocol(p);
        }
        if let Some(k) = options.api_key {
            b = b.api_key(k);
        }
        if let Some(n) = options.timeout_nanos {
            // A negative timeout becomes zero, which core rejects with its own message.
            b = b.timeout(Duration::from_nanos(u64::try_from(n).unwrap_or(0)));
        }
        for h in options.headers {
            b = b.header(h.name, h.value);
        }
        if !options.retries {
            b = b.retry(RetryPolicy::none());
        }
        if !options.use_env {
            b = b.ignore_env();
        }
        Ok(Arc::new(FfiClient { client: b.build()? }))
    }

    /// Core's description (the API key prints `***`).
    pub fn describe(&self) -> String {
        format!("{:?}", self.client)
    }

    pub fn base_url(&self) -> String {
        self.client.base_url().to_owned()
    }

    pub async fn get_endpoint(&self, sandbox_id: String, port: i64) -> Result<FfiEndpoint> {
        let c = self.client.clone();
        run_on_runtime(async move {
            let port = check_port(port)?;
            Ok(c.get_endpoint(&sandbox_id, port).await?.into())
        })
        .await
    }

    pub async fn get_signed_endpoint(
        &self,
        sandbox_id: String,
        port: i64,
        expires: u64,
    ) -> Result<FfiEndpoint> {
        let c = self.client.clone();
        run_on_runtime(async move {
            let port = check_port(port)?;
            Ok(c.get_signed_endpoint(&sandbox_id, port, expires)
                .await?
                .into())
        })
        .await
    }

    /// A signed endpoint expiring `ttl_seconds` from now (a negative ttl counts as zero,
    /// which core rejects).
    pub async fn get_signed_endpoint_for(
        &self,
        sandbox_id: String,
        port: i64,
        ttl_seconds: i64,
    ) -> Result<FfiEndpoint> {
        let c = self.client.clone();
        run_on_runtime(async move {
            let port = check_port(port)?;
            let ttl = Duration::from_secs(u64::try_from(ttl_seconds).unwrap_or(0));
            Ok(c.get_signed_endpoint_for(&sandbox_id, port, ttl)
                .await?
                .into())
        })
        .await
    }

    pub async fn create_api_key(
        &self,
        name: Option<String>,
        expires_at: Option<u64>,
    ) -> Result<FfiCreatedApiKey> {
        let c = self.client.clone();
        run_on_runtime(async move {
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

    pub async fn list_api_keys(&self) -> Result<Vec<FfiApiKeyInfo>> {
        let c = self.client.clone();
        run_on_runtime(async move {
            Ok(c.list_api_keys()
                .await?
                .into_iter()
                .map(|k| FfiApiKeyInfo {
                    id: k.id,
                    name: k.name,
                    prefix: k.prefix,
                    created_at: k.created_at,
                    expires_at: k.expires_at,
                    revoked: k.revoked,
                })
                .collect())
        })
        .await
    }

    pub async fn revoke_api_key(&self, key_id: String) -> Result<()> {
        let c = self.client.clone();
        run_on_runtime(async move { Ok(c.revoke_api_key(&key_id).await?) }).await
    }

    /// Creates a sandbox; `timeout_seconds` is its lifetime (a negative value counts as
    /// zero, which core rejects).
    pub async fn create_sandbox(
        &self,
        image: String,
        secure_access: bool,
        metadata: HashMap<String, String>,
        timeout_seconds: Option<i64>,
    ) -> Result<FfiSandbox> {
        let c = self.client.clone();
        run_on_runtime(async move {
            let req = CreateSandbox {
                image,
                secure_access,
                metadata: metadata.into_iter().collect(),
                timeout: timeout_seconds.map(|t| u64::try_from(t).unwrap_or(0)),
            };
            Ok(c.create_sandbox(&req).await?.into())
        })
        .await
    }

    pub async fn get_sandbox(&self, sandbox_id: String) -> Result<FfiSandbox> {
        let c = self.client.clone();
        run_on_runtime(async move { Ok(c.get_sandbox(&sandbox_id).await?.into()) }).await
    }

    pub async fn list_sandboxes(&self) -> Result<Vec<FfiSandbox>> {
        let c = self.client.clone();
        run_on_runtime(async move {
            Ok(c.list_sandboxes()
                .await?
                .into_iter()
                .map(Into::into)
                .collect())
        })
        .await
    }

    pub async fn delete_sandbox(&self, sandbox_id: String) -> Result<()> {
        let c = self.client.clone();
        run_on_runtime(async move { Ok(c.delete_sandbox(&sandbox_id).await?) }).await
    }
}

// ---------------------------------------------------------------- mock server

/// One API request the mock received.
#[derive(uniffi::Record)]
pub struct FfiRequestRecord {
    pub method: String,
    pub path: String,
    pub status: u16,
    pub user_agent: Option<String>,
}

/// Faults to inject; counts are checked to fit their fields.
#[derive(uniffi::Record)]
pub struct FfiFaults {
    pub fail_next: i64,
    pub status: Option<i64>,
    pub retry_after: Option<i64>,
    pub latency_ms: i64,
    pub drop_next: i64,
    pub corrupt_next: i64,
}

/// The embedded mock server.
#[derive(uniffi::Object)]
pub struct FfiMockServer {
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
    /// Starts a mock on free loopback ports; `route_mode` is `header`, `wildcard` or `uri`.
    #[uniffi::constructor]
    pub fn start(route_mode: String, trusted_headers: bool) -> Result<Arc<Self>> {
        let mock = sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
            route_mode: route_mode.parse()?,
            trusted_headers,
            ..Default::default()
        })?;
        Ok(Arc::new(FfiMockServer {
            mock: Mutex::new(mock),
        }))
    }

    pub fn api_url(&self) -> String {
        self.with(|m| m.api_url())
    }
    pub fn gateway_url(&self) -> String {
        self.with(|m| m.gateway_url())
    }
    pub fn domain(&self) -> String {
        self.with(|m| m.domain())
    }
    pub fn route_mode(&self) -> String {
        self.with(|m| m.route_mode().as_str().to_owned())
    }
    /// The static admin key (a secret: the Kotlin layer wraps it).
    pub fn admin_key(&self) -> String {
        self.with(|m| m.admin_key().expose().to_owned())
    }
    /// The signing keys as a flag string (secrets included, on purpose).
    pub fn signing_keys(&self) -> String {
        self.with(|m| m.signing_keys().expose_flag_string())
    }
    /// Core's description (no secrets).
    pub fn describe(&self) -> String {
        self.with(|m| format!("{m:?}"))
    }
    pub fn now(&self) -> u64 {
        self.with(|m| m.now())
    }
    pub fn set_now(&self, now: u64) {
        self.with(|m| m.set_now(now))
    }
    pub fn advance(&self, seconds: i64) {
        self.with(|m| m.advance(seconds))
    }
    pub fn set_faults(&self, faults: FfiFaults) -> Result<()> {
        let f = sandgate_mock::Faults {
            fail_next: unsigned("fail_next", faults.fail_next)?,
            status: match faults.status {
                Some(s) => unsigned("status", s)?,
                None => sandgate_mock::Faults::default().status,
            },
            retry_after: match faults.retry_after {
                Some(s) => Some(unsigned("retry_after", s)?),
                None => None,
            },
            latency_ms: unsigned("latency_ms", faults.latency_ms)?,
            drop_next: unsigned("drop_next", faults.drop_next)?,
            corrupt_next: unsigned("corrupt_next", faults.corrupt_next)?,
        };
        self.with(|m| m.set_faults(f)).map_err(Into::into)
    }
    pub fn clear_faults(&self) {
        self.with(|m| m.clear_faults())
    }
    pub fn reset(&self) {
        self.with(|m| m.reset())
    }
    pub fn requests(&self) -> Vec<FfiRequestRecord> {
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
    pub fn stop(&self) {
        self.with(|m| m.stop())
    }
}

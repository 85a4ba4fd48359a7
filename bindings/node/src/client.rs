//! The Promise-based client over `sandgate::client::Client`, with its options and results
//! shaped by `sandgate::surface`.

use crate::routes::{with_text, RouteInfoData, TextOrSecret};
use crate::{
    opt_count, opt_seconds, port_arg, promise, seconds_js, CancelToken, IntoJs, Secret, ToData,
};
use napi::bindgen_prelude::{BigInt, Either, Env, PromiseRaw};
use napi_derive::napi;
use sandgate::client::{ApiKeyInfo, CreateSandbox, CreatedApiKey, Sandbox, SandboxRenewal};
use sandgate::route::check_port;
use sandgate::surface::{self, EndpointView, Expiry};
use sandgate::Error;
use std::collections::{BTreeMap, HashMap};
use std::future::Future;

/// Retry options (core's `RetryOptions`); unset fields keep the defaults (2 retries, 500 ms
/// doubling to 8 s).
#[napi(object, object_to_js = false)]
pub struct RetryOptions {
    /// Retries after the first attempt; 0 turns retrying off.
    pub max_retries: Option<f64>,
    /// Delay before the first retry, in milliseconds.
    pub initial_backoff_ms: Option<f64>,
    /// Longest delay between attempts, in milliseconds.
    pub max_backoff_ms: Option<f64>,
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
}

/// An optional whole number for an option: an `invalid_config` error otherwise.
fn option_count(what: &str, n: Option<f64>) -> sandgate::Result<Option<u64>> {
    opt_count(what, n, u32::MAX).map_err(|e| Error::invalid_config(e.message()))
}

fn client_options(
    o: ClientOptions,
    api_key: Option<&TextOrSecret>,
) -> sandgate::Result<surface::ClientOptions> {
    let retry = match o.retries {
        None | Some(Either::A(true)) => surface::RetryOptions::default(),
        Some(Either::A(false)) => surface::RetryOptions::off(),
        Some(Either::B(r)) => surface::RetryOptions {
            max_retries: option_count("retries.maxRetries", r.max_retries)?.map(|n| n as u32),
            initial_backoff_ms: option_count("retries.initialBackoffMs", r.initial_backoff_ms)?,
            max_backoff_ms: option_count("retries.maxBackoffMs", r.max_backoff_ms)?,
            ..Default::default()
        },
    };
    Ok(surface::ClientOptions {
        domain: o.domain,
        protocol: o.protocol,
        api_key: api_key.map(|k| with_text(k, |k| k.into())),
        timeout_ms: option_count("timeoutMs", o.timeout_ms)?,
        headers: o.headers.unwrap_or_default().into_iter().collect(),
        language: Some("node".to_owned()),
        retry,
        ignore_env: false,
        ..Default::default()
    })
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
}

impl ToData for EndpointView {
    type Data = EndpointData;
    fn data(self) -> EndpointData {
        EndpointData {
            endpoint: self.endpoint,
            url: self.url,
            headers: self.headers,
            redacted_headers: self.redacted_headers,
            route: self.route.map(RouteInfoData::from),
        }
    }
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
    /// A client from `options` and `apiKey`, each falling back to the env, then the defaults.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: Option<ClientOptions>,
        #[napi(ts_arg_type = "string | Secret")] api_key: Option<TextOrSecret>,
    ) -> napi::Result<Self> {
        let inner = client_options(options.unwrap_or_default(), api_key.as_ref())
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

    /// Deletes a sandbox.
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

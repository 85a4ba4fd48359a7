//! The Promise-based client over `sandgate::client::Client`, with its options and results
//! shaped by `sandgate::surface`.

use crate::routes::{with_text, RouteInfoData, TextOrSecret};
use crate::{count_arg, opt_seconds, port_arg, promise, CancelToken, IntoJs, Secret};
use napi::bindgen_prelude::{BigInt, Either, Env, PromiseRaw};
use napi_derive::napi;
use sandgate::client::{ApiKeyInfo, CreateSandbox, Sandbox};
use sandgate::route::check_port;
use sandgate::surface::{self, EndpointView, Expiry};
use sandgate::Error;
use std::collections::{BTreeMap, HashMap};

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

/// A whole number of `what` for an option: an `invalid_config` error otherwise.
fn option_count(what: &str, n: Option<f64>, max: u64) -> sandgate::Result<Option<u64>> {
    n.map(|n| count_arg(what, n, max))
        .transpose()
        .map_err(|e| Error::invalid_config(e.message()))
}

fn client_options(
    o: ClientOptions,
    api_key: Option<&TextOrSecret>,
) -> sandgate::Result<surface::ClientOptions> {
    let ms = u64::from(u32::MAX);
    let retry = match o.retries {
        None | Some(Either::A(true)) => surface::RetryOptions::default(),
        Some(Either::A(false)) => surface::RetryOptions::off(),
        Some(Either::B(r)) => surface::RetryOptions {
            max_retries: option_count("retries.maxRetries", r.max_retries, ms)?.map(|n| n as u32),
            initial_backoff_ms: option_count("retries.initialBackoffMs", r.initial_backoff_ms, ms)?,
            max_backoff_ms: option_count("retries.maxBackoffMs", r.max_backoff_ms, ms)?,
        },
    };
    Ok(surface::ClientOptions {
        domain: o.domain,
        protocol: o.protocol,
        api_key: api_key.map(|k| with_text(k, |k| k.into())),
        timeout_ms: option_count("timeoutMs", o.timeout_ms, ms)?,
        headers: o.headers.unwrap_or_default().into_iter().collect(),
        language: Some("node".to_owned()),
        retry,
        ignore_env: false,
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

impl From<EndpointView> for EndpointData {
    fn from(e: EndpointView) -> Self {
        EndpointData {
            endpoint: e.endpoint,
            url: e.url,
            headers: e.headers,
            redacted_headers: e.redacted_headers,
            route: e.route.map(RouteInfoData::from),
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

fn key_info(k: ApiKeyInfo) -> ApiKeyInfoData {
    ApiKeyInfoData {
        id: k.id,
        name: k.name,
        prefix: k.prefix,
        created_at: k.created_at,
        expires_at: k.expires_at,
        revoked: k.revoked,
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

fn sandbox_data(s: Sandbox) -> SandboxData {
    SandboxData {
        id: s.id,
        image: s.image,
        state: s.state,
        metadata: s.metadata,
        secure_access: s.secure_access,
        created_at: s.created_at,
        expires_at: s.expires_at,
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

#[napi]
impl Client {
    /// A client from `options` and `apiKey`, each falling back to the env, then the defaults.
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: Option<ClientOptions>,
        #[napi(ts_arg_type = "string | Secret")] api_key: Option<TextOrSecret>,
    ) -> napi::Result<Self> {
        let options = options.unwrap_or(ClientOptions {
            domain: None,
            protocol: None,
            timeout_ms: None,
            headers: None,
            retries: None,
        });
        let inner = client_options(options, api_key.as_ref())
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
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.get_endpoint(&sandbox_id, port).await },
            |_, e| Ok(EndpointView::from(e).into()),
        )
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
        let ttl = ttl_seconds
            .map(|t| count_arg("ttlSeconds", t, u64::from(u32::MAX)))
            .transpose()
            .js()?;
        let expiry = Expiry::from_options(expires, ttl).js()?;
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { surface::get_signed_endpoint(&c, &sandbox_id, port, expiry).await },
            |_, e| Ok(e.into()),
        )
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
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.create_api_key(name.as_deref(), expires_at).await },
            |_, k| {
                Ok(CreatedApiKeyData {
                    id: k.id,
                    name: k.name,
                    prefix: k.prefix,
                    key: Secret::new(k.key),
                    expires_at: k.expires_at,
                })
            },
        )
    }

    /// The calling user's keys.
    #[napi(catch_unwind)]
    pub fn list_api_keys<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Vec<ApiKeyInfoData>>> {
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.list_api_keys().await },
            |_, keys| Ok(keys.into_iter().map(key_info).collect()),
        )
    }

    /// Revokes a key by its id.
    #[napi(catch_unwind)]
    pub fn revoke_api_key<'env>(
        &self,
        env: &'env Env,
        key_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.revoke_api_key(&key_id).await },
            |_, ()| Ok(()),
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
        let timeout = options
            .timeout_seconds
            .map(|t| count_arg("timeoutSeconds", t, u64::from(u32::MAX)))
            .transpose()
            .js()?;
        let req = CreateSandbox {
            image: options.image,
            secure_access: options.secure_access.unwrap_or(false),
            metadata: options.metadata.unwrap_or_default().into_iter().collect(),
            timeout,
        };
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.create_sandbox(&req).await },
            |_, s| Ok(sandbox_data(s)),
        )
    }

    /// One sandbox by id.
    #[napi(catch_unwind)]
    pub fn get_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, SandboxData>> {
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.get_sandbox(&sandbox_id).await },
            |_, s| Ok(sandbox_data(s)),
        )
    }

    /// Every sandbox the caller may see.
    #[napi(catch_unwind)]
    pub fn list_sandboxes<'env>(
        &self,
        env: &'env Env,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, Vec<SandboxData>>> {
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.list_sandboxes().await },
            |_, list| Ok(list.into_iter().map(sandbox_data).collect()),
        )
    }

    /// Deletes a sandbox.
    #[napi(catch_unwind)]
    pub fn delete_sandbox<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, ()>> {
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.delete_sandbox(&sandbox_id).await },
            |_, ()| Ok(()),
        )
    }
}

//! The Promise-based client over `sandgate::client::Client`.

use crate::routes::{route_info, with_text, RouteInfoData, TextOrSecret};
use crate::{count_arg, port_arg, promise, seconds_arg, CancelToken, IntoJs, Secret};
use napi::bindgen_prelude::{BigInt, Either, Env, PromiseRaw};
use napi_derive::napi;
use sandgate::client::{ApiKeyInfo, CreateSandbox, RetryPolicy, Sandbox};
use sandgate::Error;
use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

/// Retry settings; unset fields keep the defaults (3 attempts, 500 ms doubling to 8 s).
#[napi(object, object_to_js = false)]
pub struct RetryOptions {
    pub max_attempts: Option<f64>,
    pub initial_backoff_ms: Option<f64>,
    pub max_backoff_ms: Option<f64>,
}

/// Client options; unset ones come from `OPEN_SANDBOX_*` env and then the defaults.
#[napi(object, object_to_js = false)]
pub struct ClientOptions {
    pub domain: Option<String>,
    pub protocol: Option<String>,
    pub timeout_ms: Option<f64>,
    pub headers: Option<HashMap<String, String>>,
    /// `false` turns retries off; an object tunes them.
    pub retries: Option<Either<bool, RetryOptions>>,
}

fn config_error(e: Error) -> Error {
    Error::invalid_config(e.message())
}

fn millis(what: &str, ms: f64) -> sandgate::Result<Duration> {
    Duration::try_from_secs_f64(ms / 1000.0).map_err(|_| {
        Error::invalid_config(format!(
            "{what} must be a non-negative number of milliseconds, got {ms}"
        ))
    })
}

fn retry_policy(r: &Either<bool, RetryOptions>) -> sandgate::Result<RetryPolicy> {
    match r {
        Either::A(true) => Ok(RetryPolicy::default()),
        Either::A(false) => Ok(RetryPolicy::none()),
        Either::B(o) => {
            let mut p = RetryPolicy::default();
            if let Some(n) = o.max_attempts {
                p.max_attempts = count_arg("retries.maxAttempts", n, u64::from(u32::MAX))
                    .map_err(config_error)? as u32;
            }
            if let Some(ms) = o.initial_backoff_ms {
                p.initial_backoff = millis("retries.initialBackoffMs", ms)?;
            }
            if let Some(ms) = o.max_backoff_ms {
                p.max_backoff = millis("retries.maxBackoffMs", ms)?;
            }
            Ok(p)
        }
    }
}

/// An endpoint: where to send requests and the headers to send with them.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct EndpointData {
    pub endpoint: String,
    pub url: String,
    pub headers: BTreeMap<String, String>,
    /// `headers` with the access token replaced by `***`.
    pub redacted_headers: BTreeMap<String, String>,
    pub route: Option<RouteInfoData>,
}

fn endpoint_data(e: sandgate::Endpoint) -> EndpointData {
    EndpointData {
        redacted_headers: e.redacted_headers(),
        route: e.route.as_ref().map(route_info),
        endpoint: e.endpoint,
        url: e.url,
        headers: e.headers,
    }
}

/// A key just minted; `key` is the raw key, shown this one time.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct CreatedApiKeyData {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub key: Secret,
    pub expires_at: Option<String>,
}

/// A key as listed: never its secret or hash.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct ApiKeyInfoData {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub created_at: Option<String>,
    pub expires_at: Option<String>,
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
    pub id: String,
    pub image: Option<String>,
    pub state: String,
    pub metadata: BTreeMap<String, String>,
    pub secure_access: bool,
    pub created_at: Option<String>,
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
    pub image: String,
    pub secure_access: Option<bool>,
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
    #[napi(constructor, catch_unwind)]
    pub fn new(
        options: Option<ClientOptions>,
        #[napi(ts_arg_type = "string | Secret")] api_key: Option<TextOrSecret>,
    ) -> napi::Result<Self> {
        let mut b = sandgate::Client::builder().language("node");
        if let Some(o) = options {
            if let Some(d) = o.domain {
                b = b.domain(d);
            }
            if let Some(p) = o.protocol {
                b = b.protocol(p);
            }
            if let Some(ms) = o.timeout_ms {
                b = b.timeout(millis("timeoutMs", ms).js()?);
            }
            for (k, v) in o.headers.unwrap_or_default() {
                b = b.header(k, v);
            }
            if let Some(r) = &o.retries {
                b = b.retry(retry_policy(r).js()?);
            }
        }
        if let Some(k) = &api_key {
            b = with_text(k, |k| b.api_key(k));
        }
        Ok(Client {
            inner: b.build().js()?,
        })
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

    #[napi(catch_unwind)]
    pub fn get_endpoint<'env>(
        &self,
        env: &'env Env,
        sandbox_id: String,
        port: f64,
        cancel: Option<&CancelToken>,
    ) -> napi::Result<PromiseRaw<'env, EndpointData>> {
        let port = port_arg(port).js()?;
        let c = self.inner.clone();
        promise(
            env,
            cancel,
            async move { c.get_endpoint(&sandbox_id, port).await },
            |_, e| Ok(endpoint_data(e)),
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
        let port = port_arg(port).js()?;
        let c = self.inner.clone();
        match (expires, ttl_seconds) {
            (Some(e), None) => {
                let expires = seconds_arg("expires", &e).js()?;
                promise(
                    env,
                    cancel,
                    async move { c.get_signed_endpoint(&sandbox_id, port, expires).await },
                    |_, e| Ok(endpoint_data(e)),
                )
            }
            (None, Some(t)) => {
                let ttl =
                    Duration::from_secs(count_arg("ttlSeconds", t, u64::from(u32::MAX)).js()?);
                promise(
                    env,
                    cancel,
                    async move { c.get_signed_endpoint_for(&sandbox_id, port, ttl).await },
                    |_, e| Ok(endpoint_data(e)),
                )
            }
            _ => Err(Error::invalid_argument(
                "a signed endpoint needs exactly one of expires or ttlSeconds",
            ))
            .js(),
        }
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
        let expires_at = expires_at
            .as_ref()
            .map(|e| seconds_arg("expiresAt", e))
            .transpose()
            .js()?;
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

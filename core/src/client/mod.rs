//! The HTTP client for the OpenSandbox lifecycle API and the show-once keys API (SPEC §2, §3).

pub mod cache;
mod config;
mod model;
pub mod retry;
mod transport;

pub use config::{
    redact_userinfo, ClientBuilder, EndpointCacheConfig, OnRetry, RetryEvent, RetryPolicy,
    StatusSet, DEFAULT_DOMAIN, DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_TIMEOUT,
};
pub use model::{
    redact_headers, shareable_url, ApiKeyInfo, CreateSandbox, CreatedApiKey, Endpoint,
    EndpointKind, EndpointMode, Sandbox, SandboxRenewal, API_KEY_HEADER, ORIGIN_HEADER,
};

use crate::error::{Error, ErrorKind, Result};
use crate::keys::format_expires_at;
use crate::route::{
    check_port, parse_header, parse_host, parse_path, RouteInfo, INGRESS_TO_HEADER,
};
use crate::secret::SecretString;
use crate::surface::Expiry;
use cache::{EndpointCache, Lookup};
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;
use time::format_description::well_known::Rfc3339;
use transport::{Api, Call};

fn check_id(what: &str, id: &str) -> Result<()> {
    if id.trim().is_empty() {
        return Err(Error::invalid_argument(format!("{what} must not be empty")));
    }
    Ok(())
}

/// A client for one OpenSandbox server. Cheap to clone: clones share one connection pool,
/// one endpoint cache and one view of the server's clock.
#[derive(Clone)]
pub struct Client {
    inner: Arc<transport::Transport>,
    endpoints: Arc<EndpointCache>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.base_url())
            .field(
                "api_key",
                &self.inner.settings.api_key.as_ref().map(|_| "***"),
            )
            .field("timeout", &self.inner.settings.timeout)
            .finish()
    }
}

impl Client {
    /// A builder; unset options come from `OPEN_SANDBOX_*` env and then defaults.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// A client configured from the environment and defaults only.
    pub fn from_env() -> Result<Self> {
        Self::builder().build()
    }

    /// `protocol://domain`, the server root, with any userinfo written in the domain shown as
    /// `***` (safe to print; every language's `repr`/`toString` uses it).
    pub fn base_url(&self) -> &str {
        self.inner.base_url()
    }

    /// The protocol (`http` or `https`).
    pub fn protocol(&self) -> &str {
        &self.inner.settings.protocol
    }

    /// The user agent sent with every request.
    pub fn user_agent(&self) -> &str {
        &self.inner.settings.user_agent
    }

    /// The endpoint of `port` of a sandbox in one explicit [`EndpointMode`] (SPEC §2.1):
    /// direct, server-proxy (its headers carry this client's API key), or signed at an
    /// instant or for a TTL counted on the server's clock. Served from the endpoint cache
    /// while fresh; concurrent misses for the same (sandbox, port, mode) share one request.
    pub async fn endpoint(
        &self,
        sandbox_id: &str,
        port: u16,
        mode: EndpointMode,
    ) -> Result<Endpoint> {
        check_id("sandbox id", sandbox_id)?;
        check_port(i64::from(port))?;
        match mode {
            EndpointMode::Signed(Expiry::At(expires)) => {
                let now = self.inner.clock.now();
                if expires <= now {
                    return Err(Error::invalid_argument(format!(
                        "expires must be in the future (got {expires}, now is {now} on the server's clock)"
                    )));
                }
            }
            EndpointMode::Signed(Expiry::Ttl(0)) => {
                return Err(Error::invalid_argument("ttl must be at least one second"))
            }
            _ => {}
        }
        if !self.endpoints.enabled() {
            return self.fetch_endpoint(sandbox_id, port, mode).await;
        }
        let clock = &self.inner.clock;
        match self
            .endpoints
            .lookup(sandbox_id, port, mode, || clock.now_ms())
        {
            Lookup::Hit(e) => Ok(e),
            Lookup::Miss(flight) => {
                let r = flight
                    .run(|| self.fetch_endpoint(sandbox_id, port, mode))
                    .await;
                self.endpoints.finish(sandbox_id, port, mode, &flight, &r);
                r
            }
        }
    }

    /// The endpoint [`endpoint`](Self::endpoint) would serve from the cache right now, without
    /// any request (`None` on a miss, when the cache is off, or for invalid arguments).
    pub fn cached_endpoint(
        &self,
        sandbox_id: &str,
        port: u16,
        mode: EndpointMode,
    ) -> Option<Endpoint> {
        if !self.endpoints.enabled() {
            return None;
        }
        let clock = &self.inner.clock;
        self.endpoints
            .get(sandbox_id, port, mode, || clock.now_ms())
    }

    /// Forgets every cached endpoint of a sandbox; fetches for it already in flight will not
    /// store theirs. [`delete_sandbox`](Self::delete_sandbox) and
    /// [`pause_sandbox`](Self::pause_sandbox) do this themselves.
    pub fn invalidate_endpoints(&self, sandbox_id: &str) {
        self.endpoints.invalidate(sandbox_id);
    }

    /// The server's clock minus ours, in milliseconds, as learnt from the `Date` header of its
    /// last response; `None` before the first response.
    pub fn server_clock_offset_ms(&self) -> Option<i64> {
        self.inner.clock.offset_ms()
    }

    /// "Now" on the server's clock (Unix seconds): ours until a `Date` header was seen.
    pub fn server_now(&self) -> u64 {
        self.inner.clock.now()
    }

    /// GetEndpoint: the direct, unsigned endpoint of `port` of a sandbox.
    pub async fn get_endpoint(&self, sandbox_id: &str, port: u16) -> Result<Endpoint> {
        self.endpoint(sandbox_id, port, EndpointMode::Direct).await
    }

    /// GetSignedEndpoint: an endpoint carrying a signed route that expires at `expires`
    /// (Unix seconds, in the future on the server's clock).
    pub async fn get_signed_endpoint(
        &self,
        sandbox_id: &str,
        port: u16,
        expires: u64,
    ) -> Result<Endpoint> {
        self.endpoint(sandbox_id, port, EndpointMode::Signed(Expiry::At(expires)))
            .await
    }

    /// GetSignedEndpoint with an expiry `ttl` (whole seconds, at least one) after the
    /// server's "now".
    pub async fn get_signed_endpoint_for(
        &self,
        sandbox_id: &str,
        port: u16,
        ttl: Duration,
    ) -> Result<Endpoint> {
        if ttl.as_secs() == 0 {
            return Err(Error::invalid_argument("ttl must be at least one second"));
        }
        self.endpoint(
            sandbox_id,
            port,
            EndpointMode::Signed(Expiry::Ttl(ttl.as_secs())),
        )
        .await
    }

    /// One endpoint request for `mode` (no cache).
    pub(crate) async fn fetch_endpoint(
        &self,
        sandbox_id: &str,
        port: u16,
        mode: EndpointMode,
    ) -> Result<Endpoint> {
        let ttl = match mode {
            EndpointMode::Direct | EndpointMode::ServerProxy => {
                return self.request_endpoint(sandbox_id, port, mode, None).await
            }
            EndpointMode::Signed(Expiry::At(e)) => {
                return self.request_endpoint(sandbox_id, port, mode, Some(e)).await
            }
            EndpointMode::Signed(Expiry::Ttl(t)) => t,
        };
        let clock = &self.inner.clock;
        let before = clock.offset_ms();
        let expires = ttl_expiry(clock.now(), ttl)?;
        let first = self
            .request_endpoint(sandbox_id, port, mode, Some(expires))
            .await;
        // `Date` is whole seconds, so two answers of a steady server can differ by about a
        // second; more than that means the server's clock moved (or was first seen).
        let moved = match (before, clock.offset_ms()) {
            (_, None) => false,
            (None, Some(_)) => true,
            (Some(b), Some(a)) => a.abs_diff(b) > 1500,
        };
        if !moved {
            return first;
        }
        // This answer showed the server's clock for the first time, or showed that it moved
        // since: when the expiry is off by more than a second on it, it is asked again on the
        // server's clock (a skewed or jumping clock neither gets a 400 nor a shorter or longer
        // link than asked). A GET, so asking again is safe.
        let want = ttl_expiry(clock.now(), ttl)?;
        let off = expires.abs_diff(want) > 1;
        match &first {
            Ok(_) if off => {}
            Err(e) if off && e.status() == Some(400) => {}
            _ => return first,
        }
        self.request_endpoint(sandbox_id, port, mode, Some(want))
            .await
    }

    async fn request_endpoint(
        &self,
        sandbox_id: &str,
        port: u16,
        mode: EndpointMode,
        expires: Option<u64>,
    ) -> Result<Endpoint> {
        let port_s = port.to_string();
        let mut call = Call::get(
            Api::Lifecycle,
            &["sandboxes", sandbox_id, "endpoints", &port_s],
        );
        if let Some(e) = expires {
            call.query.push(("expires", e.to_string()));
        }
        if mode == EndpointMode::ServerProxy {
            call.query.push(("use_server_proxy", "true".to_owned()));
        }
        let reply = self.inner.send(call).await?;
        self.to_endpoint(
            reply.body,
            reply.origin,
            mode.kind(),
            expires.map(|_| (sandbox_id, port)),
        )
    }

    /// `signed` is the sandbox and port a signed endpoint was asked for: its route must name
    /// exactly them (SPEC §2.1).
    fn to_endpoint(
        &self,
        body: Value,
        origin: Option<String>,
        kind: EndpointKind,
        signed: Option<(&str, u16)>,
    ) -> Result<Endpoint> {
        let endpoint = body
            .get("endpoint")
            .and_then(Value::as_str)
            .ok_or_else(|| decode("endpoint response has no string \"endpoint\""))?
            .to_owned();
        let mut headers = BTreeMap::new();
        match body.get("headers") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => {
                for (k, v) in m {
                    let v = v
                        .as_str()
                        .ok_or_else(|| decode("endpoint header values must be strings"))?;
                    headers.insert(k.clone(), v.to_owned());
                }
            }
            Some(_) => return Err(decode("endpoint \"headers\" must be an object")),
        }
        // The lifecycle API key goes to the endpoint only in server-proxy mode, where the
        // lifecycle server itself takes the request (upstream #1687, #1691); never towards a
        // sandbox, whatever the server put in `headers`.
        headers.retain(|k, _| !k.eq_ignore_ascii_case(API_KEY_HEADER));
        if kind == EndpointKind::ServerProxy {
            if let Some(key) = &self.inner.settings.api_key {
                headers.insert(API_KEY_HEADER.to_owned(), key.expose().to_owned());
            }
        }
        let url = if endpoint.contains("://") {
            endpoint.clone()
        } else {
            format!("{}://{endpoint}", self.inner.settings.protocol)
        };
        let route = match signed {
            None => None,
            Some((sandbox_id, port)) => {
                let route = route_of(&endpoint, &headers)
                    .ok_or_else(|| decode("the signed endpoint carries no signed route"))?;
                if route.sandbox_id != sandbox_id || route.port != port {
                    return Err(decode(
                        "the signed endpoint's route names another sandbox or port than the one asked for",
                    ));
                }
                Some(route)
            }
        };
        Ok(Endpoint {
            endpoint,
            url,
            headers,
            route,
            origin,
            kind,
        })
    }

    /// Mints an API key for the calling user (`POST /api/v1/keys`). The raw key is in the
    /// result once. `expires_at` is Unix seconds in the future. Never retried once sent.
    pub async fn create_api_key(
        &self,
        name: Option<&str>,
        expires_at: Option<u64>,
    ) -> Result<CreatedApiKey> {
        let mut body = Map::new();
        if let Some(n) = name {
            body.insert("name".into(), Value::String(n.to_owned()));
        }
        if let Some(e) = expires_at {
            let now = crate::clock::now_unix();
            if e <= now {
                return Err(Error::invalid_argument(format!(
                    "expires_at must be in the future (got {e}, now is {now})"
                )));
            }
            body.insert("expires_at".into(), Value::String(format_expires_at(e)?));
        }
        let call = Call::post(Api::Keys, &[], Value::Object(body));
        let data = keys_data(self.inner.json(call).await?)?;
        Ok(CreatedApiKey {
            id: str_field(&data, "id")?,
            name: str_field(&data, "name")?,
            prefix: str_field(&data, "prefix")?,
            key: SecretString::new(str_field(&data, "key")?),
            expires_at: opt_str_field(&data, "expires_at"),
        })
    }

    /// Lists the calling user's keys (never a secret or hash).
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyInfo>> {
        let data = keys_data(self.inner.json(Call::get(Api::Keys, &[])).await?)?;
        let items = data
            .as_array()
            .ok_or_else(|| decode("key list \"data\" must be an array"))?;
        items
            .iter()
            .map(|k| {
                Ok(ApiKeyInfo {
                    id: str_field(k, "id")?,
                    name: str_field(k, "name")?,
                    prefix: str_field(k, "prefix")?,
                    created_at: opt_str_field(k, "created_at"),
                    expires_at: opt_str_field(k, "expires_at"),
                    revoked: k.get("revoked").and_then(Value::as_bool).unwrap_or(false),
                })
            })
            .collect()
    }

    /// Revokes one of the calling user's keys.
    pub async fn revoke_api_key(&self, key_id: &str) -> Result<()> {
        check_id("key id", key_id)?;
        self.inner.json(Call::delete(Api::Keys, &[key_id])).await?;
        Ok(())
    }

    /// Creates a sandbox. Never retried once sent.
    pub async fn create_sandbox(&self, req: &CreateSandbox) -> Result<Sandbox> {
        check_id("image", &req.image)?;
        if req.timeout == Some(0) {
            return Err(Error::invalid_argument(
                "timeout must be at least one second",
            ));
        }
        // `entrypoint` and `resourceLimits` are required by the lifecycle spec; these are the
        // official SDKs' defaults.
        let mut body = json!({
            "image": { "uri": req.image },
            "entrypoint": ["tail", "-f", "/dev/null"],
            "resourceLimits": { "cpu": "1", "memory": "2Gi" },
            "secureAccess": req.secure_access,
            "metadata": req.metadata,
        });
        if let Some(t) = req.timeout {
            body["timeout"] = json!(t);
        }
        let v = self
            .inner
            .json(Call::post(Api::Lifecycle, &["sandboxes"], body))
            .await?;
        // The platform leaves the startup source out of the create response.
        let mut created = sandbox_of(&v)?;
        created.image.get_or_insert_with(|| req.image.clone());
        Ok(created)
    }

    /// Gets a sandbox.
    pub async fn get_sandbox(&self, sandbox_id: &str) -> Result<Sandbox> {
        check_id("sandbox id", sandbox_id)?;
        let v = self
            .inner
            .json(Call::get(Api::Lifecycle, &["sandboxes", sandbox_id]))
            .await?;
        sandbox_of(&v)
    }

    /// Lists the sandboxes the caller may see, following the list's pages
    /// (`pagination.hasNextPage`) to the end.
    pub async fn list_sandboxes(&self) -> Result<Vec<Sandbox>> {
        const MAX_PAGES: u64 = 10_000;
        let mut out = Vec::new();
        for page in 1..=MAX_PAGES {
            let mut call = Call::get(Api::Lifecycle, &["sandboxes"]);
            call.query.push(("page", page.to_string()));
            call.query.push(("pageSize", "100".to_owned()));
            let v = self.inner.json(call).await?;
            let items = match &v {
                Value::Array(a) => a,
                _ => v
                    .get("items")
                    .and_then(Value::as_array)
                    .ok_or_else(|| decode("sandbox list must be an array or have \"items\""))?,
            };
            for item in items {
                out.push(sandbox_of(item)?);
            }
            let more = v
                .get("pagination")
                .and_then(|p| p.get("hasNextPage"))
                .and_then(Value::as_bool)
                .unwrap_or(false);
            if !more || items.is_empty() {
                return Ok(out);
            }
        }
        Err(decode("sandbox list has more than 10000 pages"))
    }

    /// Deletes a sandbox, and forgets its cached endpoints.
    pub async fn delete_sandbox(&self, sandbox_id: &str) -> Result<()> {
        check_id("sandbox id", sandbox_id)?;
        self.invalidated(
            sandbox_id,
            Call::delete(Api::Lifecycle, &["sandboxes", sandbox_id]),
        )
        .await
    }

    /// Pauses a running sandbox (`POST /sandboxes/{id}/pause`, answered 202 while the
    /// sandbox goes through Pausing to Paused), and forgets its cached endpoints. A POST:
    /// retried only when nothing was sent, or on a status the caller opted in for.
    pub async fn pause_sandbox(&self, sandbox_id: &str) -> Result<()> {
        check_id("sandbox id", sandbox_id)?;
        self.invalidated(
            sandbox_id,
            Call::post_empty(Api::Lifecycle, &["sandboxes", sandbox_id, "pause"]),
        )
        .await
    }

    /// Resumes a paused sandbox (`POST /sandboxes/{id}/resume`, answered 202 while the
    /// sandbox goes through Resuming to Running), and forgets its cached endpoints.
    pub async fn resume_sandbox(&self, sandbox_id: &str) -> Result<()> {
        check_id("sandbox id", sandbox_id)?;
        self.invalidated(
            sandbox_id,
            Call::post_empty(Api::Lifecycle, &["sandboxes", sandbox_id, "resume"]),
        )
        .await
    }

    /// Sends a call that changes what a sandbox's endpoints are, forgetting them before it is
    /// sent (so no fetch that began earlier stores its result) and again once it is answered
    /// (so neither does one that began meanwhile).
    async fn invalidated(&self, sandbox_id: &str, call: Call<'_>) -> Result<()> {
        self.endpoints.invalidate(sandbox_id);
        let r = self.inner.json(call).await;
        self.endpoints.invalidate(sandbox_id);
        r.map(|_| ())
    }

    /// RenewSandboxExpiration: the sandbox now expires at `expires` (Unix seconds, in the
    /// future; RFC 3339 can write it). Never retried once sent.
    pub async fn renew_sandbox(&self, sandbox_id: &str, expires: u64) -> Result<SandboxRenewal> {
        let now = self.server_now();
        if expires <= now {
            return Err(Error::invalid_argument(format!(
                "expires must be in the future (got {expires}, now is {now} on the server's clock)"
            )));
        }
        self.renew(sandbox_id, expires).await
    }

    /// RenewSandboxExpiration with the new expiry `ttl` from now (at least one second).
    pub async fn renew_sandbox_for(
        &self,
        sandbox_id: &str,
        ttl: Duration,
    ) -> Result<SandboxRenewal> {
        if ttl.as_secs() == 0 {
            return Err(Error::invalid_argument("ttl must be at least one second"));
        }
        let expires = ttl_expiry(self.server_now(), ttl.as_secs())?;
        self.renew(sandbox_id, expires).await
    }

    async fn renew(&self, sandbox_id: &str, expires: u64) -> Result<SandboxRenewal> {
        check_id("sandbox id", sandbox_id)?;
        let call = Call::post(
            Api::Lifecycle,
            &["sandboxes", sandbox_id, "renew-expiration"],
            json!({ "expiresAt": format_expires_at(expires)? }),
        );
        let expires_at = str_field(&self.inner.json(call).await?, "expiresAt")?;
        let expires = time::OffsetDateTime::parse(&expires_at, &Rfc3339)
            .ok()
            .and_then(|t| u64::try_from(t.unix_timestamp()).ok())
            .ok_or_else(|| decode("renewal \"expiresAt\" is not an RFC 3339 time after 1970"))?;
        Ok(SandboxRenewal {
            expires_at,
            expires,
        })
    }
}

/// The expiry `ttl` seconds after `now`.
fn ttl_expiry(now: u64, ttl: u64) -> Result<u64> {
    now.checked_add(ttl)
        .ok_or_else(|| Error::invalid_argument("now + ttl overflows u64 seconds"))
}

impl ClientBuilder {
    /// Builds the client, validating every option.
    pub fn build(self) -> Result<Client> {
        let settings = self.settings()?;
        let endpoints = Arc::new(EndpointCache::new(settings.cache));
        Ok(Client {
            inner: Arc::new(transport::Transport::new(settings)?),
            endpoints,
        })
    }
}

fn decode(msg: &str) -> Error {
    Error::new(ErrorKind::Decode, msg)
}

fn keys_data(v: Value) -> Result<Value> {
    match v {
        Value::Object(mut m) if m.get("success") == Some(&Value::Bool(true)) => {
            Ok(m.remove("data").unwrap_or(Value::Null))
        }
        _ => Err(decode(
            "keys API response is not {\"success\": true, \"data\": ...}",
        )),
    }
}

fn str_field(v: &Value, name: &str) -> Result<String> {
    v.get(name)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .ok_or_else(|| {
            Error::new(
                ErrorKind::Decode,
                format!("response has no string {name:?}"),
            )
        })
}

fn opt_str_field(v: &Value, name: &str) -> Option<String> {
    v.get(name).and_then(Value::as_str).map(str::to_owned)
}

fn sandbox_of(v: &Value) -> Result<Sandbox> {
    let mut metadata = BTreeMap::new();
    if let Some(m) = v.get("metadata").and_then(Value::as_object) {
        for (k, val) in m {
            if let Some(s) = val.as_str() {
                metadata.insert(k.clone(), s.to_owned());
            }
        }
    }
    Ok(Sandbox {
        id: str_field(v, "id")?,
        image: v
            .get("image")
            .and_then(|i| i.get("uri"))
            .and_then(Value::as_str)
            .map(str::to_owned),
        state: v
            .get("status")
            .and_then(|s| s.get("state"))
            .and_then(Value::as_str)
            .unwrap_or("Unknown")
            .to_owned(),
        metadata,
        secure_access: v
            .get("secureAccess")
            .and_then(Value::as_bool)
            .unwrap_or(false),
        created_at: opt_str_field(v, "createdAt"),
        expires_at: opt_str_field(v, "expiresAt"),
    })
}

/// The signed route carried by an endpoint: in `OpenSandbox-Ingress-To`, else in a uri-mode
/// path, else in the first label of the host.
fn route_of(endpoint: &str, headers: &BTreeMap<String, String>) -> Option<RouteInfo> {
    let route = if let Some((_, v)) = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(INGRESS_TO_HEADER))
    {
        parse_header(v).ok()?
    } else {
        let rest = endpoint.split_once("://").map_or(endpoint, |(_, r)| r);
        match rest.find('/') {
            Some(i) => parse_path(&rest[i..], true).ok()?.route,
            None => parse_host(rest).ok()?,
        }
    };
    route.signed.map(|_| route.to_info())
}

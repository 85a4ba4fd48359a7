//! # sandgate-mock
//!
//! An embeddable mock of an OpenSandbox platform for tests: the lifecycle API subset
//! (sandboxes and endpoints, SPEC §2), the show-once keys API with roles (SPEC §3), and a
//! verifying gateway in front of a tiny sandbox app (SPEC §1.4–1.5, §4), with a controllable
//! clock and fault injection.
//!
//! ```no_run
//! let mock = sandgate_mock::MockServer::start(Default::default())?;
//! println!("API at {}, gateway at {}", mock.api_url(), mock.gateway_url());
//! # Ok::<(), sandgate::Error>(())
//! ```
#![deny(missing_docs)]

mod admin;
mod api;
mod auth;
mod gateway;
mod http;
mod keys_api;
mod lifecycle;
mod proxy;
mod sandbox_app;
mod serve;
mod signing;
mod state;
mod validate;

pub use state::{Faults, RequestRecord, Role};

use sandgate::{Error, RouteVerifier, SecretString, SigningKeys};
use std::fmt;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

/// How the gateway expects the route and how endpoints are rendered (SPEC §1.4): core's
/// [`sandgate::gateway::RouteMode`].
pub use sandgate::gateway::RouteMode;

/// How to start the mock.
#[derive(Clone, Debug)]
pub struct MockConfig {
    /// Route mode of the gateway and of rendered endpoints.
    pub route_mode: RouteMode,
    /// Accept the trusted user headers `X-OpenSandbox-User/Team/Roles`.
    pub trusted_headers: bool,
    /// Address to bind (default 127.0.0.1).
    pub host: IpAddr,
    /// API port (0 = a free port).
    pub api_port: u16,
    /// Gateway port (0 = a free port).
    pub gateway_port: u16,
    /// Serve the sandbox app on its own listener too, for a verifying proxy in front of the
    /// mock (`sandgate authz` under nginx, Envoy or Traefik): `Some(0)` = a free port. The
    /// proxy routes with the `X-Sandgate-Sandbox-Id` and `X-Sandgate-Port` headers. Default
    /// `None` (no such listener).
    pub app_port: Option<u16>,
    /// Base domain of wildcard hosts (default `localhost`).
    pub base_domain: String,
    /// The static admin key (default: random).
    pub admin_key: Option<SecretString>,
    /// Signing keys (default: two random keys `a` (active) and `b`). An empty set starts a
    /// misconfigured platform: its gateway answers `not_configured` (503) to signed routes of
    /// secure sandboxes, and signed endpoints are refused.
    pub signing_keys: Option<SigningKeys>,
    /// A request head (and then its body) must arrive within this, on both listeners; it
    /// also bounds how long a kept-alive connection waits for its next request. Default 10 s.
    pub header_read_timeout: Duration,
    /// A connection with no byte read or written for this long while no request is being
    /// handled is closed, on both listeners. Default 30 s.
    pub idle_timeout: Duration,
    /// Connections each listener serves at once; past it a connection gets 503 with
    /// `Retry-After: 1` and is closed. Default 256.
    pub max_connections: usize,
    /// Sent as the `OPEN-SANDBOX-ORIGIN` header of every endpoint response (upstream #1877),
    /// when set. Default none.
    pub endpoint_origin: Option<String>,
}

impl Default for MockConfig {
    fn default() -> Self {
        MockConfig {
            route_mode: RouteMode::Header,
            trusted_headers: false,
            host: IpAddr::V4(Ipv4Addr::LOCALHOST),
            api_port: 0,
            gateway_port: 0,
            app_port: None,
            base_domain: "localhost".to_owned(),
            admin_key: None,
            signing_keys: None,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 256,
            endpoint_origin: None,
        }
    }
}

impl MockConfig {
    /// Largest accepted timeout (one hour).
    pub const MAX_TIMEOUT: Duration = Duration::from_secs(3600);
    /// Largest accepted connection cap.
    pub const MAX_CONNECTIONS: usize = 100_000;

    fn limits(&self) -> Result<serve::Limits, Error> {
        for (name, t) in [
            ("header_read_timeout", self.header_read_timeout),
            ("idle_timeout", self.idle_timeout),
        ] {
            if t.is_zero() || t > Self::MAX_TIMEOUT {
                return Err(Error::invalid_config(format!(
                    "{name} must be more than zero and at most one hour"
                )));
            }
        }
        if self.max_connections == 0 || self.max_connections > Self::MAX_CONNECTIONS {
            return Err(Error::invalid_config(format!(
                "max_connections must be 1..={}",
                Self::MAX_CONNECTIONS
            )));
        }
        Ok(serve::Limits {
            header_read_timeout: self.header_read_timeout,
            idle_timeout: self.idle_timeout,
            max_connections: self.max_connections,
        })
    }
}

/// Everything the request handlers share.
pub(crate) struct App {
    pub route_mode: RouteMode,
    pub trusted_headers: bool,
    pub admin_key: SecretString,
    /// The signing keys, replaceable while running (`/_mock/signing-keys`).
    pub keys: signing::MockKeys,
    /// The gateway's verifier: a clone of `keys.verifier`, so it follows every replacement.
    pub verifier: RouteVerifier,
    pub base_domain: String,
    pub gateway_addr: SocketAddr,
    pub api_addr: SocketAddr,
    pub limits: serve::Limits,
    pub store: state::Store,
    pub endpoint_origin: Option<axum::http::HeaderValue>,
}

/// A running mock server. Dropping it (or calling [`stop`](MockServer::stop)) shuts it down.
pub struct MockServer {
    app: Arc<App>,
    api_addr: SocketAddr,
    app_addr: Option<SocketAddr>,
    listeners: usize,
    shutdown: Option<tokio::sync::watch::Sender<bool>>,
    closed: std::sync::Mutex<std::sync::mpsc::Receiver<()>>,
}

impl fmt::Debug for MockServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockServer")
            .field("api_url", &self.api_url())
            .field("gateway_url", &self.gateway_url())
            .field("route_mode", &self.app.route_mode)
            .field("admin_key", &"***")
            .finish()
    }
}

fn bind(host: IpAddr, port: u16, what: &str) -> Result<std::net::TcpListener, Error> {
    let l = std::net::TcpListener::bind((host, port)).map_err(|e| {
        Error::invalid_config(format!("cannot bind the mock {what} on {host}:{port}: {e}"))
    })?;
    l.set_nonblocking(true)
        .map_err(|e| Error::invalid_config(format!("cannot configure the {what} socket: {e}")))?;
    Ok(l)
}

impl MockServer {
    /// Binds both listeners and starts serving on sandgate's shared runtime.
    pub fn start(config: MockConfig) -> Result<MockServer, Error> {
        if config.base_domain.is_empty() || config.base_domain.contains(['/', ' ', ':']) {
            return Err(Error::invalid_config(
                "base domain must be a plain DNS name",
            ));
        }
        let limits = config.limits()?;
        let endpoint_origin = match &config.endpoint_origin {
            None => None,
            Some(o) => Some(axum::http::HeaderValue::from_str(o).map_err(|_| {
                Error::invalid_config("endpoint_origin must be a valid header value")
            })?),
        };
        let api = bind(config.host, config.api_port, "API")?;
        let gw = bind(config.host, config.gateway_port, "gateway")?;
        let app_listener = match config.app_port {
            Some(p) => Some(bind(config.host, p, "sandbox app")?),
            None => None,
        };
        let local = |l: &std::net::TcpListener| {
            l.local_addr()
                .map_err(|e| Error::invalid_config(format!("cannot read the bound address: {e}")))
        };
        let (api_addr, gateway_addr) = (local(&api)?, local(&gw)?);
        let app_addr = app_listener.as_ref().map(local).transpose()?;
        let signing_keys = match config.signing_keys {
            Some(k) => k,
            None => SigningKeys::generate("ab")?,
        };
        let admin_key = config
            .admin_key
            .unwrap_or_else(|| SecretString::new(format!("mock-admin-{}", state::random_id(24))));
        let keys = signing::MockKeys::new(signing_keys)?;
        let app = Arc::new(App {
            route_mode: config.route_mode,
            trusted_headers: config.trusted_headers,
            admin_key,
            verifier: keys.verifier.clone(),
            keys,
            base_domain: config.base_domain,
            gateway_addr,
            api_addr,
            limits,
            store: Default::default(),
            endpoint_origin,
        });
        let rt = sandgate::runtime::runtime();
        let _enter = rt.enter();
        let to_tokio = |l| {
            tokio::net::TcpListener::from_std(l)
                .map_err(|e| Error::invalid_config(format!("cannot register the socket: {e}")))
        };
        let (api, gw) = (to_tokio(api)?, to_tokio(gw)?);
        let app_listener = app_listener.map(to_tokio).transpose()?;
        let listeners = 2 + usize::from(app_listener.is_some());
        let (tx, rx) = tokio::sync::watch::channel(false);
        let (closed_tx, closed) = std::sync::mpsc::channel();
        let api_router = api::router(app.clone());
        rt.spawn(serve::serve(
            api,
            api_router,
            Some(app.clone()),
            limits,
            serve::Overload::Api,
            rx.clone(),
            closed_tx.clone(),
        ));
        if let Some(l) = app_listener {
            rt.spawn(serve::serve(
                l,
                gateway::app_router(app.clone()),
                None,
                limits,
                serve::Overload::Gateway,
                rx.clone(),
                closed_tx.clone(),
            ));
        }
        rt.spawn(serve::serve(
            gw,
            gateway::router(app.clone()),
            None,
            limits,
            serve::Overload::Gateway,
            rx,
            closed_tx,
        ));
        Ok(MockServer {
            app,
            api_addr,
            app_addr,
            listeners,
            shutdown: Some(tx),
            closed: std::sync::Mutex::new(closed),
        })
    }

    /// Base URL of the API (`http://127.0.0.1:PORT`).
    pub fn api_url(&self) -> String {
        format!("http://{}", self.api_addr)
    }

    /// `host:port` of the API: the client's domain.
    pub fn domain(&self) -> String {
        self.api_addr.to_string()
    }

    /// Base URL of the gateway.
    pub fn gateway_url(&self) -> String {
        format!("http://{}", self.app.gateway_addr)
    }

    /// Base URL of the sandbox app's own listener (when [`MockConfig::app_port`] was set).
    pub fn app_url(&self) -> Option<String> {
        self.app_addr.map(|a| format!("http://{a}"))
    }

    /// The static admin key (role `service_admin`).
    pub fn admin_key(&self) -> &SecretString {
        &self.app.admin_key
    }

    /// The signing keys in use now: the gateway verifies with all of them and the API signs
    /// with the active one (else the first). A snapshot: it does not follow later replacements.
    pub fn signing_keys(&self) -> SigningKeys {
        self.app.keys.current()
    }

    /// Replaces the signing keys while the mock runs (the same as `PUT /_mock/signing-keys`):
    /// the gateway verifies with `keys` from the next request on — a link signed with a key
    /// `keys` lacks answers 401 `unknown_key` — and new signed endpoints use its active key
    /// (else its first). An empty set makes it a mock without keys (signed routes answer 503
    /// `not_configured`, signed endpoints 503). [`reset`](Self::reset) puts back the keys the
    /// mock started with.
    pub fn set_signing_keys(&self, keys: SigningKeys) -> Result<(), Error> {
        self.app.keys.replace(keys)
    }

    /// The route mode.
    pub fn route_mode(&self) -> RouteMode {
        self.app.route_mode
    }

    /// The base domain of wildcard hosts.
    pub fn base_domain(&self) -> &str {
        &self.app.base_domain
    }

    /// "Now" on the mock clock (Unix seconds).
    pub fn now(&self) -> u64 {
        self.app.store.now()
    }

    /// Sets the mock clock to `now`; it keeps running from there.
    pub fn set_now(&self, now: u64) {
        let offset = i128::from(now) - i128::from(sandgate::clock::now_unix());
        let mut d = self.app.store.lock();
        d.frozen_at = None;
        d.clock_offset = offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
    }

    /// Stops the mock clock at `now` (it no longer runs) until the next
    /// [`set_now`](Self::set_now), [`advance`](Self::advance) or [`reset`](Self::reset)
    /// (`advance` moves a stopped clock and keeps it stopped).
    pub fn freeze_at(&self, now: u64) {
        self.app.store.lock().frozen_at = Some(now);
    }

    /// Moves the mock clock by `secs` (negative goes back).
    pub fn advance(&self, secs: i64) {
        let mut d = self.app.store.lock();
        d.clock_offset = d.clock_offset.saturating_add(secs);
        if let Some(f) = d.frozen_at {
            d.frozen_at = Some(f.saturating_add_signed(secs));
        }
    }

    /// Replaces the injected faults, after [`Faults::validate`].
    pub fn set_faults(&self, faults: Faults) -> Result<(), Error> {
        faults.validate()?;
        self.app.store.lock().faults = faults;
        Ok(())
    }

    /// Clears every injected fault.
    pub fn clear_faults(&self) {
        self.app.store.lock().faults = Faults::default();
    }

    /// The faults still pending.
    pub fn faults(&self) -> Faults {
        self.app.store.lock().faults.clone()
    }

    /// Forgets every sandbox, key, fault, logged request and clock offset, and puts back the
    /// signing keys the mock started with.
    pub fn reset(&self) {
        *self.app.store.lock() = Default::default();
        self.app.keys.restore();
    }

    /// The newest API requests received (not `/_mock/` ones; at most 10 000), oldest first.
    /// A request is logged when it arrives, so one whose client gave up is there too.
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.app
            .store
            .lock()
            .requests
            .iter()
            .map(|(_, r)| r.clone())
            .collect()
    }

    /// The `POST /metrics/events` bodies received (the newest 1 000), oldest first.
    pub fn metrics_events(&self) -> Vec<serde_json::Value> {
        self.app
            .store
            .lock()
            .metrics_events
            .iter()
            .cloned()
            .collect()
    }

    /// Number of stored API keys (revoked ones included).
    pub fn stored_key_count(&self) -> usize {
        self.app.store.lock().keys.len()
    }

    /// The JSON line `sandgate mock` prints: URLs, admin key, signing keys and route mode.
    /// It reveals the admin key and the signing secrets, on purpose.
    pub fn describe_json(&self) -> serde_json::Value {
        serde_json::json!({
            "api_url": self.api_url(),
            "gateway_url": self.gateway_url(),
            "admin_key": self.admin_key().expose(),
            "signing_keys": self.signing_keys().expose_flag_string(),
            "route_mode": self.route_mode().as_str(),
            "app_url": self.app_url(),
        })
    }

    /// Stops both listeners and closes open connections. Returns once both listeners are
    /// closed (or after five seconds, if the runtime is too busy to finish sooner).
    pub fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
            let closed = self.closed.lock().unwrap_or_else(|p| p.into_inner());
            for _ in 0..self.listeners {
                let left = deadline.saturating_duration_since(std::time::Instant::now());
                if closed.recv_timeout(left).is_err() {
                    break;
                }
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        self.stop();
    }
}

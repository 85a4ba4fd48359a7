//! The in-process mock server (`sandgate-mock`) for tests.

use crate::routes::SigningKeys;
use crate::{opt_count, seconds_arg, seconds_js, IntoJs, Secret};
use napi::bindgen_prelude::{BigInt, Either};
use napi_derive::napi;
use sandgate::{Error, SecretString};
use sandgate_mock::{Faults, MockConfig, RouteMode};

/// How to start the mock.
#[napi(object, object_to_js = false)]
pub struct MockOptions {
    /// `header` (default), `wildcard` or `uri`.
    pub route_mode: Option<String>,
    /// Accept the trusted user headers `X-OpenSandbox-User/Team/Roles`.
    pub trusted_headers: Option<bool>,
    /// Sent as the `OPEN-SANDBOX-ORIGIN` header of every endpoint answer (default none).
    pub endpoint_origin: Option<String>,
}

/// Faults for the next API requests; they replace the pending ones.
#[napi(object, object_to_js = false)]
pub struct FaultOptions {
    /// How many of the next API requests fail.
    pub fail_next: Option<f64>,
    /// Status of injected failures (default 503).
    pub status: Option<f64>,
    /// `Retry-After` seconds sent with injected failures.
    pub retry_after: Option<f64>,
    /// Delay before every API answer, in milliseconds.
    pub latency_ms: Option<f64>,
    /// How many of the next API requests get their connection dropped.
    pub drop_next: Option<f64>,
    /// How many of the next API answers are not JSON.
    pub corrupt_next: Option<f64>,
}

/// One API request the mock received.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct RequestRecordData {
    /// The HTTP method.
    pub method: String,
    /// The request path.
    pub path: String,
    /// 0 when the connection was dropped by a fault.
    pub status: u32,
    /// The `User-Agent` sent.
    pub user_agent: Option<String>,
}

/// A running mock platform: lifecycle and keys API, and a verifying gateway.
#[napi]
pub struct MockServer {
    inner: sandgate_mock::MockServer,
}

#[napi]
impl MockServer {
    /// Binds 127.0.0.1 on free ports and starts serving on sandgate's shared runtime.
    #[napi(factory, catch_unwind)]
    pub fn start(options: Option<MockOptions>) -> napi::Result<Self> {
        let mut config = MockConfig::default();
        if let Some(o) = options {
            if let Some(mode) = o.route_mode {
                config.route_mode = mode.parse::<RouteMode>().js()?;
            }
            config.trusted_headers = o.trusted_headers.unwrap_or(false);
            config.endpoint_origin = o.endpoint_origin;
        }
        Ok(MockServer {
            inner: sandgate_mock::MockServer::start(config).js()?,
        })
    }

    /// `http://127.0.0.1:PORT` of the API.
    #[napi(getter, catch_unwind)]
    pub fn api_url(&self) -> String {
        self.inner.api_url()
    }

    /// `http://127.0.0.1:PORT` of the verifying gateway.
    #[napi(getter, catch_unwind)]
    pub fn gateway_url(&self) -> String {
        self.inner.gateway_url()
    }

    /// `host:port` of the API: a client's `domain`.
    #[napi(getter, catch_unwind)]
    pub fn domain(&self) -> String {
        self.inner.domain()
    }

    /// The static admin key (role `service_admin`).
    #[napi(getter, catch_unwind)]
    pub fn admin_key(&self) -> Secret {
        Secret::new(self.inner.admin_key().clone())
    }

    /// The signing keys the mock signs with, as a flag string.
    #[napi(getter, catch_unwind)]
    pub fn signing_keys(&self) -> Secret {
        Secret::new(SecretString::new(
            self.inner.signing_keys().expose_flag_string(),
        ))
    }

    /// Replaces the keys the mock signs with and its gateway verifies with, at once (the
    /// keys' active key signs from now on; an empty set is a mock without keys).
    #[napi(catch_unwind)]
    pub fn set_signing_keys(&self, keys: &SigningKeys) -> napi::Result<()> {
        self.inner.set_signing_keys(keys.inner.clone()).js()
    }

    /// `header`, `wildcard` or `uri`.
    #[napi(getter, catch_unwind)]
    pub fn route_mode(&self) -> String {
        self.inner.route_mode().as_str().to_owned()
    }

    /// The base domain of wildcard hosts.
    #[napi(getter, catch_unwind)]
    pub fn base_domain(&self) -> String {
        self.inner.base_domain().to_owned()
    }

    /// "Now" on the mock clock, Unix seconds.
    #[napi(catch_unwind)]
    pub fn now(&self) -> Either<f64, BigInt> {
        seconds_js(self.inner.now())
    }

    /// Sets the mock clock to `now` (Unix seconds).
    #[napi(catch_unwind)]
    pub fn set_now(&self, now: Either<f64, BigInt>) -> napi::Result<()> {
        self.inner.set_now(seconds_arg("now", &now).js()?);
        Ok(())
    }

    /// Moves the mock clock by `seconds` (negative goes back).
    #[napi(catch_unwind)]
    pub fn advance(&self, seconds: f64) -> napi::Result<()> {
        const LIMIT: f64 = ((1u64 << 53) - 1) as f64;
        if !seconds.is_finite() || seconds.fract() != 0.0 || seconds.abs() > LIMIT {
            return Err(Error::invalid_argument(format!(
                "seconds must be a whole number, got {seconds}"
            )))
            .js();
        }
        self.inner.advance(seconds as i64);
        Ok(())
    }

    /// Faults for the next API requests; they replace the pending ones.
    #[napi(catch_unwind)]
    pub fn set_faults(&self, faults: FaultOptions) -> napi::Result<()> {
        let count = |what, n, max| opt_count(what, n, max).js();
        let n = |what, v| Ok::<_, napi::Error>(count(what, v, u32::MAX)?.unwrap_or(0) as u32);
        let f = Faults {
            fail_next: n("failNext", faults.fail_next)?,
            status: count("status", faults.status, u16::MAX.into())?.unwrap_or(0) as u16,
            retry_after: count("retryAfter", faults.retry_after, u32::MAX)?,
            latency_ms: count("latencyMs", faults.latency_ms, u32::MAX)?.unwrap_or(0),
            drop_next: n("dropNext", faults.drop_next)?,
            corrupt_next: n("corruptNext", faults.corrupt_next)?,
        };
        self.inner.set_faults(f).js()
    }

    /// Drops the pending faults.
    #[napi(catch_unwind)]
    pub fn clear_faults(&self) {
        self.inner.clear_faults();
    }

    /// Forgets every sandbox, key, fault, logged request and clock offset.
    #[napi(catch_unwind)]
    pub fn reset(&self) {
        self.inner.reset();
    }

    /// The API requests received so far, oldest first.
    #[napi(catch_unwind)]
    pub fn requests(&self) -> Vec<RequestRecordData> {
        self.inner
            .requests()
            .into_iter()
            .map(|r| RequestRecordData {
                method: r.method,
                path: r.path,
                status: u32::from(r.status),
                user_agent: r.user_agent,
            })
            .collect()
    }

    /// Stops both listeners and closes open connections.
    #[napi(catch_unwind)]
    pub fn stop(&mut self) {
        self.inner.stop();
    }
}

//! `sandgate.testing.MockServer`: the embeddable mock platform and gateway, in-process.

use crate::convert::{int, repr, unix_seconds};
use crate::errors::IntoPyResult;
use crate::route::keys_arg;
use crate::secret::Secret;
use pyo3::prelude::*;
use sandgate_mock::{Faults, MockConfig, RouteMode};
use std::sync::{Mutex, MutexGuard};

/// One API request the mock received.
#[pyclass(frozen, eq, module = "sandgate.testing")]
#[derive(PartialEq)]
pub struct MockRequest(sandgate_mock::RequestRecord);

#[pymethods]
impl MockRequest {
    /// The HTTP method.
    #[getter]
    fn method(&self) -> &str {
        &self.0.method
    }
    /// The path, without the query.
    #[getter]
    fn path(&self) -> &str {
        &self.0.path
    }
    /// The status answered (0 when the connection was dropped).
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }
    /// The `User-Agent` the request carried, if any.
    #[getter]
    fn user_agent(&self) -> Option<&str> {
        self.0.user_agent.as_deref()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "MockRequest(method={}, path={}, status={})",
            repr(py, &self.0.method),
            repr(py, &self.0.path),
            self.0.status
        )
    }
}

/// A mock OpenSandbox platform (lifecycle API, keys API, verifying gateway) running in this
/// process on free loopback ports. Start it with `MockServer.start(...)` (or `MockServer(...)`);
/// use it as a context manager, or call `stop()`.
#[pyclass(frozen, module = "sandgate.testing")]
pub struct MockServer(Mutex<sandgate_mock::MockServer>);

impl MockServer {
    fn inner(&self) -> MutexGuard<'_, sandgate_mock::MockServer> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[pymethods]
impl MockServer {
    #[new]
    #[pyo3(signature = (route_mode = "header", trusted_headers = false, *, signing_keys = None, endpoint_origin = None))]
    fn new(
        py: Python<'_>,
        route_mode: &str,
        trusted_headers: bool,
        signing_keys: Option<&Bound<'_, PyAny>>,
        endpoint_origin: Option<String>,
    ) -> PyResult<Self> {
        let route_mode: RouteMode = route_mode.parse().py(py)?;
        let config = MockConfig {
            route_mode,
            trusted_headers,
            signing_keys: signing_keys.map(|k| keys_arg(py, k)).transpose()?,
            endpoint_origin,
            ..MockConfig::default()
        };
        let server = py
            .detach(move || sandgate_mock::MockServer::start(config))
            .py(py)?;
        Ok(MockServer(Mutex::new(server)))
    }

    /// Starts a mock (the same as `MockServer(...)`): `route_mode` is `header`, `wildcard` or
    /// `uri`; `trusted_headers` lets `X-OpenSandbox-User`/`-Roles` name the caller;
    /// `signing_keys` (a `SigningKeys` or a flag string; default two random keys, `a` active)
    /// are the keys it signs and verifies with; `endpoint_origin` is sent as the
    /// `OPEN-SANDBOX-ORIGIN` header of every endpoint answer.
    #[classmethod]
    #[pyo3(signature = (route_mode = "header", trusted_headers = false, *, signing_keys = None, endpoint_origin = None))]
    fn start(
        _cls: &Bound<'_, pyo3::types::PyType>,
        py: Python<'_>,
        route_mode: &str,
        trusted_headers: bool,
        signing_keys: Option<&Bound<'_, PyAny>>,
        endpoint_origin: Option<String>,
    ) -> PyResult<Self> {
        Self::new(
            py,
            route_mode,
            trusted_headers,
            signing_keys,
            endpoint_origin,
        )
    }

    /// Base URL of the API, `http://127.0.0.1:PORT`.
    #[getter]
    fn api_url(&self) -> String {
        self.inner().api_url()
    }

    /// `host:port` of the API: the `domain` to give a client.
    #[getter]
    fn domain(&self) -> String {
        self.inner().domain()
    }

    /// Base URL of the gateway.
    #[getter]
    fn gateway_url(&self) -> String {
        self.inner().gateway_url()
    }

    /// `header`, `wildcard` or `uri`.
    #[getter]
    fn route_mode(&self) -> &'static str {
        self.inner().route_mode().as_str()
    }

    /// The base domain of wildcard hosts.
    #[getter]
    fn base_domain(&self) -> String {
        self.inner().base_domain().to_owned()
    }

    /// The static admin key (role `service_admin`).
    #[getter]
    fn admin_key(&self) -> Secret {
        Secret(self.inner().admin_key().clone())
    }

    /// The signing keys the mock signs with, as a flag string `a=BASE64,b=BASE64` inside a
    /// `Secret` (give it to `SigningKeys.from_flag`).
    #[getter]
    fn signing_keys(&self) -> Secret {
        Secret(self.inner().signing_keys().expose_flag_string().into())
    }

    /// Replaces the signing keys while the mock runs (key rotation; a `SigningKeys` or a flag
    /// string): its gateway verifies with them from the next request on (a link signed with
    /// a key they lack answers 401 `unknown_key`) and new signed endpoints use their active
    /// key. An empty set makes a mock without keys. `reset()` puts back the starting keys.
    fn set_signing_keys(&self, py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<()> {
        let keys = keys_arg(py, keys)?;
        self.inner().set_signing_keys(keys).py(py)
    }

    /// The time on the mock clock, Unix seconds.
    fn now(&self) -> u64 {
        self.inner().now()
    }

    /// Sets the mock clock (Unix seconds or a `datetime`); it keeps running from there.
    fn set_now(&self, py: Python<'_>, now: &Bound<'_, PyAny>) -> PyResult<()> {
        let now = unix_seconds(py, now, "now")?;
        self.inner().set_now(now);
        Ok(())
    }

    /// Moves the mock clock by `seconds` (negative goes back).
    fn advance(&self, seconds: &Bound<'_, PyAny>) -> PyResult<()> {
        let secs = int(seconds, "seconds", sandgate::ErrorKind::InvalidArgument)?;
        self.inner().advance(secs);
        Ok(())
    }

    /// Replaces the injected faults: fail the next `fail_next` API requests with `status`
    /// (and `Retry-After: retry_after`), add `latency_ms` to every API request, drop the
    /// connection of the next `drop_next`, answer the next `corrupt_next` with a body that
    /// is not JSON.
    #[pyo3(signature = (*, fail_next = 0, status = 503, retry_after = None, latency_ms = 0, drop_next = 0, corrupt_next = 0))]
    #[allow(clippy::too_many_arguments)]
    fn set_faults(
        &self,
        py: Python<'_>,
        fail_next: u32,
        status: u16,
        retry_after: Option<u64>,
        latency_ms: u64,
        drop_next: u32,
        corrupt_next: u32,
    ) -> PyResult<()> {
        let faults = Faults {
            fail_next,
            status,
            retry_after,
            latency_ms,
            drop_next,
            corrupt_next,
        };
        self.inner().set_faults(faults).py(py)
    }

    /// Clears every injected fault.
    fn clear_faults(&self) {
        self.inner().clear_faults();
    }

    /// Forgets every sandbox, key, fault, logged request and clock offset.
    fn reset(&self) {
        self.inner().reset();
    }

    /// The API requests received so far, oldest first.
    fn requests(&self) -> Vec<MockRequest> {
        self.inner()
            .requests()
            .into_iter()
            .map(MockRequest)
            .collect()
    }

    /// Stops both listeners. Safe to call more than once.
    fn stop(&self) {
        self.inner().stop();
    }

    fn __enter__(slf: Py<Self>) -> Py<Self> {
        slf
    }

    fn __exit__(
        &self,
        _exc_type: &Bound<'_, PyAny>,
        _exc: &Bound<'_, PyAny>,
        _tb: &Bound<'_, PyAny>,
    ) -> bool {
        self.stop();
        false
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let m = self.inner();
        format!(
            "MockServer(api_url={}, gateway_url={}, route_mode={}, admin_key=Secret('***'))",
            repr(py, m.api_url()),
            repr(py, m.gateway_url()),
            repr(py, m.route_mode().as_str())
        )
    }
}

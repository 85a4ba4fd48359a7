//! `Client` (blocking, GIL released) and `AsyncClient` (coroutines), their options
//! (`surface::ClientOptions`, `RetryOptions`) and the results they return.

use crate::convert::{
    dict, int, opt_millis, opt_unix_seconds, repr, str_map, unix_millis, unix_seconds,
};
use crate::errors::{view_to_py, IntoPyResult};
use crate::route::{expiry, ttl_seconds, RouteInfo};
use crate::secret::{Secret, SecretArg};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sandgate::client::CreateSandbox;
use sandgate::surface::{self, EndpointMode, EndpointView, OnRetry};
use sandgate::ErrorKind;
use std::sync::Arc;

/// An endpoint of a sandbox port. Send `headers` with every request to `url`.
#[pyclass(frozen, module = "sandgate")]
pub struct Endpoint(EndpointView);

#[pymethods]
impl Endpoint {
    /// The endpoint exactly as the server returned it (no scheme).
    #[getter]
    fn endpoint(&self) -> &str {
        &self.0.endpoint
    }
    /// The endpoint as a URL.
    #[getter]
    fn url(&self) -> &str {
        &self.0.url
    }
    /// Headers to send on every request to this endpoint (a new dict each time).
    #[getter]
    fn headers<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, &self.0.headers)
    }
    /// The signed route this endpoint carries, or `None` for an unsigned endpoint.
    #[getter]
    fn route(&self) -> Option<RouteInfo> {
        self.0.route.clone().map(RouteInfo)
    }
    /// The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, or `None` when it sent none.
    #[getter]
    fn origin(&self) -> Option<&str> {
        self.0.origin.as_deref()
    }
    /// What kind of endpoint this is: `direct`, `server_proxy` or `signed`.
    #[getter]
    fn kind(&self) -> &'static str {
        self.0.kind_code()
    }
    /// A URL carrying everything a request to `path` needs, to hand to someone else (a signed
    /// endpoint in wildcard or uri route mode, or an open sandbox's endpoint without headers).
    /// Raises `InvalidArgument` saying which header a URL cannot carry (header route mode, an
    /// access token, a server-proxy endpoint), or when `path` is neither empty nor starts
    /// with `/`.
    #[pyo3(signature = (path = ""))]
    fn shareable_url(&self, py: Python<'_>, path: &str) -> PyResult<String> {
        self.0.shareable_url(path).py(py)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Endpoint(url={}, kind={}, headers={}, route={}, origin={})",
            repr(py, &self.0.url),
            repr(py, self.0.kind_code()),
            repr(py, dict(py, &self.0.redacted_headers)?),
            self.route()
                .map_or_else(|| "None".to_owned(), |r| repr(py, r)),
            repr(py, &self.0.origin),
        ))
    }
}

/// A key just minted. `key` is the raw key, returned this one time only.
#[pyclass(frozen, module = "sandgate")]
pub struct CreatedApiKey(sandgate::CreatedApiKey);

#[pymethods]
impl CreatedApiKey {
    /// The key's id (use it to revoke the key).
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The key's name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Display prefix: the first 12 characters of the key.
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// The raw key as a `Secret`: `key.expose()` gives the text.
    #[getter]
    fn key(&self) -> Secret {
        Secret(self.0.key.clone())
    }
    /// Expiry (RFC 3339), if any.
    #[getter]
    fn expires_at(&self) -> Option<&str> {
        self.0.expires_at.as_deref()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "CreatedApiKey(id={}, name={}, prefix={}, key=Secret('***'), expires_at={})",
            repr(py, &self.0.id),
            repr(py, &self.0.name),
            repr(py, &self.0.prefix),
            repr(py, &self.0.expires_at)
        )
    }
}

/// A key as listed: never its secret or hash.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(PartialEq)]
pub struct ApiKeyInfo(sandgate::client::ApiKeyInfo);

#[pymethods]
impl ApiKeyInfo {
    /// The key's id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The key's name.
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Display prefix: the first 12 characters of the key.
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// Creation time (RFC 3339), if the server sent it.
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.0.created_at.as_deref()
    }
    /// Expiry (RFC 3339), if any.
    #[getter]
    fn expires_at(&self) -> Option<&str> {
        self.0.expires_at.as_deref()
    }
    /// Whether the key was revoked.
    #[getter]
    fn revoked(&self) -> bool {
        self.0.revoked
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "ApiKeyInfo(id={}, name={}, prefix={}, created_at={}, expires_at={}, revoked={})",
            repr(py, &self.0.id),
            repr(py, &self.0.name),
            repr(py, &self.0.prefix),
            repr(py, &self.0.created_at),
            repr(py, &self.0.expires_at),
            repr(py, self.0.revoked)
        )
    }
}

/// A sandbox.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(PartialEq)]
pub struct Sandbox(sandgate::client::Sandbox);

#[pymethods]
impl Sandbox {
    /// The sandbox id.
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    /// The image the sandbox runs, if the server sent it.
    #[getter]
    fn image(&self) -> Option<&str> {
        self.0.image.as_deref()
    }
    /// Lifecycle state, for example `Running`.
    #[getter]
    fn state(&self) -> &str {
        &self.0.state
    }
    /// Metadata, including the server-set `access.owner` (a new dict each time).
    #[getter]
    fn metadata<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        dict(py, &self.0.metadata)
    }
    /// Whether the sandbox requires secure access (an access token or a signed route).
    #[getter]
    fn secure_access(&self) -> bool {
        self.0.secure_access
    }
    /// Creation time (RFC 3339), if the server sent it.
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.0.created_at.as_deref()
    }
    /// Expiry (RFC 3339), if any.
    #[getter]
    fn expires_at(&self) -> Option<&str> {
        self.0.expires_at.as_deref()
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Sandbox(id={}, image={}, state={}, secure_access={}, metadata={}, expires_at={})",
            repr(py, &self.0.id),
            repr(py, &self.0.image),
            repr(py, &self.0.state),
            repr(py, self.0.secure_access),
            repr(py, dict(py, &self.0.metadata)?),
            repr(py, &self.0.expires_at)
        ))
    }
}

/// A sandbox's new expiry, as renewing it returned it.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(PartialEq)]
pub struct SandboxRenewal(sandgate::client::SandboxRenewal);

#[pymethods]
impl SandboxRenewal {
    /// The new expiry exactly as the server returned it (RFC 3339).
    #[getter]
    fn expires_at(&self) -> &str {
        &self.0.expires_at
    }
    /// The same instant in Unix seconds.
    #[getter]
    fn expires(&self) -> u64 {
        self.0.expires
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SandboxRenewal(expires_at={}, expires={})",
            repr(py, &self.0.expires_at),
            self.0.expires
        )
    }
}

/// Retry options of a client (SPEC §2.1); an option left `None` keeps sandgate's default.
/// `max_retries` retries after the first attempt (default 3; 0 turns retrying off);
/// `initial_backoff` (default 0.5 s) is the first delay and the least of any later one,
/// `max_backoff` (default 30 s) the longest computed one, `multiplier` (default 2) the growth
/// of the jitter's upper bound; `retry_statuses` (default 429, 502, 503) are retried for
/// idempotent methods, `post_retry_statuses` (default none) opt POST in; `attempt_timeout`
/// bounds one attempt (default: the client's timeout) and `deadline` all attempts and waits
/// together (default none). Durations are seconds (a number) or a `timedelta`.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(Clone, PartialEq)]
pub struct RetryOptions(pub surface::RetryOptions);

#[pymethods]
impl RetryOptions {
    #[new]
    #[pyo3(signature = (max_retries = None, initial_backoff = None, max_backoff = None, *, multiplier = None, retry_statuses = None, post_retry_statuses = None, attempt_timeout = None, deadline = None))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        max_retries: Option<&Bound<'_, PyAny>>,
        initial_backoff: Option<&Bound<'_, PyAny>>,
        max_backoff: Option<&Bound<'_, PyAny>>,
        multiplier: Option<f64>,
        retry_statuses: Option<&Bound<'_, PyAny>>,
        post_retry_statuses: Option<&Bound<'_, PyAny>>,
        attempt_timeout: Option<&Bound<'_, PyAny>>,
        deadline: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let kind = ErrorKind::InvalidConfig;
        let options = surface::RetryOptions {
            max_retries: max_retries
                .map(|n| int(n, "max_retries", kind))
                .transpose()?,
            initial_backoff_ms: opt_millis(py, initial_backoff, "initial_backoff", kind)?,
            max_backoff_ms: opt_millis(py, max_backoff, "max_backoff", kind)?,
            multiplier,
            retry_statuses: statuses(retry_statuses, "retry_statuses")?,
            post_retry_statuses: statuses(post_retry_statuses, "post_retry_statuses")?,
            attempt_timeout_ms: opt_millis(py, attempt_timeout, "attempt_timeout", kind)?,
            deadline_ms: opt_millis(py, deadline, "deadline", kind)?,
        };
        options.policy().py(py)?;
        Ok(RetryOptions(options))
    }
    /// Retries after the first attempt (0 = off), or `None` for the default.
    #[getter]
    fn max_retries(&self) -> Option<u32> {
        self.0.max_retries
    }
    /// Delay before the first retry in seconds, or `None` for the default.
    #[getter]
    fn initial_backoff(&self) -> Option<f64> {
        self.0.initial_backoff_ms.map(seconds)
    }
    /// Longest computed delay between attempts in seconds, or `None` for the default.
    #[getter]
    fn max_backoff(&self) -> Option<f64> {
        self.0.max_backoff_ms.map(seconds)
    }
    /// Growth factor of the jitter's upper bound, or `None` for the default.
    #[getter]
    fn multiplier(&self) -> Option<f64> {
        self.0.multiplier
    }
    /// Statuses retried for idempotent methods, or `None` for the default.
    #[getter]
    fn retry_statuses(&self) -> Option<Vec<u16>> {
        self.0.retry_statuses.clone()
    }
    /// Statuses on which a POST is retried (an opt-in), or `None` for the default (none).
    #[getter]
    fn post_retry_statuses(&self) -> Option<Vec<u16>> {
        self.0.post_retry_statuses.clone()
    }
    /// Timeout of one attempt in seconds, or `None` (the client's timeout).
    #[getter]
    fn attempt_timeout(&self) -> Option<f64> {
        self.0.attempt_timeout_ms.map(seconds)
    }
    /// Time allowed for all attempts and waits together in seconds, or `None` (no deadline).
    #[getter]
    fn deadline(&self) -> Option<f64> {
        self.0.deadline_ms.map(seconds)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RetryOptions(max_retries={}, initial_backoff={}, max_backoff={}, multiplier={}, \
             retry_statuses={}, post_retry_statuses={}, attempt_timeout={}, deadline={})",
            repr(py, self.max_retries()),
            repr(py, self.initial_backoff()),
            repr(py, self.max_backoff()),
            repr(py, self.multiplier()),
            repr(py, self.retry_statuses()),
            repr(py, self.post_retry_statuses()),
            repr(py, self.attempt_timeout()),
            repr(py, self.deadline()),
        )
    }
}

/// A list of HTTP statuses from any iterable of ints; core checks each is a valid status.
fn statuses(value: Option<&Bound<'_, PyAny>>, what: &str) -> PyResult<Option<Vec<u16>>> {
    value
        .map(|v| {
            v.try_iter()?
                .map(|item| int(&item?, what, ErrorKind::InvalidConfig))
                .collect()
        })
        .transpose()
}

/// Endpoint cache options of a client (SPEC §2.1); an option left `None` keeps sandgate's
/// default. The cache is on by default (`enabled=False` turns it off) and keeps at most
/// `max_entries` endpoints (default 1024); a direct or server-proxy endpoint is reused for
/// `ttl` (default 600 s), a signed one until `margin` (default 30 s) before it expires.
/// Durations are seconds (a number) or a `timedelta`.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(Clone, PartialEq)]
pub struct CacheOptions(pub surface::CacheOptions);

#[pymethods]
impl CacheOptions {
    #[new]
    #[pyo3(signature = (enabled = None, max_entries = None, ttl = None, margin = None))]
    fn new(
        py: Python<'_>,
        enabled: Option<bool>,
        max_entries: Option<&Bound<'_, PyAny>>,
        ttl: Option<&Bound<'_, PyAny>>,
        margin: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let kind = ErrorKind::InvalidConfig;
        let options = surface::CacheOptions {
            enabled,
            max_entries: max_entries
                .map(|n| int(n, "max_entries", kind))
                .transpose()?,
            ttl_ms: opt_millis(py, ttl, "ttl", kind)?,
            margin_ms: opt_millis(py, margin, "margin", kind)?,
        };
        options.config().py(py)?;
        Ok(CacheOptions(options))
    }
    /// Whether endpoints are cached, or `None` for the default (on).
    #[getter]
    fn enabled(&self) -> Option<bool> {
        self.0.enabled
    }
    /// Most entries kept, or `None` for the default.
    #[getter]
    fn max_entries(&self) -> Option<u64> {
        self.0.max_entries
    }
    /// How long a direct or server-proxy endpoint is reused in seconds, or `None`.
    #[getter]
    fn ttl(&self) -> Option<f64> {
        self.0.ttl_ms.map(seconds)
    }
    /// How long before its expiry a signed endpoint stops being reused in seconds, or `None`.
    #[getter]
    fn margin(&self) -> Option<f64> {
        self.0.margin_ms.map(seconds)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "CacheOptions(enabled={}, max_entries={}, ttl={}, margin={})",
            repr(py, self.enabled()),
            repr(py, self.max_entries()),
            repr(py, self.ttl()),
            repr(py, self.margin()),
        )
    }
}

/// What an `on_retry` hook is given before each retry sleeps: the `attempt` that failed (from
/// 1), the `delay` before the next one in seconds, and the failure as a `SandgateError`
/// (`cause`, whose `retryable` is true).
#[pyclass(frozen, module = "sandgate")]
pub struct RetryEvent {
    attempt: u32,
    delay_ms: u64,
    cause: Py<PyAny>,
}

#[pymethods]
impl RetryEvent {
    /// The attempt that failed, from 1; the next one is `attempt + 1`.
    #[getter]
    fn attempt(&self) -> u32 {
        self.attempt
    }
    /// The delay before the next attempt, in seconds.
    #[getter]
    fn delay(&self) -> f64 {
        seconds(self.delay_ms)
    }
    /// The failure, a `SandgateError`.
    #[getter]
    fn cause(&self, py: Python<'_>) -> Py<PyAny> {
        self.cause.clone_ref(py)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RetryEvent(attempt={}, delay={}, cause={})",
            self.attempt,
            repr(py, self.delay()),
            self.cause
                .bind(py)
                .repr()
                .map(|r| r.to_string())
                .unwrap_or_default()
        )
    }
}

/// The `on_retry` callable wrapped as core's hook. It runs on sandgate's runtime with the GIL
/// taken for the call; an exception it raises is reported as unraisable and never stops
/// the request.
fn on_retry_hook(py: Python<'_>, callback: Py<PyAny>) -> PyResult<OnRetry> {
    if !callback.bind(py).is_callable() {
        return Err(pyo3::exceptions::PyTypeError::new_err(format!(
            "on_retry must be callable, got {}",
            callback.bind(py).get_type().name()?
        )));
    }
    Ok(Arc::new(move |event: &surface::RetryEvent| {
        Python::attach(|py| {
            let cause = view_to_py(py, &event.cause).into_value(py).into_any();
            let outcome = Py::new(
                py,
                RetryEvent {
                    attempt: event.attempt,
                    delay_ms: event.delay_ms,
                    cause,
                },
            )
            .and_then(|e| callback.call1(py, (e,)));
            if let Err(err) = outcome {
                err.write_unraisable(py, Some(callback.bind(py)));
            }
        })
    }))
}

/// A retry decision (SPEC §2.1) as `retry_decision` returns it: whether the attempt is
/// retried (`retry`, also its truth value), why (`verdict`: `retry`, `not_retryable`,
/// `exhausted`, `deadline`), the bounds of the delay before the next attempt in seconds
/// (`min_delay`, `max_delay`; both 0 when not retried), and what the error of this attempt
/// reports as `retryable`.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(PartialEq)]
pub struct RetryDecision(surface::RetryDecision);

#[pymethods]
impl RetryDecision {
    /// Whether the attempt is retried.
    #[getter]
    fn retry(&self) -> bool {
        self.0.retry
    }
    /// Why: `retry`, `not_retryable`, `exhausted` or `deadline`.
    #[getter]
    fn verdict(&self) -> &'static str {
        self.0.verdict_code()
    }
    /// The least delay before the next attempt, in seconds.
    #[getter]
    fn min_delay(&self) -> f64 {
        seconds(self.0.min_delay_ms)
    }
    /// The most delay before the next attempt, in seconds.
    #[getter]
    fn max_delay(&self) -> f64 {
        seconds(self.0.max_delay_ms)
    }
    /// What the error of this attempt reports as `retryable`.
    #[getter]
    fn retryable(&self) -> bool {
        self.0.retryable
    }
    fn __bool__(&self) -> bool {
        self.0.retry
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RetryDecision(retry={}, verdict={}, min_delay={}, max_delay={}, retryable={})",
            repr(py, self.0.retry),
            repr(py, self.verdict()),
            repr(py, self.min_delay()),
            repr(py, self.max_delay()),
            repr(py, self.0.retryable),
        )
    }
}

/// The client's retry rule (SPEC §2.1) for one failed attempt under `options` (`None`: the
/// defaults): `method`; `outcome` (`status` with `status`, `pre_send` when nothing was sent,
/// `post_send` when the connection failed after sending, `timeout`); `attempt` (from 1);
/// `prev_delay`, the delay slept before it (`None` for the first); `retry_after`, the answer's
/// `Retry-After` text; `now`, what an HTTP-date `Retry-After` is counted from (Unix seconds
/// or a `datetime`; default the system clock); `elapsed`, the time since the first attempt.
/// Durations are seconds or a `timedelta`. Raises `InvalidArgument` for a bad attempt.
#[pyfunction]
#[pyo3(signature = (options, method, outcome, *, status = None, attempt = 1, prev_delay = None, retry_after = None, now = None, elapsed = None))]
#[allow(clippy::too_many_arguments)]
pub fn retry_decision(
    py: Python<'_>,
    options: Option<RetryOptions>,
    method: &str,
    outcome: &str,
    status: Option<&Bound<'_, PyAny>>,
    attempt: i64,
    prev_delay: Option<&Bound<'_, PyAny>>,
    retry_after: Option<&str>,
    now: Option<&Bound<'_, PyAny>>,
    elapsed: Option<&Bound<'_, PyAny>>,
) -> PyResult<RetryDecision> {
    let kind = ErrorKind::InvalidArgument;
    let query = surface::RetryQuery {
        method,
        outcome,
        status: status.map(|s| int(s, "status", kind)).transpose()?,
        attempt: u32::try_from(attempt).map_err(|_| {
            crate::errors::to_py(
                py,
                &sandgate::Error::invalid_argument(format!(
                    "attempt must be a positive number, got {attempt}"
                )),
            )
        })?,
        prev_delay_ms: opt_millis(py, prev_delay, "prev_delay", kind)?,
        retry_after,
        now: opt_unix_seconds(py, now, "now")?,
        elapsed_ms: opt_millis(py, elapsed, "elapsed", kind)?.unwrap_or(0),
    };
    let options = options.map(|o| o.0).unwrap_or_default();
    surface::retry_decision(&options, &query)
        .map(RetryDecision)
        .py(py)
}

/// Whether a cached endpoint is served, as `cache_decision` returns it: `fresh` (also its
/// truth value) and `until`, the first instant (Unix seconds) it is no longer served.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(PartialEq)]
pub struct Freshness(surface::Freshness);

#[pymethods]
impl Freshness {
    /// Whether the entry is served (`now < until` and the cache is on).
    #[getter]
    fn fresh(&self) -> bool {
        self.0.fresh
    }
    /// The first instant the entry is no longer served, Unix seconds (millisecond precision).
    #[getter]
    fn until(&self) -> f64 {
        seconds(self.0.until_ms)
    }
    fn __bool__(&self) -> bool {
        self.0.fresh
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Freshness(fresh={}, until={})",
            repr(py, self.0.fresh),
            repr(py, self.until())
        )
    }
}

/// The endpoint cache's freshness rule (SPEC §2.1) under `options` (`None`: the defaults):
/// an entry signed until `signed_expires` (Unix seconds or a `datetime`; `None` for a direct
/// or server-proxy entry), fetched at `fetched_at`, looked up at `now` (both Unix seconds,
/// fractions count to the millisecond, or `datetime`s; for a signed entry `now` is the
/// server's clock).
#[pyfunction]
#[pyo3(signature = (options, *, signed_expires, fetched_at, now))]
pub fn cache_decision(
    py: Python<'_>,
    options: Option<CacheOptions>,
    signed_expires: Option<&Bound<'_, PyAny>>,
    fetched_at: &Bound<'_, PyAny>,
    now: &Bound<'_, PyAny>,
) -> PyResult<Freshness> {
    let signed_expires = signed_expires
        .map(|e| unix_seconds(py, e, "signed_expires"))
        .transpose()?;
    let fetched_at = unix_millis(py, fetched_at, "fetched_at")?;
    let now = unix_millis(py, now, "now")?;
    let options = options.map(|o| o.0).unwrap_or_default();
    surface::cache_decision(&options, signed_expires, fetched_at, now)
        .map(Freshness)
        .py(py)
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// A core client from the Python options through `surface::ClientOptions`: unset options come
/// from `OPEN_SANDBOX_*` and then the core's defaults.
#[allow(clippy::too_many_arguments)]
fn build(
    py: Python<'_>,
    domain: Option<String>,
    protocol: Option<String>,
    api_key: Option<SecretArg>,
    timeout: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    retry: Option<RetryOptions>,
    on_retry: Option<Py<PyAny>>,
    cache: Option<CacheOptions>,
) -> PyResult<sandgate::Client> {
    let on_retry = on_retry.map(|f| on_retry_hook(py, f)).transpose()?;
    surface::ClientOptions {
        domain,
        protocol,
        api_key: api_key.map(|k| k.0),
        timeout_ms: opt_millis(py, timeout, "timeout", ErrorKind::InvalidConfig)?,
        headers: headers
            .map(str_map)
            .transpose()?
            .unwrap_or_default()
            .into_iter()
            .collect(),
        language: Some("python".to_owned()),
        retry: retry.map(|r| r.0).unwrap_or_default(),
        on_retry,
        cache: cache.map(|c| c.0).unwrap_or_default(),
        ignore_env: false,
    }
    .build()
    .py(py)
}

/// `work` run to its end: blocking with the GIL released (`[]`), or awaited (`[async]`).
macro_rules! run {
    ([] $work:expr) => {
        Python::attach(|py| crate::bridge::block_on(py, $work))
    };
    ([async] $work:expr) => {
        crate::bridge::awaited($work).await
    };
}

/// The operations, once for each client class: plain methods that block (`Client`), or
/// `async` methods whose coroutines await the work (`AsyncClient`). Arguments are converted
/// when the call runs; nothing is sent before they are all valid.
macro_rules! client_class {
    ($ty:ident, $name:literal, [$($async:ident)?], $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "sandgate", name = $name)]
        pub struct $ty(sandgate::Client);

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(
                signature = (domain = None, protocol = None, api_key = None, timeout = None, headers = None, retry = None, *, on_retry = None, cache = None)
            )]
            #[allow(clippy::too_many_arguments)]
            fn new(
                py: Python<'_>,
                domain: Option<String>,
                protocol: Option<String>,
                api_key: Option<SecretArg>,
                timeout: Option<&Bound<'_, PyAny>>,
                headers: Option<&Bound<'_, PyAny>>,
                retry: Option<RetryOptions>,
                on_retry: Option<Py<PyAny>>,
                cache: Option<CacheOptions>,
            ) -> PyResult<Self> {
                build(py, domain, protocol, api_key, timeout, headers, retry, on_retry, cache)
                    .map($ty)
            }

            /// `protocol://domain`, the server root.
            #[getter]
            fn base_url(&self) -> &str {
                self.0.base_url()
            }

            /// The user agent sent with every request.
            #[getter]
            fn user_agent(&self) -> &str {
                self.0.user_agent()
            }

            /// The endpoint of `port` of a sandbox in one explicit mode: direct (the default),
            /// through the lifecycle server (`server_proxy=True`; its headers carry the API
            /// key), or signed, expiring at `expires` (Unix seconds or a `datetime`) or `ttl`
            /// after the server's now (seconds or a `timedelta`). A server-proxy endpoint
            /// cannot be signed. Endpoints are cached (see `CacheOptions`).
            #[pyo3(signature = (sandbox_id, port, *, server_proxy = false, expires = None, ttl = None))]
            $($async)? fn endpoint(
                &self,
                sandbox_id: String,
                port: Py<PyAny>,
                server_proxy: bool,
                expires: Option<Py<PyAny>>,
                ttl: Option<Py<PyAny>>,
            ) -> PyResult<Endpoint> {
                let (port, mode) = Python::attach(|py| -> PyResult<_> {
                    let port = crate::convert::port(py, port.bind(py))?;
                    let expires = opt_unix_seconds(py, bound(py, &expires), "expires")?;
                    let ttl = ttl_seconds(py, bound(py, &ttl))?;
                    let mode = EndpointMode::from_options(server_proxy, expires, ttl).py(py)?;
                    Ok((port, mode))
                })?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    surface::endpoint(&c, &sandbox_id, port, mode).await.map(Endpoint)
                })
            }

            /// The unsigned (direct) endpoint of `port` of a sandbox.
            $($async)? fn get_endpoint(
                &self,
                sandbox_id: String,
                port: Py<PyAny>,
            ) -> PyResult<Endpoint> {
                let port = Python::attach(|py| crate::convert::port(py, port.bind(py)))?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    surface::endpoint(&c, &sandbox_id, port, EndpointMode::Direct)
                        .await
                        .map(Endpoint)
                })
            }

            /// An endpoint with a signed route expiring at `expires` (Unix seconds or a
            /// `datetime`) or `ttl` from now (seconds or a `timedelta`); give exactly one.
            #[pyo3(signature = (sandbox_id, port, expires = None, *, ttl = None))]
            $($async)? fn get_signed_endpoint(
                &self,
                sandbox_id: String,
                port: Py<PyAny>,
                expires: Option<Py<PyAny>>,
                ttl: Option<Py<PyAny>>,
            ) -> PyResult<Endpoint> {
                let (port, expiry) = Python::attach(|py| -> PyResult<_> {
                    let expiry = expiry(py, bound(py, &expires), bound(py, &ttl));
                    Ok((crate::convert::port(py, port.bind(py))?, expiry?))
                })?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    surface::get_signed_endpoint(&c, &sandbox_id, port, expiry)
                        .await
                        .map(Endpoint)
                })
            }

            /// Mints an API key for the calling user; the raw key is in the result once.
            #[pyo3(signature = (name = None, expires_at = None))]
            $($async)? fn create_api_key(
                &self,
                name: Option<String>,
                expires_at: Option<Py<PyAny>>,
            ) -> PyResult<CreatedApiKey> {
                let expires_at = Python::attach(|py| {
                    opt_unix_seconds(py, bound(py, &expires_at), "expires_at")
                })?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    c.create_api_key(name.as_deref(), expires_at).await.map(CreatedApiKey)
                })
            }

            /// The calling user's keys (never a secret or hash).
            $($async)? fn list_api_keys(&self) -> PyResult<Vec<ApiKeyInfo>> {
                let c = self.0.clone();
                run!([$($async)?] async move {
                    c.list_api_keys().await.map(|v| v.into_iter().map(ApiKeyInfo).collect())
                })
            }

            /// Revokes one of the calling user's keys.
            $($async)? fn revoke_api_key(&self, key_id: String) -> PyResult<()> {
                let c = self.0.clone();
                run!([$($async)?] async move { c.revoke_api_key(&key_id).await })
            }

            /// Creates a sandbox running `image`; `timeout` is its lifetime in seconds.
            #[pyo3(signature = (image, *, secure_access = false, metadata = None, timeout = None))]
            $($async)? fn create_sandbox(
                &self,
                image: String,
                secure_access: bool,
                metadata: Option<Py<PyAny>>,
                timeout: Option<Py<PyAny>>,
            ) -> PyResult<Sandbox> {
                let req = Python::attach(|py| -> PyResult<_> {
                    Ok(CreateSandbox {
                        image,
                        secure_access,
                        metadata: bound(py, &metadata)
                            .map(str_map)
                            .transpose()?
                            .unwrap_or_default(),
                        timeout: bound(py, &timeout)
                            .map(|t| int(t, "timeout", ErrorKind::InvalidArgument))
                            .transpose()?,
                    })
                })?;
                let c = self.0.clone();
                run!([$($async)?] async move { c.create_sandbox(&req).await.map(Sandbox) })
            }

            /// Gets a sandbox.
            $($async)? fn get_sandbox(&self, sandbox_id: String) -> PyResult<Sandbox> {
                let c = self.0.clone();
                run!([$($async)?] async move { c.get_sandbox(&sandbox_id).await.map(Sandbox) })
            }

            /// The sandboxes the caller may see.
            $($async)? fn list_sandboxes(&self) -> PyResult<Vec<Sandbox>> {
                let c = self.0.clone();
                run!([$($async)?] async move {
                    c.list_sandboxes().await.map(|v| v.into_iter().map(Sandbox).collect())
                })
            }

            /// Deletes a sandbox.
            $($async)? fn delete_sandbox(&self, sandbox_id: String) -> PyResult<()> {
                let c = self.0.clone();
                run!([$($async)?] async move { c.delete_sandbox(&sandbox_id).await })
            }

            /// Pauses a sandbox; its cached endpoints are dropped.
            $($async)? fn pause_sandbox(&self, sandbox_id: String) -> PyResult<()> {
                let c = self.0.clone();
                run!([$($async)?] async move { c.pause_sandbox(&sandbox_id).await })
            }

            /// Resumes a paused sandbox; its cached endpoints are dropped.
            $($async)? fn resume_sandbox(&self, sandbox_id: String) -> PyResult<()> {
                let c = self.0.clone();
                run!([$($async)?] async move { c.resume_sandbox(&sandbox_id).await })
            }

            /// Renews a sandbox to expire at `expires` (Unix seconds or a `datetime`) or `ttl`
            /// from now (seconds or a `timedelta`); give exactly one.
            #[pyo3(signature = (sandbox_id, expires = None, *, ttl = None))]
            $($async)? fn renew_sandbox(
                &self,
                sandbox_id: String,
                expires: Option<Py<PyAny>>,
                ttl: Option<Py<PyAny>>,
            ) -> PyResult<SandboxRenewal> {
                let expiry = Python::attach(|py| expiry(py, bound(py, &expires), bound(py, &ttl)))?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    surface::renew_sandbox(&c, &sandbox_id, expiry).await.map(SandboxRenewal)
                })
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                format!("{}(base_url={})", $name, repr(py, self.0.base_url()))
            }
        }
    };
}

fn bound<'py>(py: Python<'py>, value: &'py Option<Py<PyAny>>) -> Option<&'py Bound<'py, PyAny>> {
    value.as_ref().map(|v| v.bind(py))
}

client_class!(
    Client,
    "Client",
    [],
    "A blocking client for the OpenSandbox lifecycle and keys APIs. Calls release the GIL (Ctrl-C \
     aborts a call); one client can be shared by many threads. Options: `domain`, `protocol`, \
     `api_key` (a `str` or a `Secret`), `timeout` (seconds or a `timedelta`), `headers`, `retry` \
     (a `RetryOptions`), `on_retry` (called with a `RetryEvent` before each retry sleeps) and \
     `cache` (a `CacheOptions`; endpoints are cached by default); unset options come from `OPEN_SANDBOX_DOMAIN`, \
     `OPEN_SANDBOX_API_KEY` and `OPEN_SANDBOX_PROTOCOL`."
);
client_class!(
    AsyncClient,
    "AsyncClient",
    [async],
    "An asyncio client with the operations and options of `Client`: every operation is a \
     coroutine running on sandgate's runtime, and cancelling its task cancels the request."
);

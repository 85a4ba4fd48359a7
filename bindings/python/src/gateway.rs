//! `Gateway`: the edge check of SPEC §1.4, §1.5 and §6 over core's `surface::gateway` and
//! `surface::check_request`. The ASGI and WSGI middleware (`sandgate/middleware.py`) call it
//! and decide nothing themselves.

use crate::convert::{opt_unix_seconds, repr};
use crate::errors::IntoPyResult;
use crate::route::{keys_arg, RouteInfo, SigningKeys};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyMapping, PyString};
use sandgate::surface::{self, GatewayOptions, GatewayVerdict, PolicyOptions};
use std::path::PathBuf;

/// What the gateway decided for one request: forward it (`allowed`, also its truth value) or
/// answer exactly `status`, `response_headers` and `body`.
#[pyclass(frozen, eq, module = "sandgate", name = "GatewayVerdict")]
#[derive(PartialEq)]
pub struct GatewayVerdictPy(GatewayVerdict);

#[pymethods]
impl GatewayVerdictPy {
    /// Whether the request goes on to the sandbox.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed
    }
    /// 200 when allowed, else the refusal's status (400, 401, 404 or 503).
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }
    /// The refusal's reason code (`expired`, `unknown_key`, ..., `policy_unavailable`), or
    /// `None` when allowed.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.0.reason
    }
    /// How access was granted (`open`, `signature`, `header`), or `None` when refused.
    #[getter]
    fn grant(&self) -> Option<&'static str> {
        self.0.grant
    }
    /// The verified route, or `None` when refused.
    #[getter]
    fn route(&self) -> Option<RouteInfo> {
        self.0.route.clone().map(RouteInfo)
    }
    /// The target to forward: the path (escaping kept, a uri-mode route prefix removed) and
    /// its `?query`; `None` when refused.
    #[getter]
    fn upstream_target(&self) -> Option<&str> {
        self.0.upstream_target.as_deref()
    }
    /// Request headers to remove before forwarding (compare names case-insensitively).
    #[getter]
    fn headers_to_strip(&self) -> Vec<&'static str> {
        self.0.headers_to_strip.clone()
    }
    /// The refusal's response headers as `(name, value)` pairs (`content-type`,
    /// `x-sandgate-reason`, `retry-after` on a 503); empty when allowed.
    #[getter]
    fn response_headers(&self) -> Vec<(&'static str, &'static str)> {
        self.0.response_headers.clone()
    }
    /// The refusal's `text/plain` body (`OpenSandbox Ingress: ...`); empty when allowed.
    #[getter]
    fn body(&self) -> &str {
        &self.0.body
    }
    /// The refusal's message (the body without its prefix); empty when allowed.
    #[getter]
    fn message(&self) -> &str {
        &self.0.message
    }
    fn __bool__(&self) -> bool {
        self.0.allowed
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        if self.0.allowed {
            format!(
                "GatewayVerdict(allowed=True, grant={}, route={}, upstream_target={})",
                repr(py, self.0.grant),
                self.route()
                    .map_or_else(|| "None".to_owned(), |r| repr(py, r)),
                repr(py, &self.0.upstream_target)
            )
        } else {
            format!(
                "GatewayVerdict(allowed=False, status={}, reason={}, message={})",
                self.0.status,
                repr(py, self.0.reason),
                repr(py, &self.0.message)
            )
        }
    }
}

/// A verifying gateway: which sandboxes need secure access comes from `policy` (a JSON or
/// TOML document as text, or a mapping, in the form of docs/gateway.md), or from
/// `policy_file` (a path, re-read when it changes; a bad file keeps the last good policy),
/// or neither: signature-only (every sandbox needs a valid signed route). `keys` are the
/// signing keys (a `SigningKeys` or the flag string); `route_mode` is `header`, `wildcard`
/// or `uri`; `now` fixes the clock (tests; default the system clock). A bad option raises
/// `InvalidConfig` saying what was wrong.
#[pyclass(frozen, module = "sandgate")]
pub struct Gateway(sandgate::gateway::Gateway);

#[pymethods]
impl Gateway {
    #[new]
    #[pyo3(signature = (keys, route_mode = "header", *, policy = None, policy_file = None, now = None))]
    fn new(
        py: Python<'_>,
        keys: &Bound<'_, PyAny>,
        route_mode: &str,
        policy: Option<&Bound<'_, PyAny>>,
        policy_file: Option<PathBuf>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let keys = keys_arg(py, keys)?;
        let table = policy.map(policy_text).transpose()?;
        let file = policy_file
            .map(|p| {
                p.into_os_string().into_string().map_err(|_| {
                    crate::errors::to_py(
                        py,
                        &sandgate::Error::invalid_config("policy_file must be a UTF-8 path"),
                    )
                })
            })
            .transpose()?;
        let options = GatewayOptions {
            route_mode: route_mode.to_owned(),
            keys,
            policy: PolicyOptions::from_options(table, file).py(py)?,
            now: opt_unix_seconds(py, now, "now")?,
        };
        surface::gateway(options).map(Gateway).py(py)
    }

    /// `header`, `wildcard` or `uri`.
    #[getter]
    fn route_mode(&self) -> &'static str {
        self.0.mode().as_str()
    }

    /// Checks one request: `target` as received (path and query, still percent-encoded) and
    /// `headers` as `(name, value)` pairs in arrival order (a repeated header repeated; the
    /// host is the `Host` pair) or a mapping. Values are `str` or `bytes`.
    fn check(&self, target: &str, headers: &Bound<'_, PyAny>) -> PyResult<GatewayVerdictPy> {
        let pairs = header_pairs(headers)?;
        Ok(GatewayVerdictPy(surface::check_request(
            &self.0, target, &pairs,
        )))
    }

    /// Takes a new key set without a restart (key rotation; a `SigningKeys` or a flag
    /// string): requests already being checked finish with the old set. Returns the set it
    /// replaced.
    fn replace_keys(&self, py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<SigningKeys> {
        Ok(SigningKeys(self.0.replace_keys(keys_arg(py, keys)?)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "Gateway(route_mode={}, key_ids={})",
            repr(py, self.0.mode().as_str()),
            repr(
                py,
                SigningKeys(self.0.verifier().keys())
                    .0
                    .key_ids()
                    .iter()
                    .map(char::to_string)
                    .collect::<Vec<_>>()
            )
        )
    }
}

/// A policy document: text as given, or a mapping written as JSON.
fn policy_text(policy: &Bound<'_, PyAny>) -> PyResult<String> {
    if let Ok(s) = policy.cast::<PyString>() {
        return s.extract();
    }
    if policy.cast::<PyMapping>().is_ok() {
        let json = policy.py().import("json")?;
        return json.call_method1("dumps", (policy,))?.extract();
    }
    Err(pyo3::exceptions::PyTypeError::new_err(format!(
        "policy must be a str (JSON or TOML) or a mapping, got {}",
        policy.get_type().name()?
    )))
}

/// Header pairs from a mapping (its `items()`) or an iterable of `(name, value)` pairs; names
/// and values are `str` or `bytes` (a `bytes` name is Latin-1).
fn header_pairs(headers: &Bound<'_, PyAny>) -> PyResult<Vec<(String, Vec<u8>)>> {
    let items = if headers.cast::<PyMapping>().is_ok() {
        headers.call_method0("items")?
    } else {
        headers.clone()
    };
    let mut out = Vec::new();
    for item in items.try_iter()? {
        let item = item?;
        // A 2-tuple or a 2-list (ASGI servers give either).
        let pair: Vec<Bound<'_, PyAny>> = match item.extract() {
            Ok(p) if !item.is_instance_of::<PyString>() => p,
            _ => Vec::new(),
        };
        let [name, value] = <[Bound<'_, PyAny>; 2]>::try_from(pair).map_err(|_| {
            pyo3::exceptions::PyTypeError::new_err("each header must be a (name, value) pair")
        })?;
        let name = match name.cast::<PyBytes>() {
            Ok(b) => b.as_bytes().iter().map(|&c| char::from(c)).collect(),
            Err(_) => name.extract::<String>()?,
        };
        let value = match value.cast::<PyBytes>() {
            Ok(b) => b.as_bytes().to_vec(),
            Err(_) => value.extract::<String>()?.into_bytes(),
        };
        out.push((name, value));
    }
    Ok(out)
}

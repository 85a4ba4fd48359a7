//! Signing keys, the route signer and the route verifier (SPEC §1).

use crate::convert::{repr, unix_seconds};
use crate::errors::{to_py, IntoPyResult};
use crate::secret::SecretArg;
use pyo3::prelude::*;
use sandgate::route::{AccessRequest, ParsedRoute};
use sandgate::Denial;

/// A validated set of signing keys, from the ingress flag string or the server TOML.
#[pyclass(frozen, module = "sandgate")]
pub struct SigningKeys(pub sandgate::SigningKeys);

#[pymethods]
impl SigningKeys {
    /// Parses the ingress flag string `a=BASE64,b=BASE64`.
    #[staticmethod]
    fn from_flag(py: Python<'_>, text: SecretArg) -> PyResult<Self> {
        sandgate::SigningKeys::from_flag(text.0.expose())
            .map(SigningKeys)
            .py(py)
    }

    /// Parses the server TOML table `[ingress.secure_access]`.
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: SecretArg) -> PyResult<Self> {
        sandgate::SigningKeys::from_toml(text.0.expose())
            .map(SigningKeys)
            .py(py)
    }

    /// Reads the server's environment pair `OPENSANDBOX_SECURE_ACCESS_KEYS` and
    /// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY` from `env` (any mapping; default: the process
    /// environment). `None` when neither is set.
    #[staticmethod]
    #[pyo3(signature = (env = None))]
    fn from_env(py: Python<'_>, env: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Self>> {
        let Some(env) = env else {
            return sandgate::SigningKeys::from_env()
                .map(|k| k.map(SigningKeys))
                .py(py);
        };
        let get = |name: &str| -> PyResult<Option<sandgate::SecretString>> {
            let v = env.call_method1("get", (name,))?;
            if v.is_none() {
                return Ok(None);
            }
            Ok(Some(v.extract::<SecretArg>()?.0))
        };
        let keys = get(sandgate::keys::ENV_KEYS)?;
        let active = get(sandgate::keys::ENV_ACTIVE_KEY)?;
        sandgate::SigningKeys::from_env_vars(
            keys.as_ref().map(|k| k.expose()),
            active.as_ref().map(|a| a.expose()),
        )
        .map(|k| k.map(SigningKeys))
        .py(py)
    }

    /// The key ids, in configuration order.
    #[getter]
    fn key_ids(&self) -> Vec<String> {
        self.0.key_ids().iter().map(char::to_string).collect()
    }

    /// The active key id, or `None`.
    #[getter]
    fn active_key_id(&self) -> Option<String> {
        self.0.active_key_id().map(String::from)
    }

    fn __len__(&self) -> usize {
        self.0.len()
    }

    fn __contains__(&self, key_id: &Bound<'_, PyAny>) -> bool {
        key_id.extract::<char>().is_ok_and(|c| self.0.contains(c))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SigningKeys(key_ids={}, active_key_id={})",
            repr(py, self.key_ids()),
            repr(py, self.active_key_id())
        )
    }
}

/// The facts of a route: sandbox id, port, and for a signed route its expiry and key id.
#[pyclass(frozen, eq, hash, module = "sandgate")]
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct RouteInfo {
    #[pyo3(get)]
    sandbox_id: String,
    #[pyo3(get)]
    port: u16,
    #[pyo3(get)]
    expires: Option<u64>,
    #[pyo3(get)]
    key_id: Option<String>,
}

impl From<sandgate::RouteInfo> for RouteInfo {
    fn from(r: sandgate::RouteInfo) -> Self {
        RouteInfo {
            sandbox_id: r.sandbox_id,
            port: r.port,
            expires: r.expires,
            key_id: r.key_id.map(String::from),
        }
    }
}

impl From<&ParsedRoute<'_>> for RouteInfo {
    fn from(r: &ParsedRoute<'_>) -> Self {
        r.to_info().into()
    }
}

#[pymethods]
impl RouteInfo {
    /// Whether the route is signed (has an expiry and a key id).
    #[getter]
    fn signed(&self) -> bool {
        self.expires.is_some()
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RouteInfo(sandbox_id={}, port={}, expires={}, key_id={})",
            repr(py, &self.sandbox_id),
            self.port,
            repr(py, self.expires),
            repr(py, &self.key_id)
        )
    }
}

/// A signed route, in every form a gateway accepts.
#[pyclass(frozen, module = "sandgate")]
pub struct SignedRoute(sandgate::SignedRoute);

#[pymethods]
impl SignedRoute {
    /// The route token `{sandbox_id}-{port}-{expires_b36}-{signature}`.
    #[getter]
    fn token(&self) -> String {
        self.0.token()
    }
    #[getter]
    fn sandbox_id(&self) -> &str {
        self.0.sandbox_id()
    }
    #[getter]
    fn port(&self) -> u16 {
        self.0.port()
    }
    /// Expiry in Unix seconds.
    #[getter]
    fn expires(&self) -> u64 {
        self.0.expires()
    }
    #[getter]
    fn expires_b36(&self) -> &str {
        self.0.expires_b36()
    }
    /// The 9-character signature (8 hex digits and the key id).
    #[getter]
    fn signature(&self) -> &str {
        self.0.signature()
    }
    #[getter]
    fn key_id(&self) -> String {
        self.0.key_id().to_string()
    }
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    #[getter]
    fn uri_prefix(&self) -> String {
        self.0.uri_prefix()
    }
    /// The value of the `OpenSandbox-Ingress-To` header.
    #[getter]
    fn header_value(&self) -> String {
        self.0.header_value()
    }
    /// The route facts.
    #[getter]
    fn info(&self) -> RouteInfo {
        self.0.info().into()
    }
    /// The wildcard host `{token}.{base_domain}`; a base domain that is not a DNS name is an
    /// `InvalidArgument`.
    fn host(&self, py: Python<'_>, base_domain: &str) -> PyResult<String> {
        self.0.wildcard_host(base_domain).py(py)
    }
    fn __str__(&self) -> String {
        self.0.token()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SignedRoute({}, expires={})",
            repr(py, self.0.token()),
            self.0.expires()
        )
    }
    fn __eq__(&self, other: &Bound<'_, PyAny>) -> bool {
        other
            .cast::<SignedRoute>()
            .is_ok_and(|o| o.get().0 == self.0)
    }
    fn __hash__(&self) -> u64 {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        self.0.token().hash(&mut h);
        h.finish()
    }
}

/// Signs routes with one key of a `SigningKeys` set (the active key by default).
#[pyclass(frozen, module = "sandgate")]
pub struct RouteSigner(sandgate::RouteSigner);

#[pymethods]
impl RouteSigner {
    #[new]
    #[pyo3(signature = (keys, key_id = None))]
    fn new(py: Python<'_>, keys: &SigningKeys, key_id: Option<&str>) -> PyResult<Self> {
        let id = key_id
            .map(sandgate::keys::parse_key_id)
            .transpose()
            .py(py)?;
        sandgate::RouteSigner::new(&keys.0, id)
            .map(RouteSigner)
            .py(py)
    }

    /// The key id this signer signs with.
    #[getter]
    fn key_id(&self) -> String {
        self.0.key_id().to_string()
    }

    /// Signs a route to `port` of `sandbox_id` expiring at `expires` (Unix seconds or a
    /// `datetime`).
    fn sign(
        &self,
        py: Python<'_>,
        sandbox_id: &str,
        port: &Bound<'_, PyAny>,
        expires: &Bound<'_, PyAny>,
    ) -> PyResult<SignedRoute> {
        let port = crate::convert::port(py, port)?;
        let expires = unix_seconds(py, expires, "expires")?;
        self.0
            .sign(sandbox_id, port, expires)
            .map(SignedRoute)
            .py(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("RouteSigner(key_id={})", repr(py, self.key_id()))
    }
}

/// The outcome of an access decision (SPEC §1.5).
#[pyclass(frozen, module = "sandgate")]
pub struct AccessDecision {
    /// Whether the request is allowed.
    #[pyo3(get)]
    allowed: bool,
    /// The denial reason code (`expired`, `bad_signature`, ...), or `None` when allowed.
    #[pyo3(get)]
    reason: Option<&'static str>,
    /// The HTTP status a gateway answers: 200 when allowed.
    #[pyo3(get)]
    status: u16,
    /// A short explanation of a denial.
    #[pyo3(get)]
    detail: Option<&'static str>,
    /// How access was granted: `open`, `header` or `signature`.
    #[pyo3(get)]
    grant: Option<&'static str>,
    /// The route (allowed requests).
    #[pyo3(get)]
    route: Option<RouteInfo>,
    /// The upstream path (allowed requests).
    #[pyo3(get)]
    path: Option<String>,
    /// The upstream query without `?` (allowed requests that had one).
    #[pyo3(get)]
    query: Option<String>,
}

#[pymethods]
impl AccessDecision {
    fn __bool__(&self) -> bool {
        self.allowed
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        if self.allowed {
            format!(
                "AccessDecision(allowed=True, grant={}, route={}, path={}, query={})",
                repr(py, self.grant),
                self.route
                    .as_ref()
                    .map_or("None".to_owned(), |r| r.__repr__(py)),
                repr(py, &self.path),
                repr(py, &self.query)
            )
        } else {
            format!(
                "AccessDecision(allowed=False, reason={}, status={}, detail={})",
                repr(py, self.reason),
                self.status,
                repr(py, self.detail)
            )
        }
    }
}

/// Verifies signed routes and takes full access decisions.
#[pyclass(frozen, module = "sandgate")]
pub struct RouteVerifier(sandgate::RouteVerifier);

fn now_arg(py: Python<'_>, now: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    now.map(|n| unix_seconds(py, n, "now")).transpose()
}

fn denied(py: Python<'_>, d: Denial) -> PyErr {
    to_py(py, &sandgate::Error::from(d))
}

#[pymethods]
impl RouteVerifier {
    #[new]
    fn new(keys: &SigningKeys) -> Self {
        RouteVerifier(sandgate::RouteVerifier::new(keys.0.clone()))
    }

    /// The keys this verifier holds.
    #[getter]
    fn keys(&self) -> SigningKeys {
        SigningKeys(self.0.keys().clone())
    }

    /// Verifies a route token at `now` (default: the system clock). Raises `AccessDenied`.
    #[pyo3(signature = (token, now = None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        let now = now_arg(py, now)?.unwrap_or_else(sandgate::now_unix);
        match self.0.verify_at(token, now) {
            Ok(r) => Ok((&r).into()),
            Err(d) => Err(denied(py, d)),
        }
    }

    /// Verifies the route in the first label of a `Host` value. Raises `AccessDenied`.
    #[pyo3(signature = (host, now = None))]
    fn verify_host(
        &self,
        py: Python<'_>,
        host: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        let now = now_arg(py, now)?.unwrap_or_else(sandgate::now_unix);
        match self.0.verify_host(host, now) {
            Ok(r) => Ok((&r).into()),
            Err(d) => Err(denied(py, d)),
        }
    }

    /// Verifies a uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest]`. Raises
    /// `AccessDenied`.
    #[pyo3(signature = (path, now = None))]
    fn verify_path(
        &self,
        py: Python<'_>,
        path: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        let now = now_arg(py, now)?.unwrap_or_else(sandgate::now_unix);
        match self.0.verify_path(path, now) {
            Ok(a) => Ok((&a.route).into()),
            Err(d) => Err(denied(py, d)),
        }
    }

    /// The full access decision for one gateway request. The route comes from `ingress_to`,
    /// else `host`, else `path` (uri mode). `secure_access` is the `OpenSandbox-Secure-Access`
    /// header (`None` = not sent); `access_token` is the sandbox's token (`None` = the sandbox
    /// does not require secure access).
    #[pyo3(signature = (*, ingress_to = None, host = None, path = None, secure_access = None, access_token = None, now = None))]
    #[allow(clippy::too_many_arguments)]
    fn decide(
        &self,
        py: Python<'_>,
        ingress_to: Option<&str>,
        host: Option<&str>,
        path: Option<&str>,
        secure_access: Option<SecretArg>,
        access_token: Option<SecretArg>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<AccessDecision> {
        let now = now_arg(py, now)?;
        let req = AccessRequest {
            ingress_to,
            host,
            path,
            secure_access: secure_access.as_ref().map(|s| s.0.expose()),
            ..Default::default()
        };
        let d = self
            .0
            .decision(&req, access_token.as_ref().map(|s| s.0.expose()), now);
        Ok(AccessDecision {
            allowed: d.allowed,
            reason: d.reason.map(|r| r.code()),
            status: d.status,
            detail: d.detail,
            grant: d.grant.map(|g| g.code()),
            route: d.route.map(RouteInfo::from),
            path: d.path,
            query: d.query,
        })
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RouteVerifier(key_ids={})",
            repr(py, SigningKeys(self.0.keys().clone()).key_ids())
        )
    }
}

//! Signing keys, the route signer and the route verifier (SPEC §1), over core's binding
//! surface: `SignedRouteView`, `RouteView`, `surface::verify`, `surface::decide`.

use crate::convert::{duration, int, opt_unix_seconds, repr};
use crate::errors::{to_py, IntoPyResult};
use crate::secret::SecretArg;
use pyo3::prelude::*;
use sandgate::route::AccessRequest;
use sandgate::surface::{self, Decision, Expiry, RouteForm, RouteView, SignedRouteView};
use sandgate::ErrorKind;

/// A validated set of signing keys, from the ingress flag string or the server TOML.
#[pyclass(frozen, module = "sandgate")]
pub struct SigningKeys(pub sandgate::SigningKeys);

#[pymethods]
impl SigningKeys {
    /// Parses the ingress flag string `a=BASE64,b=BASE64` (a `str` or a `Secret`).
    #[staticmethod]
    fn from_flag(py: Python<'_>, text: SecretArg) -> PyResult<Self> {
        sandgate::SigningKeys::from_flag(text.expose())
            .map(SigningKeys)
            .py(py)
    }

    /// Parses the server TOML table `[ingress.secure_access]` (a `str` or a `Secret`).
    #[staticmethod]
    fn from_toml(py: Python<'_>, text: SecretArg) -> PyResult<Self> {
        sandgate::SigningKeys::from_toml(text.expose())
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
        let get = |name: &str| -> PyResult<Option<SecretArg>> {
            let v = env.call_method1("get", (name,))?;
            if v.is_none() {
                return Ok(None);
            }
            v.extract::<SecretArg>().map(Some)
        };
        let keys = get(sandgate::keys::ENV_KEYS)?;
        let active = get(sandgate::keys::ENV_ACTIVE_KEY)?;
        sandgate::SigningKeys::from_env_vars(
            keys.as_ref().map(SecretArg::expose),
            active.as_ref().map(SecretArg::expose),
        )
        .map(|k| k.map(SigningKeys))
        .py(py)
    }

    /// The key ids (one-character strings), in configuration order.
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
pub struct RouteInfo(pub RouteView);

#[pymethods]
impl RouteInfo {
    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        &self.0.sandbox_id
    }
    /// The port.
    #[getter]
    fn port(&self) -> u16 {
        self.0.port
    }
    /// Expiry in Unix seconds (signed routes), else `None`.
    #[getter]
    fn expires(&self) -> Option<u64> {
        self.0.expires
    }
    /// The signing key id, one character (signed routes), else `None`.
    #[getter]
    fn key_id(&self) -> Option<&str> {
        self.0.key_id.as_deref()
    }
    /// Whether the route is signed (has an expiry and a key id).
    #[getter]
    fn signed(&self) -> bool {
        self.0.expires.is_some()
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RouteInfo(sandbox_id={}, port={}, expires={}, key_id={})",
            repr(py, &self.0.sandbox_id),
            self.0.port,
            repr(py, self.0.expires),
            repr(py, &self.0.key_id)
        )
    }
}

/// A signed route as plain data, in every form a gateway accepts.
#[pyclass(frozen, eq, hash, module = "sandgate")]
#[derive(PartialEq, Eq, Hash)]
pub struct SignedRoute(SignedRouteView);

#[pymethods]
impl SignedRoute {
    /// The route token `{sandbox_id}-{port}-{expires_b36}-{signature}`.
    #[getter]
    fn token(&self) -> &str {
        &self.0.token
    }
    /// The sandbox id.
    #[getter]
    fn sandbox_id(&self) -> &str {
        &self.0.sandbox_id
    }
    /// The port.
    #[getter]
    fn port(&self) -> u16 {
        self.0.port
    }
    /// Expiry in Unix seconds.
    #[getter]
    fn expires(&self) -> u64 {
        self.0.expires
    }
    /// Expiry in base 36, as it appears in the token.
    #[getter]
    fn expires_b36(&self) -> &str {
        &self.0.expires_b36
    }
    /// The 9-character signature (8 hex digits and the key id).
    #[getter]
    fn signature(&self) -> &str {
        &self.0.signature
    }
    /// The signing key id (one character).
    #[getter]
    fn key_id(&self) -> &str {
        &self.0.key_id
    }
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    #[getter]
    fn uri_prefix(&self) -> &str {
        &self.0.uri_prefix
    }
    /// The value of the `OpenSandbox-Ingress-To` header (the token).
    #[getter]
    fn header_value(&self) -> &str {
        &self.0.token
    }
    /// The route facts.
    #[getter]
    fn info(&self) -> RouteInfo {
        RouteInfo(self.0.route())
    }
    /// The wildcard host `{token}.{base_domain}`; a base domain that is not a DNS name is an
    /// `InvalidArgument`.
    fn host(&self, py: Python<'_>, base_domain: &str) -> PyResult<String> {
        self.0.host(base_domain).py(py)
    }
    fn __str__(&self) -> &str {
        &self.0.token
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "SignedRoute({}, expires={})",
            repr(py, &self.0.token),
            self.0.expires
        )
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
    /// `datetime`) or `ttl` after `now` (seconds or a `timedelta`; `now` defaults to the
    /// system clock). Give exactly one of `expires` and `ttl`.
    #[pyo3(signature = (sandbox_id, port, expires = None, *, ttl = None, now = None))]
    fn sign(
        &self,
        py: Python<'_>,
        sandbox_id: &str,
        port: &Bound<'_, PyAny>,
        expires: Option<&Bound<'_, PyAny>>,
        ttl: Option<&Bound<'_, PyAny>>,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<SignedRoute> {
        let port = int(port, "port", ErrorKind::InvalidArgument)?;
        let expiry = expiry(py, expires, ttl)?;
        let now = opt_unix_seconds(py, now, "now")?;
        surface::sign(&self.0, sandbox_id, port, expiry, now)
            .map(SignedRoute)
            .py(py)
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!("RouteSigner(key_id={})", repr(py, self.key_id()))
    }
}

/// Signing keys given as a `SigningKeys` or as the ingress flag string (a `str` or a
/// `Secret`; `""` is the empty set).
pub fn keys_arg(py: Python<'_>, keys: &Bound<'_, PyAny>) -> PyResult<sandgate::SigningKeys> {
    if let Ok(k) = keys.cast::<SigningKeys>() {
        return Ok(k.get().0.clone());
    }
    let flag: SecretArg = keys.extract()?;
    if flag.expose().is_empty() {
        return Ok(sandgate::SigningKeys::empty());
    }
    sandgate::SigningKeys::from_flag(flag.expose()).py(py)
}

/// An expiry given as `expires` (Unix seconds or a `datetime`) or `ttl` (seconds or a
/// `timedelta`, whole seconds count); core decides that exactly one is given.
pub fn expiry(
    py: Python<'_>,
    expires: Option<&Bound<'_, PyAny>>,
    ttl: Option<&Bound<'_, PyAny>>,
) -> PyResult<Expiry> {
    let expires = opt_unix_seconds(py, expires, "expires")?;
    Expiry::from_options(expires, ttl_seconds(py, ttl)?).py(py)
}

/// A TTL in whole seconds from seconds or a `timedelta` (core checks it is at least one).
pub fn ttl_seconds(py: Python<'_>, ttl: Option<&Bound<'_, PyAny>>) -> PyResult<Option<u64>> {
    ttl.map(|t| duration(py, t, "ttl", ErrorKind::InvalidArgument).map(|d| d.as_secs()))
        .transpose()
}

/// The outcome of an access decision (SPEC §1.5).
#[pyclass(frozen, module = "sandgate")]
pub struct AccessDecision(Decision);

#[pymethods]
impl AccessDecision {
    /// Whether the request is allowed.
    #[getter]
    fn allowed(&self) -> bool {
        self.0.allowed
    }
    /// The denial reason code (`expired`, `bad_signature`, ...), or `None` when allowed.
    #[getter]
    fn reason(&self) -> Option<&'static str> {
        self.0.reason_code()
    }
    /// The HTTP status a gateway answers: 200 when allowed.
    #[getter]
    fn status(&self) -> u16 {
        self.0.status
    }
    /// A short explanation of a denial.
    #[getter]
    fn detail(&self) -> Option<&'static str> {
        self.0.detail
    }
    /// How access was granted: `open`, `header` or `signature`.
    #[getter]
    fn grant(&self) -> Option<&'static str> {
        self.0.grant_code()
    }
    /// The route (allowed requests).
    #[getter]
    fn route(&self) -> Option<RouteInfo> {
        self.0.route.clone().map(RouteInfo)
    }
    /// The upstream path (allowed requests).
    #[getter]
    fn path(&self) -> Option<&str> {
        self.0.path.as_deref()
    }
    /// The upstream query without `?` (allowed requests that had one).
    #[getter]
    fn query(&self) -> Option<&str> {
        self.0.query.as_deref()
    }
    /// The denial as an `AccessDenied` exception (not raised), or `None` when allowed.
    #[getter]
    fn error(&self, py: Python<'_>) -> Option<Py<PyAny>> {
        self.0
            .error()
            .map(|e| to_py(py, &e).into_value(py).into_any())
    }
    /// Raises the denial as `AccessDenied`; does nothing when the request is allowed.
    fn raise_if_denied(&self, py: Python<'_>) -> PyResult<()> {
        match self.0.error() {
            Some(e) => Err(to_py(py, &e)),
            None => Ok(()),
        }
    }
    fn __bool__(&self) -> bool {
        self.0.allowed
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        let d = &self.0;
        if d.allowed {
            format!(
                "AccessDecision(allowed=True, grant={}, route={}, path={}, query={})",
                repr(py, d.grant_code()),
                self.route().map_or("None".to_owned(), |r| r.__repr__(py)),
                repr(py, &d.path),
                repr(py, &d.query)
            )
        } else {
            format!(
                "AccessDecision(allowed=False, reason={}, status={}, detail={})",
                repr(py, d.reason_code()),
                d.status,
                repr(py, d.detail)
            )
        }
    }
}

/// Verifies signed routes and takes full access decisions.
#[pyclass(frozen, module = "sandgate")]
pub struct RouteVerifier(sandgate::RouteVerifier);

impl RouteVerifier {
    fn verify_as(
        &self,
        py: Python<'_>,
        form: RouteForm,
        input: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        let now = opt_unix_seconds(py, now, "now")?;
        surface::verify_owned(&self.0, form, input, now)
            .map(RouteInfo)
            .py(py)
    }
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

    /// Takes a new key set without a restart (key rotation): every later verification uses
    /// `keys`, one already running finishes with the old set. The swap is atomic. Returns the
    /// set it replaced.
    fn replace_keys(&self, keys: &SigningKeys) -> SigningKeys {
        SigningKeys(self.0.replace_keys(keys.0.clone()))
    }

    /// Verifies a route token at `now` (default: the system clock). Raises `AccessDenied`.
    #[pyo3(signature = (token, now = None))]
    fn verify(
        &self,
        py: Python<'_>,
        token: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        self.verify_as(py, RouteForm::Token, token, now)
    }

    /// Verifies the route in the first label of a `Host` value at `now` (default: the system
    /// clock). Raises `AccessDenied`.
    #[pyo3(signature = (host, now = None))]
    fn verify_host(
        &self,
        py: Python<'_>,
        host: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        self.verify_as(py, RouteForm::Host, host, now)
    }

    /// Verifies a uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest]` at `now`
    /// (default: the system clock). Raises `AccessDenied`.
    #[pyo3(signature = (path, now = None))]
    fn verify_path(
        &self,
        py: Python<'_>,
        path: &str,
        now: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<RouteInfo> {
        self.verify_as(py, RouteForm::Path, path, now)
    }

    /// The full access decision for one gateway request. The route comes from `ingress_to`,
    /// else `host`, else `path` (uri mode). `secure_access` is the `OpenSandbox-Secure-Access`
    /// header (`None` = not sent); `access_token` is the sandbox's token (`None` = the sandbox
    /// does not require secure access); `now` defaults to the system clock.
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
        let now = opt_unix_seconds(py, now, "now")?;
        let req = AccessRequest {
            ingress_to,
            host,
            path,
            secure_access: secure_access.as_ref().map(SecretArg::expose),
            ..Default::default()
        };
        let token = access_token.as_ref().map(SecretArg::expose);
        Ok(AccessDecision(surface::decide(&self.0, &req, token, now)))
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RouteVerifier(key_ids={})",
            repr(py, SigningKeys(self.0.keys().clone()).key_ids())
        )
    }
}

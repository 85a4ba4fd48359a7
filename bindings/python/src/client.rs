//! `Client` (blocking, GIL released) and `_AsyncClient` (asyncio futures; the public
//! `AsyncClient` in `sandgate/_async.py` wraps it in coroutines), and the results they return.

use crate::bridge::{awaitable, block_on};
use crate::convert::{dict, duration, repr, str_map, unix_seconds};
use crate::errors::{conversion_as, to_py};
use crate::route::RouteInfo;
use crate::secret::{Secret, SecretArg};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict};
use pyo3::IntoPyObjectExt;
use sandgate::client::{ClientBuilder, CreateSandbox, RetryPolicy};
use sandgate::ErrorKind;
use std::future::Future;

/// An endpoint of a sandbox port. Send `headers` with every request to `url`.
#[pyclass(frozen, module = "sandgate")]
pub struct Endpoint(sandgate::Endpoint);

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
        self.0.route.clone().map(RouteInfo::from)
    }
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Endpoint(url={}, headers={}, route={})",
            repr(py, &self.0.url),
            repr(py, dict(py, &self.0.redacted_headers())?),
            self.route()
                .map_or_else(|| "None".to_owned(), |r| repr(py, r)),
        ))
    }
}

/// A key just minted. `key` is the raw key, returned this one time only.
#[pyclass(frozen, module = "sandgate")]
pub struct CreatedApiKey(sandgate::CreatedApiKey);

#[pymethods]
impl CreatedApiKey {
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    /// Display prefix: the first 12 characters of the key.
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    /// The raw key as a `Secret`: `key.reveal()` gives the text.
    #[getter]
    fn key(&self) -> Secret {
        Secret::from_core(self.0.key.clone())
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
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
    #[getter]
    fn name(&self) -> &str {
        &self.0.name
    }
    #[getter]
    fn prefix(&self) -> &str {
        &self.0.prefix
    }
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.0.created_at.as_deref()
    }
    #[getter]
    fn expires_at(&self) -> Option<&str> {
        self.0.expires_at.as_deref()
    }
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
    #[getter]
    fn id(&self) -> &str {
        &self.0.id
    }
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
    #[getter]
    fn secure_access(&self) -> bool {
        self.0.secure_access
    }
    #[getter]
    fn created_at(&self) -> Option<&str> {
        self.0.created_at.as_deref()
    }
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

/// Builds a core client from the Python options. Unset options come from `OPEN_SANDBOX_*`
/// and then the core's defaults.
fn build(
    py: Python<'_>,
    domain: Option<String>,
    protocol: Option<String>,
    api_key: Option<SecretArg>,
    timeout: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    retries: Option<&Bound<'_, PyAny>>,
) -> PyResult<sandgate::Client> {
    let mut b = ClientBuilder::default().language("python");
    if let Some(d) = domain {
        b = b.domain(d);
    }
    if let Some(p) = protocol {
        b = b.protocol(p);
    }
    if let Some(k) = api_key {
        b = b.api_key(k.0);
    }
    if let Some(t) = timeout {
        b = b.timeout(duration(py, t, "timeout", ErrorKind::InvalidConfig)?);
    }
    for (name, value) in headers.map(str_map).transpose()?.unwrap_or_default() {
        b = b.header(name, value);
    }
    let retry = match retries {
        None => RetryPolicy::default(),
        Some(r) => match r.cast::<PyBool>() {
            Ok(on) if on.is_true() => RetryPolicy::default(),
            Ok(_) => RetryPolicy::none(),
            Err(_) => RetryPolicy {
                max_attempts: r
                    .extract()
                    .map_err(|e| conversion_as(py, ErrorKind::InvalidConfig, "retries", e))?,
                ..RetryPolicy::default()
            },
        },
    };
    b.retry(retry).build().map_err(|e| to_py(py, &e))
}

fn run_blocking<T, F>(py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    block_on(py, fut)?.into_py_any(py)
}

fn run_async<T, F>(py: Python<'_>, fut: F) -> PyResult<Py<PyAny>>
where
    F: Future<Output = sandgate::Result<T>> + Send + 'static,
    T: for<'a> IntoPyObject<'a> + Send + 'static,
{
    awaitable(py, fut).map(Bound::unbind)
}

fn one_expiry(
    py: Python<'_>,
    expires: Option<&Bound<'_, PyAny>>,
    ttl: Option<&Bound<'_, PyAny>>,
) -> PyResult<Result<u64, std::time::Duration>> {
    match (expires, ttl) {
        (Some(e), None) => Ok(Ok(unix_seconds(py, e, "expires")?)),
        (None, Some(t)) => Ok(Err(duration(py, t, "ttl", ErrorKind::InvalidArgument)?)),
        _ => Err(to_py(
            py,
            &sandgate::Error::invalid_argument("give exactly one of expires or ttl"),
        )),
    }
}

/// The operations, once for each client class: `$run` blocks or returns an asyncio future.
macro_rules! client_class {
    ($ty:ident, $name:literal, $run:ident, $doc:literal) => {
        #[doc = $doc]
        #[pyclass(frozen, module = "sandgate", name = $name)]
        pub struct $ty(sandgate::Client);

        #[pymethods]
        impl $ty {
            #[new]
            #[pyo3(
                signature = (domain = None, protocol = None, api_key = None, timeout = None, headers = None, retries = None),
                text_signature = "(domain=None, protocol=None, api_key=None, timeout=None, headers=None, retries=True)"
            )]
            fn new(
                py: Python<'_>,
                domain: Option<String>,
                protocol: Option<String>,
                api_key: Option<SecretArg>,
                timeout: Option<&Bound<'_, PyAny>>,
                headers: Option<&Bound<'_, PyAny>>,
                retries: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Self> {
                build(
                    py,
                    domain,
                    protocol,
                    api_key,
                    timeout,
                    headers,
                    retries,
                )
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

            /// The unsigned endpoint of `port` of a sandbox.
            fn get_endpoint(
                &self,
                py: Python<'_>,
                sandbox_id: String,
                port: &Bound<'_, PyAny>,
            ) -> PyResult<Py<PyAny>> {
                let port = crate::convert::port(py, port)?;
                let c = self.0.clone();
                $run(py, async move {
                    c.get_endpoint(&sandbox_id, port).await.map(Endpoint)
                })
            }

            /// An endpoint with a signed route expiring at `expires` (Unix seconds or a
            /// `datetime`) or `ttl` from now (seconds or a `timedelta`).
            #[pyo3(signature = (sandbox_id, port, expires = None, *, ttl = None))]
            fn get_signed_endpoint(
                &self,
                py: Python<'_>,
                sandbox_id: String,
                port: &Bound<'_, PyAny>,
                expires: Option<&Bound<'_, PyAny>>,
                ttl: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                let port = crate::convert::port(py, port)?;
                let when = one_expiry(py, expires, ttl)?;
                let c = self.0.clone();
                $run(py, async move {
                    match when {
                        Ok(e) => c.get_signed_endpoint(&sandbox_id, port, e).await,
                        Err(t) => c.get_signed_endpoint_for(&sandbox_id, port, t).await,
                    }
                    .map(Endpoint)
                })
            }

            /// Mints an API key for the calling user; the raw key is in the result once.
            #[pyo3(signature = (name = None, expires_at = None))]
            fn create_api_key(
                &self,
                py: Python<'_>,
                name: Option<String>,
                expires_at: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                let expires_at = expires_at
                    .map(|e| unix_seconds(py, e, "expires_at"))
                    .transpose()?;
                let c = self.0.clone();
                $run(py, async move {
                    c.create_api_key(name.as_deref(), expires_at)
                        .await
                        .map(CreatedApiKey)
                })
            }

            /// The calling user's keys (never a secret or hash).
            fn list_api_keys(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                let c = self.0.clone();
                $run(py, async move {
                    c.list_api_keys()
                        .await
                        .map(|v| v.into_iter().map(ApiKeyInfo).collect::<Vec<_>>())
                })
            }

            /// Revokes one of the calling user's keys.
            fn revoke_api_key(&self, py: Python<'_>, key_id: String) -> PyResult<Py<PyAny>> {
                let c = self.0.clone();
                $run(py, async move { c.revoke_api_key(&key_id).await })
            }

            /// Creates a sandbox running `image`.
            #[pyo3(signature = (image, *, secure_access = false, metadata = None, timeout = None))]
            fn create_sandbox(
                &self,
                py: Python<'_>,
                image: String,
                secure_access: bool,
                metadata: Option<&Bound<'_, PyAny>>,
                timeout: Option<&Bound<'_, PyAny>>,
            ) -> PyResult<Py<PyAny>> {
                let timeout = timeout
                    .map(|t| {
                        t.extract::<u64>()
                            .map_err(|e| crate::errors::conversion(py, "timeout", e))
                    })
                    .transpose()?;
                let req = CreateSandbox {
                    image,
                    secure_access,
                    metadata: metadata.map(str_map).transpose()?.unwrap_or_default(),
                    timeout,
                };
                let c = self.0.clone();
                $run(py, async move { c.create_sandbox(&req).await.map(Sandbox) })
            }

            /// Gets a sandbox.
            fn get_sandbox(&self, py: Python<'_>, sandbox_id: String) -> PyResult<Py<PyAny>> {
                let c = self.0.clone();
                $run(py, async move { c.get_sandbox(&sandbox_id).await.map(Sandbox) })
            }

            /// The sandboxes the caller may see.
            fn list_sandboxes(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
                let c = self.0.clone();
                $run(py, async move {
                    c.list_sandboxes()
                        .await
                        .map(|v| v.into_iter().map(Sandbox).collect::<Vec<_>>())
                })
            }

            /// Deletes a sandbox.
            fn delete_sandbox(&self, py: Python<'_>, sandbox_id: String) -> PyResult<Py<PyAny>> {
                let c = self.0.clone();
                $run(py, async move { c.delete_sandbox(&sandbox_id).await })
            }

            fn __repr__(&self, py: Python<'_>) -> String {
                format!("{}(base_url={})", $name, repr(py, self.0.base_url()))
            }
        }
    };
}

client_class!(
    Client,
    "Client",
    run_blocking,
    "A blocking client for the OpenSandbox lifecycle and keys APIs. Calls release the GIL; one \
     client can be shared by many threads."
);
client_class!(
    AsyncClientCore,
    "_AsyncClient",
    run_async,
    "The native half of `sandgate.AsyncClient`: every call returns an asyncio future."
);

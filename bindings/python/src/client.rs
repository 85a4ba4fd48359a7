//! `Client` (blocking, GIL released) and `AsyncClient` (coroutines), their options
//! (`surface::ClientOptions`, `RetryOptions`) and the results they return.

use crate::convert::{dict, int, opt_millis, opt_unix_seconds, repr, str_map};
use crate::errors::IntoPyResult;
use crate::route::{expiry, RouteInfo};
use crate::secret::{Secret, SecretArg};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use sandgate::client::CreateSandbox;
use sandgate::surface::{self, EndpointView};
use sandgate::ErrorKind;

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
    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!(
            "Endpoint(url={}, headers={}, route={})",
            repr(py, &self.0.url),
            repr(py, dict(py, &self.0.redacted_headers)?),
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

/// Retry options of a client: `max_retries` retries after the first attempt (0 turns
/// retrying off), backing off from `initial_backoff` up to `max_backoff` (seconds as a number
/// or a `timedelta`). An option left `None` keeps sandgate's default.
#[pyclass(frozen, eq, module = "sandgate")]
#[derive(Clone, PartialEq)]
pub struct RetryOptions(surface::RetryOptions);

#[pymethods]
impl RetryOptions {
    #[new]
    #[pyo3(signature = (max_retries = None, initial_backoff = None, max_backoff = None))]
    fn new(
        py: Python<'_>,
        max_retries: Option<&Bound<'_, PyAny>>,
        initial_backoff: Option<&Bound<'_, PyAny>>,
        max_backoff: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let kind = ErrorKind::InvalidConfig;
        let options = surface::RetryOptions {
            max_retries: max_retries
                .map(|n| int(n, "max_retries", kind))
                .transpose()?,
            initial_backoff_ms: opt_millis(py, initial_backoff, "initial_backoff", kind)?,
            max_backoff_ms: opt_millis(py, max_backoff, "max_backoff", kind)?,
            ..Default::default()
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
    /// Longest delay between attempts in seconds, or `None` for the default.
    #[getter]
    fn max_backoff(&self) -> Option<f64> {
        self.0.max_backoff_ms.map(seconds)
    }
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "RetryOptions(max_retries={}, initial_backoff={}, max_backoff={})",
            repr(py, self.max_retries()),
            repr(py, self.initial_backoff()),
            repr(py, self.max_backoff())
        )
    }
}

fn seconds(ms: u64) -> f64 {
    ms as f64 / 1000.0
}

/// A core client from the Python options through `surface::ClientOptions`: unset options come
/// from `OPEN_SANDBOX_*` and then the core's defaults.
fn build(
    py: Python<'_>,
    domain: Option<String>,
    protocol: Option<String>,
    api_key: Option<SecretArg>,
    timeout: Option<&Bound<'_, PyAny>>,
    headers: Option<&Bound<'_, PyAny>>,
    retry: Option<RetryOptions>,
) -> PyResult<sandgate::Client> {
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
        ignore_env: false,
        ..Default::default()
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
                signature = (domain = None, protocol = None, api_key = None, timeout = None, headers = None, retry = None)
            )]
            fn new(
                py: Python<'_>,
                domain: Option<String>,
                protocol: Option<String>,
                api_key: Option<SecretArg>,
                timeout: Option<&Bound<'_, PyAny>>,
                headers: Option<&Bound<'_, PyAny>>,
                retry: Option<RetryOptions>,
            ) -> PyResult<Self> {
                build(py, domain, protocol, api_key, timeout, headers, retry).map($ty)
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
            $($async)? fn get_endpoint(
                &self,
                sandbox_id: String,
                port: Py<PyAny>,
            ) -> PyResult<Endpoint> {
                let port = Python::attach(|py| crate::convert::port(py, port.bind(py)))?;
                let c = self.0.clone();
                run!([$($async)?] async move {
                    c.get_endpoint(&sandbox_id, port).await.map(|e| Endpoint(e.into()))
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
     `api_key` (a `str` or a `Secret`), `timeout` (seconds or a `timedelta`), `headers` and \
     `retry` (a `RetryOptions`); unset options come from `OPEN_SANDBOX_DOMAIN`, \
     `OPEN_SANDBOX_API_KEY` and `OPEN_SANDBOX_PROTOCOL`."
);
client_class!(
    AsyncClient,
    "AsyncClient",
    [async],
    "An asyncio client with the operations and options of `Client`: every operation is a \
     coroutine running on sandgate's runtime, and cancelling its task cancels the request."
);

//! Show-once API keys: generate, hash, verify (SPEC §3.1). Hashing runs without the GIL.

use crate::convert::{repr, unix_seconds};
use crate::errors::IntoPyResult;
use crate::secret::{Secret, SecretArg};
use pyo3::prelude::*;
use sandgate::keys::{StoredKeyView, DEFAULT_API_KEY_PREFIX};

/// A freshly generated key: the raw key (a `Secret`), its display prefix and its hash.
#[pyclass(frozen, module = "sandgate")]
pub struct GeneratedApiKey {
    /// The raw key; show it to its owner once and never store it.
    #[pyo3(get)]
    key: Py<Secret>,
    /// The first 12 characters of the key, safe to display and store.
    #[pyo3(get)]
    prefix: String,
    /// Lowercase hex SHA-256 of the key: the only form to store.
    #[pyo3(get)]
    hash: String,
}

#[pymethods]
impl GeneratedApiKey {
    fn __repr__(&self, py: Python<'_>) -> String {
        format!(
            "GeneratedApiKey(key=Secret('***'), prefix={}, hash={})",
            repr(py, &self.prefix),
            repr(py, &self.hash)
        )
    }
}

/// Generates a key: `prefix` + 43 characters of URL-safe base64 from the OS CSPRNG.
#[pyfunction]
#[pyo3(signature = (prefix = DEFAULT_API_KEY_PREFIX), text_signature = "(prefix='osk_')")]
pub fn generate_api_key(py: Python<'_>, prefix: &str) -> PyResult<GeneratedApiKey> {
    let prefix = prefix.to_owned();
    let g = py
        .detach(move || sandgate::generate_api_key(&prefix))
        .py(py)?;
    Ok(GeneratedApiKey {
        key: Py::new(py, Secret(g.key))?,
        prefix: g.prefix,
        hash: g.hash,
    })
}

/// Lowercase hex SHA-256 of the key: the form to store.
#[pyfunction]
pub fn hash_api_key(py: Python<'_>, key: SecretArg) -> String {
    py.detach(move || sandgate::hash_api_key(key.0.expose()))
}

/// Whether `key` matches the stored `hash` (constant time), is not `revoked`, and has not
/// passed `expires_at` (RFC 3339 or epoch seconds/milliseconds; unparseable counts as
/// expired) at `now` (default: the system clock).
#[pyfunction]
#[pyo3(signature = (key, hash, expires_at = None, revoked = false, now = None))]
pub fn verify_api_key(
    py: Python<'_>,
    key: SecretArg,
    hash: String,
    expires_at: Option<String>,
    revoked: bool,
    now: Option<&Bound<'_, PyAny>>,
) -> PyResult<bool> {
    let now = now.map(|n| unix_seconds(py, n, "now")).transpose()?;
    py.detach(move || {
        let stored = StoredKeyView {
            hash: &hash,
            revoked,
            expires_at: expires_at.as_deref(),
        };
        sandgate::keys::verify_stored_api_key(key.0.expose(), &stored, now)
    })
    .py(py)
}

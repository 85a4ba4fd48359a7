//! `sandgate.Secret`: a string that prints as `***` until it is exposed.

use pyo3::exceptions::PyTypeError;
use pyo3::prelude::*;
use sandgate::SecretString;

/// A secret string (a raw API key, an admin key, signing keys, an access token). `str()` and
/// `repr()` show `***`; `expose()` returns the text. Accepted wherever a key string is.
#[pyclass(frozen, module = "sandgate")]
pub struct Secret(pub SecretString);

#[pymethods]
impl Secret {
    #[new]
    fn new(value: String) -> Self {
        Secret(SecretString::new(value))
    }

    /// The secret text. Call it only where the secret is really needed.
    fn expose(&self) -> &str {
        self.0.expose()
    }

    fn __str__(&self) -> &'static str {
        "***"
    }

    fn __repr__(&self) -> &'static str {
        "Secret('***')"
    }

    fn __reduce__(&self) -> PyResult<()> {
        Err(PyTypeError::new_err("a Secret cannot be pickled"))
    }
}

/// A text argument that may be a `str` or a `Secret`.
pub struct SecretArg(pub SecretString);

impl SecretArg {
    /// The text.
    pub fn expose(&self) -> &str {
        self.0.expose()
    }
}

impl<'a, 'py> FromPyObject<'a, 'py> for SecretArg {
    type Error = PyErr;

    fn extract(ob: Borrowed<'a, 'py, PyAny>) -> PyResult<Self> {
        if let Ok(s) = ob.cast::<Secret>() {
            return Ok(SecretArg(s.get().0.clone()));
        }
        match ob.extract::<String>() {
            Ok(s) => Ok(SecretArg(SecretString::new(s))),
            Err(_) => Err(PyTypeError::new_err(format!(
                "expected str or sandgate.Secret, got {}",
                ob.get_type().name()?
            ))),
        }
    }
}

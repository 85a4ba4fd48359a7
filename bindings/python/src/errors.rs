//! The one place where a `sandgate::Error` becomes a Python exception.
//!
//! The exception classes live in `sandgate/_errors.py` (so they can also subclass `ValueError`
//! and the builtin `TimeoutError`); `_from_native` there picks the class for each kind code.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use sandgate::ErrorKind;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: a `sandgate.SandgateError` subclass carrying the
/// kind code, message, status, server code, request id and denial reason.
pub fn to_py(py: Python<'_>, err: &sandgate::Error) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let factory = FACTORY.get_or_try_init(py, || {
            py.import("sandgate._errors")?
                .getattr("_from_native")
                .map(Bound::unbind)
        })?;
        let exc = factory.bind(py).call1((
            err.kind().code(),
            err.to_string(),
            err.message(),
            err.status(),
            err.code(),
            err.request_id(),
            err.reason().map(|r| r.code()),
        ))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// Runs `f` and maps its core error.
pub trait IntoPyResult<T> {
    /// Converts a core result into a Python result.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for sandgate::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}

/// An `invalid_argument` error for a Python value that cannot be converted to what the core
/// takes (an int out of range). Type errors stay `TypeError`.
pub fn conversion(py: Python<'_>, what: &str, err: PyErr) -> PyErr {
    conversion_as(py, ErrorKind::InvalidArgument, what, err)
}

/// [`conversion`] with another kind (`invalid_config` for client options).
pub fn conversion_as(py: Python<'_>, kind: ErrorKind, what: &str, err: PyErr) -> PyErr {
    if err.is_instance_of::<PyOverflowError>(py) || err.is_instance_of::<PyValueError>(py) {
        let detail = err
            .value(py)
            .str()
            .map(|s| s.to_string())
            .unwrap_or_default();
        to_py(py, &sandgate::Error::new(kind, format!("{what}: {detail}")))
    } else {
        err
    }
}

/// An `internal` error for a Rust panic caught before it reached Python.
pub fn internal(py: Python<'_>, what: &str) -> PyErr {
    to_py(
        py,
        &sandgate::Error::new(
            ErrorKind::Internal,
            format!("sandgate panicked during {what} (a bug; please report it)"),
        ),
    )
}

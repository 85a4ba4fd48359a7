//! The one place where a `sandgate::Error` becomes a Python exception.
//!
//! Core's [`ErrorView`] gives every field; the exception classes live in `sandgate/_errors.py`
//! (so they can also subclass `ValueError` and the builtin `TimeoutError`), where
//! `_from_native` picks the class for each kind code. `.message` is the bare message and
//! `str(e)` the display; `retryable` and `retry_after` (seconds) are core's.

use pyo3::exceptions::{PyOverflowError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use sandgate::surface::ErrorView;
use sandgate::ErrorKind;

static FACTORY: PyOnceLock<Py<PyAny>> = PyOnceLock::new();

/// The Python exception for a core error: a `sandgate.SandgateError` subclass.
pub fn to_py(py: Python<'_>, err: &sandgate::Error) -> PyErr {
    view_to_py(py, &ErrorView::from(err))
}

/// The Python exception for an error as core's [`ErrorView`] gives it.
pub fn view_to_py(py: Python<'_>, v: &ErrorView) -> PyErr {
    let build = || -> PyResult<PyErr> {
        let factory = FACTORY.get_or_try_init(py, || {
            py.import("sandgate._errors")?
                .getattr("_from_native")
                .map(Bound::unbind)
        })?;
        let exc = factory.bind(py).call1((
            v.kind_code(),
            &v.display,
            &v.message,
            v.status,
            &v.code,
            &v.request_id,
            v.reason_code(),
            v.retryable,
            v.retry_after_ms.map(|ms| ms as f64 / 1000.0),
        ))?;
        Ok(PyErr::from_value(exc))
    };
    build().unwrap_or_else(|e| e)
}

/// Maps a core result's error to its Python exception.
pub trait IntoPyResult<T> {
    /// Converts a core result into a Python result.
    fn py(self, py: Python<'_>) -> PyResult<T>;
}

impl<T> IntoPyResult<T> for sandgate::Result<T> {
    fn py(self, py: Python<'_>) -> PyResult<T> {
        self.map_err(|e| to_py(py, &e))
    }
}

/// An error of `kind` for a Python value that cannot be converted to what the core takes
/// (an int out of range, a negative duration). Type errors stay `TypeError`.
pub fn conversion(py: Python<'_>, kind: ErrorKind, what: &str, err: PyErr) -> PyErr {
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

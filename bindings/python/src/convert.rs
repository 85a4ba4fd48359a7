//! Python values to the plain values the core takes, and small repr helpers. Every rule on
//! those values (port range, expiry, retry bounds) is the core's.

use crate::errors::{conversion, to_py};
use pyo3::prelude::*;
use pyo3::types::{PyDateTime, PyDelta, PyDict};
use pyo3::IntoPyObjectExt;
use sandgate::ErrorKind;
use std::collections::BTreeMap;
use std::time::Duration;

/// An integer argument: out of the type's range is an error of `kind` naming `what`.
pub fn int<'py, T>(value: &Bound<'py, PyAny>, what: &str, kind: ErrorKind) -> PyResult<T>
where
    T: for<'a> FromPyObject<'a, 'py, Error = PyErr>,
{
    value
        .extract()
        .map_err(|e| conversion(value.py(), kind, what, e))
}

/// A port given as any Python int, checked by the core's port rule.
pub fn port(py: Python<'_>, value: &Bound<'_, PyAny>) -> PyResult<u16> {
    let n = int(value, "port", ErrorKind::InvalidArgument)?;
    sandgate::route::check_port(n).map_err(|e| to_py(py, &e))
}

/// Unix seconds from an int or a `datetime` (its `timestamp()`, rounded down).
pub fn unix_seconds(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if value.cast::<PyDateTime>().is_ok() {
        let ts: f64 = value.call_method0("timestamp")?.extract()?;
        if !(0.0..18_446_744_073_709_551_616.0).contains(&ts) {
            return Err(to_py(
                py,
                &sandgate::Error::invalid_argument(format!("{what}: datetime is before 1970")),
            ));
        }
        return Ok(ts.floor() as u64);
    }
    int(value, what, ErrorKind::InvalidArgument)
}

/// Unix milliseconds from Unix seconds (an int, a float counted to the nearest millisecond)
/// or a `datetime`. A negative, non-finite or too large value is an `invalid_argument` error.
pub fn unix_millis(py: Python<'_>, value: &Bound<'_, PyAny>, what: &str) -> PyResult<u64> {
    if value.cast::<PyDateTime>().is_err() {
        if let Ok(secs) = value.extract::<u64>() {
            return secs.checked_mul(1000).ok_or_else(|| {
                to_py(
                    py,
                    &sandgate::Error::invalid_argument(format!("{what}: too large")),
                )
            });
        }
    }
    let secs: f64 = if value.cast::<PyDateTime>().is_ok() {
        value.call_method0("timestamp")?.extract()?
    } else {
        value.extract()?
    };
    let ms = (secs * 1000.0).round();
    if !(0.0..18_446_744_073_709_551_616.0).contains(&ms) {
        return Err(to_py(
            py,
            &sandgate::Error::invalid_argument(format!(
                "{what} must be non-negative Unix seconds, got {secs}"
            )),
        ));
    }
    Ok(ms as u64)
}

/// An optional [`unix_seconds`].
pub fn opt_unix_seconds(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
) -> PyResult<Option<u64>> {
    value.map(|v| unix_seconds(py, v, what)).transpose()
}

/// A duration from seconds (int or float) or a `timedelta`. A negative or non-finite value is
/// an error of `kind`.
pub fn duration(
    py: Python<'_>,
    value: &Bound<'_, PyAny>,
    what: &str,
    kind: ErrorKind,
) -> PyResult<Duration> {
    let secs: f64 = if value.cast::<PyDelta>().is_ok() {
        value.call_method0("total_seconds")?.extract()?
    } else {
        value.extract()?
    };
    Duration::try_from_secs_f64(secs).map_err(|_| {
        to_py(
            py,
            &sandgate::Error::new(
                kind,
                format!("{what} must be a non-negative number of seconds, got {secs}"),
            ),
        )
    })
}

/// An optional duration in whole milliseconds, rounded up (a positive duration never
/// becomes zero).
pub fn opt_millis(
    py: Python<'_>,
    value: Option<&Bound<'_, PyAny>>,
    what: &str,
    kind: ErrorKind,
) -> PyResult<Option<u64>> {
    value
        .map(|v| {
            let d = duration(py, v, what, kind)?;
            Ok(u64::try_from(d.as_nanos().div_ceil(1_000_000)).unwrap_or(u64::MAX))
        })
        .transpose()
}

/// The Python `repr()` of a value, for building reprs that read like Python.
pub fn repr<'py, T: IntoPyObject<'py>>(py: Python<'py>, value: T) -> String {
    value
        .into_bound_py_any(py)
        .ok()
        .and_then(|v| v.repr().ok())
        .map(|s| s.to_string())
        .unwrap_or_else(|| "?".to_owned())
}

/// A `dict[str, str]` from a map.
pub fn dict<'py>(py: Python<'py>, map: &BTreeMap<String, String>) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    for (k, v) in map {
        d.set_item(k, v)?;
    }
    Ok(d)
}

/// A `dict[str, str]` (or any mapping) as a map.
pub fn str_map(value: &Bound<'_, PyAny>) -> PyResult<BTreeMap<String, String>> {
    match value.cast::<PyDict>() {
        Ok(d) => d.extract(),
        Err(_) => {
            let d = value.py().get_type::<PyDict>().call1((value,))?;
            d.extract()
        }
    }
}

//! sandgate-node: the native half of the npm package `sandgate`.
//!
//! It only converts: JS values to the shapes of `sandgate::surface` and back, core errors to
//! their [`ErrorView`] (which the JS layer, `index.cjs`, turns into error classes), and core
//! futures to Promises through `surface::spawn`. Every rule, default and message lives in the
//! `sandgate` crate.

pub mod apikeys;
pub mod client;
pub mod gateway;
pub mod mock;
pub mod routes;

use napi::bindgen_prelude::{BigInt, Either, Env, PromiseRaw, ToNapiValue};
use napi::{JsValue, Status};
use napi_derive::napi;
use sandgate::surface::{self, CancelHandle, ErrorView};
use sandgate::{Error, ErrorKind, SecretString};
use std::cell::RefCell;
use std::future::Future;

/// Prefix of every error message that carries a core error as JSON (read by `index.cjs`).
const ERROR_MARKER: &str = "\u{1}sandgate-error:";

/// An error as the JS layer builds its error classes from: core's `ErrorView`.
#[napi(object, object_from_js = false, use_nullable = true)]
#[derive(serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorData {
    /// The kind's stable code.
    pub kind: String,
    /// The bare message (`error.message`).
    pub message: String,
    /// The full line (`error.toString()`).
    pub display: String,
    /// The HTTP status, for API errors and denials.
    pub status: Option<u32>,
    /// The server's error code, for API errors.
    pub code: Option<String>,
    /// The server's request id, for API errors.
    pub request_id: Option<String>,
    /// The denial reason, for access denials.
    pub reason: Option<String>,
    /// Whether the client's retry rule would try the failed request again (SPEC §2.1).
    pub retryable: bool,
    /// The server's `Retry-After` in milliseconds, as it sent it, when it sent one.
    pub retry_after_ms: Option<f64>,
}

pub(crate) fn error_data(e: &Error) -> ErrorData {
    view_data(ErrorView::from(e))
}

/// Core's view of an error as the JS layer reads it.
pub(crate) fn view_data(v: ErrorView) -> ErrorData {
    ErrorData {
        retryable: v.retryable,
        retry_after_ms: v.retry_after_ms.map(|ms| ms as f64),
        kind: v.kind_code().to_owned(),
        reason: v.reason_code().map(str::to_owned),
        message: v.message,
        display: v.display,
        status: v.status.map(u32::from),
        code: v.code,
        request_id: v.request_id,
    }
}

/// A core error as the napi error the JS layer maps to its error classes.
pub(crate) fn js_error(e: Error) -> napi::Error {
    let payload = serde_json::to_string(&error_data(&e)).unwrap_or_default();
    napi::Error::new(Status::GenericFailure, format!("{ERROR_MARKER}{payload}"))
}

/// The error of `kind` (a code) with `message`, as core shows it: the JS layer's own argument
/// checks get their display from here.
#[napi(catch_unwind)]
pub fn error_view(kind: String, message: String) -> napi::Result<ErrorData> {
    let kind = ErrorKind::from_code(&kind)
        .ok_or_else(|| Error::invalid_argument(format!("unknown error kind {kind:?}")))
        .js()?;
    Ok(error_data(&Error::new(kind, message)))
}

/// Core's error kind codes, denial reasons and grants, in table order: the package's own
/// tables are checked against them by its tests.
#[napi(object, object_from_js = false)]
pub struct CoreTables {
    /// Every error kind code.
    pub error_kinds: Vec<String>,
    /// Every denial reason code.
    pub deny_reasons: Vec<String>,
    /// Every grant code.
    pub grants: Vec<String>,
}

/// Core's tables (see `CoreTables`).
#[napi(catch_unwind)]
pub fn core_tables() -> CoreTables {
    let owned = |v: Vec<&str>| v.into_iter().map(str::to_owned).collect();
    CoreTables {
        error_kinds: owned(surface::error_kind_codes()),
        deny_reasons: owned(surface::deny_reasons().into_iter().map(|r| r.0).collect()),
        grants: owned(surface::grant_codes()),
    }
}

/// `sandgate::Result<T>` to `napi::Result<T>`.
pub(crate) trait IntoJs<T> {
    fn js(self) -> napi::Result<T>;
}

impl<T, E: Into<Error>> IntoJs<T> for Result<T, E> {
    fn js(self) -> napi::Result<T> {
        self.map_err(|e| js_error(e.into()))
    }
}

pub(crate) const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JS port number as the integer core checks (`route::check_port`): only whole numbers.
pub(crate) fn port_arg(port: f64) -> sandgate::Result<i64> {
    if !port.is_finite() || port.fract() != 0.0 {
        return Err(Error::invalid_argument(format!(
            "port must be a whole number, got {port}"
        )));
    }
    // `as` saturates, so out-of-range values stay out of range for core's check.
    Ok(port as i64)
}

/// Unix seconds given as a number (up to 2^53-1) or a bigint (up to 2^64-1).
pub(crate) fn seconds_arg(what: &str, v: &Either<f64, BigInt>) -> sandgate::Result<u64> {
    match v {
        Either::A(n) => {
            if n.is_finite() && n.fract() == 0.0 && *n >= 0.0 && *n <= MAX_SAFE_INTEGER as f64 {
                Ok(*n as u64)
            } else {
                Err(Error::invalid_argument(format!(
                    "{what} must be a whole number of seconds from 0 to 2^53-1 \
                     (pass a bigint for larger values), got {n}"
                )))
            }
        }
        Either::B(b) => match b.get_u64() {
            (false, v, true) => Ok(v),
            _ => Err(Error::invalid_argument(format!(
                "{what} must be a bigint from 0 to 2^64-1"
            ))),
        },
    }
}

/// Optional Unix seconds (an omitted `now`: core's `clock::now_or_system` decides).
pub(crate) fn opt_seconds(
    what: &str,
    v: Option<&Either<f64, BigInt>>,
) -> napi::Result<Option<u64>> {
    v.map(|v| seconds_arg(what, v)).transpose().js()
}

/// A whole, non-negative JS number that fits `max`.
pub(crate) fn count_arg(what: &str, n: f64, max: u64) -> sandgate::Result<u64> {
    if n.is_finite() && n.fract() == 0.0 && n >= 0.0 && n <= max as f64 {
        Ok(n as u64)
    } else {
        Err(Error::invalid_argument(format!(
            "{what} must be a whole number from 0 to {max}, got {n}"
        )))
    }
}

/// An optional [`count_arg`].
pub(crate) fn opt_count(what: &str, n: Option<f64>, max: u32) -> sandgate::Result<Option<u64>> {
    n.map(|n| count_arg(what, n, u64::from(max))).transpose()
}

/// Unix seconds to JS: a number when exact, else a bigint.
pub(crate) fn seconds_js(v: u64) -> Either<f64, BigInt> {
    if v <= MAX_SAFE_INTEGER {
        Either::A(v as f64)
    } else {
        Either::B(BigInt::from(v))
    }
}

/// A secret (a raw API key, the mock's admin key, signing keys): prints `***`, and gives its
/// value only through `expose()`.
#[napi]
pub struct Secret {
    pub(crate) value: SecretString,
}

#[napi]
impl Secret {
    /// The secret value. Call only where it is really needed.
    #[napi(catch_unwind)]
    pub fn expose(&self) -> String {
        self.value.expose().to_owned()
    }

    /// `***`.
    #[napi(js_name = "toString", catch_unwind)]
    pub fn to_js_string(&self) -> String {
        self.value.to_string()
    }

    /// `***`.
    #[napi(js_name = "toJSON", catch_unwind)]
    pub fn to_json(&self) -> String {
        self.value.to_string()
    }
}

impl Secret {
    pub(crate) fn new(value: SecretString) -> Self {
        Secret { value }
    }
}

/// Cancels the calls it was given to: the JS layer calls `cancel()` when an `AbortSignal`
/// fires, and each call's work is cancelled through core's `surface::spawn` handle.
#[napi]
pub struct CancelToken {
    cancelled: RefCell<bool>,
    calls: RefCell<Vec<CancelHandle>>,
}

#[napi]
impl CancelToken {
    /// A token no call uses yet.
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            cancelled: RefCell::new(false),
            calls: RefCell::new(Vec::new()),
        }
    }

    /// Cancels every call using this token, now and later.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        *self.cancelled.borrow_mut() = true;
        for call in self.calls.borrow_mut().drain(..) {
            call.cancel();
        }
    }
}

/// A core result as the JS value its Promise settles with (converted on the runtime thread).
pub(crate) trait ToData: Send + 'static {
    type Data: ToNapiValue + 'static;
    fn data(self) -> Self::Data;
}

impl ToData for () {
    type Data = ();
    fn data(self) {}
}

impl<T: ToData> ToData for Vec<T> {
    type Data = Vec<T::Data>;
    fn data(self) -> Self::Data {
        self.into_iter().map(ToData::data).collect()
    }
}

/// Runs `work` through core's `surface::spawn` and returns a Promise settled with its output
/// as data, or rejected with the core error (core's `cancelled` after `cancel`, core's
/// `internal` after a panic). A call whose token is already cancelled is rejected unstarted.
pub(crate) fn promise<'env, V, F>(
    env: &'env Env,
    cancel: Option<&CancelToken>,
    work: F,
) -> napi::Result<PromiseRaw<'env, V::Data>>
where
    F: Future<Output = sandgate::Result<V>> + Send + 'static,
    V: ToData,
{
    let (deferred, promise) = env.create_deferred()?;
    let raw = PromiseRaw::new(env.raw(), promise.raw());
    if cancel.is_some_and(|c| *c.cancelled.borrow()) {
        deferred.reject(js_error(surface::cancelled()));
        return Ok(raw);
    }
    let call = surface::spawn(work, move |outcome| match outcome {
        Ok(v) => {
            let data = v.data();
            deferred.resolve(move |_| Ok(data))
        }
        Err(e) => deferred.reject(js_error(e)),
    });
    if let Some(c) = cancel {
        c.calls.borrow_mut().push(call);
    }
    Ok(raw)
}

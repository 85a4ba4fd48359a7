//! sandgate-node: the native half of the npm package `sandgate`.
//!
//! It only converts: JS values to core types and back, core errors to one JSON payload that
//! the JS layer (`index.cjs`) turns into error classes, and core futures to Promises settled
//! from sandgate's one shared tokio runtime. Every rule lives in the `sandgate` crate.

pub mod apikeys;
pub mod client;
pub mod mock;
pub mod routes;

use napi::bindgen_prelude::{BigInt, Either, Env, PromiseRaw, ToNapiValue};
use napi::{JsValue, Status};
use napi_derive::napi;
use sandgate::{Error, ErrorKind, SecretString};
use std::future::Future;
use tokio::sync::watch;

/// Prefix of every error message that carries a core error as JSON (read by `index.cjs`).
const ERROR_MARKER: &str = "\u{1}sandgate-error:";

/// A core error as the napi error the JS layer maps to its error classes.
pub(crate) fn js_error(e: Error) -> napi::Error {
    let payload = serde_json::json!({
        "kind": e.kind().code(),
        "message": e.to_string(),
        "status": e.status(),
        "code": e.code(),
        "requestId": e.request_id(),
        "reason": e.reason().map(|r| r.code()),
    });
    napi::Error::new(Status::GenericFailure, format!("{ERROR_MARKER}{payload}"))
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

const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

/// A JS port number: a whole number, checked by core.
pub(crate) fn port_arg(port: f64) -> sandgate::Result<u16> {
    if !port.is_finite() || port.fract() != 0.0 {
        return Err(Error::invalid_argument(format!(
            "port must be a whole number, got {port}"
        )));
    }
    // `as` saturates, so out-of-range values stay out of range for core's check.
    sandgate::route::check_port(port as i64)
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

/// Unix seconds to JS: a number when exact, else a bigint.
pub(crate) fn seconds_js(v: u64) -> Either<f64, BigInt> {
    if v <= MAX_SAFE_INTEGER {
        Either::A(v as f64)
    } else {
        Either::B(BigInt::from(v))
    }
}

/// A secret (a raw API key, the mock's admin key, signing keys): prints `***`, and gives its
/// value only through `reveal()`.
#[napi]
pub struct Secret {
    pub(crate) value: SecretString,
}

#[napi]
impl Secret {
    /// The secret value. Call only where it is really needed.
    #[napi(catch_unwind)]
    pub fn reveal(&self) -> String {
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
/// fires; the work in flight on the Rust side is dropped.
#[napi]
pub struct CancelToken {
    tx: watch::Sender<bool>,
}

#[napi]
impl CancelToken {
    #[napi(constructor, catch_unwind)]
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        CancelToken {
            tx: watch::Sender::new(false),
        }
    }

    /// Cancels every call using this token, now and later.
    #[napi(catch_unwind)]
    pub fn cancel(&self) {
        self.tx.send_replace(true);
    }
}

/// Resolves when `rx` is cancelled; never when there is no token or it was dropped uncancelled.
async fn cancelled(rx: Option<watch::Receiver<bool>>) {
    if let Some(mut rx) = rx {
        if rx.wait_for(|c| *c).await.is_ok() {
            return;
        }
    }
    std::future::pending::<()>().await
}

/// Runs `work` on sandgate's shared runtime and returns a Promise settled with
/// `convert(output)` (on the JS thread) or rejected with the core error. Cancelling `cancel`
/// drops the work (closing its request) and rejects with a `cancelled` error.
pub(crate) fn promise<'env, V, T, F, C>(
    env: &'env Env,
    cancel: Option<&CancelToken>,
    work: F,
    convert: C,
) -> napi::Result<PromiseRaw<'env, T>>
where
    F: Future<Output = sandgate::Result<V>> + Send + 'static,
    V: Send + 'static,
    C: FnOnce(Env, V) -> napi::Result<T> + Send + 'static,
    T: ToNapiValue + 'static,
{
    let (deferred, promise) = env.create_deferred()?;
    let rx = cancel.map(|c| c.tx.subscribe());
    let rt = sandgate::runtime::runtime();
    rt.spawn(async move {
        let task = tokio::spawn(work);
        let abort = task.abort_handle();
        let outcome = tokio::select! {
            biased;
            _ = cancelled(rx) => {
                abort.abort();
                Err(Error::new(ErrorKind::Cancelled, "the operation was aborted"))
            }
            joined = task => joined.unwrap_or_else(|e| {
                Err(Error::new(ErrorKind::Internal, format!("the operation failed inside sandgate: {e}")))
            }),
        };
        match outcome {
            Ok(v) => deferred.resolve(move |env| convert(env, v)),
            Err(e) => deferred.reject(js_error(e)),
        }
    });
    Ok(PromiseRaw::new(env.raw(), promise.raw()))
}

//! Running client operations: blocking on the shared runtime, or spawned with a completion
//! callback and a cancel handle.

use crate::abi::{guard, guard_free, out_ptr, panicked, SandgateError};
use sandgate::{Error, ErrorKind};
use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::ptr;
use std::sync::Arc;
use tokio::sync::Notify;

/// Completion callback of an `_async` function, called exactly once on a sandgate runtime
/// thread. Exactly one of `error` and `result` is non-NULL, except for operations that return
/// nothing, where both are NULL on success. The callback owns both: free `error` with
/// `sandgate_error_free` and `result` with the free function its operation names. It must not
/// block for long and must not call a blocking sandgate function.
pub type SandgateCallback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, error: *mut SandgateError, result: *mut c_void),
>;

/// A cancel handle for one `_async` call (opaque). `sandgate_cancel` asks the call to stop;
/// free the handle with `sandgate_cancel_free` (before or after completion, exactly once).
pub struct SandgateCancel(Arc<Notify>);

/// An operation prepared for running: inputs already copied and checked.
pub(crate) type Op<T> = Pin<Box<dyn Future<Output = Result<T, Error>> + Send + 'static>>;

/// What an operation's result becomes at the boundary.
pub(crate) trait IntoFfi: Send + 'static {
    /// The C struct handed to the caller.
    type Ffi;
    /// Moves the result to the heap for the caller (NULL for operations returning nothing).
    fn into_ffi(self) -> *mut Self::Ffi;
}

impl IntoFfi for () {
    type Ffi = c_void;
    fn into_ffi(self) -> *mut c_void {
        ptr::null_mut()
    }
}

fn block<T>(op: Op<T>) -> Result<T, Error> {
    if tokio::runtime::Handle::try_current().is_ok() {
        return Err(Error::invalid_argument(
            "a blocking sandgate function was called on a sandgate runtime thread (from a \
             callback); use the _async form there",
        ));
    }
    sandgate::runtime::block_on(op)
}

/// Runs `prepare`'s operation to completion on the calling thread and writes its result.
pub(crate) fn run_sync<T: IntoFfi>(
    func: &str,
    out: *mut *mut T::Ffi,
    prepare: impl FnOnce() -> Result<Op<T>, Error>,
) -> *mut SandgateError {
    guard(func, || {
        let out = unsafe { out_ptr(out, "out", ptr::null_mut())? };
        *out = block(prepare()?)?.into_ffi();
        Ok(())
    })
}

/// Runs an operation that returns nothing on the calling thread.
pub(crate) fn run_sync_unit(
    func: &str,
    prepare: impl FnOnce() -> Result<Op<()>, Error>,
) -> *mut SandgateError {
    guard(func, || block(prepare()?))
}

struct UserData(*mut c_void);
// The pointer is only handed back to the caller's callback; sandgate never dereferences it.
unsafe impl Send for UserData {}

impl UserData {
    fn get(&self) -> *mut c_void {
        self.0
    }
}

struct AbortOnDrop<T>(tokio::task::JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Starts `prepare`'s operation on the shared runtime; the callback receives its outcome.
pub(crate) fn run_async<T: IntoFfi>(
    func: &'static str,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
    prepare: impl FnOnce() -> Result<Op<T>, Error>,
) -> *mut SandgateError {
    guard(func, || {
        if !out_cancel.is_null() {
            unsafe { *out_cancel = ptr::null_mut() };
        }
        let cb = callback.ok_or_else(|| Error::invalid_argument("callback must not be NULL"))?;
        let op = prepare()?;
        let cancel = Arc::new(Notify::new());
        let cancelled = cancel.clone();
        let user_data = UserData(user_data);
        let rt = sandgate::runtime::runtime();
        rt.spawn(async move {
            let mut work = AbortOnDrop(tokio::spawn(op));
            let outcome = tokio::select! {
                biased;
                _ = cancelled.notified() => Err(Error::new(
                    ErrorKind::Cancelled,
                    "the operation was cancelled",
                )),
                joined = &mut work.0 => joined.unwrap_or_else(|_| Err(panicked(func))),
            };
            drop(work);
            let (error, result) = match catch_unwind(AssertUnwindSafe(|| match outcome {
                Ok(v) => (ptr::null_mut(), v.into_ffi() as *mut c_void),
                Err(e) => (SandgateError::boxed(&e), ptr::null_mut()),
            })) {
                Ok(pair) => pair,
                Err(_) => (SandgateError::boxed(&panicked(func)), ptr::null_mut()),
            };
            unsafe { cb(user_data.get(), error, result) };
        });
        if !out_cancel.is_null() {
            unsafe { *out_cancel = Box::into_raw(Box::new(SandgateCancel(cancel))) };
        }
        Ok(())
    })
}

/// Asks the call behind `cancel` to stop. If it has not completed yet, its work is aborted
/// and its callback receives a `cancelled` error; after completion this does nothing. Safe to
/// call from any thread, more than once. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_cancel(cancel: *const SandgateCancel) {
    guard_free(|| {
        if let Some(c) = cancel.as_ref() {
            c.0.notify_one();
        }
    })
}

/// Frees a cancel handle without cancelling the call. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_cancel_free(cancel: *mut SandgateCancel) {
    guard_free(|| {
        if !cancel.is_null() {
            drop(Box::from_raw(cancel));
        }
    })
}

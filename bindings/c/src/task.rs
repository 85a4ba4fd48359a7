//! Client operations start on the shared runtime through core's one `surface::spawn` and
//! complete through a callback; a cancel handle stops them.

use crate::abi::{guard, guard_free, SandgateError};
use sandgate::surface::{self, CancelHandle};
use sandgate::Error;
use std::ffi::c_void;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;

/// Completion callback of a client operation, called exactly once on a sandgate runtime
/// thread. Exactly one of `error` and `result` is non-NULL, except for operations that return
/// nothing, where both are NULL on success. The callback owns both: free `error` with
/// `sandgate_error_free` and `result` with the free function its operation names. It must
/// return quickly.
pub type SandgateCallback = Option<
    unsafe extern "C" fn(user_data: *mut c_void, error: *mut SandgateError, result: *mut c_void),
>;

/// A cancel handle for one client operation (opaque). `sandgate_cancel` asks the operation to
/// stop; free the handle with `sandgate_cancel_free` (before or after completion, exactly once).
pub struct SandgateCancel(CancelHandle);

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

struct UserData(*mut c_void);
// The pointer is only handed back to the caller's callback; sandgate never dereferences it.
unsafe impl Send for UserData {}

/// Checks the callback, prepares the operation (copying and checking every input), and starts
/// it with `surface::spawn`, whose outcome (result, `cancelled` or `internal` for a panic)
/// reaches the callback exactly once. A failure before the start is returned and the callback
/// is never called.
pub(crate) fn start<T, F>(
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
    prepare: impl FnOnce() -> Result<F, Error>,
) -> *mut SandgateError
where
    T: IntoFfi,
    F: Future<Output = Result<T, Error>> + Send + 'static,
{
    guard(|| {
        if !out_cancel.is_null() {
            unsafe { *out_cancel = ptr::null_mut() };
        }
        let cb = callback.ok_or_else(|| Error::invalid_argument("callback must not be NULL"))?;
        let work = prepare()?;
        let user_data = UserData(user_data);
        let cancel = surface::spawn(work, move |outcome| {
            let user_data = user_data;
            let converted = catch_unwind(AssertUnwindSafe(|| match outcome {
                Ok(v) => (ptr::null_mut(), v.into_ffi() as *mut c_void),
                Err(e) => (SandgateError::boxed(&e), ptr::null_mut()),
            }));
            let (error, result) = converted
                .unwrap_or_else(|_| (SandgateError::boxed(&surface::panicked()), ptr::null_mut()));
            unsafe { cb(user_data.0, error, result) };
        });
        if !out_cancel.is_null() {
            unsafe { *out_cancel = Box::into_raw(Box::new(SandgateCancel(cancel))) };
        }
        Ok(())
    })
}

/// Asks the operation behind `cancel` to stop. If it has not completed yet, its work is
/// dropped (closing its request) and its callback receives a `cancelled` error; after
/// completion this does nothing. Safe to call from any thread, more than once. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_cancel(cancel: *const SandgateCancel) {
    guard_free(|| {
        if let Some(c) = cancel.as_ref() {
            c.0.cancel();
        }
    })
}

/// Frees a cancel handle without cancelling the operation. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_cancel_free(cancel: *mut SandgateCancel) {
    crate::abi::free_box(cancel)
}

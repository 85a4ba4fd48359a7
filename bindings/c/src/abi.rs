//! Strings in and out, the error value, the code tables, and the guard that keeps panics on
//! this side.

use sandgate::route::Grant;
use sandgate::surface::{self, ErrorView, RouteForm};
use sandgate::{DenyReason, Error, ErrorKind};
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::OnceLock;

/// A borrowed UTF-8 string: `len` bytes at `ptr`, no terminator needed.
///
/// As an input it is borrowed only for the duration of the call. A required string with a
/// NULL `ptr` is an `invalid_argument` error; an optional one is absent when `ptr` is NULL
/// (present and empty is any non-NULL `ptr` with `len` 0). Bytes that are not UTF-8 are an
/// `invalid_argument` error.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateStr {
    /// First byte, or NULL.
    pub ptr: *const u8,
    /// Number of bytes.
    pub len: usize,
}

impl SandgateStr {
    /// The string, or an error naming `what` when it is NULL or not UTF-8.
    pub(crate) unsafe fn get<'a>(self, what: &str) -> Result<&'a str, Error> {
        self.opt(what)?
            .ok_or_else(|| Error::invalid_argument(format!("{what} must not be NULL")))
    }

    /// The string, `None` when `ptr` is NULL, or an error when it is not UTF-8.
    pub(crate) unsafe fn opt<'a>(self, what: &str) -> Result<Option<&'a str>, Error> {
        if self.ptr.is_null() {
            return Ok(None);
        }
        if self.len > isize::MAX as usize {
            return Err(Error::invalid_argument(format!("{what} is too long")));
        }
        let bytes = std::slice::from_raw_parts(self.ptr, self.len);
        std::str::from_utf8(bytes)
            .map(Some)
            .map_err(|e| Error::invalid_argument(format!("{what} is not valid UTF-8: {e}")))
    }
}

/// A borrowed name/value pair of strings (metadata, headers).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateStrPair {
    /// The name.
    pub name: SandgateStr,
    /// The value.
    pub value: SandgateStr,
}

/// `len` borrowed pairs at `ptr` (NULL allowed when `len` is 0), or an error naming `what`.
pub(crate) unsafe fn pairs_in<'a>(
    ptr: *const SandgateStrPair,
    len: usize,
    what: &str,
) -> Result<Vec<(&'a str, &'a str)>, Error> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!(
            "{what} must not be NULL when {what}_len is not 0"
        )));
    }
    if len > isize::MAX as usize / std::mem::size_of::<SandgateStrPair>() {
        return Err(Error::invalid_argument(format!("{what}_len is too large")));
    }
    std::slice::from_raw_parts(ptr, len)
        .iter()
        .map(|p| {
            Ok((
                p.name.get(&format!("{what} name"))?,
                p.value.get(&format!("{what} value"))?,
            ))
        })
        .collect()
}

/// An owned UTF-8 string allocated by sandgate: `len` bytes at `ptr`, followed by a NUL so
/// `ptr` can be used as a C string. `ptr` is NULL when the value is absent.
///
/// A top-level string is freed with `sandgate_string_free`; a string inside a struct is freed
/// with that struct's free function. Freeing zeroes the bytes first (strings may hold secrets).
#[repr(C)]
#[derive(Debug)]
pub struct SandgateString {
    /// The bytes and a trailing NUL, or NULL when absent.
    pub ptr: *mut c_char,
    /// Number of bytes, without the NUL.
    pub len: usize,
}

impl SandgateString {
    /// An absent string.
    pub(crate) const NONE: SandgateString = SandgateString {
        ptr: ptr::null_mut(),
        len: 0,
    };

    /// A copy of `s` with a trailing NUL, in one exact allocation.
    pub(crate) fn new(s: &str) -> Self {
        let mut buf = Vec::with_capacity(s.len() + 1);
        buf.extend_from_slice(s.as_bytes());
        buf.push(0);
        let len = s.len();
        let ptr = Box::into_raw(buf.into_boxed_slice()) as *mut u8 as *mut c_char;
        SandgateString { ptr, len }
    }

    pub(crate) fn opt(s: Option<&str>) -> Self {
        s.map_or(Self::NONE, Self::new)
    }

    /// Zeroes and frees the bytes; leaves the string absent.
    pub(crate) unsafe fn release(&mut self) {
        if self.ptr.is_null() {
            return;
        }
        let bytes = std::slice::from_raw_parts_mut(self.ptr as *mut u8, self.len + 1);
        for b in bytes.iter_mut() {
            ptr::write_volatile(b, 0);
        }
        drop(Box::from_raw(bytes as *mut [u8]));
        *self = Self::NONE;
    }
}

/// A value sandgate hands out whose parts sandgate frees (strings are zeroed first).
pub(crate) trait Owned {
    /// Frees the parts and leaves them empty, so a second release is harmless.
    unsafe fn release(&mut self);
}

impl Owned for SandgateString {
    unsafe fn release(&mut self) {
        SandgateString::release(self)
    }
}

impl Owned for *mut SandgateError {
    unsafe fn release(&mut self) {
        sandgate_error_free(std::mem::replace(self, ptr::null_mut()));
    }
}

/// `impl Owned for T { release these fields, and these (items, len) arrays }`.
macro_rules! owned {
    ($t:ty { $($f:ident),* $(,)? } $([$items:ident; $len:ident])*) => {
        impl crate::abi::Owned for $t {
            unsafe fn release(&mut self) {
                $(crate::abi::Owned::release(&mut self.$f);)*
                $(crate::abi::release_array(&mut self.$items, &mut self.$len);)*
            }
        }
    };
}
pub(crate) use owned;

/// Releases every element of an array made by [`boxed_array`], then the array.
pub(crate) unsafe fn release_array<T: Owned>(items: &mut *mut T, len: &mut usize) {
    for mut x in unbox_array(
        std::mem::replace(items, ptr::null_mut()),
        std::mem::take(len),
    ) {
        x.release();
    }
}

/// Frees a value made with `Box::into_raw` and its parts; NULL is ignored.
pub(crate) unsafe fn free_owned<T: Owned>(p: *mut T) {
    guard_free(|| {
        if !p.is_null() {
            Box::from_raw(p).release();
        }
    })
}

/// An owned name/value pair of strings.
#[repr(C)]
#[derive(Debug)]
pub struct SandgatePair {
    /// The name.
    pub name: SandgateString,
    /// The value.
    pub value: SandgateString,
}

owned!(SandgatePair { name, value });

/// Moves `items` to the heap as a C array; `(NULL, 0)` when empty.
pub(crate) fn boxed_array<T>(items: Vec<T>) -> (*mut T, usize) {
    if items.is_empty() {
        return (ptr::null_mut(), 0);
    }
    let len = items.len();
    (Box::into_raw(items.into_boxed_slice()) as *mut T, len)
}

/// Takes back an array made by [`boxed_array`].
pub(crate) unsafe fn unbox_array<T>(ptr: *mut T, len: usize) -> Vec<T> {
    if ptr.is_null() {
        return Vec::new();
    }
    Box::from_raw(ptr::slice_from_raw_parts_mut(ptr, len)).into_vec()
}

// ---------------------------------------------------------------- code tables

/// The error kinds, in the order of core's `ErrorKind::ALL` (value = index + 1).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandgateErrorKind {
    /// `invalid_argument`: a caller-supplied value was rejected before any work.
    InvalidArgument = 1,
    /// `invalid_config`: signing keys, TOML or client settings are invalid.
    InvalidConfig = 2,
    /// `access_denied`: a route or credential was denied (see `reason`, `status`).
    AccessDenied = 3,
    /// `api`: the server answered with an error status (see `status`, `code`, `request_id`).
    Api = 4,
    /// `timeout`: the request did not finish within its timeout.
    Timeout = 5,
    /// `transport`: connecting or talking to the server failed.
    Transport = 6,
    /// `decode`: the server's response could not be decoded.
    Decode = 7,
    /// `cancelled`: the caller cancelled the operation.
    Cancelled = 8,
    /// `internal`: a bug in sandgate (for example a panic caught at this boundary).
    Internal = 9,
}

/// The denial reasons, in the order of core's `DenyReason::ALL` (value = index + 1; 0 = none).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandgateDenyReason {
    /// No denial.
    None = 0,
    /// `malformed` (400).
    Malformed = 1,
    /// `expired` (401).
    Expired = 2,
    /// `unknown_key` (401).
    UnknownKey = 3,
    /// `bad_signature` (401).
    BadSignature = 4,
    /// `header_mismatch` (401).
    HeaderMismatch = 5,
    /// `credential_required` (401).
    CredentialRequired = 6,
    /// `not_configured` (503).
    NotConfigured = 7,
    /// `unknown_sandbox` (404).
    UnknownSandbox = 8,
}

/// How an allowed request was granted, in the order of core's `Grant::ALL` (value = index + 1;
/// 0 = none).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandgateGrant {
    /// Not granted (a denial).
    None = 0,
    /// `open`: the sandbox does not require secure access.
    Open = 1,
    /// `header`: `OpenSandbox-Secure-Access` matched the access token.
    Header = 2,
    /// `signature`: the signed route verified.
    Signature = 3,
}

/// Where `sandgate_verify` reads the route from, in the order of core's `RouteForm::ALL`
/// (value = index).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandgateRouteForm {
    /// `token`: a route token (the `OpenSandbox-Ingress-To` value).
    Token = 0,
    /// `host`: a `Host` value (first DNS label; scheme and port stripped).
    Host = 1,
    /// `path`: a uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest][?query]`.
    Path = 2,
}

/// A static table of NUL-terminated codes, built once from core's list.
pub(crate) struct Codes(OnceLock<Vec<CString>>);

impl Codes {
    pub(crate) const fn new() -> Self {
        Codes(OnceLock::new())
    }

    pub(crate) fn get(&self, codes: impl FnOnce() -> Vec<&'static str>) -> &[CString] {
        self.0.get_or_init(|| {
            codes()
                .into_iter()
                .map(|c| CString::new(c).unwrap_or_default())
                .collect()
        })
    }
}

static KIND_CODES: Codes = Codes::new();
static REASON_CODES: Codes = Codes::new();
static GRANT_CODES: Codes = Codes::new();
static FORM_CODES: Codes = Codes::new();

fn kind_codes() -> &'static [CString] {
    KIND_CODES.get(surface::error_kind_codes)
}

fn reason_codes() -> &'static [CString] {
    REASON_CODES.get(|| surface::deny_reasons().into_iter().map(|r| r.0).collect())
}

fn grant_codes() -> &'static [CString] {
    GRANT_CODES.get(surface::grant_codes)
}

fn form_codes() -> &'static [CString] {
    FORM_CODES.get(|| RouteForm::ALL.iter().map(|f| f.code()).collect())
}

/// The entry `i` (0-based) of `table`, or NULL.
pub(crate) fn entry(table: &'static [CString], i: i64) -> *const c_char {
    usize::try_from(i)
        .ok()
        .and_then(|i| table.get(i))
        .map_or(ptr::null(), |c| c.as_ptr())
}

/// The 1-based number of `x` in `all`, or 0.
fn number<T: PartialEq>(all: &[T], x: Option<T>) -> i32 {
    x.and_then(|x| all.iter().position(|a| *a == x))
        .map_or(0, |i| i as i32 + 1)
}

pub(crate) fn kind_number(kind: ErrorKind) -> i32 {
    match number(&ErrorKind::ALL, Some(kind)) {
        0 => SandgateErrorKind::Internal as i32,
        n => n,
    }
}

pub(crate) fn reason_number(reason: Option<DenyReason>) -> i32 {
    number(&DenyReason::ALL, reason)
}

pub(crate) fn reason_code_ptr(reason: Option<DenyReason>) -> *const c_char {
    entry(reason_codes(), i64::from(reason_number(reason)) - 1)
}

pub(crate) fn grant_code_ptr(grant: Option<Grant>) -> *const c_char {
    entry(grant_codes(), i64::from(number(&Grant::ALL, grant)) - 1)
}

pub(crate) fn kind_code_ptr(kind: ErrorKind) -> *const c_char {
    entry(kind_codes(), i64::from(kind_number(kind)) - 1)
}

/// The stable code of an error kind (`"invalid_argument"`, ...) by its `SandgateErrorKind`
/// value: a static string, never freed; NULL for a number that is not a kind.
#[no_mangle]
pub extern "C" fn sandgate_error_kind_code(kind: i32) -> *const c_char {
    entry(kind_codes(), i64::from(kind) - 1)
}

/// The stable code of a denial reason (`"expired"`, ...) by its `SandgateDenyReason` value: a
/// static string, never freed; NULL for 0 or a number that is not a reason.
#[no_mangle]
pub extern "C" fn sandgate_deny_reason_code(reason: i32) -> *const c_char {
    entry(reason_codes(), i64::from(reason) - 1)
}

/// The HTTP status a gateway answers for a denial reason by its `SandgateDenyReason` value
/// (400, 401, 404 or 503); 0 for 0 or a number that is not a reason. Nothing to free.
#[no_mangle]
pub extern "C" fn sandgate_deny_reason_status(reason: i32) -> u16 {
    usize::try_from(i64::from(reason) - 1)
        .ok()
        .and_then(|i| surface::deny_reasons().get(i).map(|r| r.1))
        .unwrap_or(0)
}

/// The stable code of a grant (`"open"`, `"header"`, `"signature"`) by its `SandgateGrant`
/// value: a static string, never freed; NULL for 0 or a number that is not a grant.
#[no_mangle]
pub extern "C" fn sandgate_grant_code(grant: i32) -> *const c_char {
    entry(grant_codes(), i64::from(grant) - 1)
}

/// The stable code of a route form (`"token"`, `"host"`, `"path"`) by its `SandgateRouteForm`
/// value: a static string, never freed; NULL for a number that is not a form.
#[no_mangle]
pub extern "C" fn sandgate_route_form_code(form: i32) -> *const c_char {
    entry(form_codes(), i64::from(form))
}

// ---------------------------------------------------------------- errors

/// An error: the mirror of core's `ErrorView`. Allocated by sandgate, read-only for the caller,
/// freed with `sandgate_error_free`. Never holds a secret.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateError {
    /// A `SandgateErrorKind` value.
    pub kind: i32,
    /// The kind's stable code (`"invalid_argument"`, ...): static, never freed.
    pub kind_code: *const c_char,
    /// The HTTP status (API errors and denials), 0 when there is none.
    pub status: u16,
    /// A `SandgateDenyReason` value (access denials), 0 when there is none.
    pub reason: i32,
    /// The reason's stable code (`"expired"`, ...): static, never freed; NULL when none.
    pub reason_code: *const c_char,
    /// The bare message (`message` in every language).
    pub message: SandgateString,
    /// The server's error code (for example `SANDBOX::NOT_FOUND`); `ptr` NULL when none.
    pub code: SandgateString,
    /// The server's `X-Request-ID`; `ptr` NULL when none.
    pub request_id: SandgateString,
    /// The full line every language prints for it (`str()`, `toString()`, `Error()`), for
    /// example `API error 404 SANDBOX::NOT_FOUND: no such sandbox (request id r1)`.
    pub display: SandgateString,
    /// 1 when the client's retry policy retries this kind of failure (`is_retryable`), else 0.
    pub retryable: u8,
    /// 1 when the server sent a usable `Retry-After` (`retry_after_ms` is set), else 0.
    pub has_retry_after_ms: u8,
    /// The server's `Retry-After` in milliseconds, uncapped (`retry_after`).
    pub retry_after_ms: u64,
}

impl SandgateError {
    pub(crate) fn boxed(e: &Error) -> *mut SandgateError {
        Self::from_view(&ErrorView::from(e))
    }

    pub(crate) fn from_view(v: &ErrorView) -> *mut SandgateError {
        Box::into_raw(Box::new(SandgateError {
            kind: kind_number(v.kind),
            kind_code: kind_code_ptr(v.kind),
            status: v.status.unwrap_or(0),
            reason: reason_number(v.reason),
            reason_code: reason_code_ptr(v.reason),
            message: SandgateString::new(&v.message),
            code: SandgateString::opt(v.code.as_deref()),
            request_id: SandgateString::opt(v.request_id.as_deref()),
            display: SandgateString::new(&v.display),
            retryable: u8::from(v.retryable),
            has_retry_after_ms: u8::from(v.retry_after_ms.is_some()),
            retry_after_ms: v.retry_after_ms.unwrap_or(0),
        }))
    }
}

/// Runs `f`, turning its error or a panic into an owned `SandgateError` (NULL on success).
pub(crate) fn guard(f: impl FnOnce() -> Result<(), Error>) -> *mut SandgateError {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(Ok(())) => ptr::null_mut(),
        Ok(Err(e)) => SandgateError::boxed(&e),
        Err(_) => SandgateError::boxed(&surface::panicked()),
    }
}

/// Runs a free function body; a panic is swallowed (there is nowhere to report it).
pub(crate) fn guard_free(f: impl FnOnce()) {
    let _ = catch_unwind(AssertUnwindSafe(f));
}

/// Checks an output pointer and resets what it points to, before any work is done.
pub(crate) unsafe fn out_ptr<'a, T>(out: *mut T, what: &str, empty: T) -> Result<&'a mut T, Error> {
    if out.is_null() {
        return Err(Error::invalid_argument(format!("{what} must not be NULL")));
    }
    ptr::write(out, empty);
    Ok(&mut *out)
}

/// Moves `value` to the heap and stores it in `*out` (already checked by [`out_ptr`]).
pub(crate) fn boxed_out<T>(out: &mut *mut T, value: T) {
    *out = Box::into_raw(Box::new(value));
}

/// A handle argument as a reference, or an error naming it when NULL.
pub(crate) unsafe fn handle<'a, T>(p: *const T, what: &str) -> Result<&'a T, Error> {
    p.as_ref()
        .ok_or_else(|| Error::invalid_argument(format!("{what} must not be NULL")))
}

/// Frees a handle made with `Box::into_raw`; NULL is ignored.
pub(crate) unsafe fn free_box<T>(p: *mut T) {
    guard_free(|| {
        if !p.is_null() {
            drop(Box::from_raw(p));
        }
    })
}

/// A boolean byte: 0 or 1, anything else an error naming `what`.
pub(crate) fn flag(v: u8, what: &str) -> Result<bool, Error> {
    match v {
        0 => Ok(false),
        1 => Ok(true),
        other => Err(Error::invalid_argument(format!(
            "{what} must be 0 or 1, got {other}"
        ))),
    }
}

/// An optional value given as a `has_x` flag and `x`.
pub(crate) fn optional<T>(has: u8, value: T, what: &str) -> Result<Option<T>, Error> {
    Ok(flag(has, what)?.then_some(value))
}

/// Frees an error returned by any sandgate function. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_error_free(error: *mut SandgateError) {
    free_owned(error)
}

owned!(SandgateError {
    message,
    code,
    request_id,
    display
});

/// The `cancelled` error every cancelled call reports, for a binding that sees its caller's
/// cancellation before it starts a call. Owned by the caller: free it with
/// `sandgate_error_free`.
#[no_mangle]
pub extern "C" fn sandgate_cancelled_error() -> *mut SandgateError {
    let mut out = ptr::null_mut();
    let err = guard(|| {
        out = SandgateError::boxed(&surface::cancelled());
        Ok(())
    });
    if err.is_null() {
        out
    } else {
        err
    }
}

/// A new error of `kind` (a `SandgateErrorKind` value) with the bare message `message`, for a
/// binding that reports a condition of its own (a closed handle, a nil argument) with the
/// core's display line. Owned by the caller: free it with `sandgate_error_free`. A kind out of
/// range, or a message that is NULL or not UTF-8, gives an `invalid_argument` error saying so.
#[no_mangle]
pub unsafe extern "C" fn sandgate_error_new(kind: i32, message: SandgateStr) -> *mut SandgateError {
    let mut out = ptr::null_mut();
    let err = guard(|| {
        let kind = usize::try_from(i64::from(kind) - 1)
            .ok()
            .and_then(|i| ErrorKind::ALL.get(i).copied())
            .ok_or_else(|| Error::invalid_argument(format!("kind must be 1..9, got {kind}")))?;
        out = SandgateError::boxed(&Error::new(kind, message.get("message")?));
        Ok(())
    });
    if err.is_null() {
        out
    } else {
        err
    }
}

/// Frees (and zeroes) a string that a sandgate function wrote to a `SandgateString *out`, and
/// resets it to `{NULL, 0}`, so freeing it again is harmless. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_string_free(s: *mut SandgateString) {
    guard_free(|| {
        if let Some(s) = s.as_mut() {
            s.release();
        }
    })
}

/// The version of sandgate: a static string, never freed.
#[no_mangle]
pub extern "C" fn sandgate_version() -> *const c_char {
    static V: &CStr =
        match CStr::from_bytes_with_nul(concat!(env!("CARGO_PKG_VERSION"), "\0").as_bytes()) {
            Ok(v) => v,
            Err(_) => c"unknown",
        };
    V.as_ptr()
}

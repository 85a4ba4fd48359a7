//! The two hot paths with primitive arguments only, for callers where building a struct per
//! call costs more than the work (Kotlin's JNA direct mapping; Go's verify): verify, which
//! answers a route or a denial's reason in the same call without allocating, and sign, which
//! writes the route's parts into the caller's buffer.
//!
//! Both return an `int32_t` instead of a `SandgateError *`: 0 on success, a positive
//! `SandgateDenyReason` for a denial (verify), or a negative `SandgateErrorKind` for any other
//! error, whose bare message and display the same call hands back (verify: static strings;
//! sign: written to the buffer). No second call is ever needed to learn what went wrong.

use crate::abi::{
    handle, kind_number, optional, reason_number, SandgateErrorKind, SandgateRouteForm,
};
use crate::routes::{SandgateSigner, SandgateVerifier};
use sandgate::surface::{self, Expiry, RouteForm};
use sandgate::{Error, ErrorKind};
use std::collections::HashMap;
use std::ffi::{c_char, CStr, CString};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::ptr;
use std::sync::{Mutex, OnceLock};

const INVALID_ARGUMENT: i32 = -(SandgateErrorKind::InvalidArgument as i32);
const INTERNAL: i32 = -(SandgateErrorKind::Internal as i32);

fn leak(s: String) -> &'static CStr {
    Box::leak(CString::new(s).unwrap_or_default().into_boxed_c_str())
}

/// NUL-terminated copies of a static message and of its display line, made once per message
/// and kept for the life of the process (the set of static messages is finite), so a denial
/// hands out static strings and allocates nothing after the first time.
fn texts(
    code: i32,
    message: &'static str,
    display: impl FnOnce() -> String,
) -> (*const c_char, *const c_char) {
    type Key = (i32, usize, usize);
    static TEXTS: OnceLock<Mutex<HashMap<Key, (&'static CStr, &'static CStr)>>> = OnceLock::new();
    let key = (code, message.as_ptr() as usize, message.len());
    let mut map = TEXTS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    let (m, d) = *map
        .entry(key)
        .or_insert_with(|| (leak(message.to_owned()), leak(display())));
    (m.as_ptr(), d.as_ptr())
}

/// The message and display of core's panic error, as static strings.
fn panic_texts() -> (*const c_char, *const c_char) {
    static T: OnceLock<(&'static CStr, &'static CStr)> = OnceLock::new();
    let (m, d) = T.get_or_init(|| {
        let e = surface::panicked();
        (leak(e.message().to_owned()), leak(e.to_string()))
    });
    (m.as_ptr(), d.as_ptr())
}

// ---------------------------------------------------------------- verify

/// What `sandgate_verify` answers. Every field is 8 bytes wide (on 64-bit targets), so a
/// caller may pass an array of eight `int64_t` instead (Kotlin passes a `LongArray(8)`).
/// Nothing in it is freed: `message` and `display` are static.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateVerified {
    /// The port (allowed).
    pub port: u64,
    /// Expiry in Unix seconds (allowed).
    pub expires: u64,
    /// The signing key id as a character code, for example 97 for `a` (allowed).
    pub key_id: u64,
    /// Byte offset of the sandbox id inside the input (allowed): no copy is made.
    pub sandbox_id_offset: u64,
    /// Byte length of the sandbox id (allowed).
    pub sandbox_id_len: u64,
    /// The HTTP status: 200 when allowed, the denial's status (400, 401, 503) when denied, 0
    /// for another error.
    pub status: u64,
    /// The bare message of a denial or error (static NUL-terminated UTF-8, never freed);
    /// NULL when allowed.
    pub message: *const c_char,
    /// The display line of a denial or error, for example `access denied (expired): ...`
    /// (static, never freed); NULL when allowed.
    pub display: *const c_char,
}

impl SandgateVerified {
    const EMPTY: SandgateVerified = SandgateVerified {
        port: 0,
        expires: 0,
        key_id: 0,
        sandbox_id_offset: 0,
        sandbox_id_len: 0,
        status: 0,
        message: ptr::null(),
        display: ptr::null(),
    };

    /// Records an `invalid_argument` error with a static message.
    fn invalid(&mut self, message: &'static str) -> i32 {
        (self.message, self.display) = texts(INVALID_ARGUMENT, message, || {
            Error::invalid_argument(message).to_string()
        });
        INVALID_ARGUMENT
    }

    /// Records an `internal` error with a static message.
    fn internal(&mut self, message: &'static str) -> i32 {
        (self.message, self.display) = texts(INTERNAL, message, || {
            Error::new(ErrorKind::Internal, message).to_string()
        });
        INTERNAL
    }
}

/// Verifies the signed route in `input` (`input_len` bytes of UTF-8; NULL only with length
/// 0, which is the empty input) read as `form` (a `SandgateRouteForm`), at `now` (Unix
/// seconds; the system clock when `has_now` is 0), in one call that never allocates.
///
/// Returns 0 when allowed (`*out` holds the route); a `SandgateDenyReason` value (1..) when
/// denied (`out->status`, `out->message`, `out->display` say why); or a negative
/// `SandgateErrorKind` value for bad arguments (`-1`: NULL verifier, unknown form, `has_now`
/// not 0/1, input not UTF-8; `out->message` says which) or a caught panic (`-9`). With
/// `out` NULL it returns -1 and writes nothing. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verify(
    verifier: *const SandgateVerifier,
    form: i32,
    input: *const u8,
    input_len: usize,
    has_now: u8,
    now: u64,
    out: *mut SandgateVerified,
) -> i32 {
    if out.is_null() {
        return INVALID_ARGUMENT;
    }
    ptr::write(out, SandgateVerified::EMPTY);
    let out = &mut *out;
    let run = AssertUnwindSafe(|| verify_into(verifier, form, input, input_len, has_now, now, out));
    match catch_unwind(run) {
        Ok(code) => code,
        Err(_) => {
            *out = SandgateVerified::EMPTY;
            (out.message, out.display) = panic_texts();
            INTERNAL
        }
    }
}

unsafe fn verify_into(
    verifier: *const SandgateVerifier,
    form: i32,
    input: *const u8,
    input_len: usize,
    has_now: u8,
    now: u64,
    out: &mut SandgateVerified,
) -> i32 {
    let Some(verifier) = verifier.as_ref() else {
        return out.invalid("verifier must not be NULL");
    };
    let form = match form {
        f if f == SandgateRouteForm::Token as i32 => RouteForm::Token,
        f if f == SandgateRouteForm::Host as i32 => RouteForm::Host,
        f if f == SandgateRouteForm::Path as i32 => RouteForm::Path,
        _ => return out.invalid("form must be 0 (token), 1 (host) or 2 (path)"),
    };
    let now = match has_now {
        0 => None,
        1 => Some(now),
        _ => return out.invalid("has_now must be 0 or 1"),
    };
    let bytes: &[u8] = if input.is_null() {
        if input_len != 0 {
            return out.invalid("input must not be NULL when input_len is not 0");
        }
        &[]
    } else if input_len > isize::MAX as usize {
        return out.invalid("input_len is too large");
    } else {
        std::slice::from_raw_parts(input, input_len)
    };
    let Ok(text) = std::str::from_utf8(bytes) else {
        return out.invalid(match form {
            RouteForm::Token => "token is not valid UTF-8",
            RouteForm::Host => "host is not valid UTF-8",
            RouteForm::Path => "path is not valid UTF-8",
        });
    };
    match surface::verify(&verifier.0, form, text, now) {
        Ok(route) => {
            let Some(signed) = route.signed else {
                return out.internal("a verified route carries no signature");
            };
            let Some(offset) = (route.sandbox_id.as_ptr() as usize)
                .checked_sub(text.as_ptr() as usize)
                .filter(|o| o + route.sandbox_id.len() <= text.len())
            else {
                return out.internal("the sandbox id is not part of the input");
            };
            *out = SandgateVerified {
                port: u64::from(route.port),
                expires: signed.expires,
                key_id: u64::from(u32::from(signed.key_id())),
                sandbox_id_offset: offset as u64,
                sandbox_id_len: route.sandbox_id.len() as u64,
                status: 200,
                ..SandgateVerified::EMPTY
            };
            0
        }
        Err(denial) => {
            let reason = reason_number(Some(denial.reason()));
            out.status = u64::from(denial.status());
            (out.message, out.display) =
                texts(reason, denial.detail(), || Error::from(denial).to_string());
            reason
        }
    }
}

// ---------------------------------------------------------------- sign

/// What `sandgate_sign_into` wrote into the caller's buffer. Every field is a `uint64_t`, so a
/// caller may pass an array of nine `int64_t` instead (Kotlin passes a `LongArray(9)`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SandgateSignedInto {
    /// Success: bytes of the token at the start of the buffer.
    pub token_len: u64,
    /// Success: bytes of `expires_b36`, right after the token.
    pub expires_b36_len: u64,
    /// Success: bytes of the signature, right after `expires_b36`.
    pub signature_len: u64,
    /// Success: bytes of the key id (1), right after the signature.
    pub key_id_len: u64,
    /// Success: bytes of the uri prefix, right after the key id.
    pub uri_prefix_len: u64,
    /// Success: expiry in Unix seconds.
    pub expires: u64,
    /// Success: the port.
    pub port: u64,
    /// Failure: bytes of the bare error message at the start of the buffer.
    pub message_len: u64,
    /// Failure: bytes of the error's display line, right after the message.
    pub display_len: u64,
}

/// Bytes needed by `sandgate_sign_into` for a sandbox id of `sandbox_id_len` bytes: every
/// route (and every error message) fits. Nothing to free.
#[no_mangle]
pub extern "C" fn sandgate_sign_into_capacity(sandbox_id_len: usize) -> usize {
    // token = id + 30 and uri prefix = id + 31 at most (5-digit port, 13-digit b36, 9-char
    // signature, separators), plus expires_b36, signature and key id: 2 * id + 84. Error
    // messages are short; 512 bytes hold any of them.
    sandbox_id_len.saturating_mul(2).saturating_add(84).max(512)
}

/// Signs a route to `port` (1..65535) of `sandbox_id` (`sandbox_id_len` bytes of UTF-8)
/// expiring at `expires` (when `has_expires` is 1) or `ttl_seconds` after `now` (when
/// `has_ttl` is 1; exactly one of the two), with `now` in Unix seconds (the system clock when
/// `has_now` is 0). Writes the token, `expires_b36`, signature, key id and uri prefix one after
/// another into `buf` (`cap` bytes; `sandgate_sign_into_capacity` says how many suffice) and
/// their lengths, the expiry and the port into `*out`.
///
/// Returns 0 on success, or a negative `SandgateErrorKind` value on failure, when `buf` holds
/// the bare error message followed by its display line (lengths in `out->message_len` and
/// `out->display_len`, truncated to `cap`). With `out` NULL it returns -1 and writes nothing.
/// Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sign_into(
    signer: *const SandgateSigner,
    sandbox_id: *const u8,
    sandbox_id_len: usize,
    port: i64,
    has_expires: u8,
    expires: u64,
    has_ttl: u8,
    ttl_seconds: u64,
    has_now: u8,
    now: u64,
    buf: *mut u8,
    cap: usize,
    out: *mut SandgateSignedInto,
) -> i32 {
    if out.is_null() {
        return INVALID_ARGUMENT;
    }
    ptr::write(out, SandgateSignedInto::default());
    let out = &mut *out;
    let buf: &mut [u8] = if buf.is_null() || cap > isize::MAX as usize {
        &mut []
    } else {
        std::slice::from_raw_parts_mut(buf, cap)
    };
    let run = AssertUnwindSafe(|| -> Result<_, Error> {
        let signer = handle(signer, "signer")?;
        let id = bytes_in(sandbox_id, sandbox_id_len, "sandbox_id")?;
        let expiry = Expiry::from_options(
            optional(has_expires, expires, "has_expires")?,
            optional(has_ttl, ttl_seconds, "has_ttl")?,
        )?;
        let route = surface::sign(
            &signer.0,
            id,
            port,
            expiry,
            optional(has_now, now, "has_now")?,
        )?;
        let parts = [
            route.token.as_str(),
            &route.expires_b36,
            &route.signature,
            &route.key_id,
            &route.uri_prefix,
        ];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if total > buf.len() {
            return Err(Error::invalid_argument(format!(
                "buf holds {} bytes; this route needs {total}",
                buf.len()
            )));
        }
        let mut at = 0;
        for p in parts {
            buf[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
        }
        let [t, b, s, k, u] = parts.map(|p| p.len() as u64);
        *out = SandgateSignedInto {
            token_len: t,
            expires_b36_len: b,
            signature_len: s,
            key_id_len: k,
            uri_prefix_len: u,
            expires: route.expires,
            port: u64::from(route.port),
            ..Default::default()
        };
        Ok(())
    });
    let err = match catch_unwind(run) {
        Ok(Ok(())) => return 0,
        Ok(Err(e)) => e,
        Err(_) => surface::panicked(),
    };
    *out = SandgateSignedInto::default();
    let message = put(buf, 0, err.message());
    let display = put(buf, message, &err.to_string());
    out.message_len = message as u64;
    out.display_len = display as u64;
    -kind_number(err.kind())
}

/// Copies as much of `s` as fits (whole characters) into `buf` at `at`; returns the bytes copied.
fn put(buf: &mut [u8], at: usize, s: &str) -> usize {
    let room = buf.len().saturating_sub(at);
    let mut n = s.len().min(room);
    while !s.is_char_boundary(n) {
        n -= 1;
    }
    buf[at..at + n].copy_from_slice(&s.as_bytes()[..n]);
    n
}

/// `len` bytes at `ptr` as UTF-8 (NULL with length 0 is the empty string).
unsafe fn bytes_in<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a str, Error> {
    if ptr.is_null() {
        if len == 0 {
            return Ok("");
        }
        return Err(Error::invalid_argument(format!(
            "{what} must not be NULL when {what}_len is not 0"
        )));
    }
    if len > isize::MAX as usize {
        return Err(Error::invalid_argument(format!("{what}_len is too large")));
    }
    std::str::from_utf8(std::slice::from_raw_parts(ptr, len))
        .map_err(|e| Error::invalid_argument(format!("{what} is not valid UTF-8: {e}")))
}

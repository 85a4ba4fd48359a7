//! Direct-mapped entry points for the two hot paths, signing and verifying.
//!
//! A uniffi call from Kotlin allocates several JNA structures (the call status, a buffer per
//! argument and result), and JNA tracks each one's native memory until a single cleaner
//! thread frees it: in a tight loop that bookkeeping, not sandgate, dominates. These functions
//! take and return only primitives and primitive arrays, which JNA's direct mapping passes
//! without allocating, so a verify costs little more than the core's. They only convert; any
//! failure returns a non-zero code and the Kotlin layer repeats the call through uniffi, which
//! raises the exact error. Handles are boxed clones owned by the Kotlin objects, released once.

use sandgate::{RouteSigner, RouteVerifier};
use std::panic::{catch_unwind, AssertUnwindSafe};

pub(crate) fn verifier_handle(v: &RouteVerifier) -> u64 {
    Box::into_raw(Box::new(v.clone())) as u64
}

pub(crate) fn signer_handle(s: &RouteSigner) -> u64 {
    Box::into_raw(Box::new(s.clone())) as u64
}

/// # Safety
/// `ptr` must point to `len` readable bytes (or `len` is 0).
unsafe fn text<'a>(ptr: *const u8, len: i32) -> Option<&'a str> {
    let len = usize::try_from(len).ok()?;
    if ptr.is_null() {
        return (len == 0).then_some("");
    }
    std::str::from_utf8(std::slice::from_raw_parts(ptr, len)).ok()
}

/// Verifies `token` (UTF-8, `len` bytes) at `now` (the system clock when `has_now` is 0).
/// Allowed: returns 0 and writes `[port, expires, key_id, sandbox_id_offset, sandbox_id_len]`
/// into `out` (5 longs). Anything else returns 1: ask uniffi's `verify` for the error.
///
/// # Safety
/// `h` comes from `FfiRouteVerifier::hot_handle` and is not released; `token` holds `len`
/// bytes; `out` holds 5 `i64`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_kt_verify(
    h: u64,
    token: *const u8,
    len: i32,
    has_now: i32,
    now: i64,
    out: *mut i64,
) -> i32 {
    let run = || -> Option<()> {
        let v = (h as *const RouteVerifier).as_ref()?;
        let token = text(token, len)?;
        let now = if has_now != 0 {
            now as u64
        } else {
            sandgate::clock::now_unix()
        };
        let route = v.verify_at(token, now).ok()?;
        let signed = route.signed?;
        let offset = (route.sandbox_id.as_ptr() as usize).checked_sub(token.as_ptr() as usize)?;
        if out.is_null() {
            return None;
        }
        let out = std::slice::from_raw_parts_mut(out, 5);
        out[0] = i64::from(route.port);
        out[1] = signed.expires as i64;
        out[2] = i64::from(u32::from(signed.key_id()));
        out[3] = offset as i64;
        out[4] = route.sandbox_id.len() as i64;
        Some(())
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Some(())) => 0,
        _ => 1,
    }
}

/// Signs `(sandbox_id, port, expires)`. Success: returns 0, writes the token, `expires_b36`,
/// signature and uri prefix one after another into `buf` (`cap` bytes) and their byte lengths
/// into `lens` (4 ints). Anything else (including a too-small `buf`) returns 1: ask uniffi's
/// `sign` for the error.
///
/// # Safety
/// `h` comes from `FfiRouteSigner::hot_handle` and is not released; `id` holds `id_len`
/// bytes; `buf` holds `cap` bytes; `lens` holds 4 `i32`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_kt_sign(
    h: u64,
    id: *const u8,
    id_len: i32,
    port: i64,
    expires: i64,
    buf: *mut u8,
    cap: i32,
    lens: *mut i32,
) -> i32 {
    let run = || -> Option<()> {
        let s = (h as *const RouteSigner).as_ref()?;
        let id = text(id, id_len)?;
        let port = sandgate::route::check_port(port).ok()?;
        let route = s.sign(id, port, expires as u64).ok()?;
        let token = route.token();
        let uri = route.uri_prefix();
        let parts = [
            token.as_str(),
            route.expires_b36(),
            route.signature(),
            uri.as_str(),
        ];
        let total: usize = parts.iter().map(|p| p.len()).sum();
        if buf.is_null() || lens.is_null() || total > usize::try_from(cap).ok()? {
            return None;
        }
        let buf = std::slice::from_raw_parts_mut(buf, total);
        let lens = std::slice::from_raw_parts_mut(lens, 4);
        let mut at = 0;
        for (i, p) in parts.iter().enumerate() {
            buf[at..at + p.len()].copy_from_slice(p.as_bytes());
            at += p.len();
            lens[i] = i32::try_from(p.len()).ok()?;
        }
        Some(())
    };
    match catch_unwind(AssertUnwindSafe(run)) {
        Ok(Some(())) => 0,
        _ => 1,
    }
}

/// Frees a handle from `FfiRouteVerifier::hot_handle`. 0 is ignored.
///
/// # Safety
/// `h` is 0 or a live verifier handle, released exactly once.
#[no_mangle]
pub unsafe extern "C" fn sandgate_kt_verifier_release(h: u64) {
    if h != 0 {
        let _ = catch_unwind(|| drop(Box::from_raw(h as *mut RouteVerifier)));
    }
}

/// Frees a handle from `FfiRouteSigner::hot_handle`. 0 is ignored.
///
/// # Safety
/// `h` is 0 or a live signer handle, released exactly once.
#[no_mangle]
pub unsafe extern "C" fn sandgate_kt_signer_release(h: u64) {
    if h != 0 {
        let _ = catch_unwind(|| drop(Box::from_raw(h as *mut RouteSigner)));
    }
}

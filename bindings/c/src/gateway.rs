//! The gateway check every middleware wraps (SPEC §1.4, §1.5, §6): options in, a flat verdict
//! out. A middleware hands over the request target and headers, then either forwards (after
//! removing `headers_to_strip`) or answers the refusal exactly as given.

use crate::abi::{
    boxed_array, boxed_out, free_box, free_owned, guard, handle, optional, out_ptr, owned,
    SandgateError, SandgatePair, SandgateStr, SandgateString,
};
use crate::routes::{SandgateRoute, SandgateSigningKeys};
use sandgate::gateway::Gateway;
use sandgate::surface::{self, GatewayOptions, GatewayVerdict, PolicyOptions};
use sandgate::Error;
use std::ptr;

/// Gateway options, borrowed for the call to `sandgate_gateway_new`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateGatewayOptions {
    /// `header`, `wildcard` or `uri` (NULL `ptr` = `header`).
    pub route_mode: SandgateStr,
    /// The signing keys (copied); NULL = none (signed routes answer 503 `not_configured`).
    pub keys: *const SandgateSigningKeys,
    /// A policy document (JSON or TOML); NULL `ptr` = none.
    pub policy: SandgateStr,
    /// A policy file (JSON or TOML, re-read when it changes); NULL `ptr` = none. With neither
    /// `policy` nor `policy_file` the gateway is signature-only.
    pub policy_file: SandgateStr,
    /// 1 when `now` is set, else 0 (the system clock per request).
    pub has_now: u8,
    /// A fixed "now" in Unix seconds (tests).
    pub now: u64,
}

/// A gateway check (opaque). Thread-safe; free with `sandgate_gateway_free`.
pub struct SandgateGateway(Gateway);

/// Builds a gateway from `*options`; a bad mode, policy document or file is an
/// `invalid_config` error saying what was wrong. On success `*out` is owned by the caller:
/// free it with `sandgate_gateway_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_gateway_new(
    options: *const SandgateGatewayOptions,
    out: *mut *mut SandgateGateway,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let o = handle(options, "options")?;
        let keys = match o.keys.as_ref() {
            Some(k) => k.0.clone(),
            None => Default::default(),
        };
        let g = surface::gateway(GatewayOptions {
            route_mode: o
                .route_mode
                .opt("route_mode")?
                .unwrap_or("header")
                .to_owned(),
            keys,
            policy: PolicyOptions::from_options(
                o.policy.opt("policy")?.map(str::to_owned),
                o.policy_file.opt("policy_file")?.map(str::to_owned),
            )?,
            now: optional(o.has_now, o.now, "has_now")?,
        })?;
        boxed_out(out, SandgateGateway(g));
        Ok(())
    })
}

/// Replaces the gateway's signing keys with a copy of `keys`, atomically (requests being
/// checked see the old set or the new one). `keys` stays owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn sandgate_gateway_replace_keys(
    gateway: *const SandgateGateway,
    keys: *const SandgateSigningKeys,
) -> *mut SandgateError {
    guard(|| {
        let g = handle(gateway, "gateway")?;
        g.0.replace_keys(handle(keys, "keys")?.0.clone());
        Ok(())
    })
}

/// Frees a gateway. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_gateway_free(gateway: *mut SandgateGateway) {
    free_box(gateway)
}

/// A borrowed request header: a UTF-8 name and a value of any bytes (HTTP allows non-UTF-8
/// header values; the check compares bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateHeaderIn {
    /// The name (UTF-8).
    pub name: SandgateStr,
    /// The value's bytes (`ptr` may be NULL when `len` is 0).
    pub value: SandgateStr,
}

/// A gateway verdict: the mirror of core's `GatewayVerdict`. Allocated by sandgate, read-only
/// for the caller, freed with `sandgate_gateway_verdict_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateGatewayVerdict {
    /// 1 when the request goes on to the sandbox, else 0.
    pub allowed: u8,
    /// 200 when allowed, else 400, 401, 404 or 503.
    pub status: u16,
    /// The refusal's reason code (a deny reason, or `policy_unavailable`); `ptr` NULL when
    /// allowed.
    pub reason: SandgateString,
    /// How access was granted (`open`, `signature`, `header`); `ptr` NULL when refused.
    pub grant: SandgateString,
    /// The verified route; `route.sandbox_id.ptr` NULL when refused.
    pub route: SandgateRoute,
    /// The target to forward (path, escaping kept, uri-mode prefix removed, and `?query`);
    /// `ptr` NULL when refused.
    pub upstream_target: SandgateString,
    /// Request header names to remove before forwarding (compare case-insensitively).
    pub headers_to_strip: *mut SandgateString,
    /// Number of `headers_to_strip`.
    pub headers_to_strip_len: usize,
    /// The refusal's response headers (`content-type`, `x-sandgate-reason`, `retry-after` on
    /// a 503); none when allowed.
    pub response_headers: *mut SandgatePair,
    /// Number of `response_headers`.
    pub response_headers_len: usize,
    /// The refusal's `text/plain` body; empty when allowed.
    pub body: SandgateString,
    /// The refusal's message (the body without its prefix and newline); empty when allowed.
    pub message: SandgateString,
}

owned!(SandgateGatewayVerdict { reason, grant, route, upstream_target, body, message }
    [headers_to_strip; headers_to_strip_len] [response_headers; response_headers_len]);

fn verdict(v: GatewayVerdict) -> SandgateGatewayVerdict {
    let (headers_to_strip, headers_to_strip_len) = boxed_array(
        v.headers_to_strip
            .iter()
            .map(|h| SandgateString::new(h))
            .collect(),
    );
    let (response_headers, response_headers_len) = boxed_array(
        v.response_headers
            .iter()
            .map(|(k, val)| SandgatePair {
                name: SandgateString::new(k),
                value: SandgateString::new(val),
            })
            .collect(),
    );
    SandgateGatewayVerdict {
        allowed: u8::from(v.allowed),
        status: v.status,
        reason: SandgateString::opt(v.reason),
        grant: SandgateString::opt(v.grant),
        route: SandgateRoute::of(v.route.as_ref()),
        upstream_target: SandgateString::opt(v.upstream_target.as_deref()),
        headers_to_strip,
        headers_to_strip_len,
        response_headers,
        response_headers_len,
        body: SandgateString::new(&v.body),
        message: SandgateString::new(&v.message),
    }
}

unsafe fn headers_in<'a>(
    ptr: *const SandgateHeaderIn,
    len: usize,
) -> Result<Vec<(&'a str, &'a [u8])>, Error> {
    if len == 0 {
        return Ok(Vec::new());
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(
            "headers must not be NULL when headers_len is not 0",
        ));
    }
    if len > isize::MAX as usize / std::mem::size_of::<SandgateHeaderIn>() {
        return Err(Error::invalid_argument("headers_len is too large"));
    }
    std::slice::from_raw_parts(ptr, len)
        .iter()
        .enumerate()
        .map(|(i, h)| {
            let name = h.name.get("header name")?;
            let value: &[u8] = if h.value.len == 0 {
                &[]
            } else if h.value.ptr.is_null() {
                return Err(Error::invalid_argument(format!(
                    "header {} value must not be NULL when its len is not 0",
                    i + 1
                )));
            } else {
                std::slice::from_raw_parts(h.value.ptr, h.value.len)
            };
            Ok((name, value))
        })
        .collect()
}

/// Checks one request: its `target` as received (path and `?query`, still percent-encoded)
/// and `headers_len` headers in arrival order (a repeated header is repeated; the host is the
/// `Host` pair). Never waits. On success `*out` is owned by the caller: free it with
/// `sandgate_gateway_verdict_free`. A refusal is a verdict, not an error; an error means the
/// arguments were bad.
#[no_mangle]
pub unsafe extern "C" fn sandgate_gateway_check(
    gateway: *const SandgateGateway,
    target: SandgateStr,
    headers: *const SandgateHeaderIn,
    headers_len: usize,
    out: *mut *mut SandgateGatewayVerdict,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let g = handle(gateway, "gateway")?;
        let target = target.get("target")?;
        let headers = headers_in(headers, headers_len)?;
        boxed_out(out, verdict(surface::check_request(&g.0, target, &headers)));
        Ok(())
    })
}

/// Frees a gateway verdict. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_gateway_verdict_free(verdict: *mut SandgateGatewayVerdict) {
    free_owned(verdict)
}

//! Signing keys, the route signer, signed routes, the verifier and the access decision.

use crate::abi::{
    flag, guard, guard_free, handle, out_ptr, reason_code_ptr, reason_number, sandgate_error_free,
    SandgateError, SandgateStr, SandgateString,
};
use sandgate::keys::parse_key_id;
use sandgate::route::{decode_expires_b36, encode_expires_b36, Grant};
use sandgate::{
    AccessRequest, Error, ErrorKind, RouteInfo, RouteSigner, RouteVerifier, SignedRoute,
    SigningKeys,
};
use std::ffi::c_char;
use std::ptr;

/// A set of signing keys (opaque). Thread-safe; free with `sandgate_signing_keys_free`.
pub struct SandgateSigningKeys(SigningKeys);

/// A route signer bound to one key (opaque). Thread-safe; free with `sandgate_signer_free`.
pub struct SandgateSigner(RouteSigner);

/// A route verifier over a set of keys (opaque). Thread-safe; free with `sandgate_verifier_free`.
pub struct SandgateVerifier(RouteVerifier);

/// A signed route (opaque). Read it with `sandgate_signed_route_parts`; free it with
/// `sandgate_signed_route_free`.
pub struct SandgateSignedRoute {
    route: SignedRoute,
    /// `token\0sandbox_id\0expires_b36\0signature\0uri_prefix\0`, read through `parts`.
    text: Box<[u8]>,
    /// Start and length of each string in `text`.
    spans: [(usize, usize); 5],
}

/// Reads `s` as Unix seconds "now": the system clock when `has_now` is 0.
fn now_of(has_now: u8, now: u64) -> Result<Option<u64>, Error> {
    Ok(flag(has_now, "has_now")?.then_some(now))
}

/// Parses signing keys from the ingress flag string `a=BASE64,b=BASE64`. On success `*out` is
/// a new handle owned by the caller: free it with `sandgate_signing_keys_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_from_flag(
    flag: SandgateStr,
    out: *mut *mut SandgateSigningKeys,
) -> *mut SandgateError {
    guard("sandgate_signing_keys_from_flag", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = SigningKeys::from_flag(flag.get("flag")?)?;
        *out = Box::into_raw(Box::new(SandgateSigningKeys(keys)));
        Ok(())
    })
}

/// Parses signing keys from the server TOML (`[ingress.secure_access]`). On success `*out` is
/// a new handle owned by the caller: free it with `sandgate_signing_keys_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_from_toml(
    toml: SandgateStr,
    out: *mut *mut SandgateSigningKeys,
) -> *mut SandgateError {
    guard("sandgate_signing_keys_from_toml", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = SigningKeys::from_toml(toml.get("toml")?)?;
        *out = Box::into_raw(Box::new(SandgateSigningKeys(keys)));
        Ok(())
    })
}

/// Reads the server's environment pair (SPEC §1.6): `keys` is the value of
/// `OPENSANDBOX_SECURE_ACCESS_KEYS` and `active_key` that of
/// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY`, each with a NULL `ptr` when the variable is unset.
/// Both or neither; nothing is trimmed; no empty entries. On success `*out` is a new handle
/// owned by the caller (free it with `sandgate_signing_keys_free`), or NULL when neither is set.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_from_env(
    keys: SandgateStr,
    active_key: SandgateStr,
    out: *mut *mut SandgateSigningKeys,
) -> *mut SandgateError {
    guard("sandgate_signing_keys_from_env", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = SigningKeys::from_env_vars(keys.opt("keys")?, active_key.opt("active_key")?)?;
        if let Some(keys) = keys {
            *out = Box::into_raw(Box::new(SandgateSigningKeys(keys)));
        }
        Ok(())
    })
}

/// Writes the key ids in order as one string of one-character ids (for example `"ab"`) to
/// `*out`, owned by the caller: free it with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_key_ids(
    keys: *const SandgateSigningKeys,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard("sandgate_signing_keys_key_ids", || {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let keys = handle(keys, "keys")?;
        let ids: String = keys.0.key_ids().iter().collect();
        *out = SandgateString::new(&ids);
        Ok(())
    })
}

/// Writes the active key id (a character code, for example `'a'`) to `*out`, or 0 when the
/// set has no active key. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_active_key_id(
    keys: *const SandgateSigningKeys,
    out: *mut u32,
) -> *mut SandgateError {
    guard("sandgate_signing_keys_active_key_id", || {
        let out = out_ptr(out, "out", 0)?;
        *out = handle(keys, "keys")?.0.active_key_id().map_or(0, u32::from);
        Ok(())
    })
}

/// Frees a signing-key set (its secrets are zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_free(keys: *mut SandgateSigningKeys) {
    guard_free(|| {
        if !keys.is_null() {
            drop(Box::from_raw(keys));
        }
    })
}

/// A signer using `key_id` (one character), or the set's active key when `key_id.ptr` is
/// NULL. The signer copies what it needs: `keys` may be freed afterwards. On success `*out` is
/// owned by the caller: free it with `sandgate_signer_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_new(
    keys: *const SandgateSigningKeys,
    key_id: SandgateStr,
    out: *mut *mut SandgateSigner,
) -> *mut SandgateError {
    guard("sandgate_signer_new", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = handle(keys, "keys")?;
        let id = key_id.opt("key_id")?.map(parse_key_id).transpose()?;
        *out = Box::into_raw(Box::new(SandgateSigner(RouteSigner::new(&keys.0, id)?)));
        Ok(())
    })
}

/// Writes the signer's key id (a character code) to `*out`. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_key_id(
    signer: *const SandgateSigner,
    out: *mut u32,
) -> *mut SandgateError {
    guard("sandgate_signer_key_id", || {
        let out = out_ptr(out, "out", 0)?;
        *out = u32::from(handle(signer, "signer")?.0.key_id());
        Ok(())
    })
}

/// Signs a route to `port` (1..65535) of `sandbox_id` that expires at `expires` (Unix
/// seconds). On success `*out` is owned by the caller: free it with `sandgate_signed_route_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_sign(
    signer: *const SandgateSigner,
    sandbox_id: SandgateStr,
    port: i64,
    expires: u64,
    out: *mut *mut SandgateSignedRoute,
) -> *mut SandgateError {
    guard("sandgate_signer_sign", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let signer = handle(signer, "signer")?;
        let port = sandgate::client::check_port(port)?;
        let route = signer
            .0
            .sign(sandbox_id.get("sandbox_id")?, port, expires)?;
        *out = Box::into_raw(Box::new(signed_route(route)));
        Ok(())
    })
}

fn signed_route(route: SignedRoute) -> SandgateSignedRoute {
    let token = route.token();
    let prefix = route.uri_prefix();
    let parts = [
        token.as_str(),
        route.sandbox_id(),
        route.expires_b36(),
        route.signature(),
        prefix.as_str(),
    ];
    let mut text = Vec::with_capacity(parts.iter().map(|p| p.len() + 1).sum());
    let mut spans = [(0, 0); 5];
    for (span, part) in spans.iter_mut().zip(parts) {
        *span = (text.len(), part.len());
        text.extend_from_slice(part.as_bytes());
        text.push(0);
    }
    SandgateSignedRoute {
        text: text.into_boxed_slice(),
        spans,
        route,
    }
}

/// The parts of a signed route. The strings are borrowed from the route handle (each is also
/// NUL-terminated) and stay valid until `sandgate_signed_route_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateSignedRouteParts {
    /// `{sandbox_id}-{port}-{expires_b36}-{signature}`; also the `OpenSandbox-Ingress-To` value.
    pub token: SandgateStr,
    /// The sandbox id.
    pub sandbox_id: SandgateStr,
    /// Expiry in base 36.
    pub expires_b36: SandgateStr,
    /// The 9-character signature (8 hex digits and the key id).
    pub signature: SandgateStr,
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    pub uri_prefix: SandgateStr,
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// The port.
    pub port: u16,
    /// The signing key id (a character code).
    pub key_id: u32,
}

/// Fills `*out` with the route's parts, borrowed from `route` (nothing to free).
#[no_mangle]
pub unsafe extern "C" fn sandgate_signed_route_parts(
    route: *const SandgateSignedRoute,
    out: *mut SandgateSignedRouteParts,
) -> *mut SandgateError {
    guard("sandgate_signed_route_parts", || {
        let empty = SandgateSignedRouteParts {
            token: SandgateStr::NONE,
            sandbox_id: SandgateStr::NONE,
            expires_b36: SandgateStr::NONE,
            signature: SandgateStr::NONE,
            uri_prefix: SandgateStr::NONE,
            expires: 0,
            port: 0,
            key_id: 0,
        };
        let out = out_ptr(out, "out", empty)?;
        let r = handle(route, "route")?;
        let view = |i: usize| {
            let (start, len) = r.spans[i];
            SandgateStr {
                ptr: r.text[start..].as_ptr(),
                len,
            }
        };
        *out = SandgateSignedRouteParts {
            token: view(0),
            sandbox_id: view(1),
            expires_b36: view(2),
            signature: view(3),
            uri_prefix: view(4),
            expires: r.route.expires(),
            port: r.route.port(),
            key_id: u32::from(r.route.key_id()),
        };
        Ok(())
    })
}

/// Writes the wildcard host `{token}.{base_domain}` to `*out`, owned by the caller: free it
/// with `sandgate_string_free`. A base domain that is not a DNS name is `invalid_argument`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signed_route_host(
    route: *const SandgateSignedRoute,
    base_domain: SandgateStr,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard("sandgate_signed_route_host", || {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let r = handle(route, "route")?;
        *out = SandgateString::new(&r.route.wildcard_host(base_domain.get("base_domain")?)?);
        Ok(())
    })
}

/// Writes the wildcard host `{token}.{base_domain}` of a route token to `*out`, owned by the
/// caller: free it with `sandgate_string_free`. For consumers that keep a signed route as
/// plain data (its parts) and free the route right after signing. A base domain that is not a
/// DNS name is `invalid_argument`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_wildcard_host(
    token: SandgateStr,
    base_domain: SandgateStr,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard("sandgate_wildcard_host", || {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let host =
            sandgate::route::wildcard_host(token.get("token")?, base_domain.get("base_domain")?)?;
        *out = SandgateString::new(&host);
        Ok(())
    })
}

/// Frees a signed route. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signed_route_free(route: *mut SandgateSignedRoute) {
    guard_free(|| {
        if !route.is_null() {
            drop(Box::from_raw(route));
        }
    })
}

/// Frees a signer (its secret is zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_free(signer: *mut SandgateSigner) {
    guard_free(|| {
        if !signer.is_null() {
            drop(Box::from_raw(signer));
        }
    })
}

/// A verifier over a copy of `keys` (`keys` may be freed afterwards; an empty set answers
/// `not_configured`). On success `*out` is owned by the caller: free it with
/// `sandgate_verifier_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_new(
    keys: *const SandgateSigningKeys,
    out: *mut *mut SandgateVerifier,
) -> *mut SandgateError {
    guard("sandgate_verifier_new", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = handle(keys, "keys")?;
        *out = Box::into_raw(Box::new(SandgateVerifier(RouteVerifier::new(
            keys.0.clone(),
        ))));
        Ok(())
    })
}

/// Frees a verifier. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_free(verifier: *mut SandgateVerifier) {
    guard_free(|| {
        if !verifier.is_null() {
            drop(Box::from_raw(verifier));
        }
    })
}

/// A verified route. `sandbox_id_offset`/`sandbox_id_len` locate the sandbox id inside the
/// token the caller passed (no copy is made).
#[repr(C)]
#[derive(Debug)]
pub struct SandgateVerifiedRoute {
    /// Byte offset of the sandbox id in the token.
    pub sandbox_id_offset: usize,
    /// Byte length of the sandbox id.
    pub sandbox_id_len: usize,
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// The port.
    pub port: u16,
    /// The signing key id (a character code).
    pub key_id: u32,
}

/// Verifies a signed route token at `now` (Unix seconds; the system clock when `has_now` is
/// 0). Allowed: fills `*out` (nothing to free) and returns NULL. Denied: returns an
/// `access_denied` error with the reason and status. Does not allocate when allowed.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_verify(
    verifier: *const SandgateVerifier,
    token: SandgateStr,
    has_now: u8,
    now: u64,
    out: *mut SandgateVerifiedRoute,
) -> *mut SandgateError {
    guard("sandgate_verifier_verify", || {
        let empty = SandgateVerifiedRoute {
            sandbox_id_offset: 0,
            sandbox_id_len: 0,
            expires: 0,
            port: 0,
            key_id: 0,
        };
        let out = out_ptr(out, "out", empty)?;
        let v = handle(verifier, "verifier")?;
        let token = token.get("token")?;
        let now = now_of(has_now, now)?.unwrap_or_else(sandgate::now_unix);
        let route = v.0.verify_at(token, now)?;
        let signed = route.signed.ok_or_else(|| {
            Error::new(ErrorKind::Internal, "a verified route carries no signature")
        })?;
        let offset = (route.sandbox_id.as_ptr() as usize)
            .checked_sub(token.as_ptr() as usize)
            .filter(|o| o + route.sandbox_id.len() <= token.len())
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Internal,
                    "the sandbox id is not part of the token",
                )
            })?;
        *out = SandgateVerifiedRoute {
            sandbox_id_offset: offset,
            sandbox_id_len: route.sandbox_id.len(),
            expires: signed.expires,
            port: route.port,
            key_id: u32::from(signed.key_id()),
        };
        Ok(())
    })
}

/// An owned route (inside endpoints and decisions).
#[repr(C)]
#[derive(Debug)]
pub struct SandgateRoute {
    /// The sandbox id; `ptr` NULL when there is no route.
    pub sandbox_id: SandgateString,
    /// The port.
    pub port: u16,
    /// 1 when the route is signed (then `expires` and `key_id` are set), else 0.
    pub is_signed: u8,
    /// Expiry in Unix seconds (signed routes).
    pub expires: u64,
    /// The signing key id, a character code (signed routes), else 0.
    pub key_id: u32,
}

impl SandgateRoute {
    pub(crate) fn of(route: Option<&RouteInfo>) -> Self {
        match route {
            None => SandgateRoute {
                sandbox_id: SandgateString::NONE,
                port: 0,
                is_signed: 0,
                expires: 0,
                key_id: 0,
            },
            Some(r) => SandgateRoute {
                sandbox_id: SandgateString::new(&r.sandbox_id),
                port: r.port,
                is_signed: u8::from(r.expires.is_some()),
                expires: r.expires.unwrap_or(0),
                key_id: r.key_id.map_or(0, u32::from),
            },
        }
    }

    pub(crate) unsafe fn release(&mut self) {
        self.sandbox_id.release();
    }
}

/// An access decision (SPEC §1.5). Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_decision_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateDecision {
    /// 1 when allowed, else 0.
    pub allowed: u8,
    /// The HTTP status a gateway answers: 200 when allowed.
    pub status: u16,
    /// A `SandgateDenyReason` value; 0 when allowed.
    pub reason: i32,
    /// The reason's stable code: static, never freed; NULL when allowed.
    pub reason_code: *const c_char,
    /// A short explanation of a denial; `ptr` NULL when allowed.
    pub detail: SandgateString,
    /// How access was granted: `"open"`, `"header"` or `"signature"` (static, never freed);
    /// NULL when denied.
    pub grant: *const c_char,
    /// The route (allowed requests); `route.sandbox_id.ptr` NULL when denied.
    pub route: SandgateRoute,
    /// The upstream path (allowed requests).
    pub path: SandgateString,
    /// The upstream query without `?` (allowed requests that had one); `ptr` NULL when none.
    pub query: SandgateString,
    /// The denial as an `access_denied` error value (NULL when allowed); owned by the decision
    /// and freed with it.
    pub error: *mut SandgateError,
}

fn grant_code(g: Grant) -> *const c_char {
    match g {
        Grant::Open => c"open".as_ptr(),
        Grant::Header => c"header".as_ptr(),
        Grant::Signature => c"signature".as_ptr(),
    }
}

/// The full access decision for one gateway request at `now` (the system clock when `has_now`
/// is 0). The route comes from `ingress_to` (header `OpenSandbox-Ingress-To`), else `host`,
/// else `path` (uri mode: path and query). `secure_access` is header
/// `OpenSandbox-Secure-Access` (present even when empty). `access_token` NULL means the sandbox
/// does not require secure access. Every string is optional (NULL `ptr` = absent). A denial is
/// a decision, not an error. On success `*out` is owned by the caller: free it with
/// `sandgate_decision_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_decide(
    verifier: *const SandgateVerifier,
    ingress_to: SandgateStr,
    host: SandgateStr,
    path: SandgateStr,
    secure_access: SandgateStr,
    access_token: SandgateStr,
    has_now: u8,
    now: u64,
    out: *mut *mut SandgateDecision,
) -> *mut SandgateError {
    guard("sandgate_verifier_decide", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let v = handle(verifier, "verifier")?;
        let req = AccessRequest {
            ingress_to: ingress_to.opt("ingress_to")?,
            host: host.opt("host")?,
            path: path.opt("path")?,
            secure_access: secure_access.opt("secure_access")?,
            ..Default::default()
        };
        let token = access_token.opt("access_token")?;
        let d = v.0.decision(&req, token, now_of(has_now, now)?);
        *out = Box::into_raw(Box::new(SandgateDecision {
            allowed: u8::from(d.allowed),
            status: d.status,
            reason: reason_number(d.reason),
            reason_code: if d.reason.is_some() {
                reason_code_ptr(d.reason)
            } else {
                ptr::null()
            },
            detail: SandgateString::opt(d.detail),
            grant: d.grant.map_or(ptr::null(), grant_code),
            route: SandgateRoute::of(d.route.as_ref()),
            path: SandgateString::opt(d.path.as_deref()),
            query: SandgateString::opt(d.query.as_deref()),
            error: d
                .error()
                .map_or(ptr::null_mut(), |e| SandgateError::boxed(&e)),
        }));
        Ok(())
    })
}

/// Frees a decision. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_decision_free(decision: *mut SandgateDecision) {
    guard_free(|| {
        if decision.is_null() {
            return;
        }
        let mut d = Box::from_raw(decision);
        d.detail.release();
        d.route.release();
        d.path.release();
        d.query.release();
        sandgate_error_free(d.error);
    })
}

/// Writes the base-36 form of `expires` (Unix seconds) to `*out`, owned by the caller: free it
/// with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_encode_expires_b36(
    expires: u64,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard("sandgate_encode_expires_b36", || {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        *out = SandgateString::new(encode_expires_b36(expires).as_str());
        Ok(())
    })
}

/// Decodes a base-36 expiry to Unix seconds in `*out` (nothing to free); malformed input is an
/// `invalid_argument` error.
#[no_mangle]
pub unsafe extern "C" fn sandgate_decode_expires_b36(
    b36: SandgateStr,
    out: *mut u64,
) -> *mut SandgateError {
    guard("sandgate_decode_expires_b36", || {
        let out = out_ptr(out, "out", 0)?;
        *out = decode_expires_b36(b36.get("b36")?)?;
        Ok(())
    })
}

//! Signing keys, the route signer, signing, the verifier and the access decision.

use crate::abi::{
    boxed_out, free_box, free_owned, grant_code_ptr, guard, handle, optional, out_ptr, owned,
    reason_code_ptr, reason_number, SandgateError, SandgateStr, SandgateString,
};
use sandgate::keys::parse_key_id;
use sandgate::route::{decode_expires_b36, encode_expires_b36};
use sandgate::surface::{self, Expiry, RouteView, SignedRouteView};
use sandgate::{AccessRequest, Error, RouteSigner, RouteVerifier, SigningKeys};
use std::ptr;

/// A set of signing keys (opaque). Thread-safe; free with `sandgate_signing_keys_free`.
pub struct SandgateSigningKeys(pub(crate) SigningKeys);

/// A route signer bound to one key (opaque). Thread-safe; free with `sandgate_signer_free`.
pub struct SandgateSigner(pub(crate) RouteSigner);

/// A route verifier over a set of keys (opaque). Thread-safe; free with `sandgate_verifier_free`.
pub struct SandgateVerifier(pub(crate) RouteVerifier);

impl SandgateSigner {
    /// A new handle over a copy of `signer`, for a Rust crate that re-exports this ABI (the
    /// Kotlin library): free it with `sandgate_signer_free`.
    pub fn into_raw(signer: &RouteSigner) -> *mut SandgateSigner {
        Box::into_raw(Box::new(SandgateSigner(signer.clone())))
    }
}

impl SandgateVerifier {
    /// A new handle over a copy of `verifier`, for a Rust crate that re-exports this ABI (the
    /// Kotlin library): free it with `sandgate_verifier_free`.
    pub fn into_raw(verifier: &RouteVerifier) -> *mut SandgateVerifier {
        Box::into_raw(Box::new(SandgateVerifier(verifier.clone())))
    }
}

// ---------------------------------------------------------------- signing keys

/// Parses signing keys from the ingress flag string `a=BASE64,b=BASE64`. On success `*out` is
/// a new handle owned by the caller: free it with `sandgate_signing_keys_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_from_flag(
    flag: SandgateStr,
    out: *mut *mut SandgateSigningKeys,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        boxed_out(
            out,
            SandgateSigningKeys(SigningKeys::from_flag(flag.get("flag")?)?),
        );
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
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        boxed_out(
            out,
            SandgateSigningKeys(SigningKeys::from_toml(toml.get("toml")?)?),
        );
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
    guard(|| {
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
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let ids: String = handle(keys, "keys")?.0.key_ids().iter().collect();
        *out = SandgateString::new(&ids);
        Ok(())
    })
}

/// Writes the active key id (a one-character string) to `*out`, owned by the caller: free it
/// with `sandgate_string_free`; `ptr` is NULL when the set has no active key.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_active_key_id(
    keys: *const SandgateSigningKeys,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let id = handle(keys, "keys")?.0.active_key_id().map(String::from);
        *out = SandgateString::opt(id.as_deref());
        Ok(())
    })
}

/// Frees a signing-key set (its secrets are zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signing_keys_free(keys: *mut SandgateSigningKeys) {
    free_box(keys)
}

// ---------------------------------------------------------------- signing

/// A signer using `key_id` (one character), or the set's active key when `key_id.ptr` is
/// NULL. The signer copies what it needs: `keys` may be freed afterwards. On success `*out` is
/// owned by the caller: free it with `sandgate_signer_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_new(
    keys: *const SandgateSigningKeys,
    key_id: SandgateStr,
    out: *mut *mut SandgateSigner,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = handle(keys, "keys")?;
        let id = key_id.opt("key_id")?.map(parse_key_id).transpose()?;
        boxed_out(out, SandgateSigner(RouteSigner::new(&keys.0, id)?));
        Ok(())
    })
}

/// Writes the signer's key id (a one-character string) to `*out`, owned by the caller: free
/// it with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_key_id(
    signer: *const SandgateSigner,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        *out = SandgateString::new(&handle(signer, "signer")?.0.key_id().to_string());
        Ok(())
    })
}

/// Frees a signer (its secret is zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signer_free(signer: *mut SandgateSigner) {
    free_box(signer)
}

/// When a signed route (or a signed endpoint) expires: exactly one of `has_expires` and
/// `has_ttl` is 1 (core's `Expiry::from_options`). A zeroed value is rejected.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateExpiry {
    /// 1 when `expires` is set, else 0.
    pub has_expires: u8,
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// 1 when `ttl_seconds` is set, else 0.
    pub has_ttl: u8,
    /// Seconds after "now" (at least 1).
    pub ttl_seconds: u64,
}

impl SandgateExpiry {
    pub(crate) fn get(self) -> Result<Expiry, Error> {
        Expiry::from_options(
            optional(self.has_expires, self.expires, "has_expires")?,
            optional(self.has_ttl, self.ttl_seconds, "has_ttl")?,
        )
    }
}

/// A signed route as plain data: the mirror of core's `SignedRouteView`. Allocated by
/// sandgate, read-only for the caller, freed with `sandgate_signed_route_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateSignedRoute {
    /// `{sandbox_id}-{port}-{expires_b36}-{signature}`; also the `OpenSandbox-Ingress-To` value.
    pub token: SandgateString,
    /// The sandbox id.
    pub sandbox_id: SandgateString,
    /// The port.
    pub port: u16,
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// Expiry in base 36.
    pub expires_b36: SandgateString,
    /// The 9-character signature (8 hex digits and the key id).
    pub signature: SandgateString,
    /// The signing key id (a one-character string).
    pub key_id: SandgateString,
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    pub uri_prefix: SandgateString,
}

impl From<&SignedRouteView> for SandgateSignedRoute {
    fn from(r: &SignedRouteView) -> Self {
        SandgateSignedRoute {
            token: SandgateString::new(&r.token),
            sandbox_id: SandgateString::new(&r.sandbox_id),
            port: r.port,
            expires: r.expires,
            expires_b36: SandgateString::new(&r.expires_b36),
            signature: SandgateString::new(&r.signature),
            key_id: SandgateString::new(&r.key_id),
            uri_prefix: SandgateString::new(&r.uri_prefix),
        }
    }
}

/// Signs a route to `port` (1..65535) of `sandbox_id` expiring per `expiry`, a TTL counted
/// from `now` (Unix seconds; the system clock when `has_now` is 0). On success `*out` is owned
/// by the caller: free it with `sandgate_signed_route_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sign(
    signer: *const SandgateSigner,
    sandbox_id: SandgateStr,
    port: i64,
    expiry: SandgateExpiry,
    has_now: u8,
    now: u64,
    out: *mut *mut SandgateSignedRoute,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let route = surface::sign(
            &handle(signer, "signer")?.0,
            sandbox_id.get("sandbox_id")?,
            port,
            expiry.get()?,
            optional(has_now, now, "has_now")?,
        )?;
        boxed_out(out, SandgateSignedRoute::from(&route));
        Ok(())
    })
}

/// Frees a signed route. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_signed_route_free(route: *mut SandgateSignedRoute) {
    free_owned(route)
}

owned!(SandgateSignedRoute {
    token,
    sandbox_id,
    expires_b36,
    signature,
    key_id,
    uri_prefix
});

/// Writes the wildcard host `{token}.{base_domain}` of a route token to `*out`, owned by the
/// caller: free it with `sandgate_string_free`. A base domain that is not a DNS name is
/// `invalid_argument`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_wildcard_host(
    token: SandgateStr,
    base_domain: SandgateStr,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let host =
            sandgate::route::wildcard_host(token.get("token")?, base_domain.get("base_domain")?)?;
        *out = SandgateString::new(&host);
        Ok(())
    })
}

// ---------------------------------------------------------------- verifying

/// A verifier over a copy of `keys` (`keys` may be freed afterwards; an empty set answers
/// `not_configured`). On success `*out` is owned by the caller: free it with
/// `sandgate_verifier_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_new(
    keys: *const SandgateSigningKeys,
    out: *mut *mut SandgateVerifier,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let keys = handle(keys, "keys")?;
        boxed_out(out, SandgateVerifier(RouteVerifier::new(keys.0.clone())));
        Ok(())
    })
}

/// Replaces the verifier's signing keys with a copy of `keys`, atomically: every clone of the
/// verifier (and calls already running) sees either the old set or the new one, never a mix.
/// `keys` stays owned by the caller.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_replace_keys(
    verifier: *const SandgateVerifier,
    keys: *const SandgateSigningKeys,
) -> *mut SandgateError {
    guard(|| {
        let v = handle(verifier, "verifier")?;
        let keys = handle(keys, "keys")?;
        v.0.replace_keys(keys.0.clone());
        Ok(())
    })
}

/// Frees a verifier. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verifier_free(verifier: *mut SandgateVerifier) {
    free_box(verifier)
}

/// An owned route (inside endpoints and decisions): the mirror of core's `RouteView`.
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
    /// The signing key id, a one-character string (signed routes); `ptr` NULL otherwise.
    pub key_id: SandgateString,
}

impl SandgateRoute {
    pub(crate) fn of(route: Option<&RouteView>) -> Self {
        match route {
            None => SandgateRoute {
                sandbox_id: SandgateString::NONE,
                port: 0,
                is_signed: 0,
                expires: 0,
                key_id: SandgateString::NONE,
            },
            Some(r) => SandgateRoute {
                sandbox_id: SandgateString::new(&r.sandbox_id),
                port: r.port,
                is_signed: u8::from(r.expires.is_some()),
                expires: r.expires.unwrap_or(0),
                key_id: SandgateString::opt(r.key_id.as_deref()),
            },
        }
    }
}

owned!(SandgateRoute { sandbox_id, key_id });

/// An access decision (SPEC §1.5): the mirror of core's `Decision`. Allocated by sandgate,
/// read-only for the caller, freed with `sandgate_decision_free`.
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
    pub reason_code: *const std::ffi::c_char,
    /// A short explanation of a denial; `ptr` NULL when allowed.
    pub detail: SandgateString,
    /// How access was granted: `"open"`, `"header"` or `"signature"` (static, never freed);
    /// NULL when denied.
    pub grant: *const std::ffi::c_char,
    /// The route (allowed requests); `route.sandbox_id.ptr` NULL when denied.
    pub route: SandgateRoute,
    /// The upstream path (allowed requests).
    pub path: SandgateString,
    /// The upstream query without `?` (allowed requests that had one); `ptr` NULL when none.
    pub query: SandgateString,
    /// The denial as an `access_denied` error value (NULL when allowed); owned by the decision
    /// and freed with it: the decision-to-error helper.
    pub error: *mut SandgateError,
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
    guard(|| {
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
        let d = surface::decide(&v.0, &req, token, optional(has_now, now, "has_now")?);
        boxed_out(
            out,
            SandgateDecision {
                allowed: u8::from(d.allowed),
                status: d.status,
                reason: reason_number(d.reason),
                reason_code: reason_code_ptr(d.reason),
                detail: SandgateString::opt(d.detail),
                grant: grant_code_ptr(d.grant),
                route: SandgateRoute::of(d.route.as_ref()),
                path: SandgateString::opt(d.path.as_deref()),
                query: SandgateString::opt(d.query.as_deref()),
                error: d
                    .error()
                    .map_or(ptr::null_mut(), |e| SandgateError::boxed(&e)),
            },
        );
        Ok(())
    })
}

/// Frees a decision and its error. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_decision_free(decision: *mut SandgateDecision) {
    free_owned(decision)
}

owned!(SandgateDecision {
    detail,
    route,
    path,
    query,
    error
});

// ---------------------------------------------------------------- expires_b36

/// Writes the base-36 form of `expires` (Unix seconds) to `*out`, owned by the caller: free it
/// with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_encode_expires_b36(
    expires: u64,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
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
    guard(|| {
        let out = out_ptr(out, "out", 0)?;
        *out = decode_expires_b36(b36.get("b36")?)?;
        Ok(())
    })
}

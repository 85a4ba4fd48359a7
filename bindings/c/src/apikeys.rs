//! Show-once API-key primitives: generate, hash, verify.

use crate::abi::{
    flag, free_owned, guard, optional, out_ptr, owned, SandgateError, SandgateStr, SandgateString,
};
use sandgate::keys::{
    generate_api_key, hash_api_key, verify_stored_api_key, StoredKeyView, DEFAULT_API_KEY_PREFIX,
};
use std::ptr;

/// A freshly generated API key. Allocated by sandgate, read-only for the caller, freed (and the
/// raw key zeroed) with `sandgate_generated_api_key_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateGeneratedApiKey {
    /// The raw key (a secret): show it to its owner once, never store or log it.
    pub key: SandgateString,
    /// The display prefix: the first 12 characters of the key.
    pub prefix: SandgateString,
    /// Lowercase hex SHA-256 of the key: the only form to store.
    pub hash: SandgateString,
}

/// Generates a key `prefix + base64url(32 random bytes)`; `prefix.ptr` NULL means the default
/// `osk_`. On success `*out` is owned by the caller: free it with
/// `sandgate_generated_api_key_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_generate_api_key(
    prefix: SandgateStr,
    out: *mut *mut SandgateGeneratedApiKey,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let prefix = prefix.opt("prefix")?.unwrap_or(DEFAULT_API_KEY_PREFIX);
        let k = generate_api_key(prefix)?;
        *out = Box::into_raw(Box::new(SandgateGeneratedApiKey {
            key: SandgateString::new(k.key.expose()),
            prefix: SandgateString::new(&k.prefix),
            hash: SandgateString::new(&k.hash),
        }));
        Ok(())
    })
}

/// Frees a generated key, zeroing the raw key. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_generated_api_key_free(key: *mut SandgateGeneratedApiKey) {
    free_owned(key)
}

owned!(SandgateGeneratedApiKey { key, prefix, hash });

/// Writes the lowercase hex SHA-256 of `raw` to `*out`, owned by the caller: free it with
/// `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_hash_api_key(
    raw: SandgateStr,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        *out = SandgateString::new(&hash_api_key(raw.get("raw")?));
        Ok(())
    })
}

/// Checks a presented key against a stored record at `now` (the system clock when `has_now` is
/// 0): constant-time hash match, not `revoked` (0/1), not expired (`expires_at` is optional,
/// RFC 3339 or epoch seconds; unparseable counts as expired). Writes 1 (valid) or 0 to `*out`
/// (nothing to free). A stored hash that is not 64 lowercase hex digits is an
/// `invalid_argument` error.
#[no_mangle]
pub unsafe extern "C" fn sandgate_verify_api_key(
    key: SandgateStr,
    stored_hash: SandgateStr,
    expires_at: SandgateStr,
    revoked: u8,
    has_now: u8,
    now: u64,
    out: *mut u8,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", 0)?;
        let view = StoredKeyView {
            hash: stored_hash.get("stored_hash")?,
            revoked: flag(revoked, "revoked")?,
            expires_at: expires_at.opt("expires_at")?,
        };
        *out = u8::from(verify_stored_api_key(
            key.get("key")?,
            &view,
            optional(has_now, now, "has_now")?,
        )?);
        Ok(())
    })
}

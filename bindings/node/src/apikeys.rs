//! Show-once API-key primitives (SPEC §3.1) over `sandgate::keys`.

use crate::routes::{with_text, TextOrSecret};
use crate::{opt_seconds, IntoJs, Secret};
use napi::bindgen_prelude::{BigInt, Either};
use napi_derive::napi;
use sandgate::keys::{StoredKeyView, DEFAULT_API_KEY_PREFIX};

/// A freshly generated key: the raw key (a `Secret`), its display prefix and its hash.
#[napi(object, object_from_js = false)]
pub struct GeneratedApiKeyData {
    /// The raw key: show it once, store only `hash`.
    pub key: Secret,
    /// The display prefix (the first 12 characters).
    pub prefix: String,
    /// Lowercase hex SHA-256 of the key: the form to store.
    pub hash: String,
}

/// Generates a key: `prefix` (default `osk_`) + 43 random base64url characters.
#[napi(catch_unwind)]
pub fn generate_api_key(prefix: Option<String>) -> napi::Result<GeneratedApiKeyData> {
    let g = sandgate::generate_api_key(prefix.as_deref().unwrap_or(DEFAULT_API_KEY_PREFIX)).js()?;
    Ok(GeneratedApiKeyData {
        key: Secret::new(g.key),
        prefix: g.prefix,
        hash: g.hash,
    })
}

/// Lowercase hex SHA-256 of the raw key: the form to store.
#[napi(catch_unwind)]
pub fn hash_api_key(#[napi(ts_arg_type = "string | Secret")] raw: TextOrSecret) -> String {
    with_text(&raw, sandgate::hash_api_key)
}

/// What is stored for a key, and when to check it.
#[napi(object, object_to_js = false)]
#[derive(Default)]
pub struct VerifyApiKeyOptions {
    /// The stored expiry (RFC 3339, or epoch seconds/milliseconds); unparseable fails closed.
    pub expires_at: Option<String>,
    /// Whether the key was revoked (default false).
    pub revoked: Option<bool>,
    /// Unix seconds (default: the system clock).
    pub now: Option<Either<f64, BigInt>>,
}

/// Whether `key` matches `hash` (constant time) and is neither revoked nor expired.
#[napi(catch_unwind)]
pub fn verify_api_key(
    #[napi(ts_arg_type = "string | Secret")] key: TextOrSecret,
    hash: String,
    options: Option<VerifyApiKeyOptions>,
) -> napi::Result<bool> {
    let options = options.unwrap_or_default();
    let now = opt_seconds("now", options.now.as_ref())?;
    let stored = StoredKeyView {
        hash: &hash,
        revoked: options.revoked.unwrap_or(false),
        expires_at: options.expires_at.as_deref(),
    };
    with_text(&key, |k| {
        sandgate::keys::verify_stored_api_key(k, &stored, now)
    })
    .js()
}

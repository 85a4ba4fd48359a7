//! Signing-key sets (SPEC §1.6), the signing-key ring and its rotation tooling (SPEC §7:
//! [`ring`], [`render`], [`check`]), and show-once API keys (SPEC §3.1).

pub(crate) mod apikey;
pub mod check;
pub mod render;
pub mod ring;
pub(crate) mod signing;

pub use apikey::{
    api_key_from_bytes, api_key_from_headers, check_api_key, display_prefix, format_expires_at,
    format_rfc3339, generate_api_key, hash_api_key, is_expired, parse_expires_at, verify_api_key,
    verify_stored_api_key, GeneratedApiKey, KeyRejection, StoredKeyView, DEFAULT_API_KEY_PREFIX,
    DISPLAY_PREFIX_LEN, MAX_EXPIRES_AT,
};
pub use check::{check, CheckInput, CheckReport, Finding};
pub use render::{render, Form, RenderOptions};
pub use ring::{KeyRing, RetireVerdict};
pub use signing::{parse_key_id, SigningKeys, ENV_ACTIVE_KEY, ENV_KEYS, MAX_KEY_FILE_BYTES};

//! Signing-key sets (SPEC §1.6) and show-once API keys (SPEC §3.1).

pub(crate) mod apikey;
pub(crate) mod signing;

pub use apikey::{
    api_key_from_bytes, api_key_from_headers, check_api_key, display_prefix, format_expires_at,
    format_rfc3339, generate_api_key, hash_api_key, is_expired, parse_expires_at, verify_api_key,
    verify_stored_api_key, GeneratedApiKey, KeyRejection, StoredKeyView, DEFAULT_API_KEY_PREFIX,
    DISPLAY_PREFIX_LEN, MAX_EXPIRES_AT,
};
pub use signing::{parse_key_id, SigningKeys, ENV_ACTIVE_KEY, ENV_KEYS, MAX_KEY_FILE_BYTES};

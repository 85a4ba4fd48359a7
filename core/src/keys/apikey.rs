//! Show-once API keys (SPEC §3.1): generate, display prefix, hash, constant-time verify,
//! header extraction and expiry parsing that fails closed.

use crate::error::{Error, ErrorKind, Result};
use crate::secret::SecretString;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use sha2::{Digest, Sha256};
use std::fmt;
use subtle::ConstantTimeEq;

/// The default key prefix.
pub const DEFAULT_API_KEY_PREFIX: &str = "osk_";
/// Number of characters of the raw key shown as its display prefix.
pub const DISPLAY_PREFIX_LEN: usize = 12;
/// Longest accepted key prefix.
pub const MAX_PREFIX_LEN: usize = 32;

/// A freshly generated API key: the raw key (shown once), its display prefix and its hash.
#[derive(Clone)]
pub struct GeneratedApiKey {
    /// The raw key. Show it to its owner once; never store it.
    pub key: SecretString,
    /// The first 12 characters of the raw key, safe to display and store.
    pub prefix: String,
    /// Lowercase hex SHA-256 of the raw key: the only form to store.
    pub hash: String,
}

impl fmt::Debug for GeneratedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GeneratedApiKey")
            .field("key", &self.key)
            .field("prefix", &self.prefix)
            .field("hash", &self.hash)
            .finish()
    }
}

fn check_prefix(prefix: &str) -> Result<()> {
    if prefix.len() > MAX_PREFIX_LEN
        || !prefix
            .bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'-' | b'.'))
    {
        return Err(Error::invalid_argument(format!(
            "API key prefix must be at most {MAX_PREFIX_LEN} characters of [A-Za-z0-9_.-]"
        )));
    }
    Ok(())
}

/// Generates a key: `prefix + base64url_nopad(32 bytes from the OS CSPRNG)`.
pub fn generate_api_key(prefix: &str) -> Result<GeneratedApiKey> {
    check_prefix(prefix)?;
    let mut bytes = zeroize::Zeroizing::new([0u8; 32]);
    getrandom::getrandom(bytes.as_mut())
        .map_err(|e| Error::new(ErrorKind::Internal, format!("OS random source failed: {e}")))?;
    api_key_from_bytes(prefix, &bytes)
}

/// The key that `generate_api_key` would make from `bytes` (deterministic; for tests and
/// for platforms that bring their own randomness).
pub fn api_key_from_bytes(prefix: &str, bytes: &[u8; 32]) -> Result<GeneratedApiKey> {
    check_prefix(prefix)?;
    let mut raw = String::with_capacity(prefix.len() + 43);
    raw.push_str(prefix);
    URL_SAFE_NO_PAD.encode_string(bytes, &mut raw);
    let key = SecretString::new(raw);
    Ok(GeneratedApiKey {
        prefix: display_prefix(key.expose()).to_owned(),
        hash: hash_api_key(key.expose()),
        key,
    })
}

/// The display prefix: the first 12 characters of the raw key (all of it if shorter).
pub fn display_prefix(raw: &str) -> &str {
    match raw.char_indices().nth(DISPLAY_PREFIX_LEN) {
        Some((i, _)) => &raw[..i],
        None => raw,
    }
}

/// Lowercase hex SHA-256 of the UTF-8 raw key: the stored form.
pub fn hash_api_key(raw: &str) -> String {
    hex::encode(Sha256::digest(raw.as_bytes()))
}

/// Checks that `stored_hash` is 64 lowercase hex digits.
fn parse_stored_hash(stored_hash: &str) -> Result<[u8; 32]> {
    let mut out = [0u8; 32];
    let ok = stored_hash.len() == 64
        && stored_hash
            .bytes()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        && hex::decode_to_slice(stored_hash, &mut out).is_ok();
    if !ok {
        return Err(Error::invalid_argument(
            "stored API key hash must be 64 lowercase hex characters",
        ));
    }
    Ok(out)
}

/// Whether `presented` hashes to `stored_hash`, compared in constant time.
///
/// A `stored_hash` that is not 64 lowercase hex digits is an `invalid_argument` error.
pub fn verify_api_key(presented: &str, stored_hash: &str) -> Result<bool> {
    let stored = parse_stored_hash(stored_hash)?;
    let digest = Sha256::digest(presented.as_bytes());
    Ok(bool::from(digest.as_slice().ct_eq(&stored)))
}

/// Why a presented API key was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum KeyRejection {
    /// The key does not match the stored hash.
    Mismatch,
    /// The key was revoked.
    Revoked,
    /// The key's expiry has passed, or cannot be parsed (fail closed).
    Expired,
}

impl KeyRejection {
    /// The stable code: `mismatch`, `revoked`, `expired`.
    pub const fn code(self) -> &'static str {
        match self {
            KeyRejection::Mismatch => "mismatch",
            KeyRejection::Revoked => "revoked",
            KeyRejection::Expired => "expired",
        }
    }
}

impl fmt::Display for KeyRejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// What a server stores for one key.
#[derive(Clone, Copy, Debug)]
pub struct StoredKeyView<'a> {
    /// Lowercase hex SHA-256 of the raw key.
    pub hash: &'a str,
    /// Whether the key was revoked.
    pub revoked: bool,
    /// The expiry as stored (RFC 3339 or epoch seconds/milliseconds); `None` never expires.
    pub expires_at: Option<&'a str>,
}

/// Full verification of a presented key against a stored record at `now` (Unix seconds):
/// hash match (constant time), then revoked, then expiry (unparseable counts as expired).
pub fn check_api_key(
    presented: &str,
    stored: &StoredKeyView<'_>,
    now: u64,
) -> Result<std::result::Result<(), KeyRejection>> {
    if !verify_api_key(presented, stored.hash)? {
        return Ok(Err(KeyRejection::Mismatch));
    }
    if stored.revoked {
        return Ok(Err(KeyRejection::Revoked));
    }
    if is_expired(stored.expires_at, now) {
        return Ok(Err(KeyRejection::Expired));
    }
    Ok(Ok(()))
}

/// [`check_api_key`] as a yes/no answer: whether `presented` is a valid, unrevoked, unexpired
/// key for the stored record at `now` (default: the system clock).
pub fn verify_stored_api_key(
    presented: &str,
    stored: &StoredKeyView<'_>,
    now: Option<u64>,
) -> Result<bool> {
    let now = now.unwrap_or_else(crate::clock::now_unix);
    Ok(check_api_key(presented, stored, now)?.is_ok())
}

/// Whether a stored expiry has passed at `now`. `None` never expires; a value that cannot be
/// parsed counts as expired (fail closed). A key is valid up to and including its expiry second.
pub fn is_expired(expires_at: Option<&str>, now: u64) -> bool {
    match expires_at {
        None => false,
        Some(s) => parse_expires_at(s).map_or(true, |t| now > t),
    }
}

/// The last instant an API-key expiry may name: `9999-12-31T23:59:59Z`, the last second RFC 3339
/// can write. Later expiries are rejected (a server answers 400), so every accepted expiry has
/// exactly one rendering and parsing that rendering gives the same instant back.
pub const MAX_EXPIRES_AT: u64 = 253_402_300_799;

/// Epoch values at or above this are milliseconds (SPEC §3.2).
const MILLIS_FROM: u64 = 1_000_000_000_000;

/// Parses an API-key expiry to one instant, Unix seconds: RFC 3339 (`2030-01-01T00:00:00Z`,
/// any offset, fractions of a second truncated), or decimal epoch seconds, where values ≥ 1e12
/// are milliseconds. An instant after [`MAX_EXPIRES_AT`] (year 9999) or before 1970 is an
/// `invalid_argument` error.
pub fn parse_expires_at(value: &str) -> Result<u64> {
    let v = value.trim();
    let secs = if !v.is_empty() && v.bytes().all(|c| c.is_ascii_digit()) {
        let n: u64 = v
            .parse()
            .map_err(|_| Error::invalid_argument("expires_at epoch value is too large"))?;
        if n >= MILLIS_FROM {
            n / 1000
        } else {
            n
        }
    } else {
        let t = time::OffsetDateTime::parse(v, &time::format_description::well_known::Rfc3339)
            .map_err(|_| {
                Error::invalid_argument(
                    "expires_at must be an RFC 3339 timestamp or integer epoch seconds",
                )
            })?;
        u64::try_from(t.unix_timestamp())
            .map_err(|_| Error::invalid_argument("expires_at is before 1970"))?
    };
    if secs > MAX_EXPIRES_AT {
        return Err(Error::invalid_argument(
            "expires_at is after 9999-12-31T23:59:59Z, the last instant RFC 3339 can write",
        ));
    }
    Ok(secs)
}

/// Renders an API-key expiry (Unix seconds) as RFC 3339 UTC, the one form servers store and
/// return; [`parse_expires_at`] gives `secs` back. After [`MAX_EXPIRES_AT`] it is an
/// `invalid_argument` error.
pub fn format_expires_at(secs: u64) -> Result<String> {
    if secs > MAX_EXPIRES_AT {
        return Err(Error::invalid_argument(
            "expires_at is after 9999-12-31T23:59:59Z, the last instant RFC 3339 can write",
        ));
    }
    Ok(format_rfc3339(secs))
}

/// Formats Unix seconds as RFC 3339 UTC (`2030-01-01T00:00:00Z`). Instants after
/// [`MAX_EXPIRES_AT`], which RFC 3339 cannot write, render as `9999-12-31T23:59:59Z` (never as a
/// bare number, which a reader could take for milliseconds).
pub fn format_rfc3339(secs: u64) -> String {
    let secs = secs.min(MAX_EXPIRES_AT);
    i64::try_from(secs)
        .ok()
        .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| "9999-12-31T23:59:59Z".to_owned())
}

/// The API key presented in request headers: `X-API-Key: <key>`, else
/// `Authorization: ApiKey <key>` (scheme case-insensitive). Blank values count as absent.
pub fn api_key_from_headers<'a>(
    x_api_key: Option<&'a str>,
    authorization: Option<&'a str>,
) -> Option<&'a str> {
    if let Some(k) = x_api_key.map(str::trim).filter(|k| !k.is_empty()) {
        return Some(k);
    }
    let auth = authorization?.trim();
    let (scheme, rest) = auth.split_once(|c: char| c.is_ascii_whitespace())?;
    if !scheme.eq_ignore_ascii_case("apikey") {
        return None;
    }
    Some(rest.trim()).filter(|k| !k.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_fact_zero_bytes() {
        let k = api_key_from_bytes(DEFAULT_API_KEY_PREFIX, &[0u8; 32]).unwrap();
        assert_eq!(
            k.key.expose(),
            "osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
        );
        assert_eq!(k.key.expose().len(), 47);
        assert_eq!(k.prefix, "osk_AAAAAAAA");
        assert_eq!(
            k.hash,
            "fe7551c6c02ca8eeeecbaeeea66ccce95e09a68002c9b077c457e4096f093307"
        );
        assert!(!format!("{k:?}").contains("AAAAAAAAAAAAAAAAAAAAAAAAAAAA"));
    }

    #[test]
    fn generated_keys_verify() {
        let k = generate_api_key("osk_").unwrap();
        assert!(verify_api_key(k.key.expose(), &k.hash).unwrap());
        assert!(!verify_api_key("osk_nope", &k.hash).unwrap());
        assert!(verify_api_key("x", "ABC").is_err());
        assert!(generate_api_key("bad prefix").is_err());
    }

    #[test]
    fn expiry_parsing() {
        assert_eq!(
            parse_expires_at("2030-01-01T00:00:00Z").unwrap(),
            1_893_456_000
        );
        assert_eq!(parse_expires_at("1893456000").unwrap(), 1_893_456_000);
        assert_eq!(parse_expires_at("1893456000123").unwrap(), 1_893_456_000);
        assert!(parse_expires_at("tomorrow").is_err());
        assert!(is_expired(Some("garbage"), 0));
        assert!(!is_expired(Some("100"), 100));
        assert!(is_expired(Some("100"), 101));
        assert!(!is_expired(None, u64::MAX));
        assert_eq!(format_rfc3339(1_893_456_000), "2030-01-01T00:00:00Z");
    }

    /// Regression: `1000000000000000` (milliseconds, year 33658) used to become 1e12 seconds,
    /// rendered as the bare number `1000000000000`, which reads back as milliseconds (2001):
    /// a key minted already expired. Past year 9999 is now refused, and every accepted expiry
    /// renders to RFC 3339 and parses back to the same instant.
    #[test]
    fn far_future_expiry_is_refused_and_rendering_round_trips() {
        assert!(parse_expires_at("1000000000000000").is_err());
        assert!(parse_expires_at("999999999999").is_err());
        assert!(parse_expires_at("9999-12-31T23:59:59-01:00").is_err());
        assert_eq!(parse_expires_at("253402300799999").unwrap(), MAX_EXPIRES_AT);
        assert_eq!(
            parse_expires_at("9999-12-31T23:59:59Z").unwrap(),
            MAX_EXPIRES_AT
        );
        assert!(format_expires_at(MAX_EXPIRES_AT + 1).is_err());
        for t in [
            0,
            1,
            999_999_999_999,
            MILLIS_FROM - 1,
            MILLIS_FROM,
            MAX_EXPIRES_AT - 1,
            MAX_EXPIRES_AT,
            MAX_EXPIRES_AT + 1,
            1_000_000_000_000_000,
            u64::MAX,
        ] {
            let text = format_rfc3339(t);
            assert_eq!(
                parse_expires_at(&text).unwrap(),
                t.min(MAX_EXPIRES_AT),
                "{t} {text}"
            );
            assert!(!text.bytes().all(|c| c.is_ascii_digit()), "{text}");
            if t <= MAX_EXPIRES_AT {
                assert_eq!(format_expires_at(t).unwrap(), text);
                assert!(!is_expired(Some(&text), t) && is_expired(Some(&text), t + 1));
            }
        }
    }

    #[test]
    fn header_extraction() {
        assert_eq!(
            api_key_from_headers(Some(" k1 "), Some("ApiKey k2")),
            Some("k1")
        );
        assert_eq!(api_key_from_headers(None, Some("apikey  k2 ")), Some("k2"));
        assert_eq!(api_key_from_headers(Some(""), Some("Bearer k2")), None);
        assert_eq!(api_key_from_headers(None, Some("ApiKey")), None);
    }
}

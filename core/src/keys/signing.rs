//! Signing-key sets (SPEC §1.6): the ingress flag string `a=BASE64,b=BASE64` and the
//! server TOML table `[ingress.secure_access]`, with one set of validation rules.

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// Standard alphabet, padding optional on decode, always written on encode.
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Index of a key id `[0-9a-z]` in 0..36.
pub(crate) fn key_index(id: u8) -> Option<usize> {
    match id {
        b'0'..=b'9' => Some(usize::from(id - b'0')),
        b'a'..=b'z' => Some(usize::from(id - b'a') + 10),
        _ => None,
    }
}

/// Parses a key id: exactly one character of `[0-9a-z]`.
pub fn parse_key_id(id: &str) -> Result<char> {
    match id.as_bytes() {
        [c] if key_index(*c).is_some() => Ok(char::from(*c)),
        _ => Err(Error::invalid_config(format!(
            "signing key id {:?} must be exactly one character of [0-9a-z]",
            truncate_for_message(id)
        ))),
    }
}

/// Shortens user text quoted in an error message.
fn truncate_for_message(s: &str) -> String {
    let mut out: String = s.chars().take(16).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

struct Table {
    /// Secret per key index (0..36).
    by_index: [Option<SecretBytes>; 36],
    /// Key ids in configuration order.
    order: Vec<char>,
}

impl Default for Table {
    fn default() -> Self {
        Table {
            by_index: std::array::from_fn(|_| None),
            order: Vec::new(),
        }
    }
}

/// A validated set of signing keys: up to 36 secrets keyed by a one-character id,
/// optionally with an active key for signing. Cheap to clone; secrets never print.
#[derive(Clone, Default)]
pub struct SigningKeys {
    table: Arc<Table>,
    active: Option<char>,
}

impl SigningKeys {
    /// An empty set (a verifier holding it answers `not_configured`).
    pub fn empty() -> Self {
        Self::default()
    }

    /// Builds a set from `(id, secret)` pairs, applying the same rules as the parsers.
    pub fn from_pairs<I, S>(pairs: I, active: Option<char>) -> Result<Self>
    where
        I: IntoIterator<Item = (char, S)>,
        S: Into<Vec<u8>>,
    {
        let mut b = Builder::default();
        for (id, secret) in pairs {
            let mut buf = [0u8; 4];
            b.add(id.encode_utf8(&mut buf), SecretBytes::new(secret.into()))?;
        }
        b.finish(active.map(|c| c.to_string()).as_deref())
    }

    /// Parses the ingress flag string `a=BASE64,b=BASE64` (comma separated, spaces trimmed,
    /// a `base64:` prefix on a secret accepted). A blank string is an empty set.
    pub fn from_flag(flag: &str) -> Result<Self> {
        let mut b = Builder::default();
        if flag.trim().is_empty() {
            return Ok(Self::empty());
        }
        for (n, entry) in flag.split(',').enumerate() {
            let entry = entry.trim();
            if entry.is_empty() {
                return Err(Error::invalid_config(format!(
                    "signing key entry {} is empty (expected id=BASE64)",
                    n + 1
                )));
            }
            let Some((id, secret)) = entry.split_once('=') else {
                return Err(Error::invalid_config(format!(
                    "signing key entry {} has no '=' (expected id=BASE64)",
                    n + 1
                )));
            };
            let id = id.trim();
            let id_char = parse_key_id(id)?;
            b.add(id, decode_secret(id_char, secret.trim())?)?;
        }
        b.finish(None)
    }

    /// Parses the server TOML: the `[ingress.secure_access]` table with `active_key` and
    /// `[[ingress.secure_access.keys]]` entries `key_id`, `key`. Other tables are ignored.
    pub fn from_toml(text: &str) -> Result<Self> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            // The message of a syntax error describes the grammar, never a value.
            Error::invalid_config(format!(
                "invalid TOML at line {line}, column {col}: {}",
                e.message().trim()
            ))
        })?;
        let section = doc
            .get("ingress")
            .and_then(|v| v.as_table())
            .and_then(|t| t.get("secure_access"))
            .ok_or_else(|| Error::invalid_config("TOML has no [ingress.secure_access] table"))?
            .as_table()
            .ok_or_else(|| Error::invalid_config("ingress.secure_access must be a table"))?;
        let active = match section.get("active_key") {
            None => None,
            Some(v) => Some(v.as_str().ok_or_else(|| {
                Error::invalid_config("ingress.secure_access.active_key must be a string")
            })?),
        };
        let mut b = Builder::default();
        if let Some(keys) = section.get("keys") {
            let keys = keys.as_array().ok_or_else(|| {
                Error::invalid_config("ingress.secure_access.keys must be an array of tables")
            })?;
            for (n, entry) in keys.iter().enumerate() {
                let t = entry.as_table().ok_or_else(|| {
                    Error::invalid_config(format!("signing key entry {} is not a table", n + 1))
                })?;
                let id = t.get("key_id").and_then(|v| v.as_str()).ok_or_else(|| {
                    Error::invalid_config(format!(
                        "signing key entry {} needs a string key_id",
                        n + 1
                    ))
                })?;
                let id_char = parse_key_id(id)?;
                let secret = t.get("key").and_then(|v| v.as_str()).ok_or_else(|| {
                    Error::invalid_config(format!("signing key \"{id}\" needs a string key"))
                })?;
                b.add(id, decode_secret(id_char, secret.trim())?)?;
            }
        }
        b.finish(active)
    }

    /// Generates a set with a fresh random 32-byte secret for each id; the first is active.
    pub fn generate(ids: &str) -> Result<Self> {
        let mut pairs = Vec::new();
        for c in ids.chars() {
            let mut secret = vec![0u8; 32];
            getrandom::getrandom(&mut secret)
                .map_err(|e| Error::new(crate::ErrorKind::Internal, format!("OS random: {e}")))?;
            pairs.push((c, secret));
        }
        let active = ids.chars().next();
        Self::from_pairs(pairs, active)
    }

    /// The same keys with `id` as the active key.
    pub fn with_active(&self, id: char) -> Result<Self> {
        if !self.contains(id) {
            return Err(Error::invalid_config(format!(
                "active key \"{id}\" does not name a configured signing key"
            )));
        }
        Ok(SigningKeys {
            table: self.table.clone(),
            active: Some(id),
        })
    }

    /// The active key id, if one was configured.
    pub fn active_key_id(&self) -> Option<char> {
        self.active
    }

    /// The key ids, in configuration order.
    pub fn key_ids(&self) -> &[char] {
        &self.table.order
    }

    /// Whether `id` is configured.
    pub fn contains(&self, id: char) -> bool {
        u8::try_from(id)
            .ok()
            .and_then(key_index)
            .is_some_and(|i| self.table.by_index[i].is_some())
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.table.order.len()
    }

    /// Whether the set holds no key.
    pub fn is_empty(&self) -> bool {
        self.table.order.is_empty()
    }

    /// The secret for key id byte `id`.
    pub(crate) fn secret(&self, id: u8) -> Option<&SecretBytes> {
        key_index(id).and_then(|i| self.table.by_index[i].as_ref())
    }

    /// Renders the set as the flag string `a=BASE64,b=BASE64`. This reveals every secret:
    /// use it only to hand the keys to a gateway you run (the mock server reports its keys
    /// this way).
    pub fn expose_flag_string(&self) -> String {
        self.table
            .order
            .iter()
            .filter_map(|&id| {
                let s = self.secret(id as u8)?;
                Some(format!("{id}={}", STANDARD_ANY_PAD.encode(s.expose())))
            })
            .collect::<Vec<_>>()
            .join(",")
    }
}

impl fmt::Debug for SigningKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SigningKeys")
            .field("key_ids", &self.table.order)
            .field("active", &self.active)
            .field("secrets", &"***")
            .finish()
    }
}

fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() + 1;
    let col = before.len() - before.rfind('\n').map_or(0, |i| i + 1) + 1;
    (line, col)
}

fn decode_secret(id: char, text: &str) -> Result<SecretBytes> {
    let text = text.strip_prefix("base64:").unwrap_or(text);
    let bytes = STANDARD_ANY_PAD.decode(text).map_err(|_| {
        Error::invalid_config(format!(
            "signing key \"{id}\": secret is not valid standard base64"
        ))
    })?;
    if bytes.is_empty() {
        return Err(Error::invalid_config(format!(
            "signing key \"{id}\": secret must decode to at least 1 byte"
        )));
    }
    Ok(SecretBytes::new(bytes))
}

#[derive(Default)]
struct Builder {
    table: Table,
}

impl Builder {
    fn add(&mut self, id: &str, secret: SecretBytes) -> Result<()> {
        let id = parse_key_id(id)?;
        if secret.is_empty() {
            return Err(Error::invalid_config(format!(
                "signing key \"{id}\": secret must be at least 1 byte"
            )));
        }
        let slot = &mut self.table.by_index[key_index(id as u8).unwrap_or(0)];
        if slot.is_some() {
            return Err(Error::invalid_config(format!(
                "signing key \"{id}\" is configured more than once"
            )));
        }
        *slot = Some(secret);
        self.table.order.push(id);
        Ok(())
    }

    fn finish(self, active: Option<&str>) -> Result<SigningKeys> {
        let keys = SigningKeys {
            table: Arc::new(self.table),
            active: None,
        };
        match active {
            None => Ok(keys),
            Some(a) => {
                let id = parse_key_id(a).map_err(|_| {
                    Error::invalid_config(format!(
                        "active_key {:?} must be exactly one character of [0-9a-z]",
                        truncate_for_message(a)
                    ))
                })?;
                if !keys.contains(id) {
                    return Err(Error::invalid_config(format!(
                        "active_key \"{id}\" does not name a configured signing key"
                    )));
                }
                Ok(SigningKeys {
                    active: Some(id),
                    ..keys
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn flag_string() {
        let k = SigningKeys::from_flag(" a = bXktdGVzdC1zZWNyZXQ= , b=base64:Yg").unwrap();
        assert_eq!(k.key_ids(), &['a', 'b']);
        assert_eq!(k.secret(b'a').unwrap().expose(), b"my-test-secret");
        assert_eq!(k.secret(b'b').unwrap().expose(), b"b");
        assert!(SigningKeys::from_flag("  ").unwrap().is_empty());
        assert_eq!(k.expose_flag_string(), "a=bXktdGVzdC1zZWNyZXQ=,b=Yg==");
    }

    #[test]
    fn errors_name_the_key_and_hide_the_secret() {
        let e = SigningKeys::from_flag("a=Zm9v,a=YmFy").unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig);
        assert!(e.message().contains("\"a\"") && e.message().contains("more than once"));
        let e = SigningKeys::from_flag("q=not*base64").unwrap_err();
        assert!(
            e.message().contains("\"q\"") && !e.message().contains("not*base64"),
            "{e}"
        );
        let e =
            SigningKeys::from_toml("[ingress.secure_access]\nactive_key = \"c\"\n").unwrap_err();
        assert!(e.message().contains("\"c\""), "{e}");
    }

    #[test]
    fn debug_hides_secrets() {
        let k = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains("bXkt") && d.contains("***"), "{d}");
    }
}

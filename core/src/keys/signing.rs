//! Signing-key sets (SPEC §1.6): the ingress flag string `a=BASE64,b=BASE64` and the
//! server TOML table `[ingress.secure_access]`, with one set of validation rules.

use crate::error::{Error, Result};
use crate::secret::SecretBytes;
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use std::fmt;
use std::sync::Arc;

/// Standard alphabet, padding optional on decode, always written on encode. Unused bits of
/// the last character may be set, as both upstream decoders (Go's and Python's) allow.
const STANDARD_ANY_PAD: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::Indifferent)
        .with_decode_allow_trailing_bits(true),
);

/// Index of a key id `[0-9a-z]` in 0..36.
pub(crate) fn key_index(id: u8) -> Option<usize> {
    match id {
        b'0'..=b'9' => Some(usize::from(id - b'0')),
        b'a'..=b'z' => Some(usize::from(id - b'a') + 10),
        _ => None,
    }
}

/// Parses a key id: exactly one character of `[0-9a-z]`. The error never quotes the text,
/// which could be a secret written in the wrong place.
pub fn parse_key_id(id: &str) -> Result<char> {
    key_id_of(id).ok_or_else(|| {
        Error::invalid_config("signing key id must be exactly one character of [0-9a-z]")
    })
}

fn key_id_of(id: &str) -> Option<char> {
    match id.as_bytes() {
        [c] if key_index(*c).is_some() => Some(char::from(*c)),
        _ => None,
    }
}

/// The error for an invalid key id in entry `n` (1-based) of `source`: it names the position,
/// never the text.
fn bad_entry_id(source: &str, n: usize, field: &str) -> Error {
    Error::invalid_config(format!(
        "{source} entry {n}: {field} must be exactly one character of [0-9a-z]"
    ))
}

/// Name of the server's environment variable holding the key ring `a=BASE64,b=BASE64`
/// (SPEC §1.6, upstream #1445).
pub const ENV_KEYS: &str = "OPENSANDBOX_SECURE_ACCESS_KEYS";
/// Name of the server's environment variable naming the active key.
pub const ENV_ACTIVE_KEY: &str = "OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY";
/// Largest signing-key file [`SigningKeys::from_toml_file`] reads: 1 MiB.
pub const MAX_KEY_FILE_BYTES: u64 = 1024 * 1024;

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
        for (n, (id, secret)) in pairs.into_iter().enumerate() {
            let secret = SecretBytes::new(secret.into());
            let id = u8::try_from(id)
                .ok()
                .filter(|c| key_index(*c).is_some())
                .map(char::from)
                .ok_or_else(|| bad_entry_id("signing key", n + 1, "the key id"))?;
            b.add(id, secret)?;
        }
        b.finish(active.map(|c| c.to_string()).as_deref(), "active key")
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
            let id_char = key_id_of(id.trim())
                .ok_or_else(|| bad_entry_id("signing key", n + 1, "the key id"))?;
            b.add(id_char, decode_secret(id_char, secret.trim())?)?;
        }
        b.finish(None, "active key")
    }

    /// Reads the server's environment pair (SPEC §1.6, upstream #1445) from `env`, any
    /// collection of `(name, value)` pairs (a `HashMap`, a `BTreeMap`, `std::env::vars()`):
    /// `OPENSANDBOX_SECURE_ACCESS_KEYS = "a=BASE64,b=BASE64"` and
    /// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY = "b"`. Other names are ignored. `Ok(None)` when
    /// neither is set; see [`SigningKeys::from_env_vars`] for the rules.
    pub fn from_env_map<I, K, V>(env: I) -> Result<Option<Self>>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let (mut keys, mut active) = (None, None);
        for (k, v) in env {
            match k.as_ref() {
                ENV_KEYS => keys = Some(crate::secret::SecretString::new(v.as_ref().to_owned())),
                ENV_ACTIVE_KEY => active = Some(v.as_ref().to_owned()),
                _ => {}
            }
        }
        Self::from_env_vars(keys.as_ref().map(|k| k.expose()), active.as_deref())
    }

    /// [`SigningKeys::from_env_map`] over the process environment.
    pub fn from_env() -> Result<Option<Self>> {
        let var = |name: &str| match std::env::var(name) {
            Ok(v) => Ok(Some(crate::secret::SecretString::new(v))),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => {
                Err(Error::invalid_config(format!("{name} is not valid UTF-8")))
            }
        };
        let (keys, active) = (var(ENV_KEYS)?, var(ENV_ACTIVE_KEY)?);
        Self::from_env_vars(
            keys.as_ref().map(|k| k.expose()),
            active.as_ref().map(|a| a.expose()),
        )
    }

    /// The server's environment pair given as the two values (`None` = unset), with the
    /// server's exact rules: both or neither (`Ok(None)` when neither is set; one alone, or
    /// either one empty, is an error saying they must be set together); the key ring splits on
    /// `,` and each entry at its first `=`, with **no** trimming and no empty entries (a
    /// trailing comma is an error); the active key must name a configured key. Ids and
    /// secrets follow the same rules as the other forms.
    pub fn from_env_vars(keys: Option<&str>, active: Option<&str>) -> Result<Option<Self>> {
        let (keys, active) = match (keys, active) {
            (None, None) => return Ok(None),
            (Some(k), Some(a)) if !k.is_empty() && !a.is_empty() => (k, a),
            (k, a) => {
                let missing = match (k, a) {
                    (None, _) => format!("{ENV_KEYS} is not set"),
                    (_, None) => format!("{ENV_ACTIVE_KEY} is not set"),
                    (Some(""), _) => format!("{ENV_KEYS} is empty"),
                    _ => format!("{ENV_ACTIVE_KEY} is empty"),
                };
                return Err(Error::invalid_config(format!(
                    "{ENV_KEYS} and {ENV_ACTIVE_KEY} must be set together ({missing})"
                )));
            }
        };
        let mut b = Builder::default();
        for (n, entry) in keys.split(',').enumerate() {
            let n = n + 1;
            if entry.is_empty() {
                return Err(Error::invalid_config(format!(
                    "{ENV_KEYS} entry {n} is empty (no empty entries, no trailing comma)"
                )));
            }
            let Some((id, secret)) = entry.split_once('=') else {
                return Err(Error::invalid_config(format!(
                    "{ENV_KEYS} entry {n} has no '=' (expected key_id=BASE64)"
                )));
            };
            let id_char = key_id_of(id)
                .ok_or_else(|| bad_entry_id(ENV_KEYS, n, "the key id (nothing is trimmed)"))?;
            b.add(id_char, decode_secret(id_char, secret)?)?;
        }
        b.finish(Some(active), ENV_ACTIVE_KEY).map(Some)
    }

    /// Reads a server TOML file (see [`SigningKeys::from_toml`]), refusing anything that is
    /// not a regular file (a device such as `/dev/zero`, a directory, a FIFO) and files over
    /// [`MAX_KEY_FILE_BYTES`] (1 MiB) before reading them.
    pub fn from_toml_file(path: impl AsRef<std::path::Path>) -> Result<Self> {
        use std::io::Read;
        let path = path.as_ref();
        let shown = path.display();
        let cannot = |e: std::io::Error| {
            Error::invalid_config(format!("cannot read signing key file {shown}: {e}"))
        };
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if !meta.is_file() {
            return Err(Error::invalid_config(format!(
                "signing key file {shown} is not a regular file"
            )));
        }
        let too_big = || {
            Error::invalid_config(format!(
                "signing key file {shown} is larger than {MAX_KEY_FILE_BYTES} bytes"
            ))
        };
        if meta.len() > MAX_KEY_FILE_BYTES {
            return Err(too_big());
        }
        // Read at most one byte past the cap, in case the file grew since.
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        std::fs::File::open(path)
            .and_then(|f| f.take(MAX_KEY_FILE_BYTES + 1).read_to_end(&mut bytes))
            .map_err(cannot)?;
        if bytes.len() as u64 > MAX_KEY_FILE_BYTES {
            return Err(too_big());
        }
        let text = std::str::from_utf8(&bytes).map_err(|_| {
            Error::invalid_config(format!("signing key file {shown} is not valid UTF-8"))
        })?;
        Self::from_toml(text)
    }

    /// Parses the server TOML: the `[ingress.secure_access]` table with `active_key` and
    /// `[[ingress.secure_access.keys]]` entries `key_id`, `key`. Other tables are ignored.
    pub fn from_toml(text: &str) -> Result<Self> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
            Error::invalid_config(format!(
                "invalid TOML at line {line}, column {col}: {}",
                toml_message(e.message())
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
                let id_char =
                    key_id_of(id).ok_or_else(|| bad_entry_id("signing key", n + 1, "key_id"))?;
                let secret = t.get("key").and_then(|v| v.as_str()).ok_or_else(|| {
                    Error::invalid_config(format!(
                        "signing key entry {} (\"{id_char}\") needs a string key",
                        n + 1
                    ))
                })?;
                b.add(id_char, decode_secret(id_char, secret.trim())?)?;
            }
        }
        b.finish(active, "active_key")
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
    fn add(&mut self, id: char, secret: SecretBytes) -> Result<()> {
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

    /// `what` names where the active key came from, for messages.
    fn finish(self, active: Option<&str>, what: &str) -> Result<SigningKeys> {
        let keys = SigningKeys {
            table: Arc::new(self.table),
            active: None,
        };
        match active {
            None => Ok(keys),
            Some(a) => {
                // Never quoted: a secret pasted here must not reach a message.
                let id = key_id_of(a).ok_or_else(|| {
                    Error::invalid_config(format!(
                        "{what} must be exactly one character of [0-9a-z]"
                    ))
                })?;
                if !keys.contains(id) {
                    return Err(Error::invalid_config(format!(
                        "{what} \"{id}\" does not name a configured signing key"
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

/// A TOML parser message on one line, with quoted names longer than two characters (which
/// could be text from the input: `duplicate key `...``) replaced by `…`.
fn toml_message(message: &str) -> String {
    let one_line = message
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("; ");
    let mut out = String::with_capacity(one_line.len());
    let mut parts = one_line.split('`');
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    let mut quoted = true;
    for part in parts {
        if quoted {
            out.push('`');
            out.push_str(if part.chars().count() <= 2 {
                part
            } else {
                "…"
            });
            out.push('`');
        } else {
            out.push_str(part);
        }
        quoted = !quoted;
    }
    out.chars().filter(|c| !c.is_control()).take(200).collect()
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
        let e = SigningKeys::from_flag("a=Zm9v,AB=YmFy").unwrap_err();
        assert!(
            e.message().contains("entry 2") && !e.message().contains("AB"),
            "{e}"
        );
    }

    const SECRET: &str = "bXktdGVzdC1zZWNyZXQ=";

    /// No 8-character window of `secret` appears in `message`.
    fn hides(message: &str, secret: &str) -> bool {
        let chars: Vec<char> = secret.chars().collect();
        chars
            .windows(8)
            .all(|w| !message.contains(&w.iter().collect::<String>()))
    }

    /// Regression (issue 15): these used to quote the first 16 characters of the secret.
    #[test]
    fn a_secret_in_the_wrong_place_is_never_quoted() {
        let bare = SECRET.trim_end_matches('=');
        let cases = [
            // A base64 secret where the id belongs (split at its padding '=').
            (SigningKeys::from_flag(SECRET), "entry 1"),
            // A second entry without an id.
            (SigningKeys::from_flag(&format!("a=Zm9v,{SECRET}")), "entry 2"),
            (SigningKeys::from_flag(&format!("a=Zm9v, {SECRET}x=Zm9v")), "entry 2"),
            // TOML with key_id and key swapped.
            (
                SigningKeys::from_toml(&format!(
                    "[ingress.secure_access]\n[[ingress.secure_access.keys]]\nkey_id = \"{SECRET}\"\nkey = \"a\"\n"
                )),
                "entry 1",
            ),
            // The secret as the active key.
            (
                SigningKeys::from_toml(&format!(
                    "[ingress.secure_access]\nactive_key = \"{SECRET}\"\n"
                )),
                "active_key",
            ),
            // The secret as a TOML key name, twice: the parser's message quotes key names.
            (
                SigningKeys::from_toml(&format!("{bare} = 1\n{bare} = 2\n")),
                "duplicate key",
            ),
            (
                SigningKeys::from_env_vars(Some(&format!("a=Zm9v,{SECRET}")), Some("a"))
                    .map(|k| k.unwrap_or_default()),
                "entry 2",
            ),
            (
                SigningKeys::from_env_vars(Some("a=Zm9v"), Some(SECRET))
                    .map(|k| k.unwrap_or_default()),
                ENV_ACTIVE_KEY,
            ),
        ];
        for (i, (result, names)) in cases.into_iter().enumerate() {
            let e = result.unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{i}: {e}");
            assert!(e.message().contains(names), "{i}: {e}");
            assert!(hides(e.message(), SECRET), "{i}: {e}");
            assert!(!e.message().contains('\n'), "{i}: {e}");
        }
        let e = parse_key_id(SECRET).unwrap_err();
        assert!(hides(e.message(), SECRET), "{e}");
    }

    #[test]
    fn toml_syntax_errors_are_one_line() {
        let e = SigningKeys::from_toml("[ingress\n").unwrap_err();
        assert_eq!(
            e.message(),
            "invalid TOML at line 1, column 9: invalid table header; expected `.`, `]`"
        );
    }

    #[test]
    fn env_pair_rules() {
        let ok = |k: &str, a: &str| SigningKeys::from_env_vars(Some(k), Some(a));
        let k = ok("a=Zm9v,b=YmFy", "b").unwrap().unwrap();
        assert_eq!(
            (k.key_ids(), k.active_key_id()),
            (&['a', 'b'][..], Some('b'))
        );
        // Split at the first '=': padding belongs to the secret.
        let k = ok("a=Zm9vYg==", "a").unwrap().unwrap();
        assert_eq!(k.secret(b'a').unwrap().expose(), b"foob");
        assert!(SigningKeys::from_env_vars(None, None).unwrap().is_none());
        let err = |k: Option<&str>, a: Option<&str>| {
            SigningKeys::from_env_vars(k, a)
                .unwrap_err()
                .message()
                .to_owned()
        };
        assert!(err(Some("a=Zm9v"), None).contains("must be set together"));
        assert!(err(None, Some("a")).contains("must be set together"));
        assert!(err(Some(""), Some("a")).contains("must be set together"));
        assert!(err(Some("a=Zm9v"), Some("")).contains("must be set together"));
        assert!(err(Some("a=Zm9v,"), Some("a")).contains("entry 2 is empty"));
        assert!(err(Some("a=Zm9v,,b=YmFy"), Some("a")).contains("entry 2 is empty"));
        // No trimming anywhere.
        assert!(err(Some("a=Zm9v, b=YmFy"), Some("a")).contains("entry 2"));
        assert!(err(Some("a =Zm9v"), Some("a")).contains("entry 1"));
        assert!(err(Some("a=Zm9v "), Some("a")).contains("\"a\""));
        assert!(err(Some("a=Zm9v"), Some(" a")).contains(ENV_ACTIVE_KEY));
        assert!(err(Some("a=Zm9v"), Some("b")).contains("\"b\""));
        assert!(err(Some("a=Zm9v,a=YmFy"), Some("a")).contains("more than once"));
        let from_map = SigningKeys::from_env_map([
            ("PATH", "/bin"),
            (ENV_KEYS, "z=AA=="),
            (ENV_ACTIVE_KEY, "z"),
        ])
        .unwrap()
        .unwrap();
        assert_eq!(from_map.key_ids(), &['z']);
        assert!(SigningKeys::from_env_map([("PATH", "/bin")])
            .unwrap()
            .is_none());
    }

    #[test]
    fn debug_hides_secrets() {
        let k = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
        let d = format!("{k:?}");
        assert!(!d.contains("bXkt") && d.contains("***"), "{d}");
    }
}

//! The signing-key ring (SPEC §7): one TOML file that is the source of truth for every form
//! the upstream platform reads (see [`super::render`]), with each key's history so that a key
//! is never retired while a link it signed can still be valid.
//!
//! ```toml
//! # sandgate signing-key ring ...
//! version = 1
//! max_token_lifetime_secs = 86400
//! active_key = "b"
//!
//! [[keys]]
//! id = "a"
//! secret = "…standard base64, padded…"
//! created_at = "2026-11-01T09:00:00Z"
//! activated_at = "2026-11-01T09:00:00Z"
//! deactivated_at = "2026-12-01T09:00:00Z"
//! ```
//!
//! The file holds secrets: [`KeyRing::load`] refuses one that group or others may access (on
//! unix), and [`KeyRing::save`] writes mode 0600 through a temporary file renamed into place,
//! so a reader never sees half a ring.

use super::signing::{key_index, SigningKeys};
use crate::error::{Error, Result};
use crate::secret::{SecretBytes, SecretString};
use base64::Engine;
use std::fmt::Write as _;
use std::path::Path;

/// The order in which new key ids are handed out: letters first (upstream's examples use
/// `a`, `b`), then digits, wrapping around.
const ID_ORDER: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
/// The ring file format this code reads and writes.
const FORMAT_VERSION: i64 = 1;
/// Longest accepted token lifetime: ten years.
pub const MAX_TOKEN_LIFETIME_LIMIT: u64 = 10 * 366 * 24 * 3600;
/// Bytes of a generated secret.
pub const GENERATED_SECRET_BYTES: usize = 32;

/// One key of the ring and its history. Its secret never prints.
#[derive(Clone, Debug)]
pub struct RingKey {
    id: char,
    secret: SecretBytes,
    created_at: u64,
    activated_at: Option<u64>,
    deactivated_at: Option<u64>,
}

impl RingKey {
    /// The key id (one of `[0-9a-z]`).
    pub fn id(&self) -> char {
        self.id
    }
    /// When the key was added (Unix seconds).
    pub fn created_at(&self) -> u64 {
        self.created_at
    }
    /// When the key last became the active (signing) key; `None` if it never signed.
    pub fn activated_at(&self) -> Option<u64> {
        self.activated_at
    }
    /// When the key last stopped being the active key; `None` while it is active or if it
    /// never was.
    pub fn deactivated_at(&self) -> Option<u64> {
        self.deactivated_at
    }
    pub(crate) fn secret(&self) -> &SecretBytes {
        &self.secret
    }
}

/// What retiring a key would break: links signed with it until `signed_until` (when it
/// stopped signing, or now if it still signs), valid up to `valid_until`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Breakage {
    /// The key whose links break.
    pub key_id: char,
    /// The last instant a link could have been signed with it.
    pub signed_until: u64,
    /// The last instant such a link can be valid: `signed_until + max_token_lifetime`.
    pub valid_until: u64,
}

/// Whether a key can be retired at some instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RetireVerdict {
    /// No link signed with it can still be valid (it never signed, or its last link expired).
    Safe,
    /// Links signed with it may still be valid until `valid_until`: retiring now breaks them
    /// (they answer 401 `unknown_key`).
    Breaks(Breakage),
}

/// A row of [`KeyRing::list`]: everything about a key but its secret.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyStatus {
    /// The key id.
    pub id: char,
    /// Whether it is the active (signing) key.
    pub active: bool,
    /// When it was added.
    pub created_at: u64,
    /// When it last became active.
    pub activated_at: Option<u64>,
    /// When it last stopped being active.
    pub deactivated_at: Option<u64>,
    /// The first instant it can be retired without breaking a link (the second after its last
    /// link's expiry): `None` while it is the active key (activate another first);
    /// `Some(created_at)` if it never signed.
    pub retirable_at: Option<u64>,
}

/// The signing-key ring: keys with their history, the active key, and the longest lifetime a
/// signed link may have on the platform. Secrets never print.
#[derive(Clone, Debug)]
pub struct KeyRing {
    max_token_lifetime: u64,
    active: Option<char>,
    keys: Vec<RingKey>,
}

fn random_secret() -> Result<SecretBytes> {
    let mut bytes = vec![0u8; GENERATED_SECRET_BYTES];
    getrandom::getrandom(&mut bytes)
        .map_err(|e| Error::new(crate::ErrorKind::Internal, format!("OS random: {e}")))?;
    Ok(SecretBytes::new(bytes))
}

fn check_lifetime(secs: u64) -> Result<u64> {
    if secs == 0 || secs > MAX_TOKEN_LIFETIME_LIMIT {
        return Err(Error::invalid_argument(format!(
            "the longest token lifetime must be 1 second to 10 years, got {secs} seconds"
        )));
    }
    Ok(secs)
}

impl KeyRing {
    /// An empty ring whose signed links live at most `max_token_lifetime` seconds.
    pub fn new(max_token_lifetime: u64) -> Result<KeyRing> {
        Ok(KeyRing {
            max_token_lifetime: check_lifetime(max_token_lifetime)?,
            active: None,
            keys: Vec::new(),
        })
    }

    /// A new ring with one fresh random key, active from `now`.
    pub fn init(max_token_lifetime: u64, id: Option<char>, now: u64) -> Result<KeyRing> {
        let mut ring = KeyRing::new(max_token_lifetime)?;
        let id = ring.add_key(id, now)?;
        ring.activate(id, now)?;
        Ok(ring)
    }

    /// A ring holding an existing key set (for instance the one a deployment runs with), each
    /// key created at `now` and the set's active key active from `now`. Their history is
    /// unknown, so every other key is taken to have signed until `now`: none is retirable
    /// before `now + max_token_lifetime`.
    pub fn import(keys: &SigningKeys, max_token_lifetime: u64, now: u64) -> Result<KeyRing> {
        let mut ring = KeyRing::new(max_token_lifetime)?;
        for &id in keys.key_ids() {
            let secret = keys
                .secret(id as u8)
                .cloned()
                .ok_or_else(|| Error::invalid_config(format!("signing key \"{id}\" is missing")))?;
            ring.add_secret(Some(id), secret, now)?;
            let k = ring.keys.last_mut().expect("just added");
            k.activated_at = Some(now);
            k.deactivated_at = Some(now);
        }
        if let Some(a) = keys.active_key_id() {
            ring.activate(a, now)?;
        }
        Ok(ring)
    }

    /// The longest lifetime of a signed link on the platform, in seconds.
    pub fn max_token_lifetime(&self) -> u64 {
        self.max_token_lifetime
    }

    /// Changes the longest token lifetime (seconds).
    pub fn set_max_token_lifetime(&mut self, secs: u64) -> Result<()> {
        self.max_token_lifetime = check_lifetime(secs)?;
        Ok(())
    }

    /// The active (signing) key id.
    pub fn active_key_id(&self) -> Option<char> {
        self.active
    }

    /// The keys, oldest first.
    pub fn keys(&self) -> &[RingKey] {
        &self.keys
    }

    /// The key `id`.
    pub fn key(&self, id: char) -> Option<&RingKey> {
        self.keys.iter().find(|k| k.id == id)
    }

    fn not_in_ring(id: char) -> Error {
        Error::invalid_argument(format!("the ring has no key \"{id}\""))
    }

    /// The id a new key gets: the first id of `a..z0..9` after the newest key's id (wrapping
    /// around) that no key in the ring holds, so a just-retired id is the last to come back.
    pub fn next_id(&self) -> Result<char> {
        let start = self
            .keys
            .iter()
            .enumerate()
            .max_by_key(|(i, k)| (k.created_at, *i))
            .and_then(|(_, k)| ID_ORDER.iter().position(|&c| c == k.id as u8))
            .map_or(0, |p| p + 1);
        (0..ID_ORDER.len())
            .map(|i| char::from(ID_ORDER[(start + i) % ID_ORDER.len()]))
            .find(|&c| self.key(c).is_none())
            .ok_or_else(|| {
                Error::invalid_argument("the ring already holds 36 keys: retire one first")
            })
    }

    /// Adds a key with a fresh random secret, created at `now`, not active. `id` `None`
    /// allocates one ([`next_id`](Self::next_id)); a given id must not be in the ring.
    pub fn add_key(&mut self, id: Option<char>, now: u64) -> Result<char> {
        let secret = random_secret()?;
        self.add_secret(id, secret, now)
    }

    /// Adds a key with the given secret (at least 1 byte).
    pub fn add_secret(&mut self, id: Option<char>, secret: SecretBytes, now: u64) -> Result<char> {
        let id = match id {
            None => self.next_id()?,
            Some(id) => {
                if u8::try_from(id).ok().and_then(key_index).is_none() {
                    return Err(Error::invalid_argument(
                        "a key id is exactly one character of [0-9a-z]",
                    ));
                }
                if self.key(id).is_some() {
                    return Err(Error::invalid_argument(format!(
                        "the ring already has a key \"{id}\""
                    )));
                }
                id
            }
        };
        if secret.is_empty() {
            return Err(Error::invalid_argument(format!(
                "signing key \"{id}\": secret must be at least 1 byte"
            )));
        }
        self.keys.push(RingKey {
            id,
            secret,
            created_at: now,
            activated_at: None,
            deactivated_at: None,
        });
        Ok(id)
    }

    /// Makes `id` the active (signing) key from `now`; the previous active key stops signing
    /// at `now`. Returns the previous active key. Activating the active key changes nothing.
    pub fn activate(&mut self, id: char, now: u64) -> Result<Option<char>> {
        if self.key(id).is_none() {
            return Err(Self::not_in_ring(id));
        }
        let previous = self.active;
        if previous == Some(id) {
            return Ok(previous);
        }
        for k in &mut self.keys {
            if Some(k.id) == previous {
                k.deactivated_at = Some(now);
            }
            if k.id == id {
                k.activated_at = Some(now);
                k.deactivated_at = None;
            }
        }
        self.active = Some(id);
        Ok(previous)
    }

    /// Whether `id` can be retired at `now`: a link signed with it can still be valid while
    /// `now <= deactivated_at + max_token_lifetime` (a link is valid up to and including its
    /// `expires` second, SPEC §1.5). The active key is never retirable (activate another key
    /// first); a key that never signed always is.
    pub fn retire_verdict(&self, id: char, now: u64) -> Result<RetireVerdict> {
        let key = self.key(id).ok_or_else(|| Self::not_in_ring(id))?;
        if self.active == Some(id) {
            return Err(Error::invalid_argument(format!(
                "key \"{id}\" is the active key: activate another key first"
            )));
        }
        let Some(signed_until) = key.deactivated_at.or(key.activated_at.map(|_| now)) else {
            return Ok(RetireVerdict::Safe);
        };
        let valid_until = signed_until.saturating_add(self.max_token_lifetime);
        Ok(if valid_until >= now {
            RetireVerdict::Breaks(Breakage {
                key_id: id,
                signed_until,
                valid_until,
            })
        } else {
            RetireVerdict::Safe
        })
    }

    /// Removes `id` from the ring at `now`. Refused (an `invalid_argument` error saying until
    /// when its links can be valid) while [`retire_verdict`](Self::retire_verdict) is
    /// `Breaks`, unless `force`; then the breakage is returned so the caller can say which
    /// links stop working.
    pub fn retire(&mut self, id: char, now: u64, force: bool) -> Result<Option<Breakage>> {
        let breaks = match self.retire_verdict(id, now)? {
            RetireVerdict::Safe => None,
            RetireVerdict::Breaks(b) if force => Some(b),
            RetireVerdict::Breaks(b) => {
                return Err(Error::invalid_argument(format!(
                    "key \"{id}\" signed links until {} that can be valid until {}: retire it after then, or force it and break them",
                    super::format_rfc3339(b.signed_until),
                    super::format_rfc3339(b.valid_until),
                )))
            }
        };
        self.keys.retain(|k| k.id != id);
        Ok(breaks)
    }

    /// Every key's status at `now`, oldest first: never a secret.
    pub fn list(&self, now: u64) -> Vec<KeyStatus> {
        self.keys
            .iter()
            .map(|k| KeyStatus {
                id: k.id,
                active: self.active == Some(k.id),
                created_at: k.created_at,
                activated_at: k.activated_at,
                deactivated_at: k.deactivated_at,
                retirable_at: match self.retire_verdict(k.id, now) {
                    Err(_) => None,
                    Ok(RetireVerdict::Safe) => Some(k.deactivated_at.map_or(k.created_at, |d| {
                        d.saturating_add(self.max_token_lifetime).saturating_add(1)
                    })),
                    Ok(RetireVerdict::Breaks(b)) => Some(b.valid_until.saturating_add(1)),
                },
            })
            .collect()
    }

    /// The ring as a key set: every key, and the active key.
    pub fn signing_keys(&self) -> Result<SigningKeys> {
        SigningKeys::from_pairs(
            self.keys.iter().map(|k| (k.id, k.secret.expose().to_vec())),
            self.active,
        )
    }

    /// The ring file's text. It holds every secret: write it only where [`save`](Self::save)
    /// would.
    pub fn to_toml(&self) -> SecretString {
        let b64 = base64::engine::general_purpose::STANDARD;
        let mut s = String::new();
        s.push_str(
            "# sandgate signing-key ring: the source of every form the platform reads\n\
             # (`sandgate signing-keys render`). It holds the secrets: keep it mode 0600 and out\n\
             # of version control. Edit it with `sandgate signing-keys`, not by hand.\n",
        );
        let _ = writeln!(s, "version = {FORMAT_VERSION}");
        let _ = writeln!(s, "max_token_lifetime_secs = {}", self.max_token_lifetime);
        if let Some(a) = self.active {
            let _ = writeln!(s, "active_key = \"{a}\"");
        }
        for k in &self.keys {
            let _ = writeln!(s, "\n[[keys]]\nid = \"{}\"", k.id);
            let _ = writeln!(s, "secret = \"{}\"", b64.encode(k.secret.expose()));
            let _ = writeln!(
                s,
                "created_at = \"{}\"",
                super::format_rfc3339(k.created_at)
            );
            for (name, t) in [
                ("activated_at", k.activated_at),
                ("deactivated_at", k.deactivated_at),
            ] {
                if let Some(t) = t {
                    let _ = writeln!(s, "{name} = \"{}\"", super::format_rfc3339(t));
                }
            }
        }
        SecretString::new(s)
    }

    /// Parses a ring file's text. Errors name the entry and field, never a secret.
    pub fn from_toml(text: &str) -> Result<KeyRing> {
        let doc: toml::Table = text.parse().map_err(|e: toml::de::Error| {
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            Error::invalid_config(format!("the key ring is not valid TOML (line {line})"))
        })?;
        let bad = |m: String| Error::invalid_config(format!("key ring: {m}"));
        for k in doc.keys() {
            if !["version", "max_token_lifetime_secs", "active_key", "keys"].contains(&k.as_str()) {
                return Err(bad("unknown top-level field (expected version, max_token_lifetime_secs, active_key, keys)".into()));
            }
        }
        match doc.get("version").and_then(|v| v.as_integer()) {
            Some(FORMAT_VERSION) => {}
            Some(v) => {
                return Err(bad(format!(
                    "version {v} is not supported (this sandgate reads version {FORMAT_VERSION})"
                )))
            }
            None => return Err(bad("version = 1 is missing".into())),
        }
        let lifetime = doc
            .get("max_token_lifetime_secs")
            .and_then(|v| v.as_integer())
            .and_then(|v| u64::try_from(v).ok())
            .ok_or_else(|| bad("max_token_lifetime_secs must be a positive integer".into()))?;
        let mut ring = KeyRing::new(lifetime).map_err(|e| bad(e.message().to_owned()))?;
        let empty = Vec::new();
        let entries = match doc.get("keys") {
            None => &empty,
            Some(v) => v
                .as_array()
                .ok_or_else(|| bad("keys must be an array of tables ([[keys]])".into()))?,
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        for (n, entry) in entries.iter().enumerate() {
            let n = n + 1;
            let t = entry
                .as_table()
                .ok_or_else(|| bad(format!("keys entry {n} is not a table")))?;
            for k in t.keys() {
                if ![
                    "id",
                    "secret",
                    "created_at",
                    "activated_at",
                    "deactivated_at",
                ]
                .contains(&k.as_str())
                {
                    return Err(bad(format!("keys entry {n} has an unknown field (expected id, secret, created_at, activated_at, deactivated_at)")));
                }
            }
            let id = t
                .get("id")
                .and_then(|v| v.as_str())
                .and_then(|s| super::parse_key_id(s).ok())
                .ok_or_else(|| {
                    bad(format!(
                        "keys entry {n}: id must be exactly one character of [0-9a-z]"
                    ))
                })?;
            let secret = t
                .get("secret")
                .and_then(|v| v.as_str())
                .and_then(|s| b64.decode(s).ok())
                .filter(|s| !s.is_empty())
                .map(SecretBytes::new)
                .ok_or_else(|| {
                    bad(format!(
                        "keys entry {n} (\"{id}\"): secret must be padded standard base64 of at least 1 byte"
                    ))
                })?;
            let time = |field: &str| -> Result<Option<u64>> {
                match t.get(field) {
                    None => Ok(None),
                    Some(v) => v.as_str().and_then(parse_instant).map(Some).ok_or_else(|| {
                        bad(format!(
                            "keys entry {n} (\"{id}\"): {field} must be an RFC 3339 instant"
                        ))
                    }),
                }
            };
            let created_at = time("created_at")?
                .ok_or_else(|| bad(format!("keys entry {n} (\"{id}\"): created_at is missing")))?;
            let (activated_at, deactivated_at) = (time("activated_at")?, time("deactivated_at")?);
            if deactivated_at.is_some() && activated_at.is_none() {
                return Err(bad(format!(
                    "keys entry {n} (\"{id}\"): deactivated_at without activated_at"
                )));
            }
            ring.add_secret(Some(id), secret, created_at)
                .map_err(|e| bad(e.message().to_owned()))?;
            let k = ring.keys.last_mut().expect("just added");
            k.activated_at = activated_at;
            k.deactivated_at = deactivated_at;
        }
        if let Some(a) = doc.get("active_key") {
            let id = a
                .as_str()
                .and_then(|s| super::parse_key_id(s).ok())
                .ok_or_else(
                    || bad("active_key must be exactly one character of [0-9a-z]".into()),
                )?;
            let key = ring
                .key(id)
                .ok_or_else(|| bad(format!("active_key \"{id}\" is not in the ring")))?;
            if key.activated_at.is_none() || key.deactivated_at.is_some() {
                return Err(bad(format!(
                    "active_key \"{id}\" must have activated_at and no deactivated_at"
                )));
            }
            ring.active = Some(id);
        }
        if let Some(k) = ring.keys.iter().find(|k| {
            Some(k.id) != ring.active && k.activated_at.is_some() && k.deactivated_at.is_none()
        }) {
            return Err(bad(format!(
                "key \"{}\" is not the active key but has no deactivated_at",
                k.id
            )));
        }
        Ok(ring)
    }

    /// Reads a ring file. Refused when it is not a regular file, is over 1 MiB, or (on unix)
    /// group or others may read, write or run it: the ring holds every signing secret.
    pub fn load(path: impl AsRef<Path>) -> Result<KeyRing> {
        use std::io::Read;
        let path = path.as_ref();
        let shown = path.display();
        let cannot = |e: std::io::Error| {
            Error::invalid_config(format!("cannot read the key ring {shown}: {e}"))
        };
        let meta = std::fs::metadata(path).map_err(cannot)?;
        if !meta.is_file() {
            return Err(Error::invalid_config(format!(
                "the key ring {shown} is not a regular file"
            )));
        }
        check_private(path, &meta)?;
        if meta.len() > super::MAX_KEY_FILE_BYTES {
            return Err(Error::invalid_config(format!(
                "the key ring {shown} is larger than 1 MiB"
            )));
        }
        let mut bytes = zeroize::Zeroizing::new(Vec::new());
        std::fs::File::open(path)
            .and_then(|f| {
                f.take(super::MAX_KEY_FILE_BYTES + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(cannot)?;
        let text = std::str::from_utf8(&bytes)
            .map_err(|_| Error::invalid_config(format!("the key ring {shown} is not UTF-8")))?;
        Self::from_toml(text)
            .map_err(|e| Error::invalid_config(format!("{shown}: {}", e.message())))
    }

    /// Writes the ring to `path` atomically with mode 0600 (a temporary file in the same
    /// folder, synced, then renamed over `path`). `create_new` refuses to replace an existing
    /// file.
    pub fn save(&self, path: impl AsRef<Path>, create_new: bool) -> Result<()> {
        use std::io::Write;
        let path = path.as_ref();
        let shown = path.display();
        let cannot = |e: std::io::Error| {
            Error::invalid_config(format!("cannot write the key ring {shown}: {e}"))
        };
        let dir = match path.parent() {
            Some(d) if !d.as_os_str().is_empty() => d,
            _ => Path::new("."),
        };
        // tempfile creates the file with mode 0600 on unix.
        let mut tmp = tempfile::Builder::new()
            .prefix(".sandgate-ring-")
            .tempfile_in(dir)
            .map_err(cannot)?;
        tmp.write_all(self.to_toml().expose().as_bytes())
            .and_then(|_| tmp.as_file().sync_all())
            .map_err(cannot)?;
        let persisted = if create_new {
            tmp.persist_noclobber(path).map(|_| ())
        } else {
            tmp.persist(path).map(|_| ())
        };
        persisted.map_err(|e| {
            if e.error.kind() == std::io::ErrorKind::AlreadyExists {
                Error::invalid_argument(format!("{shown} already exists"))
            } else {
                cannot(e.error)
            }
        })?;
        // Make the rename durable; a folder that cannot be opened or synced is not an error.
        if let Ok(d) = std::fs::File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }
}

fn parse_instant(s: &str) -> Option<u64> {
    let t = time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).ok()?;
    u64::try_from(t.unix_timestamp()).ok()
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        return Err(Error::invalid_config(format!(
            "the key ring {} is accessible by group or others (mode {mode:04o}): run chmod 600 on it",
            path.display()
        )));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<()> {
    // No unix mode bits: access is governed by the platform's ACLs.
    Ok(())
}

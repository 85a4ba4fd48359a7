//! `check`: reads any mix of the forms a platform keeps its signing keys in (SPEC §1.6, §7) —
//! the key ring, the server TOML, the server's environment pair, the ingress flag, a
//! Kubernetes Secret, Helm values — with the rules of the upstream parser that reads each,
//! and reports every disagreement between them and every entry the two upstream parsers
//! would read differently, with the reason.
//!
//! The two upstream parsers, as modelled here:
//!
//! - **server** (TOML table and environment pair): an entry splits at its first `=`; nothing
//!   is trimmed; no empty entries; a duplicate id is an error; the id is one character of
//!   `[0-9a-z]`; the secret is standard base64 whose padding may be missing, partial or even
//!   in excess (at most two `=`), but no other character (no space, no line break); it
//!   decodes to at least 1 byte; `active_key` is required and names a configured key.
//! - **ingress** (`--secure-access-keys`): entries are trimmed and empty ones skipped; id and
//!   secret are trimmed again after the split; the secret is standard base64 with exactly
//!   the padding it needs (line breaks inside are ignored); a duplicate id silently replaces
//!   the earlier one; there is no active key.
//!
//! No message quotes the text of an entry: entries are named by position and, once it is
//! known to be one, by key id.

use super::render::{INGRESS_FLAG, SECRET_ACTIVE_ENTRY, SECRET_KEYS_ENTRY};
use super::ring::KeyRing;
use super::{ENV_ACTIVE_KEY, ENV_KEYS};
use crate::secret::{SecretBytes, SecretString};
use base64::engine::{general_purpose::GeneralPurpose, DecodePaddingMode, GeneralPurposeConfig};
use base64::Engine;
use subtle::ConstantTimeEq;
use yaml_rust2::{Yaml, YamlLoader};

/// Decodes the base64 body once the padding rules of a side have been checked: standard
/// alphabet, padding already validated, non-canonical trailing bits accepted (both upstream
/// decoders accept them).
const LENIENT: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_padding_mode(DecodePaddingMode::RequireNone)
        .with_decode_allow_trailing_bits(true),
);

/// Where an input came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Source {
    /// A sandgate key ring (the source of truth).
    Ring,
    /// The server's TOML (`[ingress.secure_access]`).
    Toml,
    /// The server's environment pair.
    Env,
    /// The ingress flag `--secure-access-keys`.
    Flag,
    /// A Kubernetes Secret with entries `keys` and `active-key`.
    Secret,
    /// Helm values (`server.gateway.secureAccess`).
    Helm,
}

impl Source {
    /// `ring`, `toml`, `env`, `flag`, `secret` or `helm`.
    pub const fn code(self) -> &'static str {
        match self {
            Source::Ring => "ring",
            Source::Toml => "toml",
            Source::Env => "env",
            Source::Flag => "flag",
            Source::Secret => "secret",
            Source::Helm => "helm",
        }
    }
}

/// Who reads a key set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Reader {
    /// The sandgate key ring itself.
    Ring,
    /// The upstream server.
    Server,
    /// The upstream ingress gateway.
    Ingress,
}

impl Reader {
    /// `ring`, `server` or `ingress`.
    pub const fn code(self) -> &'static str {
        match self {
            Reader::Ring => "ring",
            Reader::Server => "server",
            Reader::Ingress => "ingress",
        }
    }
}

enum Content {
    Ring(KeyRing),
    Text(SecretString),
    Env {
        keys: Option<SecretString>,
        active: Option<String>,
    },
}

/// One form to check, with a label to name it in findings (a path, `--flag`, `environment`).
pub struct CheckInput {
    source: Source,
    label: String,
    content: Content,
}

impl std::fmt::Debug for CheckInput {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CheckInput")
            .field("source", &self.source)
            .field("label", &self.label)
            .finish_non_exhaustive()
    }
}

impl CheckInput {
    fn text(source: Source, label: impl Into<String>, text: &str) -> Self {
        CheckInput {
            source,
            label: label.into(),
            content: Content::Text(SecretString::new(text.to_owned())),
        }
    }

    /// A key ring (already loaded).
    pub fn ring(label: impl Into<String>, ring: KeyRing) -> Self {
        CheckInput {
            source: Source::Ring,
            label: label.into(),
            content: Content::Ring(ring),
        }
    }

    /// Server TOML text.
    pub fn toml(label: impl Into<String>, text: &str) -> Self {
        Self::text(Source::Toml, label, text)
    }

    /// The server's environment pair as its two values (`None` = unset).
    pub fn env_pair(label: impl Into<String>, keys: Option<&str>, active: Option<&str>) -> Self {
        CheckInput {
            source: Source::Env,
            label: label.into(),
            content: Content::Env {
                keys: keys.map(|k| SecretString::new(k.to_owned())),
                active: active.map(str::to_owned),
            },
        }
    }

    /// The server's environment pair from a collection of variables (other names ignored).
    pub fn env_map<I, K, V>(label: impl Into<String>, env: I) -> Self
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let (mut keys, mut active) = (None, None);
        for (k, v) in env {
            match k.as_ref() {
                ENV_KEYS => keys = Some(SecretString::new(v.as_ref().to_owned())),
                ENV_ACTIVE_KEY => active = Some(v.as_ref().to_owned()),
                _ => {}
            }
        }
        CheckInput {
            source: Source::Env,
            label: label.into(),
            content: Content::Env { keys, active },
        }
    }

    /// An environment file: `NAME=VALUE` lines (an `export ` prefix allowed, `#` comments and
    /// blank lines skipped), values taken verbatim as `docker --env-file` does (no quote
    /// removal). Only the pair's two names are read.
    pub fn env_file(label: impl Into<String>, text: &str) -> Self {
        let vars = text.split('\n').filter_map(|line| {
            let l = line.trim_start();
            if l.is_empty() || l.starts_with('#') {
                return None;
            }
            let l = l.strip_prefix("export ").unwrap_or(l);
            l.split_once('=')
        });
        Self::env_map(label, vars)
    }

    /// The ingress flag's value, with or without a leading `--secure-access-keys=`.
    pub fn flag(label: impl Into<String>, text: &str) -> Self {
        let value = text
            .strip_prefix(INGRESS_FLAG)
            .and_then(|r| r.strip_prefix('='))
            .unwrap_or(text);
        Self::text(Source::Flag, label, value)
    }

    /// A Kubernetes Secret (YAML; several documents allowed, the first `kind: Secret` is read).
    pub fn secret(label: impl Into<String>, yaml: &str) -> Self {
        Self::text(Source::Secret, label, yaml)
    }

    /// Helm values (YAML) with `server.gateway.secureAccess`.
    pub fn helm(label: impl Into<String>, yaml: &str) -> Self {
        Self::text(Source::Helm, label, yaml)
    }

    /// Where the input came from.
    pub fn source(&self) -> Source {
        self.source
    }

    /// The input's label.
    pub fn label(&self) -> &str {
        &self.label
    }
}

/// One problem found by [`check`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// A stable code (see [`FINDING_CODES`]).
    pub code: &'static str,
    /// The kind of input it was found in.
    pub source: Source,
    /// The input's label.
    pub label: String,
    /// The key it is about, when known.
    pub key_id: Option<char>,
    /// What is wrong and why, on one line; never a secret.
    pub message: String,
}

/// Every finding code [`check`] reports, with what it means.
pub const FINDING_CODES: &[(&str, &str)] = &[
    ("unreadable", "the input cannot be read at all (syntax, missing table or entry)"),
    ("no_keys", "the input holds no key"),
    ("empty_entry", "an empty entry: the ingress skips it, the server rejects it"),
    ("spaces", "whitespace around an entry, id or secret: the ingress trims it, the server rejects it"),
    ("line_break", "a line break inside a secret: the ingress ignores it, the server rejects it"),
    ("unpadded_base64", "a secret without its base64 padding: the server accepts it, the ingress rejects it"),
    ("extra_padding", "a secret with more base64 padding than it needs: the server accepts it, the ingress rejects it"),
    ("base64_prefix", "a base64: prefix: sandgate strips it, both upstream parsers reject it"),
    ("invalid_entry", "an entry both upstream parsers reject"),
    ("duplicate_id", "a key id given twice: the server rejects the set, the ingress silently keeps the last"),
    ("no_active_key", "no active key: the server needs one"),
    ("invalid_active_key", "an active key id that is not one character of [0-9a-z] (nothing is trimmed)"),
    ("active_key_unknown", "the active key names no configured key"),
    ("env_incomplete", "only one of the server's two environment variables is set"),
    ("secret_incomplete", "the Secret lacks the entry keys or active-key"),
    ("ingress_mode", "the server TOML sets [ingress] mode to something else than gateway: it ignores the keys"),
    ("helm_conflict", "Helm values set both inline keys and existingSecret: the chart refuses them"),
    ("secret_name_mismatch", "Helm values point at a Secret with another name than the Secret checked"),
    ("missing_key", "a key of the reference is missing from a form"),
    ("extra_key", "a form holds a key the reference does not"),
    ("secret_mismatch", "a key has another secret than in the reference"),
    ("active_key_mismatch", "a form names another active key than the reference"),
];

/// What one upstream reader makes of one input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadingSummary {
    /// The kind of input.
    pub source: Source,
    /// The input's label.
    pub label: String,
    /// Who reads it.
    pub reader: Reader,
    /// Whether that reader loads it; `false` means it refuses it (see the findings).
    pub loads: bool,
    /// The key ids it reads, in order.
    pub key_ids: Vec<char>,
    /// The active key it reads (server and ring only).
    pub active_key: Option<char>,
}

/// The result of [`check`].
#[derive(Clone, Debug, Default)]
pub struct CheckReport {
    /// Every finding, in input order.
    pub findings: Vec<Finding>,
    /// What each upstream reader reads from each input.
    pub readings: Vec<ReadingSummary>,
    /// The reading the others were compared with (`label`, reader), if any.
    pub reference: Option<(String, Reader)>,
}

impl CheckReport {
    /// No finding.
    pub fn is_clean(&self) -> bool {
        self.findings.is_empty()
    }
}

// ---------------------------------------------------------------------------------------
// The two upstream parsers, entry by entry.

#[derive(Clone)]
enum Outcome {
    Skipped,
    Key(char, SecretBytes),
    Rejected(String),
}

fn one_id(s: &str) -> Option<char> {
    match s.as_bytes() {
        [c @ (b'0'..=b'9' | b'a'..=b'z')] => Some(char::from(*c)),
        _ => None,
    }
}

fn is_b64_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'+' || c == b'/'
}

/// Padding a base64 body of `len` characters needs (`None`: no length can be right).
fn needed_padding(len: usize) -> Option<usize> {
    match len % 4 {
        0 => Some(0),
        2 => Some(2),
        3 => Some(1),
        _ => None,
    }
}

/// The server's base64 (SPEC §1.6: padded or not).
fn server_b64(text: &str) -> std::result::Result<SecretBytes, String> {
    let body = text.trim_end_matches('=');
    let pad = text.len() - body.len();
    let reject = || Err("the secret is not standard base64".to_owned());
    if !body.bytes().all(is_b64_char) || pad > 2 {
        return reject();
    }
    match needed_padding(body.len()) {
        None => return reject(),
        Some(1) if pad == 2 => return reject(),
        _ => {}
    }
    let bytes = LENIENT
        .decode(body)
        .map_err(|_| "the secret is not standard base64")?;
    if bytes.is_empty() {
        return Err("the secret decodes to no byte".to_owned());
    }
    Ok(SecretBytes::new(bytes))
}

/// The ingress's base64: exactly the padding needed; line breaks ignored.
fn ingress_b64(text: &str) -> std::result::Result<SecretBytes, String> {
    let joined: String = text.chars().filter(|c| !matches!(c, '\r' | '\n')).collect();
    let joined = zeroize::Zeroizing::new(joined);
    let body = joined.trim_end_matches('=');
    let pad = joined.len() - body.len();
    if !body.bytes().all(is_b64_char) || needed_padding(body.len()) != Some(pad) {
        return Err("the secret is not padded standard base64".to_owned());
    }
    let bytes = LENIENT
        .decode(body)
        .map_err(|_| "the secret is not padded standard base64")?;
    if bytes.is_empty() {
        return Err("the secret is empty".to_owned());
    }
    Ok(SecretBytes::new(bytes))
}

/// The server's rules for one `(id, secret)` pair (TOML entry or env entry after the split).
fn server_pair(id: &str, secret: &str) -> Outcome {
    let Some(id) = one_id(id) else {
        return Outcome::Rejected(
            "the key id is not exactly one character of [0-9a-z] (nothing is trimmed)".into(),
        );
    };
    match server_b64(secret) {
        Ok(s) => Outcome::Key(id, s),
        Err(e) => Outcome::Rejected(format!("key {id}: {e}")),
    }
}

/// The server's environment-pair rules for one entry of the list.
fn server_entry(seg: &str) -> Outcome {
    if seg.is_empty() {
        return Outcome::Rejected("the entry is empty".into());
    }
    match seg.split_once('=') {
        None => Outcome::Rejected("the entry has no '='".into()),
        Some((id, secret)) => server_pair(id, secret),
    }
}

/// The ingress's rules for one entry of the flag.
fn ingress_entry(seg: &str) -> Outcome {
    let t = seg.trim();
    if t.is_empty() {
        return Outcome::Skipped;
    }
    let Some((id, secret)) = t
        .split_once('=')
        .filter(|(i, s)| !i.is_empty() && !s.is_empty())
    else {
        return Outcome::Rejected("the entry is not key_id=base64".into());
    };
    let Some(id) = one_id(id.trim()) else {
        return Outcome::Rejected("the key id is not exactly one character of [0-9a-z]".into());
    };
    match ingress_b64(secret.trim()) {
        Ok(s) => Outcome::Key(id, s),
        Err(e) => Outcome::Rejected(format!("key {id}: {e}")),
    }
}

struct Ctx<'a> {
    source: Source,
    label: &'a str,
    findings: &'a mut Vec<Finding>,
}

impl Ctx<'_> {
    fn add(&mut self, code: &'static str, key_id: Option<char>, message: String) {
        self.findings.push(Finding {
            code,
            source: self.source,
            label: self.label.to_owned(),
            key_id,
            message: format!("{}: {message}", self.label),
        });
    }
}

/// Why the two sides read one entry differently (or both reject it), as a finding. `raw` is
/// the entry's text, used to diagnose the cause and never quoted.
fn compare_entry(ctx: &mut Ctx<'_>, what: &str, raw: &str, server: &Outcome, ingress: &Outcome) {
    let id_of = |o: &Outcome| match o {
        Outcome::Key(id, _) => Some(*id),
        _ => None,
    };
    let key = id_of(server).or(id_of(ingress));
    let named = match key {
        Some(id) => format!("{what} (key {id})"),
        None => what.to_owned(),
    };
    let (id_part, secret_part) = raw.split_once('=').unwrap_or((raw, ""));
    let spaced = |s: &str| s != s.trim();
    match (server, ingress) {
        (Outcome::Key(a, x), Outcome::Key(b, y)) => {
            if a != b || !bool::from(x.expose().ct_eq(y.expose())) {
                ctx.add(
                    "invalid_entry",
                    key,
                    format!("{named} is read as different keys by the server and the ingress"),
                );
            }
        }
        (Outcome::Rejected(_), Outcome::Skipped) => ctx.add(
            "empty_entry",
            None,
            format!("{named} is empty: the ingress skips it, the server rejects it (no empty entries, no trailing comma)"),
        ),
        (Outcome::Rejected(_), Outcome::Key(..)) => {
            if spaced(raw) || spaced(id_part) || spaced(secret_part) {
                let newline = if raw.ends_with('\n') { " (a trailing newline)" } else { "" };
                ctx.add(
                    "spaces",
                    key,
                    format!("{named} has whitespace around it{newline}: the ingress trims it, the server does not and rejects the entry"),
                );
            } else if secret_part.contains(['\r', '\n']) {
                ctx.add(
                    "line_break",
                    key,
                    format!("{named} has a line break inside its secret: the ingress ignores it, the server rejects the entry"),
                );
            } else {
                ctx.add(
                    "invalid_entry",
                    key,
                    format!("{named}: the ingress accepts it, the server rejects it"),
                );
            }
        }
        (Outcome::Key(..), Outcome::Rejected(_)) => {
            let body = secret_part.trim_end_matches('=');
            let pad = secret_part.len() - body.len();
            match needed_padding(body.len()) {
                Some(need) if pad < need => ctx.add(
                    "unpadded_base64",
                    key,
                    format!("{named}: its secret lacks base64 padding: the server accepts it, the ingress rejects it (write it padded)"),
                ),
                Some(need) if pad > need => ctx.add(
                    "extra_padding",
                    key,
                    format!("{named}: its secret has more base64 padding than it needs: the server accepts it, the ingress rejects it"),
                ),
                _ => ctx.add(
                    "invalid_entry",
                    key,
                    format!("{named}: the server accepts it, the ingress rejects it"),
                ),
            }
        }
        (Outcome::Rejected(why), Outcome::Rejected(_)) => {
            if secret_part.trim().starts_with("base64:") {
                ctx.add(
                    "base64_prefix",
                    key,
                    format!("{named}: its secret has a base64: prefix: sandgate strips it, but neither upstream parser accepts it"),
                );
            } else {
                ctx.add(
                    "invalid_entry",
                    key,
                    format!("{named}: {why}; the ingress rejects it too"),
                );
            }
        }
        // The server never skips, and an entry it reads is never blank for the ingress.
        (Outcome::Skipped, _) | (Outcome::Key(..), Outcome::Skipped) => {}
    }
}

/// The keys each side reads from a list of entries (`None`: that side refuses the whole
/// list), after reporting entry divergences and duplicates.
type Keys = Vec<(char, SecretBytes)>;

fn read_entries(
    ctx: &mut Ctx<'_>,
    entries: &[(String, Outcome, Outcome)],
) -> (Option<Keys>, Option<Keys>) {
    let mut server: Option<Keys> = Some(Vec::new());
    let mut ingress: Option<Keys> = Some(Vec::new());
    for (n, (raw, s, i)) in entries.iter().enumerate() {
        let what = format!("entry {}", n + 1);
        compare_entry(ctx, &what, raw, s, i);
        match s {
            Outcome::Key(id, secret) => {
                if let Some(v) = server.as_mut() {
                    v.push((*id, secret.clone()))
                }
            }
            _ => server = None,
        }
        match i {
            Outcome::Key(id, secret) => {
                if let Some(v) = ingress.as_mut() {
                    // Last wins, at the place of the first.
                    match v.iter_mut().find(|(k, _)| k == id) {
                        Some(slot) => slot.1 = secret.clone(),
                        None => v.push((*id, secret.clone())),
                    }
                }
            }
            Outcome::Skipped => {}
            Outcome::Rejected(_) => ingress = None,
        }
    }
    // Duplicates, as either side sees the ids.
    let mut seen: Vec<(char, usize, SecretBytes)> = Vec::new();
    let mut reported: Vec<char> = Vec::new();
    for (n, (_, s, i)) in entries.iter().enumerate() {
        let key = match (s, i) {
            (Outcome::Key(id, sec), _) | (_, Outcome::Key(id, sec)) => (*id, sec),
            _ => continue,
        };
        if let Some((_, first, earlier)) = seen.iter().find(|(id, _, _)| *id == key.0) {
            if !reported.contains(&key.0) {
                reported.push(key.0);
                let same = bool::from(earlier.expose().ct_eq(key.1.expose()));
                ctx.add(
                    "duplicate_id",
                    Some(key.0),
                    format!(
                        "key {} is given twice (entries {} and {}): the server rejects the set, the ingress silently keeps the last{}",
                        key.0,
                        first + 1,
                        n + 1,
                        if same { " (same secret)" } else { " (a different secret)" }
                    ),
                );
            }
            if matches!(s, Outcome::Key(..)) {
                server = None;
            }
        } else {
            seen.push((key.0, n, key.1.clone()));
        }
    }
    if ingress.as_ref().is_some_and(|v| v.is_empty()) {
        ingress = None;
    }
    if server.as_ref().is_some_and(|v| v.is_empty()) {
        server = None;
    }
    (server, ingress)
}

/// Splits a key list `a=B64,b=B64` into entries read by both sides.
fn list_entries(list: &str) -> Vec<(String, Outcome, Outcome)> {
    list.split(',')
        .map(|seg| (seg.to_owned(), server_entry(seg), ingress_entry(seg)))
        .collect()
}

/// Reads a key list as the server's env pair and the ingress flag would.
fn read_list(ctx: &mut Ctx<'_>, list: &str) -> (Option<Keys>, Option<Keys>) {
    if list.trim().is_empty() {
        ctx.add(
            "no_keys",
            None,
            "the key list is empty: the server refuses an empty variable and the ingress holds no key".into(),
        );
        return (None, None);
    }
    read_entries(ctx, &list_entries(list))
}

/// The server's active key rules: exactly one character of `[0-9a-z]`, naming a key.
fn read_active(ctx: &mut Ctx<'_>, active: Option<&str>, keys: Option<&Keys>) -> Option<char> {
    let Some(a) = active else {
        ctx.add(
            "no_active_key",
            None,
            "no active key: the server needs one to sign".into(),
        );
        return None;
    };
    let Some(id) = one_id(a) else {
        let hint = if one_id(a.trim()).is_some() {
            " (the server does not trim it)"
        } else {
            ""
        };
        ctx.add(
            "invalid_active_key",
            None,
            format!("the active key is not exactly one character of [0-9a-z]{hint}"),
        );
        return None;
    };
    if let Some(keys) = keys {
        if !keys.iter().any(|(k, _)| *k == id) {
            ctx.add(
                "active_key_unknown",
                Some(id),
                format!("the active key {id} is not among the keys: the server refuses the set"),
            );
            return None;
        }
    }
    Some(id)
}

struct Reading {
    source: Source,
    label: String,
    reader: Reader,
    keys: Option<Keys>,
    active: Option<char>,
}

/// A YAML scalar as the Helm chart's templates print it.
fn helm_scalar(v: &Yaml) -> Option<String> {
    match v {
        Yaml::String(s) | Yaml::Real(s) => Some(s.clone()),
        Yaml::Integer(i) => Some(i.to_string()),
        Yaml::Boolean(b) => Some(b.to_string()),
        _ => None,
    }
}

fn load_yaml(ctx: &mut Ctx<'_>, text: &str) -> Option<Vec<Yaml>> {
    // Aliases are refused before anything is built: nested ones expand exponentially (a
    // "billion laughs" file of a few hundred bytes), and key files have no use for them.
    let mut parser = yaml_rust2::parser::Parser::new_from_str(text);
    loop {
        match parser.next_token() {
            Ok((yaml_rust2::parser::Event::Alias(_), mark)) => {
                ctx.add(
                    "unreadable",
                    None,
                    format!(
                        "uses a YAML alias (line {}): write the values out",
                        mark.line()
                    ),
                );
                return None;
            }
            Ok((yaml_rust2::parser::Event::StreamEnd, _)) | Err(_) => break,
            Ok(_) => {}
        }
    }
    match YamlLoader::load_from_str(text) {
        Ok(docs) => Some(docs),
        Err(e) => {
            ctx.add(
                "unreadable",
                None,
                format!(
                    "not valid YAML (line {}, column {})",
                    e.marker().line(),
                    e.marker().col() + 1
                ),
            );
            None
        }
    }
}

/// What one input yields: readings, and (Helm) the Secret it points at; the Secret's name.
#[derive(Default)]
struct Read {
    readings: Vec<Reading>,
    existing_secret: Option<String>,
    secret_name: Option<String>,
}

fn read_input(ctx: &mut Ctx<'_>, input: &CheckInput) -> Read {
    let mut out = Read::default();
    let mut push = |reader, keys: Option<Keys>, active| {
        out.readings.push(Reading {
            source: input.source,
            label: input.label.clone(),
            reader,
            keys,
            active,
        })
    };
    match (&input.content, input.source) {
        (Content::Ring(ring), _) => {
            let keys: Keys = ring
                .keys()
                .iter()
                .map(|k| (k.id(), k.secret().clone()))
                .collect();
            push(Reader::Ring, Some(keys), ring.active_key_id());
        }
        (Content::Env { keys, active }, _) => match (keys, active) {
            (None, None) => ctx.add(
                "env_incomplete",
                None,
                format!("neither {ENV_KEYS} nor {ENV_ACTIVE_KEY} is set"),
            ),
            (Some(_), None) | (None, Some(_)) => {
                ctx.add(
                    "env_incomplete",
                    None,
                    format!("{ENV_KEYS} and {ENV_ACTIVE_KEY} must be set together: the server refuses one alone"),
                );
                if let Some(k) = keys {
                    read_list(ctx, k.expose());
                }
                push(Reader::Server, None, None);
            }
            (Some(k), Some(a)) => {
                let (server, _) = read_list(ctx, k.expose());
                let active = read_active(ctx, Some(a), server.as_ref());
                let loads = server.is_some() && active.is_some();
                push(Reader::Server, server.filter(|_| loads), active);
            }
        },
        (Content::Text(text), Source::Flag) => {
            let (_, ingress) = read_list(ctx, text.expose());
            push(Reader::Ingress, ingress, None);
        }
        (Content::Text(text), Source::Toml) => {
            let (server, active) = read_toml(ctx, text.expose());
            push(Reader::Server, server, active);
        }
        (Content::Text(text), Source::Secret) => {
            if let Some((name, keys, active)) = read_secret(ctx, text.expose()) {
                out.secret_name = name;
                if let Some(k) = keys {
                    let (server, ingress) = read_list(ctx, k.expose());
                    let active = match &active {
                        Some(a) => read_active(ctx, Some(a), server.as_ref()),
                        None => None,
                    };
                    let loads = server.is_some() && active.is_some();
                    push(Reader::Server, server.filter(|_| loads), active);
                    push(Reader::Ingress, ingress, None);
                }
            }
        }
        (Content::Text(text), Source::Helm) => {
            if let Some(h) = read_helm(ctx, text.expose()) {
                out.existing_secret = h.existing_secret;
                if let Some((server, active, ingress)) = h.inline {
                    push(Reader::Server, server, active);
                    push(Reader::Ingress, ingress, None);
                }
            }
        }
        (Content::Text(_), Source::Ring | Source::Env) => {}
    }
    out
}

/// The server TOML: the keys and active key the server reads (divergences of the entries
/// from the ingress's rules are reported: the same keys go into the ingress flag).
fn read_toml(ctx: &mut Ctx<'_>, text: &str) -> (Option<Keys>, Option<char>) {
    let doc: toml::Table = match text.parse() {
        Ok(d) => d,
        Err(e) => {
            let e: toml::de::Error = e;
            let line = e
                .span()
                .map(|s| text[..s.start.min(text.len())].matches('\n').count() + 1)
                .unwrap_or(0);
            ctx.add("unreadable", None, format!("not valid TOML (line {line})"));
            return (None, None);
        }
    };
    let ingress = doc.get("ingress").and_then(|v| v.as_table());
    if let Some(mode) = ingress.and_then(|t| t.get("mode")) {
        if mode.as_str() != Some("gateway") {
            ctx.add(
                "ingress_mode",
                None,
                "[ingress] mode is not \"gateway\": the server refuses secure_access then".into(),
            );
        }
    }
    let Some(section) = ingress
        .and_then(|t| t.get("secure_access"))
        .and_then(|v| v.as_table())
    else {
        ctx.add(
            "unreadable",
            None,
            "no [ingress.secure_access] table".into(),
        );
        return (None, None);
    };
    let empty = Vec::new();
    let list = match section.get("keys") {
        None => &empty,
        Some(v) => match v.as_array() {
            Some(a) => a,
            None => {
                ctx.add(
                    "unreadable",
                    None,
                    "ingress.secure_access.keys is not an array of tables".into(),
                );
                return (None, None);
            }
        },
    };
    let entries: Vec<(String, Outcome, Outcome)> = list
        .iter()
        .map(|e| {
            let id = e.get("key_id").and_then(|v| v.as_str());
            let key = e.get("key").and_then(|v| v.as_str());
            match (id, key) {
                (Some(id), Some(key)) => {
                    let raw = format!("{id}={key}");
                    let (s, i) = (server_pair(id, key), ingress_entry(&raw));
                    (raw, s, i)
                }
                _ => {
                    let why = "the entry needs string key_id and key".to_owned();
                    (
                        String::new(),
                        Outcome::Rejected(why.clone()),
                        Outcome::Rejected(why),
                    )
                }
            }
        })
        .collect();
    if entries.is_empty() {
        ctx.add(
            "no_keys",
            None,
            "ingress.secure_access has no keys: the server needs at least one".into(),
        );
    }
    let (server, _) = read_entries(ctx, &entries);
    let active = match section.get("active_key") {
        None => read_active(ctx, None, server.as_ref()),
        Some(v) => match v.as_str() {
            Some(a) => read_active(ctx, Some(a), server.as_ref()),
            None => {
                ctx.add(
                    "invalid_active_key",
                    None,
                    "active_key is not a string".into(),
                );
                None
            }
        },
    };
    let loads = server.is_some() && active.is_some();
    (server.filter(|_| loads), active)
}

/// The Secret: `(metadata.name, keys entry, active-key entry)`.
#[allow(clippy::type_complexity)]
fn read_secret(
    ctx: &mut Ctx<'_>,
    text: &str,
) -> Option<(Option<String>, Option<SecretString>, Option<String>)> {
    let docs = load_yaml(ctx, text)?;
    let Some(doc) = docs
        .iter()
        .find(|d| d["kind"].as_str() == Some("Secret"))
        .or_else(|| {
            docs.iter()
                .find(|d| !d["data"].is_badvalue() || !d["stringData"].is_badvalue())
        })
    else {
        ctx.add("unreadable", None, "no Secret in the YAML".into());
        return None;
    };
    let name = doc["metadata"]["name"].as_str().map(str::to_owned);
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut entry = |entry: &str| -> Option<SecretString> {
        if let Some(s) = doc["stringData"][entry].as_str() {
            return Some(SecretString::new(s.to_owned()));
        }
        let v = &doc["data"][entry];
        if v.is_badvalue() || v.is_null() {
            return None;
        }
        let decoded = v
            .as_str()
            .and_then(|s| b64.decode(s.trim()).ok())
            .and_then(|b| String::from_utf8(b).ok());
        if decoded.is_none() {
            ctx.add(
                "unreadable",
                None,
                format!("data.{entry} is not base64 of UTF-8 text"),
            );
        }
        decoded.map(SecretString::new)
    };
    let keys = entry(SECRET_KEYS_ENTRY);
    let active = entry(SECRET_ACTIVE_ENTRY);
    for (present, name) in [
        (keys.is_some(), SECRET_KEYS_ENTRY),
        (active.is_some(), SECRET_ACTIVE_ENTRY),
    ] {
        if !present
            && !ctx
                .findings
                .iter()
                .any(|f| f.code == "unreadable" && f.label == ctx.label)
        {
            ctx.add(
                "secret_incomplete",
                None,
                format!("the Secret has no entry {name} (the chart reads keys and active-key)"),
            );
        }
    }
    Some((name, keys, active.map(|a| a.expose().to_owned())))
}

struct HelmRead {
    existing_secret: Option<String>,
    /// (server keys, active, ingress keys) of inline keys.
    inline: Option<(Option<Keys>, Option<char>, Option<Keys>)>,
}

fn read_helm(ctx: &mut Ctx<'_>, text: &str) -> Option<HelmRead> {
    let docs = load_yaml(ctx, text)?;
    let sa = docs
        .first()
        .map(|d| &d["server"]["gateway"]["secureAccess"]);
    let Some(sa) = sa.filter(|v| v.as_hash().is_some()) else {
        ctx.add(
            "unreadable",
            None,
            "no server.gateway.secureAccess in the values".into(),
        );
        return None;
    };
    let existing = sa["existingSecret"]
        .as_str()
        .filter(|s| !s.is_empty())
        .map(str::to_owned);
    let items = sa["keys"].as_vec().cloned().unwrap_or_default();
    if existing.is_some() && !items.is_empty() {
        ctx.add(
            "helm_conflict",
            None,
            "secureAccess sets both keys and existingSecret: the chart refuses them".into(),
        );
    }
    if items.is_empty() {
        if existing.is_none() {
            ctx.add(
                "no_keys",
                None,
                "secureAccess has neither keys nor existingSecret".into(),
            );
        }
        return Some(HelmRead {
            existing_secret: existing,
            inline: None,
        });
    }
    // The chart writes each entry into the server TOML (quoted, so the server sees the same
    // string) and joins `key_id=key` with ',' into the ingress flag.
    let entries: Vec<(String, Outcome, Outcome)> = items
        .iter()
        .map(
            |e| match (helm_scalar(&e["key_id"]), helm_scalar(&e["key"])) {
                (Some(id), Some(key)) => {
                    let raw = format!("{id}={key}");
                    let (s, i) = (server_pair(&id, &key), ingress_entry(&raw));
                    (raw, s, i)
                }
                _ => {
                    let why = "the entry needs key_id and key".to_owned();
                    (
                        String::new(),
                        Outcome::Rejected(why.clone()),
                        Outcome::Rejected(why),
                    )
                }
            },
        )
        .collect();
    let (server, ingress) = read_entries(ctx, &entries);
    let active = match helm_scalar(&sa["activeKey"]).filter(|s| !s.is_empty()) {
        None => read_active(ctx, None, server.as_ref()),
        Some(a) => read_active(ctx, Some(&a), server.as_ref()),
    };
    let loads = server.is_some() && active.is_some();
    Some(HelmRead {
        existing_secret: existing,
        inline: Some((server.filter(|_| loads), active, ingress)),
    })
}

/// Compares every reading with the reference: the ring if given, else the first server
/// reading, else the first reading.
fn compare(findings: &mut Vec<Finding>, readings: &[Reading]) -> Option<(String, Reader)> {
    let loaded: Vec<&Reading> = readings.iter().filter(|r| r.keys.is_some()).collect();
    let reference = loaded
        .iter()
        .find(|r| r.reader == Reader::Ring)
        .or_else(|| loaded.iter().find(|r| r.reader == Reader::Server))
        .or_else(|| loaded.first())
        .copied()?;
    let ref_keys = reference.keys.as_ref()?;
    let ref_name = format!("{} ({})", reference.label, reference.reader.code());
    for r in &loaded {
        if std::ptr::eq(*r, reference) {
            continue;
        }
        let keys = r.keys.as_ref().expect("loaded");
        let mut add = |code, key_id, message: String| {
            findings.push(Finding {
                code,
                source: r.source,
                label: r.label.clone(),
                key_id,
                message: format!("{} ({}): {message}", r.label, r.reader.code()),
            })
        };
        for (id, secret) in ref_keys {
            match keys.iter().find(|(k, _)| k == id) {
                None if r.reader == Reader::Ingress && reference.active == Some(*id) => add(
                    "missing_key",
                    Some(*id),
                    format!("key {id}, the one {ref_name} signs with, is missing: links signed now fail here with unknown_key"),
                ),
                None => add(
                    "missing_key",
                    Some(*id),
                    format!("key {id} of {ref_name} is missing"),
                ),
                Some((_, other)) if !bool::from(other.expose().ct_eq(secret.expose())) => add(
                    "secret_mismatch",
                    Some(*id),
                    format!("key {id} has another secret than in {ref_name}"),
                ),
                Some(_) => {}
            }
        }
        for (id, _) in keys {
            if !ref_keys.iter().any(|(k, _)| k == id) {
                add(
                    "extra_key",
                    Some(*id),
                    format!("key {id} is not in {ref_name}"),
                );
            }
        }
        if r.reader != Reader::Ingress
            && reference.reader != Reader::Ingress
            && r.active != reference.active
        {
            let show = |a: Option<char>| a.map_or("none".to_owned(), |c| c.to_string());
            add(
                "active_key_mismatch",
                r.active,
                format!(
                    "the active key is {} but {} in {ref_name}",
                    show(r.active),
                    show(reference.active)
                ),
            );
        }
    }
    Some((reference.label.clone(), reference.reader))
}

/// Checks the inputs against the upstream parsers' rules and against each other.
pub fn check(inputs: &[CheckInput]) -> CheckReport {
    let mut findings = Vec::new();
    let mut readings = Vec::new();
    let mut existing_secret: Option<(String, String)> = None;
    let mut secret_names: Vec<(String, Option<String>)> = Vec::new();
    for input in inputs {
        let mut ctx = Ctx {
            source: input.source,
            label: &input.label,
            findings: &mut findings,
        };
        let read = read_input(&mut ctx, input);
        if let Some(name) = read.existing_secret {
            existing_secret = Some((input.label.clone(), name));
        }
        if input.source == Source::Secret {
            secret_names.push((input.label.clone(), read.secret_name));
        }
        readings.extend(read.readings);
    }
    if let Some((label, wanted)) = &existing_secret {
        for (secret_label, name) in &secret_names {
            if let Some(name) = name.as_ref().filter(|n| *n != wanted) {
                findings.push(Finding {
                    code: "secret_name_mismatch",
                    source: Source::Helm,
                    label: label.clone(),
                    key_id: None,
                    message: format!(
                        "{label}: existingSecret is {wanted:?} but the Secret in {secret_label} is named {name:?}"
                    ),
                });
            }
        }
    }
    let reference = compare(&mut findings, &readings);
    let readings = readings
        .into_iter()
        .map(|r| ReadingSummary {
            source: r.source,
            label: r.label,
            reader: r.reader,
            loads: r.keys.is_some(),
            key_ids: r
                .keys
                .as_ref()
                .map(|k| k.iter().map(|(id, _)| *id).collect())
                .unwrap_or_default(),
            active_key: r.active,
        })
        .collect();
    CheckReport {
        findings,
        readings,
        reference,
    }
}

#![no_main]
//! Key-config parsing (flag string, TOML, the server's env pair): never panics, and no error
//! message contains any 8-character window of a secret in the input, wherever the secret was
//! written (where the id belongs, swapped with the id, as the active key, as a TOML key name).

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use sandgate::SigningKeys;

#[derive(Arbitrary, Debug)]
enum Place {
    Normal,
    SecretAsId,
    NoId,
    NoEquals,
    Swapped,
    Spaces,
    SecretAsTomlKeyName,
}

#[derive(Arbitrary, Debug)]
struct Entry {
    id: String,
    secret: Vec<u8>,
    place: Place,
}

#[derive(Arbitrary, Debug)]
enum Active {
    None,
    Id(String),
    /// The secret of entry n (mod the number of entries) as the active key.
    Secret(u8),
}

#[derive(Arbitrary, Debug)]
struct Config<'a> {
    entries: Vec<Entry>,
    active: Active,
    trailing_comma: bool,
    raw: &'a str,
}

/// The secret text of an entry: standard base64 of at least 6 bytes (8 characters or more).
fn secret_text(bytes: &[u8]) -> String {
    let mut b = bytes.to_vec();
    while b.len() < 6 {
        b.push(0xa5 ^ b.len() as u8);
    }
    STANDARD.encode(b)
}

/// The fixed words of messages a window may coincide with: the environment variable names.
const VOCABULARY: &str = "OPENSANDBOX_SECURE_ACCESS_KEYS OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY";

/// The first 8-character window of `secret` found in `message`. Windows that could be text of
/// the message itself are skipped: all-lowercase ones (English words) and pieces of the
/// variable names.
fn leaks(message: &str, secret: &str) -> Option<String> {
    let chars: Vec<char> = secret.chars().collect();
    chars
        .windows(8)
        .map(|w| w.iter().collect::<String>())
        .filter(|w| w.chars().any(|c| !c.is_ascii_lowercase()) && !VOCABULARY.contains(w.as_str()))
        .find(|w| message.contains(w.as_str()))
}

fn flag_entry(e: &Entry, secret: &str) -> String {
    match e.place {
        Place::Normal | Place::SecretAsTomlKeyName => format!("{}={secret}", e.id),
        Place::SecretAsId | Place::NoEquals => secret.to_owned(),
        Place::NoId => format!("={secret}"),
        Place::Swapped => format!("{secret}={}", e.id),
        Place::Spaces => format!(" {} = {secret} ", e.id),
    }
}

fn toml_entry(e: &Entry, secret: &str) -> String {
    let t = "[[ingress.secure_access.keys]]\n";
    match e.place {
        Place::Normal | Place::Spaces => format!("{t}key_id = \"{}\"\nkey = \"{secret}\"\n", e.id),
        Place::SecretAsId => format!("{t}key_id = \"{secret}\"\n"),
        Place::NoId => format!("{t}key = \"{secret}\"\n"),
        Place::NoEquals => format!("{t}key_id \"{}\"\nkey = \"{secret}\"\n", e.id),
        Place::Swapped => format!("{t}key_id = \"{secret}\"\nkey = \"{}\"\n", e.id),
        Place::SecretAsTomlKeyName => {
            let name = secret.trim_end_matches('=').replace(['+', '/'], "_");
            format!("{name} = 1\n{name} = 2\n")
        }
    }
}

fuzz_target!(|c: Config| {
    // Raw text: never panics, every error is invalid_config.
    for result in [SigningKeys::from_flag(c.raw), SigningKeys::from_toml(c.raw)] {
        match result {
            Ok(keys) => assert!(keys.len() <= 36),
            Err(e) => assert_eq!(e.kind(), sandgate::ErrorKind::InvalidConfig),
        }
    }

    let secrets: Vec<String> = c.entries.iter().map(|e| secret_text(&e.secret)).collect();
    let active = match &c.active {
        Active::None => None,
        Active::Id(id) => Some(id.clone()),
        Active::Secret(n) if !secrets.is_empty() => {
            Some(secrets[usize::from(*n) % secrets.len()].clone())
        }
        Active::Secret(_) => None,
    };
    let mut flag: Vec<String> = c
        .entries
        .iter()
        .zip(&secrets)
        .map(|(e, s)| flag_entry(e, s))
        .collect();
    if c.trailing_comma {
        flag.push(String::new());
    }
    let flag = flag.join(",");
    let mut toml = String::from("[ingress.secure_access]\n");
    if let Some(a) = &active {
        toml.push_str(&format!("active_key = \"{a}\"\n"));
    }
    for (e, s) in c.entries.iter().zip(&secrets) {
        toml.push_str(&toml_entry(e, s));
    }
    let results = [
        SigningKeys::from_flag(&flag).map(Some),
        SigningKeys::from_toml(&toml).map(Some),
        SigningKeys::from_env_vars(Some(&flag), active.as_deref()),
        SigningKeys::from_env_map([
            ("OPENSANDBOX_SECURE_ACCESS_KEYS", flag.as_str()),
            ("OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY", active.as_deref().unwrap_or("")),
        ]),
    ];
    for result in results {
        match result {
            Ok(keys) => assert!(keys.map_or(0, |k| k.len()) <= 36),
            Err(e) => {
                assert_eq!(e.kind(), sandgate::ErrorKind::InvalidConfig);
                let shown = format!("{e} {e:?}");
                assert!(!e.message().contains('\n'), "{shown}");
                for s in &secrets {
                    if let Some(w) = leaks(&shown, s) {
                        panic!("an error quotes {w:?} of a secret: {shown}\nflag: {flag:?}\ntoml: {toml:?}");
                    }
                }
            }
        }
    }
});

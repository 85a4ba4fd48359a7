//! Canonical bytes, signatures and the signer (SPEC §1.2).

use super::b36::{encode_expires_b36, ExpiresB36};
use super::parse::RouteInfo;
use crate::error::{Error, Result};
use crate::keys::signing::SigningKeys;
use crate::secret::SecretBytes;
use sha2::{Digest, Sha256};
use std::fmt;

const CANONICAL_HEAD: &[u8] = b"v1\nshort\n";

/// Name of the header that carries a route token in header route mode.
pub const INGRESS_TO_HEADER: &str = "OpenSandbox-Ingress-To";
/// Name of the header that carries a sandbox's access token.
pub const SECURE_ACCESS_HEADER: &str = "OpenSandbox-Secure-Access";

fn canonical_len(sandbox_id: &str, port: &str, expires_b36: &str) -> usize {
    CANONICAL_HEAD.len() + sandbox_id.len() + port.len() + expires_b36.len() + 3
}

/// The canonical string `"v1\nshort\n{id}\n{port}\n{expires_b36}\n"` as bytes.
pub fn canonical_bytes(sandbox_id: &str, port: u16, expires_b36: &str) -> Vec<u8> {
    let mut p = itoa::Buffer::new();
    let port = p.format(port);
    let mut out = Vec::with_capacity(canonical_len(sandbox_id, port, expires_b36));
    out.extend_from_slice(CANONICAL_HEAD);
    for part in [sandbox_id, port, expires_b36] {
        out.extend_from_slice(part.as_bytes());
        out.push(b'\n');
    }
    out
}

/// The bytes that are hashed: `BE32(len(secret)) || secret || BE32(len(canonical)) || canonical`.
/// Exposed for benchmarks and cross-checks; signing itself streams them without allocating.
pub fn signing_input(secret: &[u8], sandbox_id: &str, port: u16, expires_b36: &str) -> Vec<u8> {
    let canonical = canonical_bytes(sandbox_id, port, expires_b36);
    let mut out = Vec::with_capacity(8 + secret.len() + canonical.len());
    out.extend_from_slice(&(secret.len() as u32).to_be_bytes());
    out.extend_from_slice(secret);
    out.extend_from_slice(&(canonical.len() as u32).to_be_bytes());
    out.extend_from_slice(&canonical);
    out
}

/// Signing inputs up to this size are assembled on the stack and hashed in one call, which
/// is markedly faster than feeding the hasher many small pieces; larger ones are streamed.
const STACK_INPUT: usize = 128;

/// SHA-256 of the signing input without allocating. Returns the first 8 lowercase hex
/// digits, the MAC part of the signature.
pub(crate) fn mac_hex(secret: &[u8], sandbox_id: &str, port: u16, expires_b36: &str) -> [u8; 8] {
    let mut p = itoa::Buffer::new();
    let port = p.format(port);
    let canonical_len = canonical_len(sandbox_id, port, expires_b36);
    let total = 8 + secret.len() + canonical_len;
    let digest = if total <= STACK_INPUT {
        let mut buf = [0u8; STACK_INPUT];
        let mut at = 0;
        let mut put = |part: &[u8]| {
            buf[at..at + part.len()].copy_from_slice(part);
            at += part.len();
        };
        put(&(secret.len() as u32).to_be_bytes());
        put(secret);
        put(&(canonical_len as u32).to_be_bytes());
        put(CANONICAL_HEAD);
        put(sandbox_id.as_bytes());
        put(b"\n");
        put(port.as_bytes());
        put(b"\n");
        put(expires_b36.as_bytes());
        put(b"\n");
        Sha256::digest(&buf[..total])
    } else {
        let mut h = Sha256::new();
        h.update((secret.len() as u32).to_be_bytes());
        h.update(secret);
        h.update((canonical_len as u32).to_be_bytes());
        h.update(CANONICAL_HEAD);
        for part in [sandbox_id, port, expires_b36] {
            h.update(part.as_bytes());
            h.update(b"\n");
        }
        h.finalize()
    };
    let mut out = [0u8; 8];
    // Cannot fail: 4 bytes always encode to 8 hex digits.
    let _ = hex::encode_to_slice(&digest[..4], &mut out);
    out
}

fn check_inputs(sandbox_id: &str, port: u16) -> Result<()> {
    if sandbox_id.is_empty() {
        return Err(Error::invalid_argument("sandbox id must not be empty"));
    }
    if port == 0 {
        return Err(Error::invalid_argument("port must be in 1..65535"));
    }
    if sandbox_id.len() > 1024 {
        return Err(Error::invalid_argument(
            "sandbox id is longer than 1024 bytes",
        ));
    }
    if sandbox_id
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || matches!(c, '/' | '.' | '?' | '#'))
    {
        return Err(Error::invalid_argument(
            "sandbox id must not contain whitespace, control characters, '/', '.', '?' or '#'",
        ));
    }
    Ok(())
}

/// The wildcard host `{token}.{base_domain}` of a route token. A leading `*.` or `.` on the base
/// domain is dropped (`*.sandbox.example.com` is upstream's gateway address form). The base
/// domain must be a DNS name — labels of `[A-Za-z0-9-]`, 1 to 63 characters, not starting
/// with `-`, at most 253 characters in all — optionally followed by `:port`; the token must be
/// one non-empty label without `.`, `/`, `:`, whitespace or control characters. Anything else
/// (spaces, `/`, CR/LF, an empty label) is an `invalid_argument` error, so no host header can
/// be forged from a bad configuration.
pub fn wildcard_host(token: &str, base_domain: &str) -> Result<String> {
    if token.is_empty()
        || token.chars().any(|c| {
            c.is_control() || c.is_whitespace() || matches!(c, '.' | '/' | ':' | '?' | '#' | '@')
        })
    {
        return Err(Error::invalid_argument(
            "a wildcard host needs a route token without '.', '/', ':', '?', '#', '@', whitespace or control characters",
        ));
    }
    let base = base_domain
        .strip_prefix("*.")
        .or_else(|| base_domain.strip_prefix('.'))
        .unwrap_or(base_domain);
    check_base_domain(base)?;
    Ok(format!("{token}.{base}"))
}

fn check_base_domain(base: &str) -> Result<()> {
    let (name, port) = match base.rsplit_once(':') {
        Some((n, p)) => (n, Some(p)),
        None => (base, None),
    };
    let label_ok = |l: &str| {
        (1..=63).contains(&l.len())
            && !l.starts_with('-')
            && l.bytes().all(|c| c.is_ascii_alphanumeric() || c == b'-')
    };
    let name_ok = !name.is_empty() && name.len() <= 253 && name.split('.').all(label_ok);
    let port_ok = port.map_or(true, |p| {
        !p.is_empty()
            && !p.starts_with('0')
            && p.len() <= 5
            && p.bytes().all(|c| c.is_ascii_digit())
            && p.parse::<u16>().is_ok()
    });
    if name_ok && port_ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(
            "base domain must be a DNS name (labels of [A-Za-z0-9-], 1 to 63 characters, not starting with '-'), optionally with :port",
        ))
    }
}

/// Signs routes with one key of a [`SigningKeys`] set.
#[derive(Clone)]
pub struct RouteSigner {
    key_id: char,
    secret: SecretBytes,
}

impl fmt::Debug for RouteSigner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteSigner")
            .field("key_id", &self.key_id)
            .field("secret", &"***")
            .finish()
    }
}

impl RouteSigner {
    /// A signer using `key_id`, or the set's active key when `key_id` is `None`.
    pub fn new(keys: &SigningKeys, key_id: Option<char>) -> Result<Self> {
        let id = key_id.or(keys.active_key_id()).ok_or_else(|| {
            Error::invalid_config("no key id given and the signing keys have no active key")
        })?;
        let secret = u8::try_from(id)
            .ok()
            .and_then(|b| keys.secret(b))
            .ok_or_else(|| {
                Error::invalid_config(format!("signing key \"{id}\" is not configured"))
            })?;
        Ok(RouteSigner {
            key_id: id,
            secret: secret.clone(),
        })
    }

    /// The key id this signer signs with.
    pub fn key_id(&self) -> char {
        self.key_id
    }

    /// Signs a route to `port` of `sandbox_id` that expires at `expires` (Unix seconds).
    pub fn sign(&self, sandbox_id: &str, port: u16, expires: u64) -> Result<SignedRoute> {
        check_inputs(sandbox_id, port)?;
        let b36 = encode_expires_b36(expires);
        let mac = mac_hex(self.secret.expose(), sandbox_id, port, b36.as_str());
        let mut signature = [0u8; 9];
        signature[..8].copy_from_slice(&mac);
        signature[8] = self.key_id as u8;
        Ok(SignedRoute {
            sandbox_id: sandbox_id.to_owned(),
            port,
            expires,
            b36,
            signature,
        })
    }

    /// Signs a route that expires `ttl` after `now` (Unix seconds).
    pub fn sign_for(
        &self,
        sandbox_id: &str,
        port: u16,
        ttl: std::time::Duration,
        now: u64,
    ) -> Result<SignedRoute> {
        let expires = now
            .checked_add(ttl.as_secs())
            .ok_or_else(|| Error::invalid_argument("now + ttl overflows u64 seconds"))?;
        self.sign(sandbox_id, port, expires)
    }
}

/// A signed route, rendering every form a gateway accepts (SPEC §1.4).
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRoute {
    sandbox_id: String,
    port: u16,
    expires: u64,
    b36: ExpiresB36,
    signature: [u8; 9],
}

impl fmt::Debug for SignedRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRoute")
            .field("token", &self.token())
            .field("expires", &self.expires)
            .finish()
    }
}

impl fmt::Display for SignedRoute {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.token())
    }
}

impl SignedRoute {
    /// The sandbox id.
    pub fn sandbox_id(&self) -> &str {
        &self.sandbox_id
    }
    /// The port.
    pub fn port(&self) -> u16 {
        self.port
    }
    /// Expiry in Unix seconds.
    pub fn expires(&self) -> u64 {
        self.expires
    }
    /// Expiry in base 36.
    pub fn expires_b36(&self) -> &str {
        self.b36.as_str()
    }
    /// The 9-character signature (8 hex digits and the key id).
    pub fn signature(&self) -> &str {
        std::str::from_utf8(&self.signature).unwrap_or_default()
    }
    /// The signing key id.
    pub fn key_id(&self) -> char {
        char::from(self.signature[8])
    }
    /// The route token `{sandbox_id}-{port}-{expires_b36}-{signature}`.
    pub fn token(&self) -> String {
        // Built by hand: this runs once per signed link and the formatting machinery costs
        // more than the hash.
        let mut p = itoa::Buffer::new();
        let port = p.format(self.port);
        let b36 = self.b36.as_str();
        let mut t = String::with_capacity(self.sandbox_id.len() + port.len() + b36.len() + 12);
        for (i, part) in [self.sandbox_id.as_str(), port, b36, self.signature()]
            .into_iter()
            .enumerate()
        {
            if i > 0 {
                t.push('-');
            }
            t.push_str(part);
        }
        t
    }
    /// The wildcard host `{token}.{base_domain}`, checked like [`wildcard_host`]: a base domain
    /// that is not a DNS name is an `invalid_argument` error.
    pub fn wildcard_host(&self, base_domain: &str) -> Result<String> {
        wildcard_host(&self.token(), base_domain)
    }
    /// The wildcard host `{token}.{base_domain}` **without** checking `base_domain`, for
    /// callers that validated it once up front (the mock server checks its base domain when it
    /// starts). Prefer [`SignedRoute::wildcard_host`].
    pub fn host(&self, base_domain: &str) -> String {
        format!("{}.{}", self.token(), base_domain.trim_start_matches('.'))
    }
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    pub fn uri_prefix(&self) -> String {
        format!(
            "/{}/{}/{}/{}",
            self.sandbox_id,
            self.port,
            self.b36,
            self.signature()
        )
    }
    /// The value of the `OpenSandbox-Ingress-To` header (the token).
    pub fn header_value(&self) -> String {
        self.token()
    }
    /// The owned route facts.
    pub fn info(&self) -> RouteInfo {
        RouteInfo {
            sandbox_id: self.sandbox_id.clone(),
            port: self.port,
            expires: Some(self.expires),
            key_id: Some(self.key_id()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    /// Regression (issue 15): any base domain used to be pasted verbatim into the host.
    #[test]
    fn wildcard_host_refuses_what_is_not_a_dns_name() {
        let t = "sbx-001-8080-x2qxvk-0ff8cd39a";
        for (base, want) in [
            ("example.com", "example.com"),
            (".sandbox.example.com", "sandbox.example.com"),
            ("*.sandbox.example.com", "sandbox.example.com"),
            ("localhost", "localhost"),
            ("gw.local:8443", "gw.local:8443"),
            ("127.0.0.1", "127.0.0.1"),
            ("a-b.c9", "a-b.c9"),
        ] {
            assert_eq!(wildcard_host(t, base).unwrap(), format!("{t}.{want}"));
        }
        for base in [
            "",
            ".",
            "example.com.",
            "exa mple.com",
            "example.com/evil",
            "example.com\r\nX-Injected: 1",
            "example.com\n",
            "-bad.com",
            "a..b",
            "under_score.com",
            "host:0",
            "host:65536",
            "host:080",
            "host:",
            "user@host",
            "*.*.example.com",
            &"a".repeat(64),
            &["abc"; 64].join("."),
        ] {
            let e = wildcard_host(t, base).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{base:?}");
            assert!(!e.message().contains('\n'));
        }
        for token in ["", "a.b", "a/b", "a b", "a\r\nb", "a:1"] {
            assert!(wildcard_host(token, "example.com").is_err(), "{token:?}");
        }
    }
}

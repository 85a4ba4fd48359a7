//! What the client returns and takes.

use crate::route::{RouteInfo, SECURE_ACCESS_HEADER};
use crate::secret::SecretString;
use std::collections::BTreeMap;
use std::fmt;

/// An endpoint of a sandbox port, as returned by GetEndpoint or GetSignedEndpoint.
#[derive(Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// The endpoint exactly as the server returned it (no scheme).
    pub endpoint: String,
    /// The endpoint as a URL: the client's protocol + `://` + endpoint, unless it had a scheme.
    pub url: String,
    /// Headers to send on every request to this endpoint.
    pub headers: BTreeMap<String, String>,
    /// For a signed endpoint, the route it carries (sandbox id, port, expires, key id).
    pub route: Option<RouteInfo>,
}

/// `headers` with every secret value (`OpenSandbox-Secure-Access`, a sandbox's access token,
/// and the API-key headers) replaced by `***`: safe to print.
pub fn redact_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let secret = [
                SECURE_ACCESS_HEADER,
                "OPEN-SANDBOX-API-KEY",
                "X-API-Key",
                "Authorization",
            ]
            .iter()
            .any(|h| k.eq_ignore_ascii_case(h));
            (k.clone(), if secret { "***".to_owned() } else { v.clone() })
        })
        .collect()
}

impl Endpoint {
    /// The headers with secret values replaced by `***` ([`redact_headers`]): safe to print.
    pub fn redacted_headers(&self) -> BTreeMap<String, String> {
        redact_headers(&self.headers)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("headers", &self.redacted_headers())
            .field("route", &self.route)
            .finish()
    }
}

/// A key just minted: the raw key is here, and only here, once.
#[derive(Clone)]
pub struct CreatedApiKey {
    /// The key id.
    pub id: String,
    /// The key's name.
    pub name: String,
    /// Display prefix (first 12 characters of the key).
    pub prefix: String,
    /// The raw key; prints `***`. Reveal it with [`SecretString::expose`].
    pub key: SecretString,
    /// Expiry as the server reported it (RFC 3339), if any.
    pub expires_at: Option<String>,
}

impl fmt::Debug for CreatedApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CreatedApiKey")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("prefix", &self.prefix)
            .field("key", &self.key)
            .field("expires_at", &self.expires_at)
            .finish()
    }
}

/// A key as listed: never its secret or hash.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ApiKeyInfo {
    /// The key id.
    pub id: String,
    /// The key's name.
    pub name: String,
    /// Display prefix.
    pub prefix: String,
    /// Creation time (RFC 3339).
    pub created_at: Option<String>,
    /// Expiry (RFC 3339), if any.
    pub expires_at: Option<String>,
    /// Whether the key was revoked.
    pub revoked: bool,
}

/// A sandbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sandbox {
    /// The sandbox id.
    pub id: String,
    /// The image URI.
    pub image: Option<String>,
    /// Lifecycle state (for example `Running`).
    pub state: String,
    /// Metadata, including the server-set `access.owner` for user-owned sandboxes.
    pub metadata: BTreeMap<String, String>,
    /// Whether the sandbox requires secure access.
    pub secure_access: bool,
    /// Creation time (RFC 3339).
    pub created_at: Option<String>,
    /// Expiry time (RFC 3339).
    pub expires_at: Option<String>,
}

/// A sandbox's new expiry, as RenewSandboxExpiration returns it.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SandboxRenewal {
    /// The new expiry exactly as the server returned it (RFC 3339).
    pub expires_at: String,
    /// The same instant in Unix seconds.
    pub expires: u64,
}

/// What to create.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CreateSandbox {
    /// Image URI (required).
    pub image: String,
    /// Require secure access (signed routes or the access token header).
    pub secure_access: bool,
    /// Metadata (`access.owner` is always set by the server, never taken from here).
    pub metadata: BTreeMap<String, String>,
    /// Lifetime in seconds; `None` leaves the server's default.
    pub timeout: Option<u64>,
}

impl CreateSandbox {
    /// A request for `image` with no secure access, no metadata and the default timeout.
    pub fn new(image: impl Into<String>) -> Self {
        CreateSandbox {
            image: image.into(),
            ..Default::default()
        }
    }
}

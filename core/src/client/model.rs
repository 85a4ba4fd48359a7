//! What the client returns and takes.

use crate::error::{Error, Result};
use crate::route::{RouteInfo, INGRESS_TO_HEADER, SECURE_ACCESS_HEADER};
use crate::secret::SecretString;
use crate::surface::Expiry;
use std::collections::BTreeMap;
use std::fmt;

/// The header that carries the lifecycle API key.
pub const API_KEY_HEADER: &str = "OPEN-SANDBOX-API-KEY";
/// The response header in which a server names an endpoint's origin (upstream #1877).
pub const ORIGIN_HEADER: &str = "OPEN-SANDBOX-ORIGIN";

/// How an endpoint is asked for: one explicit choice (SPEC §2.1, upstream #949).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointMode {
    /// The gateway's own endpoint, unsigned. Never carries the API key.
    Direct,
    /// Through the lifecycle server (`use_server_proxy=true`). Its headers carry the client's
    /// API key (`OPEN-SANDBOX-API-KEY`), because the server authenticates proxied requests.
    ServerProxy,
    /// A signed route (OSEP-0011) expiring at an instant or after a TTL counted on the
    /// server's clock. Never carries the API key.
    Signed(Expiry),
}

impl EndpointMode {
    /// The mode a caller gave as flat options: `server_proxy`, or an expiry as exactly one of
    /// `expires` (Unix seconds) and `ttl_seconds`, or neither (direct). A server-proxy
    /// endpoint cannot be signed.
    pub fn from_options(
        server_proxy: bool,
        expires: Option<u64>,
        ttl_seconds: Option<u64>,
    ) -> Result<Self> {
        match (server_proxy, expires, ttl_seconds) {
            (false, None, None) => Ok(EndpointMode::Direct),
            (true, None, None) => Ok(EndpointMode::ServerProxy),
            (true, _, _) => Err(Error::invalid_argument(
                "a server-proxy endpoint cannot be signed: give server_proxy or an expiry, not both",
            )),
            (false, e, t) => Ok(EndpointMode::Signed(Expiry::from_options(e, t)?)),
        }
    }

    /// What kind of endpoint this mode gives.
    pub const fn kind(self) -> EndpointKind {
        match self {
            EndpointMode::Direct => EndpointKind::Direct,
            EndpointMode::ServerProxy => EndpointKind::ServerProxy,
            EndpointMode::Signed(_) => EndpointKind::Signed,
        }
    }
}

/// What kind of endpoint an [`Endpoint`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EndpointKind {
    /// Direct (unsigned).
    Direct,
    /// Through the lifecycle server.
    ServerProxy,
    /// A signed route.
    Signed,
}

impl EndpointKind {
    /// Every kind, in table order.
    pub const ALL: [EndpointKind; 3] = [
        EndpointKind::Direct,
        EndpointKind::ServerProxy,
        EndpointKind::Signed,
    ];

    /// The stable code: `direct`, `server_proxy`, `signed`.
    pub const fn code(self) -> &'static str {
        match self {
            EndpointKind::Direct => "direct",
            EndpointKind::ServerProxy => "server_proxy",
            EndpointKind::Signed => "signed",
        }
    }
}

/// An endpoint of a sandbox port, as returned by [`Client::endpoint`](super::Client::endpoint).
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
    /// The server's `OPEN-SANDBOX-ORIGIN` for this endpoint, when it sent one.
    pub origin: Option<String>,
    /// Direct, server-proxy or signed.
    pub kind: EndpointKind,
}

/// `url` + `path` when an endpoint needs nothing a URL cannot carry; else the
/// `invalid_argument` error that says what must travel in a header. `path` is empty or starts
/// with `/` (a query may follow), with no whitespace or control characters.
pub fn shareable_url(
    url: &str,
    kind: EndpointKind,
    headers: &BTreeMap<String, String>,
    path: &str,
) -> Result<String> {
    if !(path.is_empty() || path.starts_with('/'))
        || path.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(Error::invalid_argument(
            "path must be empty or start with '/', without spaces or control characters",
        ));
    }
    let has = |name: &str| headers.keys().any(|k| k.eq_ignore_ascii_case(name));
    let refusal = if kind == EndpointKind::ServerProxy {
        Some("a server-proxy endpoint goes through the lifecycle server, which takes the API key in a header; share a signed endpoint instead".to_owned())
    } else if has(SECURE_ACCESS_HEADER) {
        Some(format!("this endpoint needs the sandbox's access token in the {SECURE_ACCESS_HEADER} header; share a signed endpoint instead"))
    } else if has(INGRESS_TO_HEADER) {
        Some(format!("the gateway is in header mode: the route travels in the {INGRESS_TO_HEADER} header; only wildcard and uri mode endpoints fit in a URL"))
    } else if !headers.is_empty() {
        let names: Vec<&str> = headers.keys().map(String::as_str).collect();
        Some(format!(
            "this endpoint needs headers ({}) that a URL cannot carry",
            names.join(", ")
        ))
    } else {
        None
    };
    match refusal {
        Some(why) => Err(Error::invalid_argument(format!("no shareable URL: {why}"))),
        None => Ok(format!("{}{path}", url.trim_end_matches('/'))),
    }
}

/// `headers` with every secret value (`OpenSandbox-Secure-Access`, a sandbox's access token,
/// and the API-key headers) replaced by `***`: safe to print.
pub fn redact_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    headers
        .iter()
        .map(|(k, v)| {
            let secret = [
                SECURE_ACCESS_HEADER,
                API_KEY_HEADER,
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

    /// A URL that carries everything a request to `path` on this endpoint needs, to hand to
    /// someone else: a signed endpoint in wildcard or uri route mode (the token is in the
    /// host or the path), or an open sandbox's endpoint without headers. Where a credential
    /// or the route must travel in a header (header route mode, `OpenSandbox-Secure-Access`,
    /// a server-proxy endpoint) it is an `invalid_argument` error saying so.
    pub fn shareable_url(&self, path: &str) -> Result<String> {
        shareable_url(&self.url, self.kind, &self.headers, path)
    }
}

impl fmt::Debug for Endpoint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Endpoint")
            .field("url", &self.url)
            .field("headers", &self.redacted_headers())
            .field("route", &self.route)
            .field("origin", &self.origin)
            .field("kind", &self.kind)
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

//! The verifier and the full access decision (SPEC §1.5).

use super::parse::{parse_header, parse_host, parse_path, parse_token, ParsedRoute, SignedPart};
use super::sign::mac_hex;
use crate::error::{Denial, DenyReason};
use crate::keys::signing::SigningKeys;
use arc_swap::ArcSwap;
use std::fmt;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Whether a sandbox requires secure access, and with which access token.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum SandboxPolicy<'a> {
    /// The sandbox does not require secure access: every well-formed route is allowed.
    Open,
    /// The sandbox requires a valid signed route or its access token in
    /// `OpenSandbox-Secure-Access`.
    Secure {
        /// The sandbox's access token.
        access_token: &'a str,
    },
}

impl fmt::Debug for SandboxPolicy<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SandboxPolicy::Open => f.write_str("Open"),
            SandboxPolicy::Secure { .. } => f.write_str("Secure { access_token: *** }"),
        }
    }
}

/// The deprecated route header upstream gateways still read after `OpenSandbox-Ingress-To`.
pub const INGRESS_LEGACY_HEADER: &str = "OPEN-SANDBOX-INGRESS";
/// The renew-on-access intent header (OSEP-0009); a gateway never forwards it.
pub const ACCESS_RENEW_HEADER: &str = "OpenSandbox-Access-Renew";
/// The headers a gateway removes before forwarding an allowed request (SPEC §1.4).
pub const GATEWAY_STRIPPED_HEADERS: [&str; 4] = [
    super::sign::INGRESS_TO_HEADER,
    INGRESS_LEGACY_HEADER,
    super::sign::SECURE_ACCESS_HEADER,
    ACCESS_RENEW_HEADER,
];

/// Where a gateway takes the route from (SPEC §1.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RouteSource {
    /// The first non-empty of `ingress_to`, `ingress_legacy` and `host`; when all are absent
    /// or empty, the path (uri mode). For tools that do not know the gateway's mode.
    #[default]
    Auto,
    /// A header or wildcard gateway: the first non-empty of `ingress_to`, `ingress_legacy`
    /// and `host`; none of them is malformed (400). The path is only the upstream path.
    Headers,
    /// A uri gateway: the path only; the ingress headers and `host` are ignored.
    Path,
}

impl RouteSource {
    /// The stable code: `auto`, `headers`, `path`.
    pub const fn code(self) -> &'static str {
        match self {
            RouteSource::Auto => "auto",
            RouteSource::Headers => "headers",
            RouteSource::Path => "path",
        }
    }
}

/// The parts of a gateway request that the access decision reads.
///
/// The route is taken (SPEC §1.4) from the first **non-empty** of `ingress_to` (the
/// `OpenSandbox-Ingress-To` header), `ingress_legacy` (the deprecated `OPEN-SANDBOX-INGRESS`)
/// and `host`; in uri mode from `path`. [`source`](Self::source) says which a gateway
/// reads; the default, [`RouteSource::Auto`], falls back to the path when no header names a
/// route. Build it with `..Default::default()` so new fields keep old code compiling.
#[derive(Clone, Copy, Default)]
pub struct AccessRequest<'a> {
    /// `OpenSandbox-Ingress-To` header value.
    pub ingress_to: Option<&'a str>,
    /// `Host` header value.
    pub host: Option<&'a str>,
    /// Request target as received: path and query (`/p?q`), still percent-encoded.
    pub path: Option<&'a str>,
    /// `OpenSandbox-Secure-Access` header value; `Some("")` counts as present.
    pub secure_access: Option<&'a str>,
    /// The deprecated `OPEN-SANDBOX-INGRESS` header value (read after `ingress_to`).
    pub ingress_legacy: Option<&'a str>,
    /// Which parts name the route (the gateway's mode).
    pub source: RouteSource,
    /// The request carried more than one `Host` header: malformed (400).
    pub duplicate_host: bool,
}

impl fmt::Debug for AccessRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessRequest")
            .field("ingress_to", &self.ingress_to)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("secure_access", &self.secure_access.map(|_| "***"))
            .field("ingress_legacy", &self.ingress_legacy)
            .field("source", &self.source)
            .field("duplicate_host", &self.duplicate_host)
            .finish()
    }
}

/// The body a gateway answers a denial with (`text/plain`, SPEC §1.4):
/// `OpenSandbox Ingress: access denied (<reason>): <detail>` and a newline.
pub fn gateway_denial_body(denial: &Denial) -> String {
    format!("OpenSandbox Ingress: {denial}\n")
}

/// How an allowed request was granted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Grant {
    /// The sandbox does not require secure access.
    Open,
    /// The `OpenSandbox-Secure-Access` header matched the sandbox's access token.
    Header,
    /// The signed route verified.
    Signature,
}

impl Grant {
    /// Every grant, in table order.
    pub const ALL: [Grant; 3] = [Grant::Open, Grant::Header, Grant::Signature];

    /// The stable code: `open`, `header`, `signature`.
    pub const fn code(self) -> &'static str {
        match self {
            Grant::Open => "open",
            Grant::Header => "header",
            Grant::Signature => "signature",
        }
    }
}

/// An allowed request: the route, how it was granted, and the upstream path and query to
/// forward (the uri-mode prefix removed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Access<'a> {
    /// The route.
    pub route: ParsedRoute<'a>,
    /// How access was granted.
    pub grant: Grant,
    /// The path to forward upstream (starts with `/`).
    pub path: &'a str,
    /// The query to forward unchanged, without `?`.
    pub query: Option<&'a str>,
}

/// Verifies signed routes against a set of signing keys that can be replaced while it runs.
///
/// **Live rotation.** [`replace_keys`](Self::replace_keys) swaps the whole key set atomically
/// (an [`arc_swap::ArcSwap`]): a verification already running finishes with the set it started
/// with, every later one sees the new set, and nothing is restarted. The verify path takes no
/// lock and allocates nothing (`core/tests/no_alloc.rs`); it reads the current set through
/// arc-swap's lock-free `load`.
///
/// **Clones share the key slot.** A clone is another handle on the same verifier: replacing
/// the keys through any clone is seen by all of them, so a gateway can hand clones to its
/// workers and rotate once. For an independent verifier, build a new one from a snapshot:
/// `RouteVerifier::new(verifier.keys())`.
#[derive(Clone)]
pub struct RouteVerifier {
    keys: Arc<ArcSwap<SigningKeys>>,
}

impl fmt::Debug for RouteVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RouteVerifier")
            .field("keys", &**self.keys.load())
            .finish()
    }
}

impl RouteVerifier {
    /// A verifier over `keys` (an empty set answers `not_configured`, 503).
    pub fn new(keys: SigningKeys) -> Self {
        RouteVerifier {
            keys: Arc::new(ArcSwap::from_pointee(keys)),
        }
    }

    /// A snapshot of the keys this verifier holds now (cheap: the set is reference-counted).
    pub fn keys(&self) -> SigningKeys {
        SigningKeys::clone(&self.keys.load())
    }

    /// Replaces the key set of this verifier and of every clone of it, atomically: later
    /// verifications use `keys`, one already running finishes with the old set. Returns the
    /// set it replaced.
    pub fn replace_keys(&self, keys: SigningKeys) -> SigningKeys {
        let old = self.keys.swap(Arc::new(keys));
        Arc::try_unwrap(old).unwrap_or_else(|shared| SigningKeys::clone(&shared))
    }

    /// Whether `self` and `other` share one key slot (one is a clone of the other).
    pub fn shares_keys_with(&self, other: &RouteVerifier) -> bool {
        Arc::ptr_eq(&self.keys, &other.keys)
    }

    /// Checks a signed route at `now` (Unix seconds): keys configured, then expiry
    /// (`now > expires` is expired), unknown key, signature (constant time).
    pub fn check_signature(&self, route: &ParsedRoute<'_>, now: u64) -> Result<(), Denial> {
        let Some(part) = route.signed else {
            return Err(Denial::new(
                DenyReason::CredentialRequired,
                "route is not signed and no access header was sent",
            ));
        };
        self.check_part(route, &part, now)
    }

    fn check_part(
        &self,
        route: &ParsedRoute<'_>,
        part: &SignedPart<'_>,
        now: u64,
    ) -> Result<(), Denial> {
        // One lock-free load per verification; the guard keeps this set alive until the end.
        let keys = self.keys.load();
        if keys.is_empty() {
            return Err(Denial::new(
                DenyReason::NotConfigured,
                "the verifier has no signing keys",
            ));
        }
        if now > part.expires {
            return Err(Denial::new(
                DenyReason::Expired,
                "the signed route has expired",
            ));
        }
        let secret = keys
            .secret(part.signature.as_bytes()[8])
            .ok_or(Denial::new(
                DenyReason::UnknownKey,
                "the signed route names an unknown key id",
            ))?;
        let expected = mac_hex(
            secret.expose(),
            route.sandbox_id,
            route.port,
            part.expires_b36,
        );
        let mut presented = [0u8; 8];
        presented.copy_from_slice(part.mac_hex().as_bytes());
        // Both sides as one u64: a single constant-time comparison.
        if bool::from(u64::from_ne_bytes(expected).ct_eq(&u64::from_ne_bytes(presented))) {
            Ok(())
        } else {
            Err(Denial::new(
                DenyReason::BadSignature,
                "the route signature does not match",
            ))
        }
    }

    /// Parses and verifies a signed route token at the system clock's now.
    pub fn verify<'a>(&self, token: &'a str) -> Result<ParsedRoute<'a>, Denial> {
        self.verify_at(token, crate::clock::now_unix())
    }

    /// Parses and verifies a signed route token at `now` (Unix seconds). A legacy token is
    /// denied with `credential_required`.
    pub fn verify_at<'a>(&self, token: &'a str, now: u64) -> Result<ParsedRoute<'a>, Denial> {
        let route = parse_token(token)?;
        self.check_signature(&route, now)?;
        Ok(route)
    }

    /// Parses the route out of a `Host` value and verifies it at `now`.
    pub fn verify_host<'a>(&self, host: &'a str, now: u64) -> Result<ParsedRoute<'a>, Denial> {
        let route = parse_host(host)?;
        self.check_signature(&route, now)?;
        Ok(route)
    }

    /// Parses a uri-mode path (signed prefix stripped) and verifies it at `now`. Returns the
    /// route with the upstream path and query.
    pub fn verify_path<'a>(&self, path: &'a str, now: u64) -> Result<Access<'a>, Denial> {
        let p = parse_path(path, true)?;
        self.check_signature(&p.route, now)?;
        Ok(Access {
            route: p.route,
            grant: Grant::Signature,
            path: p.path(),
            query: p.query,
        })
    }

    /// The full access decision of SPEC §1.5 for one gateway request at `now`.
    ///
    /// The route comes from the request's [`source`](AccessRequest::source) (SPEC §1.4):
    /// two `Host` headers, no route where one is required, a request target that is not a
    /// path, or an empty first uri segment (`//id/...`) are malformed. The upstream path keeps
    /// its escaping and always starts with `/`.
    ///
    /// `policy` is asked for the sandbox named by the route; `None` means the gateway does
    /// not know it (`unknown_sandbox`, 404). In order: malformed route → 400; open sandbox →
    /// allow; `OpenSandbox-Secure-Access` present (even empty) → its trimmed value must equal
    /// the access token (constant time), with no fallback to the signature; a signed route is
    /// checked by [`check_signature`](Self::check_signature); no credential → 401.
    pub fn decide<'a, 'p>(
        &self,
        req: &AccessRequest<'a>,
        policy: impl FnOnce(&str) -> Option<SandboxPolicy<'p>>,
        now: u64,
    ) -> Result<Access<'a>, Denial> {
        if req.duplicate_host {
            return Err(Denial::new(
                DenyReason::Malformed,
                "the request carries more than one Host header",
            ));
        }
        let from_headers = match req.source {
            RouteSource::Path => None,
            RouteSource::Auto | RouteSource::Headers => {
                if let Some(h) = non_empty(req.ingress_to).or(non_empty(req.ingress_legacy)) {
                    Some(parse_header(h)?)
                } else if let Some(h) = non_empty(req.host) {
                    Some(parse_host(h)?)
                } else {
                    None
                }
            }
        };
        let (mut route, mut path, mut query, uri_mode) = match (from_headers, req.source) {
            (Some(route), _) => {
                let (p, q) = upstream_target(req.path)?;
                (route, p, q, false)
            }
            (None, RouteSource::Headers) => {
                return Err(Denial::new(
                    DenyReason::Malformed,
                    "the request names no route: send OpenSandbox-Ingress-To or a Host whose first label is the route",
                ))
            }
            (None, _) => {
                let full = req.path.ok_or(Denial::new(
                    DenyReason::Malformed,
                    "the request carries no route",
                ))?;
                let p = parse_path(full, false)?;
                (p.route, p.path(), p.query, true)
            }
        };
        let policy = policy(route.sandbox_id).ok_or(Denial::new(
            DenyReason::UnknownSandbox,
            "no sandbox with this id",
        ))?;
        let access_token = match policy {
            SandboxPolicy::Open => {
                return Ok(Access {
                    route,
                    grant: Grant::Open,
                    path,
                    query,
                })
            }
            SandboxPolicy::Secure { access_token } => access_token,
        };
        if uri_mode {
            // A secure sandbox's uri route may carry the signed prefix: parse it again.
            let p = parse_path(req.path.unwrap_or_default(), true)?;
            (route, path, query) = (p.route, p.path(), p.query);
        }
        let grant = if let Some(header) = req.secure_access {
            // An empty access token never matches: a secure sandbox always has one.
            let matches = bool::from(header.trim().as_bytes().ct_eq(access_token.as_bytes()));
            if matches && !access_token.is_empty() {
                Grant::Header
            } else {
                return Err(Denial::new(
                    DenyReason::HeaderMismatch,
                    "OpenSandbox-Secure-Access does not match the sandbox's access token",
                ));
            }
        } else {
            self.check_signature(&route, now)?;
            Grant::Signature
        };
        Ok(Access {
            route,
            grant,
            path,
            query,
        })
    }
}

/// A header value that names something: present and not blank.
fn non_empty(v: Option<&str>) -> Option<&str> {
    v.filter(|s| !s.trim().is_empty())
}

/// The upstream path and query of a header or wildcard request: the target as received
/// (escaping kept), `/` when there is none; a target that is not an absolute path (`*`,
/// `abc`, `http://...`) is malformed.
fn upstream_target(target: Option<&str>) -> Result<(&str, Option<&str>), Denial> {
    let (p, q) = match target {
        None => ("", None),
        Some(t) => match t.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (t, None),
        },
    };
    if p.is_empty() {
        return Ok(("/", q));
    }
    if !p.starts_with('/') {
        return Err(Denial::new(
            DenyReason::Malformed,
            "the request target must be a path starting with '/'",
        ));
    }
    Ok((p, q))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_decide<'a>(req: &AccessRequest<'a>) -> Result<Access<'a>, Denial> {
        RouteVerifier::new(SigningKeys::empty()).decide(req, |_| Some(SandboxPolicy::Open), 0)
    }

    fn reason(r: Result<Access<'_>, Denial>) -> &'static str {
        r.map(|_| "allowed").unwrap_or_else(|d| d.reason().code())
    }

    #[test]
    fn route_sources_in_order_and_empty_values_fall_through() {
        let req = AccessRequest {
            ingress_to: Some(""),
            ingress_legacy: Some("legacy-81"),
            host: Some("host-82.example.com"),
            path: Some("/p"),
            source: RouteSource::Headers,
            ..Default::default()
        };
        assert_eq!(open_decide(&req).unwrap().route.sandbox_id, "legacy");
        let req = AccessRequest {
            ingress_legacy: Some("  "),
            ..req
        };
        assert_eq!(open_decide(&req).unwrap().route.port, 82);
        let req = AccessRequest {
            ingress_to: Some("first-80"),
            ..req
        };
        assert_eq!(open_decide(&req).unwrap().route.sandbox_id, "first");
    }

    #[test]
    fn header_mode_without_a_route_is_malformed_not_a_path_route() {
        let req = AccessRequest {
            path: Some("/abc/80/ping"),
            host: Some(""),
            source: RouteSource::Headers,
            ..Default::default()
        };
        assert_eq!(reason(open_decide(&req)), "malformed");
        // Auto (no mode known) still reads the path.
        let req = AccessRequest {
            source: RouteSource::Auto,
            ..req
        };
        assert_eq!(open_decide(&req).unwrap().path, "/ping");
    }

    #[test]
    fn uri_mode_ignores_headers_and_rejects_an_empty_first_segment() {
        let req = AccessRequest {
            ingress_to: Some("hdr-80"),
            ingress_legacy: Some("old-80"),
            host: Some("host-80.localhost"),
            path: Some("/abc/81/x%2Fy?q=%20"),
            source: RouteSource::Path,
            ..Default::default()
        };
        let a = open_decide(&req).unwrap();
        assert_eq!((a.route.sandbox_id, a.route.port), ("abc", 81));
        assert_eq!((a.path, a.query), ("/x%2Fy", Some("q=%20")));
        let req = AccessRequest {
            path: Some("//abc/81/ping"),
            ..req
        };
        assert_eq!(reason(open_decide(&req)), "malformed");
        let req = AccessRequest { path: None, ..req };
        assert_eq!(reason(open_decide(&req)), "malformed");
    }

    #[test]
    fn upstream_path_keeps_escaping_and_starts_with_a_slash() {
        let base = AccessRequest {
            ingress_to: Some("abc-80"),
            source: RouteSource::Headers,
            ..Default::default()
        };
        for (target, path, query) in [
            ("/a%2Fb/%2e%2e", "/a%2Fb/%2e%2e", None),
            ("?x=1", "/", Some("x=1")),
            ("", "/", None),
        ] {
            let req = AccessRequest {
                path: Some(target),
                ..base
            };
            let a = open_decide(&req).unwrap();
            assert_eq!((a.path, a.query), (path, query), "{target}");
        }
        assert_eq!(open_decide(&base).unwrap().path, "/");
        for bad in ["*", "abc", "http://x/y", "abc?q"] {
            let req = AccessRequest {
                path: Some(bad),
                ..base
            };
            assert_eq!(reason(open_decide(&req)), "malformed", "{bad}");
        }
    }

    #[test]
    fn two_host_headers_are_malformed_in_every_mode() {
        for source in [RouteSource::Auto, RouteSource::Headers, RouteSource::Path] {
            let req = AccessRequest {
                ingress_to: Some("abc-80"),
                path: Some("/abc/80/"),
                duplicate_host: true,
                source,
                ..Default::default()
            };
            assert_eq!(reason(open_decide(&req)), "malformed", "{source:?}");
        }
    }

    #[test]
    fn denial_body_is_the_upstream_shape() {
        let d = Denial::new(DenyReason::Expired, "the signed route has expired");
        assert_eq!(
            gateway_denial_body(&d),
            "OpenSandbox Ingress: access denied (expired): the signed route has expired\n"
        );
        assert!(GATEWAY_STRIPPED_HEADERS.contains(&"OPEN-SANDBOX-INGRESS"));
        assert!(GATEWAY_STRIPPED_HEADERS.contains(&"OpenSandbox-Access-Renew"));
    }
}

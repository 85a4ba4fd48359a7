//! The verifier and the full access decision (SPEC §1.5).

use super::parse::{parse_header, parse_host, parse_path, parse_token, ParsedRoute, SignedPart};
use super::sign::mac_hex;
use crate::error::{Denial, DenyReason};
use crate::keys::signing::SigningKeys;
use std::fmt;
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

/// The parts of a gateway request that the access decision reads.
///
/// The route is taken from `ingress_to` (the `OpenSandbox-Ingress-To` header) when present,
/// else from `host`, else from `path` (uri route mode). A gateway in uri mode leaves `host`
/// as `None`.
#[derive(Clone, Copy, Default)]
pub struct AccessRequest<'a> {
    /// `OpenSandbox-Ingress-To` header value.
    pub ingress_to: Option<&'a str>,
    /// `Host` header value.
    pub host: Option<&'a str>,
    /// Request path and query (`/p?q`).
    pub path: Option<&'a str>,
    /// `OpenSandbox-Secure-Access` header value; `Some("")` counts as present.
    pub secure_access: Option<&'a str>,
}

impl fmt::Debug for AccessRequest<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AccessRequest")
            .field("ingress_to", &self.ingress_to)
            .field("host", &self.host)
            .field("path", &self.path)
            .field("secure_access", &self.secure_access.map(|_| "***"))
            .finish()
    }
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

/// An access decision as owned data, for language packages and tools: the verdict, and for
/// an allowed request the route, how it was granted and the upstream path and query.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AccessDecision {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// The denial reason (denied requests).
    pub reason: Option<DenyReason>,
    /// The HTTP status a gateway answers: 200 when allowed.
    pub status: u16,
    /// A short explanation of a denial.
    pub detail: Option<&'static str>,
    /// How access was granted (allowed requests).
    pub grant: Option<Grant>,
    /// The route (allowed requests).
    pub route: Option<super::RouteInfo>,
    /// The upstream path (allowed requests).
    pub path: Option<String>,
    /// The upstream query, without `?` (allowed requests that had one).
    pub query: Option<String>,
}

impl AccessDecision {
    /// The denial as an [`ErrorKind::AccessDenied`](crate::ErrorKind) error; `None` when allowed.
    pub fn error(&self) -> Option<crate::Error> {
        match (self.reason, self.detail) {
            (Some(reason), Some(detail)) => Some(Denial::new(reason, detail).into()),
            _ => None,
        }
    }
}

/// Verifies signed routes against a set of signing keys.
#[derive(Clone, Debug)]
pub struct RouteVerifier {
    keys: SigningKeys,
}

impl RouteVerifier {
    /// A verifier over `keys` (an empty set answers `not_configured`, 503).
    pub fn new(keys: SigningKeys) -> Self {
        RouteVerifier { keys }
    }

    /// The keys this verifier holds.
    pub fn keys(&self) -> &SigningKeys {
        &self.keys
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
        if self.keys.is_empty() {
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
        let secret = self
            .keys
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
        let (mut route, mut path, mut query, uri_mode) = if let Some(h) = req.ingress_to {
            let (p, q) = split_query(req.path);
            (parse_header(h)?, p, q, false)
        } else if let Some(h) = req.host {
            let (p, q) = split_query(req.path);
            (parse_host(h)?, p, q, false)
        } else if let Some(full) = req.path {
            let p = parse_path(full, false)?;
            (p.route, p.path(), p.query, true)
        } else {
            return Err(Denial::new(
                DenyReason::Malformed,
                "the request carries no route",
            ));
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

impl RouteVerifier {
    /// [`decide`](Self::decide) for one sandbox whose policy applies to whatever id the route
    /// names: `access_token` `None` means the sandbox does not require secure access. Returns
    /// owned data; `now` defaults to the system clock.
    pub fn decision(
        &self,
        req: &AccessRequest<'_>,
        access_token: Option<&str>,
        now: Option<u64>,
    ) -> AccessDecision {
        let policy = match access_token {
            Some(t) => SandboxPolicy::Secure { access_token: t },
            None => SandboxPolicy::Open,
        };
        match self.decide(
            req,
            |_| Some(policy),
            now.unwrap_or_else(crate::clock::now_unix),
        ) {
            Ok(a) => AccessDecision {
                allowed: true,
                reason: None,
                status: 200,
                detail: None,
                grant: Some(a.grant),
                route: Some(a.route.to_info()),
                path: Some(a.path.to_owned()),
                query: a.query.map(str::to_owned),
            },
            Err(d) => AccessDecision {
                allowed: false,
                reason: Some(d.reason()),
                status: d.status(),
                detail: Some(d.detail()),
                grant: None,
                route: None,
                path: None,
                query: None,
            },
        }
    }
}

fn split_query(path: Option<&str>) -> (&str, Option<&str>) {
    match path {
        None | Some("") => ("/", None),
        Some(p) => match p.split_once('?') {
            Some((p, q)) => (if p.is_empty() { "/" } else { p }, Some(q)),
            None => (p, None),
        },
    }
}

//! Verification at the edge (SPEC §1.4, §1.5, §6): one gateway check that proxies,
//! authorizers and middleware share.
//!
//! A [`Gateway`] holds the route mode, the signing keys and a [`PolicySource`] (which
//! sandboxes require secure access, and their access tokens). Given a request's target, its
//! headers (through the small [`HeaderView`] trait) and its host, [`Gateway::check`] returns a
//! [`Verdict`]: either [`Allowed`] — the verified route, how access was granted, the upstream
//! path and query, and the headers to remove before forwarding ([`STRIPPED_HEADERS`]) — or a
//! [`Refusal`] carrying the exact answer (status, `text/plain` body
//! `OpenSandbox Ingress: ...`, `X-Sandgate-Reason`, and `Retry-After: 1` on every 503).
//!
//! The decision itself is [`RouteVerifier::decide`]; this module only gathers the request's
//! parts, asks the policy source and shapes the answer.
//!
//! ```
//! use sandgate::gateway::{Gateway, PolicyTable, RequestParts, RouteMode, Verdict};
//! use sandgate::SigningKeys;
//! let policy = PolicyTable::from_json(r#"{"sandboxes": {"sbx-001": {"secure": false}}}"#)?;
//! let gateway = Gateway::new(RouteMode::Header, SigningKeys::empty(), policy);
//! let headers = [("OpenSandbox-Ingress-To", "sbx-001-8080"), ("Host", "gw.example.com")];
//! let verdict = gateway.check_now(&RequestParts::new("/ping?x=1", &headers));
//! match verdict {
//!     Verdict::Allow(a) => assert_eq!((a.port, a.upstream_target().as_str()), (8080, "/ping?x=1")),
//!     Verdict::Deny(r) => panic!("{}", r.body()),
//! }
//! # Ok::<(), sandgate::Error>(())
//! ```

pub mod authz;
mod headers;
#[cfg(feature = "tower")]
mod layer;
#[cfg(feature = "client")]
mod platform;
mod policy;

pub use headers::HeaderView;
#[cfg(feature = "tower")]
pub use layer::{GatewayLayer, GatewayService};
#[cfg(feature = "client")]
pub use platform::{PlatformPolicy, PlatformPolicyBuilder};
pub use policy::{
    FilePolicy, Lookup, PolicyAnswer, PolicyFuture, PolicySource, PolicyTable, SignatureOnly,
    UnknownDefault,
};

use crate::error::{Denial, DenyReason, Error};
use crate::keys::signing::SigningKeys;
use crate::route::{
    AccessRequest, Grant, RouteInfo, RouteSource, RouteVerifier, SandboxPolicy,
    GATEWAY_STRIPPED_HEADERS,
};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// The headers a gateway removes before forwarding an allowed request (SPEC §1.4), as written
/// in the SPEC; compare names ASCII case-insensitively.
pub const STRIPPED_HEADERS: [&str; 4] = GATEWAY_STRIPPED_HEADERS;

/// The response header that carries a denial's machine-readable reason.
pub const REASON_HEADER: &str = "X-Sandgate-Reason";

/// How a gateway expects the route (SPEC §1.4).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum RouteMode {
    /// `endpoint = {gateway}`, route in header `OpenSandbox-Ingress-To`.
    #[default]
    Header,
    /// `endpoint = {token}.{base_domain}:{port}`, route in the first label of `Host`.
    Wildcard,
    /// `endpoint = {gateway}/{id}/{port}/{expires_b36}/{signature}`, route in the path.
    Uri,
}

impl RouteMode {
    /// `header`, `wildcard` or `uri`.
    pub fn as_str(self) -> &'static str {
        match self {
            RouteMode::Header => "header",
            RouteMode::Wildcard => "wildcard",
            RouteMode::Uri => "uri",
        }
    }

    /// Where a gateway in this mode reads the route: header and wildcard gateways read the
    /// ingress headers, then `Host`; a uri gateway reads the path only.
    pub fn source(self) -> RouteSource {
        match self {
            RouteMode::Header | RouteMode::Wildcard => RouteSource::Headers,
            RouteMode::Uri => RouteSource::Path,
        }
    }
}

impl FromStr for RouteMode {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self, Error> {
        match s.trim().to_ascii_lowercase().as_str() {
            "header" => Ok(RouteMode::Header),
            "wildcard" | "host" => Ok(RouteMode::Wildcard),
            "uri" | "path" => Ok(RouteMode::Uri),
            other => Err(Error::invalid_config(format!(
                "route mode must be header, wildcard or uri, not {other:?}"
            ))),
        }
    }
}

impl fmt::Display for RouteMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The parts of an incoming request the check reads.
#[derive(Clone, Copy)]
pub struct RequestParts<'a> {
    /// The request target as received: path and query, still percent-encoded (`/p?q`).
    pub target: Option<&'a str>,
    /// The request's headers.
    pub headers: &'a (dyn HeaderView + Sync),
    /// The header that names the host: `host` (default), or for an authorizer behind a proxy
    /// the header the proxy copies the original host into (`x-forwarded-host`). Lowercase.
    pub host_header: &'a str,
    /// The host when the request has no host header (an HTTP/2 `:authority`, or the
    /// authority of an absolute-form target).
    pub authority: Option<&'a str>,
}

impl<'a> RequestParts<'a> {
    /// A request with `target` (path and query as received) and `headers`; the host is read
    /// from the `Host` header.
    pub fn new(target: &'a str, headers: &'a (dyn HeaderView + Sync)) -> Self {
        RequestParts {
            target: Some(target),
            headers,
            host_header: "host",
            authority: None,
        }
    }

    /// The [`AccessRequest`] for a gateway in `mode`: header values that are not visible
    /// ASCII make the request malformed; more than one host value is malformed too, and so is a
    /// host with a comma (two values joined into one).
    pub fn access_request(&self, mode: RouteMode) -> Result<AccessRequest<'a>, Denial> {
        let h = self.headers;
        let host_count = h.count(self.host_header);
        let host = match text(h, self.host_header)? {
            Some(v) => Some(v),
            None if host_count == 0 => self.authority,
            None => None,
        };
        Ok(AccessRequest {
            ingress_to: text(h, "opensandbox-ingress-to")?,
            ingress_legacy: text(h, "open-sandbox-ingress")?,
            host,
            path: self.target,
            secure_access: text(h, "opensandbox-secure-access")?,
            source: mode.source(),
            // A comma never belongs in a host: it is two `Host` headers joined into one (as
            // WSGI servers and some proxies join repeated headers).
            duplicate_host: host_count > 1 || host.is_some_and(|h| h.contains(',')),
        })
    }
}

impl fmt::Debug for RequestParts<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RequestParts")
            .field("target", &self.target)
            .field("host_header", &self.host_header)
            .field("authority", &self.authority)
            .finish_non_exhaustive()
    }
}

/// The first value of header `name` as text; bytes outside visible ASCII (and tab) are
/// malformed, as they are for an HTTP library's "header value as string".
fn text<'a>(h: &'a dyn HeaderView, name: &str) -> Result<Option<&'a str>, Denial> {
    let Some(bytes) = h.first(name) else {
        return Ok(None);
    };
    if bytes
        .iter()
        .all(|&b| b == b'\t' || (0x20..0x7f).contains(&b))
    {
        // Visible ASCII is UTF-8.
        Ok(std::str::from_utf8(bytes).ok())
    } else {
        Err(Denial::new(
            DenyReason::Malformed,
            "a route or access header is not valid visible ASCII",
        ))
    }
}

/// An allowed request: what to forward and where.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Allowed {
    /// The sandbox the route names.
    pub sandbox_id: String,
    /// The sandbox port the route names.
    pub port: u16,
    /// How access was granted.
    pub grant: Grant,
    /// The route (expiry and key id for a signed route).
    pub route: RouteInfo,
    /// The path to forward (escaping kept, starts with `/`; the uri-mode prefix removed).
    pub path: String,
    /// The query to forward unchanged, without `?`.
    pub query: Option<String>,
}

impl Allowed {
    /// The upstream request target: `path`, then `?query` when there is one.
    pub fn upstream_target(&self) -> String {
        match &self.query {
            Some(q) => format!("{}?{q}", self.path),
            None => self.path.clone(),
        }
    }

    /// The headers to remove before forwarding (SPEC §1.4).
    pub fn headers_to_strip(&self) -> &'static [&'static str] {
        &STRIPPED_HEADERS
    }
}

/// Why a gateway refused a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RefusalReason {
    /// The access decision denied it (SPEC §1.5).
    Access(DenyReason),
    /// Ours: the policy source could not say whether the sandbox requires secure access (the
    /// platform cannot be reached): 503, retry.
    PolicyUnavailable,
}

impl RefusalReason {
    /// The stable code: a [`DenyReason`] code, or `policy_unavailable`.
    pub const fn code(self) -> &'static str {
        match self {
            RefusalReason::Access(r) => r.code(),
            RefusalReason::PolicyUnavailable => "policy_unavailable",
        }
    }
}

/// A refused request and the exact answer a gateway gives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Refusal {
    reason: RefusalReason,
    detail: &'static str,
}

impl Refusal {
    /// The refusal for an access denial.
    pub const fn denied(d: Denial) -> Self {
        Refusal {
            reason: RefusalReason::Access(d.reason()),
            detail: d.detail(),
        }
    }

    /// The refusal while the policy source cannot answer.
    pub const fn policy_unavailable() -> Self {
        Refusal {
            reason: RefusalReason::PolicyUnavailable,
            detail: "cannot learn the sandbox's access policy from the platform now; retry",
        }
    }

    /// Why.
    pub const fn reason(&self) -> RefusalReason {
        self.reason
    }

    /// The stable reason code (the value of `X-Sandgate-Reason`).
    pub const fn reason_code(&self) -> &'static str {
        self.reason.code()
    }

    /// A short explanation (no secrets).
    pub const fn detail(&self) -> &'static str {
        self.detail
    }

    /// The status to answer: 400, 401, 404 or 503.
    pub const fn status(&self) -> u16 {
        match self.reason {
            RefusalReason::Access(r) => r.status(),
            RefusalReason::PolicyUnavailable => 503,
        }
    }

    /// `Retry-After: 1` on every 503.
    pub const fn retry_after(&self) -> Option<&'static str> {
        if self.status() == 503 {
            Some("1")
        } else {
            None
        }
    }

    /// The `text/plain` body: `OpenSandbox Ingress: access denied (<reason>): <detail>` and a
    /// newline.
    pub fn body(&self) -> String {
        format!("OpenSandbox Ingress: {}\n", self.message())
    }

    /// The body's text without the `OpenSandbox Ingress: ` prefix and the newline.
    pub fn message(&self) -> String {
        format!("access denied ({}): {}", self.reason_code(), self.detail)
    }

    /// The response headers of the denial: `content-type`, `x-sandgate-reason`, and
    /// `retry-after` on a 503.
    pub fn headers(&self) -> Vec<(&'static str, &'static str)> {
        let mut h = vec![
            ("content-type", "text/plain; charset=utf-8"),
            ("x-sandgate-reason", self.reason_code()),
        ];
        if let Some(r) = self.retry_after() {
            h.push(("retry-after", r));
        }
        h
    }

    /// The denial as an [`Error`] of kind `access_denied` (`None` for `policy_unavailable`,
    /// which is not an access decision).
    pub fn error(&self) -> Option<Error> {
        match self.reason {
            RefusalReason::Access(r) => Some(Denial::new(r, self.detail).into()),
            RefusalReason::PolicyUnavailable => None,
        }
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message())
    }
}

/// The outcome of a gateway check.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Forward the request (after removing [`STRIPPED_HEADERS`]).
    Allow(Allowed),
    /// Answer the refusal.
    Deny(Refusal),
}

impl Verdict {
    /// The status a gateway answers a refusal with, 200 when allowed.
    pub fn status(&self) -> u16 {
        match self {
            Verdict::Allow(_) => 200,
            Verdict::Deny(r) => r.status(),
        }
    }
}

type ClockFn = dyn Fn() -> u64 + Send + Sync;

/// A gateway check: the route mode, the signing keys and the policy source.
#[derive(Clone)]
pub struct Gateway {
    mode: RouteMode,
    verifier: RouteVerifier,
    policy: Arc<dyn PolicySource>,
    clock: Option<Arc<ClockFn>>,
}

impl fmt::Debug for Gateway {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Gateway")
            .field("mode", &self.mode)
            .field("keys", &self.verifier.keys())
            .finish_non_exhaustive()
    }
}

impl Gateway {
    /// A gateway in `mode` verifying signed routes with `keys` (an empty set answers
    /// `not_configured`, 503, to signed routes of secure sandboxes) and asking `policy` which
    /// sandboxes require secure access.
    pub fn new(mode: RouteMode, keys: SigningKeys, policy: impl PolicySource) -> Self {
        Self::with_policy(mode, keys, Arc::new(policy))
    }

    /// [`new`](Self::new) with a shared policy source.
    pub fn with_policy(mode: RouteMode, keys: SigningKeys, policy: Arc<dyn PolicySource>) -> Self {
        Gateway {
            mode,
            verifier: RouteVerifier::new(keys),
            policy,
            clock: None,
        }
    }

    /// Signature-only: no policy at all, every sandbox requires a valid signed route, and the
    /// `OpenSandbox-Secure-Access` header grants nothing (it is still removed).
    pub fn signature_only(mode: RouteMode, keys: SigningKeys) -> Self {
        Self::new(mode, keys, SignatureOnly)
    }

    /// Verifies with `verifier` instead of a verifier of its own: clones of a
    /// [`RouteVerifier`] share one key slot, so a [`RouteVerifier::replace_keys`] on any of
    /// them (a mock's admin route, a key-file watcher) reaches this gateway from its next
    /// request on.
    pub fn with_verifier(mut self, verifier: RouteVerifier) -> Self {
        self.verifier = verifier;
        self
    }

    /// Takes a new key set without a restart (see [`RouteVerifier::replace_keys`]): requests
    /// already being checked finish with the old set, every later one uses `keys`. Returns the set it replaced.
    pub fn replace_keys(&self, keys: SigningKeys) -> SigningKeys {
        self.verifier.replace_keys(keys)
    }

    /// Reads "now" (Unix seconds) from `clock` instead of the system clock (a test clock, a
    /// mock's clock).
    pub fn with_clock(mut self, clock: impl Fn() -> u64 + Send + Sync + 'static) -> Self {
        self.clock = Some(Arc::new(clock));
        self
    }

    /// The route mode.
    pub fn mode(&self) -> RouteMode {
        self.mode
    }

    /// The verifier (its signing keys).
    pub fn verifier(&self) -> &RouteVerifier {
        &self.verifier
    }

    /// The policy source.
    pub fn policy(&self) -> &Arc<dyn PolicySource> {
        &self.policy
    }

    /// "Now" as the gateway sees it.
    pub fn now(&self) -> u64 {
        match &self.clock {
            Some(c) => c(),
            None => crate::clock::now_unix(),
        }
    }

    /// The verdict for a request, asking the policy source (which may wait, for example on
    /// the platform API).
    pub async fn check(&self, parts: &RequestParts<'_>) -> Verdict {
        let (req, sandbox, port) = match self.route_of(parts) {
            Ok(r) => r,
            Err(refusal) => return Verdict::Deny(refusal),
        };
        let answer = match self.policy.lookup(&sandbox, port) {
            Lookup::Ready(a) => a,
            Lookup::Pending(f) => f.await,
        };
        self.decide(&req, &answer)
    }

    /// The verdict when the policy source answers without waiting; a source that would wait
    /// makes this answer `policy_unavailable`. For synchronous callers over a file or
    /// in-memory policy.
    pub fn check_now(&self, parts: &RequestParts<'_>) -> Verdict {
        let (req, sandbox, port) = match self.route_of(parts) {
            Ok(r) => r,
            Err(refusal) => return Verdict::Deny(refusal),
        };
        match self.policy.lookup(&sandbox, port) {
            Lookup::Ready(a) => self.decide(&req, &a),
            Lookup::Pending(_) => Verdict::Deny(Refusal::policy_unavailable()),
        }
    }

    /// The verdict for a request whose sandbox policy the caller already knows.
    pub fn check_with(&self, parts: &RequestParts<'_>, answer: &PolicyAnswer) -> Verdict {
        match parts.access_request(self.mode) {
            Ok(req) => self.decide(&req, answer),
            Err(d) => Verdict::Deny(Refusal::denied(d)),
        }
    }

    /// The access request and the route's sandbox and port, or the refusal of a malformed
    /// request (the route is parsed as for an open sandbox: the id and port are the same
    /// either way).
    fn route_of<'a>(
        &self,
        parts: &RequestParts<'a>,
    ) -> Result<(AccessRequest<'a>, String, u16), Refusal> {
        let req = parts.access_request(self.mode).map_err(Refusal::denied)?;
        let access = self
            .verifier
            .decide(&req, |_| Some(SandboxPolicy::Open), 0)
            .map_err(Refusal::denied)?;
        let (id, port) = (access.route.sandbox_id.to_owned(), access.route.port);
        Ok((req, id, port))
    }

    fn decide(&self, req: &AccessRequest<'_>, answer: &PolicyAnswer) -> Verdict {
        let mut req = *req;
        let policy = match answer {
            PolicyAnswer::Unavailable => return Verdict::Deny(Refusal::policy_unavailable()),
            PolicyAnswer::Unknown => None,
            PolicyAnswer::Open => Some(SandboxPolicy::Open),
            PolicyAnswer::Secure(t) => Some(SandboxPolicy::Secure {
                access_token: t.expose(),
            }),
            PolicyAnswer::SignatureOnly => {
                // The header grants nothing here: only the signature is read.
                req.secure_access = None;
                Some(SandboxPolicy::Secure { access_token: "" })
            }
        };
        match self.verifier.decide(&req, |_| policy, self.now()) {
            Ok(a) => Verdict::Allow(Allowed {
                sandbox_id: a.route.sandbox_id.to_owned(),
                port: a.route.port,
                grant: a.grant,
                route: a.route.to_info(),
                path: a.path.to_owned(),
                query: a.query.map(str::to_owned),
            }),
            Err(d) => Verdict::Deny(Refusal::denied(d)),
        }
    }
}

/// Whether `name` is one of the headers a gateway removes (ASCII case-insensitive).
pub fn is_stripped_header(name: &str) -> bool {
    STRIPPED_HEADERS
        .iter()
        .any(|s| s.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests;

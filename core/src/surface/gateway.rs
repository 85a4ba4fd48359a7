//! The gateway check as every language's middleware sees it (SPEC §1.4, §1.5, §6): options in,
//! a flat verdict out. A middleware converts its framework's request into a target and a list
//! of header pairs, calls [`check_request`], and either forwards (after removing
//! `headers_to_strip`) or answers the refusal exactly as given (status, headers, body).

use super::RouteView;
use crate::error::{Error, Result};
use crate::gateway::{
    FilePolicy, Gateway, PolicySource, PolicyTable, RequestParts, RouteMode, SignatureOnly,
    Verdict, STRIPPED_HEADERS,
};
use crate::keys::signing::SigningKeys;
use std::path::PathBuf;
use std::sync::Arc;

/// Where a language's gateway learns which sandboxes require secure access.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PolicyOptions {
    /// No policy: every sandbox needs a valid signed route and the access-token header grants
    /// nothing (for gateways that only accept signed links).
    SignatureOnly,
    /// A policy document (JSON or TOML, the form of [`PolicyTable`]).
    Table(String),
    /// A policy file (JSON or TOML), re-read when it changes; a bad file keeps the last good
    /// policy.
    File(PathBuf),
}

impl PolicyOptions {
    /// The options a language gives as two optional values: at most one of `table` (the
    /// document) and `file` (a path); neither is signature-only.
    pub fn from_options(table: Option<String>, file: Option<String>) -> Result<Self> {
        match (table, file) {
            (None, None) => Ok(PolicyOptions::SignatureOnly),
            (Some(t), None) => Ok(PolicyOptions::Table(t)),
            (None, Some(f)) if !f.is_empty() => Ok(PolicyOptions::File(f.into())),
            (None, Some(_)) => Err(Error::invalid_config("policy file path must not be empty")),
            (Some(_), Some(_)) => Err(Error::invalid_config(
                "give at most one of policy (a document) and policy_file (a path)",
            )),
        }
    }
}

/// A gateway's options as flat values.
#[derive(Clone, Debug)]
pub struct GatewayOptions {
    /// `header`, `wildcard` or `uri` (SPEC §1.4).
    pub route_mode: String,
    /// The signing keys (an empty set answers `not_configured`, 503, to signed routes).
    pub keys: SigningKeys,
    /// The policy source.
    pub policy: PolicyOptions,
    /// A fixed "now" in Unix seconds (tests); `None` reads the system clock per request.
    pub now: Option<u64>,
}

/// Builds the gateway the options describe; a bad mode, policy document or file is an
/// `invalid_config` error that says what was wrong.
pub fn gateway(options: GatewayOptions) -> Result<Gateway> {
    let mode: RouteMode = options.route_mode.parse()?;
    let policy: Arc<dyn PolicySource> = match options.policy {
        PolicyOptions::SignatureOnly => Arc::new(SignatureOnly),
        PolicyOptions::Table(text) => Arc::new(PolicyTable::parse(&text)?),
        PolicyOptions::File(path) => Arc::new(FilePolicy::open(path)?),
    };
    let g = Gateway::with_policy(mode, options.keys, policy);
    Ok(match options.now {
        Some(n) => g.with_clock(move || n),
        None => g,
    })
}

/// A gateway verdict as flat values: what to forward, or exactly what to answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GatewayVerdict {
    /// Whether the request goes on to the sandbox.
    pub allowed: bool,
    /// The status: 200 when allowed, else 400, 401, 404 or 503.
    pub status: u16,
    /// The refusal's reason code (a deny reason, or `policy_unavailable`); `None` when allowed.
    pub reason: Option<&'static str>,
    /// How access was granted (`open`, `signature`, `header`); `None` when refused.
    pub grant: Option<&'static str>,
    /// The verified route; `None` when refused.
    pub route: Option<RouteView>,
    /// The target to forward: the path (escaping kept, uri-mode prefix removed) and `?query`;
    /// `None` when refused.
    pub upstream_target: Option<String>,
    /// Request headers to remove before forwarding (names as in the SPEC, compare
    /// case-insensitively).
    pub headers_to_strip: Vec<&'static str>,
    /// The refusal's response headers (`content-type`, `x-sandgate-reason`, `retry-after` on
    /// a 503); empty when allowed.
    pub response_headers: Vec<(&'static str, &'static str)>,
    /// The refusal's `text/plain` body (`OpenSandbox Ingress: ...`); empty when allowed.
    pub body: String,
    /// The refusal's message (the body without its prefix and newline); empty when allowed.
    pub message: String,
}

impl From<Verdict> for GatewayVerdict {
    fn from(v: Verdict) -> Self {
        match v {
            Verdict::Allow(a) => GatewayVerdict {
                allowed: true,
                status: 200,
                reason: None,
                grant: Some(a.grant.code()),
                upstream_target: Some(a.upstream_target()),
                route: Some(RouteView::from(a.route)),
                headers_to_strip: STRIPPED_HEADERS.to_vec(),
                response_headers: Vec::new(),
                body: String::new(),
                message: String::new(),
            },
            Verdict::Deny(r) => GatewayVerdict {
                allowed: false,
                status: r.status(),
                reason: Some(r.reason_code()),
                grant: None,
                route: None,
                upstream_target: None,
                headers_to_strip: STRIPPED_HEADERS.to_vec(),
                response_headers: r.headers(),
                body: r.body(),
                message: r.message(),
            },
        }
    }
}

/// Checks one request: its target as received (path and query, still percent-encoded) and its
/// headers as `(name, value)` pairs in arrival order (a repeated header is repeated). The host
/// is the `Host` pair. Never waits: the policy sources above answer at once.
pub fn check_request<K, V>(gateway: &Gateway, target: &str, headers: &[(K, V)]) -> GatewayVerdict
where
    K: AsRef<str> + Sync,
    V: AsRef<[u8]> + Sync,
{
    let view: &[(K, V)] = headers;
    GatewayVerdict::from(gateway.check_now(&RequestParts::new(target, &view)))
}

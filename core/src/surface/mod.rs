//! The binding surface: the flat, owned shape of every operation that a language package hands
//! to its users, decided once here (DESIGN "Core decides the shapes too").
//!
//! Every adapter (the C ABI, pyo3, napi, uniffi) maps these types one to one and decides
//! nothing: how an expiry is given ([`Expiry`]), how "now" defaults
//! ([`now_or_system`](crate::clock::now_or_system)), the port rule
//! ([`check_port`](crate::route::check_port)), the retry and client options
//! ([`RetryOptions`], [`ClientOptions`]), a signed route's parts ([`SignedRouteView`]), a
//! verified route ([`RouteView`]), the flattened access decision ([`Decision`]), an endpoint
//! with its redacted headers ([`EndpointView`]), and an error with its bare message and its
//! display ([`ErrorView`]). Async work crosses a boundary through [`spawn`] or [`run`], the
//! one place where cancellation becomes `cancelled` and a panic becomes `internal`.

#[cfg(feature = "client")]
mod client;
mod gateway;
#[cfg(feature = "client")]
mod task;

#[cfg(feature = "client")]
pub use crate::client::cache::Freshness;
#[cfg(feature = "client")]
pub use crate::client::retry::Verdict;
#[cfg(feature = "client")]
pub use crate::client::{EndpointKind, EndpointMode, OnRetry};
#[cfg(feature = "client")]
pub use client::{
    cache_decision, endpoint, get_signed_endpoint, renew_sandbox, retry_decision, CacheOptions,
    ClientOptions, EndpointView, RetryDecision, RetryEvent, RetryOptions, RetryQuery,
};
pub use gateway::{check_request, gateway, GatewayOptions, GatewayVerdict, PolicyOptions};
#[cfg(feature = "client")]
pub use task::{cancelled, panicked, run, spawn, CancelHandle};

use crate::clock::now_or_system;
use crate::error::{Denial, DenyReason, Error, ErrorKind, Result};
use crate::route::{
    check_port, parse_token, AccessRequest, Grant, ParsedRoute, RouteInfo, RouteSigner,
    RouteVerifier, SignedRoute,
};

// ---------------------------------------------------------------- expiry

/// When a signed route or a signed endpoint expires: at an instant, or a time after "now".
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Expiry {
    /// At this Unix second.
    At(u64),
    /// This many seconds (at least one) after "now".
    Ttl(u64),
}

impl Expiry {
    /// The expiry a caller gave as two optional values: exactly one of `expires` (Unix seconds)
    /// and `ttl_seconds` (at least 1) must be set.
    pub fn from_options(expires: Option<u64>, ttl_seconds: Option<u64>) -> Result<Self> {
        match (expires, ttl_seconds) {
            (Some(e), None) => Ok(Expiry::At(e)),
            (None, Some(t)) => Expiry::ttl(t),
            _ => Err(Error::invalid_argument(
                "give exactly one of expires (Unix seconds) and ttl (seconds)",
            )),
        }
    }

    /// A TTL of `seconds` (at least one).
    pub fn ttl(seconds: u64) -> Result<Self> {
        if seconds == 0 {
            return Err(Error::invalid_argument("ttl must be at least one second"));
        }
        Ok(Expiry::Ttl(seconds))
    }

    /// The Unix second this expiry names, with a TTL counted from `now`.
    pub fn resolve(self, now: u64) -> Result<u64> {
        match self {
            Expiry::At(e) => Ok(e),
            Expiry::Ttl(t) => now
                .checked_add(t)
                .ok_or_else(|| Error::invalid_argument("now + ttl overflows u64 seconds")),
        }
    }
}

// ---------------------------------------------------------------- routes

/// A route's facts as every language shows them: the key id is a one-character string.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteView {
    /// The sandbox id.
    pub sandbox_id: String,
    /// The port.
    pub port: u16,
    /// Expiry in Unix seconds (signed routes).
    pub expires: Option<u64>,
    /// The signing key id, one character (signed routes).
    pub key_id: Option<String>,
}

impl From<&ParsedRoute<'_>> for RouteView {
    fn from(r: &ParsedRoute<'_>) -> Self {
        RouteView {
            sandbox_id: r.sandbox_id.to_owned(),
            port: r.port,
            expires: r.signed.map(|s| s.expires),
            key_id: r.signed.map(|s| s.key_id().to_string()),
        }
    }
}

impl From<RouteInfo> for RouteView {
    fn from(r: RouteInfo) -> Self {
        RouteView {
            sandbox_id: r.sandbox_id,
            port: r.port,
            expires: r.expires,
            key_id: r.key_id.map(String::from),
        }
    }
}

/// Every part of a signed route, as plain data: a language keeps it without a native handle.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct SignedRouteView {
    /// The token `{sandbox_id}-{port}-{expires_b36}-{signature}` (also the header value).
    pub token: String,
    /// The sandbox id.
    pub sandbox_id: String,
    /// The port.
    pub port: u16,
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// Expiry in base 36.
    pub expires_b36: String,
    /// The 9-character signature.
    pub signature: String,
    /// The signing key id (one character).
    pub key_id: String,
    /// The uri-mode prefix `/{sandbox_id}/{port}/{expires_b36}/{signature}`.
    pub uri_prefix: String,
}

impl From<&SignedRoute> for SignedRouteView {
    fn from(r: &SignedRoute) -> Self {
        SignedRouteView {
            token: r.token(),
            sandbox_id: r.sandbox_id().to_owned(),
            port: r.port(),
            expires: r.expires(),
            expires_b36: r.expires_b36().to_owned(),
            signature: r.signature().to_owned(),
            key_id: r.key_id().to_string(),
            uri_prefix: r.uri_prefix(),
        }
    }
}

impl SignedRouteView {
    /// The wildcard host `{token}.{base_domain}`; a base domain that is not a DNS name is
    /// `invalid_argument` (core's `route::wildcard_host`).
    pub fn host(&self, base_domain: &str) -> Result<String> {
        crate::route::wildcard_host(&self.token, base_domain)
    }

    /// The route's facts.
    pub fn route(&self) -> RouteView {
        RouteView {
            sandbox_id: self.sandbox_id.clone(),
            port: self.port,
            expires: Some(self.expires),
            key_id: Some(self.key_id.clone()),
        }
    }
}

/// Signs a route to `port` (any integer; checked against 1..=65535) of `sandbox_id`, expiring
/// per `expiry` with a TTL counted from `now` (default: the system clock).
pub fn sign(
    signer: &RouteSigner,
    sandbox_id: &str,
    port: i64,
    expiry: Expiry,
    now: Option<u64>,
) -> Result<SignedRouteView> {
    let port = check_port(port)?;
    let expires = expiry.resolve(now_or_system(now))?;
    Ok(SignedRouteView::from(
        &signer.sign(sandbox_id, port, expires)?,
    ))
}

/// Where a route is read from when it is verified on its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum RouteForm {
    /// A route token, exactly as signed (no whitespace is trimmed; `decide` trims the header).
    Token,
    /// A `Host` value: the first DNS label, scheme and port stripped.
    Host,
    /// A uri-mode path `/{id}/{port}/{expires_b36}/{signature}[/rest][?query]`.
    Path,
}

impl RouteForm {
    /// Every form, in table order.
    pub const ALL: [RouteForm; 3] = [RouteForm::Token, RouteForm::Host, RouteForm::Path];

    /// The stable code: `token`, `host`, `path`.
    pub const fn code(self) -> &'static str {
        match self {
            RouteForm::Token => "token",
            RouteForm::Host => "host",
            RouteForm::Path => "path",
        }
    }

    /// The form whose code is `code`, or an `invalid_argument` error.
    pub fn from_code(code: &str) -> Result<Self> {
        Self::ALL
            .into_iter()
            .find(|f| f.code() == code)
            .ok_or_else(|| {
                Error::invalid_argument(format!(
                    "route form must be one of token, host, path; got {code:?}"
                ))
            })
    }
}

/// Verifies the signed route in `input` read as `form`, at `now` (default: the system clock).
/// Borrowed and allocation-free: the hot path of every language. A denial carries its reason.
pub fn verify<'a>(
    verifier: &RouteVerifier,
    form: RouteForm,
    input: &'a str,
    now: Option<u64>,
) -> std::result::Result<ParsedRoute<'a>, Denial> {
    let now = now_or_system(now);
    match form {
        RouteForm::Token => verifier.verify_at(input, now),
        RouteForm::Host => verifier.verify_host(input, now),
        RouteForm::Path => verifier.verify_path(input, now).map(|a| a.route),
    }
}

/// [`verify`] with an owned result and the denial as an `access_denied` [`Error`].
pub fn verify_owned(
    verifier: &RouteVerifier,
    form: RouteForm,
    input: &str,
    now: Option<u64>,
) -> Result<RouteView> {
    Ok(RouteView::from(&verify(verifier, form, input, now)?))
}

/// Parses a route token without verifying it (legacy or signed).
pub fn parse(token: &str) -> Result<RouteView> {
    Ok(RouteView::from(&parse_token(token)?))
}

// ---------------------------------------------------------------- decisions

/// An access decision (SPEC §1.5) flattened for every language: static codes, owned route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Decision {
    /// Whether the request is allowed.
    pub allowed: bool,
    /// The HTTP status a gateway answers: 200 when allowed.
    pub status: u16,
    /// The denial reason (denied requests).
    pub reason: Option<DenyReason>,
    /// A short explanation of a denial.
    pub detail: Option<&'static str>,
    /// How access was granted (allowed requests).
    pub grant: Option<Grant>,
    /// The route (allowed requests).
    pub route: Option<RouteView>,
    /// The upstream path, starting with `/` (allowed requests).
    pub path: Option<String>,
    /// The upstream query without `?` (allowed requests that had one).
    pub query: Option<String>,
}

impl Decision {
    /// The denial as an `access_denied` error; `None` when allowed.
    pub fn error(&self) -> Option<Error> {
        match (self.reason, self.detail) {
            (Some(reason), Some(detail)) => Some(Denial::new(reason, detail).into()),
            _ => None,
        }
    }

    /// `Ok(self)` when allowed, else the denial as an error: the decision→error helper.
    pub fn into_result(self) -> Result<Self> {
        match self.error() {
            Some(e) => Err(e),
            None => Ok(self),
        }
    }

    /// The reason's stable code, e.g. `expired`.
    pub fn reason_code(&self) -> Option<&'static str> {
        self.reason.map(DenyReason::code)
    }

    /// The grant's stable code: `open`, `header`, `signature`.
    pub fn grant_code(&self) -> Option<&'static str> {
        self.grant.map(Grant::code)
    }
}

/// The full decision for one request to one sandbox whose policy applies to whatever id the
/// route names: `access_token` `None` means the sandbox does not require secure access; `now`
/// defaults to the system clock.
pub fn decide(
    verifier: &RouteVerifier,
    request: &AccessRequest<'_>,
    access_token: Option<&str>,
    now: Option<u64>,
) -> Decision {
    let policy = match access_token {
        Some(t) => crate::route::SandboxPolicy::Secure { access_token: t },
        None => crate::route::SandboxPolicy::Open,
    };
    match verifier.decide(request, |_| Some(policy), now_or_system(now)) {
        Ok(a) => Decision {
            allowed: true,
            status: 200,
            reason: None,
            detail: None,
            grant: Some(a.grant),
            route: Some(RouteView::from(&a.route)),
            path: Some(a.path.to_owned()),
            query: a.query.map(str::to_owned),
        },
        Err(d) => Decision {
            allowed: false,
            status: d.status(),
            reason: Some(d.reason()),
            detail: Some(d.detail()),
            grant: None,
            route: None,
            path: None,
            query: None,
        },
    }
}

// ---------------------------------------------------------------- errors

/// An error as every language shows it: `message` is the bare text, `display` the full line
/// (`str()`, `toString()`, `Error()`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ErrorView {
    /// The kind.
    pub kind: ErrorKind,
    /// The bare message.
    pub message: String,
    /// The full human-readable line, e.g. `API error 404 SANDBOX::NOT_FOUND: ... (request id r1)`.
    pub display: String,
    /// The HTTP status, for API errors and denials.
    pub status: Option<u16>,
    /// The server's error code, for API errors.
    pub code: Option<String>,
    /// The server's request id, for API errors.
    pub request_id: Option<String>,
    /// The denial reason, for access denials.
    pub reason: Option<DenyReason>,
    /// Whether the client's retry policy retries this kind of failure
    /// ([`Error::is_retryable`]).
    pub retryable: bool,
    /// The server's `Retry-After` in milliseconds, uncapped ([`Error::retry_after`]).
    pub retry_after_ms: Option<u64>,
}

impl From<&Error> for ErrorView {
    fn from(e: &Error) -> Self {
        ErrorView {
            kind: e.kind(),
            message: e.message().to_owned(),
            display: e.to_string(),
            status: e.status(),
            code: e.code().map(str::to_owned),
            request_id: e.request_id().map(str::to_owned),
            reason: e.reason(),
            retryable: e.is_retryable(),
            retry_after_ms: e
                .retry_after()
                .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX)),
        }
    }
}

impl ErrorView {
    /// The kind's stable code.
    pub fn kind_code(&self) -> &'static str {
        self.kind.code()
    }

    /// The reason's stable code.
    pub fn reason_code(&self) -> Option<&'static str> {
        self.reason.map(DenyReason::code)
    }
}

/// Every error kind code, in table order: bindings compare their own tables against it.
pub fn error_kind_codes() -> Vec<&'static str> {
    ErrorKind::ALL.iter().map(|k| k.code()).collect()
}

/// Every denial reason code with its HTTP status, in table order.
pub fn deny_reasons() -> Vec<(&'static str, u16)> {
    DenyReason::ALL
        .iter()
        .map(|r| (r.code(), r.status()))
        .collect()
}

/// Every grant code, in table order.
pub fn grant_codes() -> Vec<&'static str> {
    Grant::ALL.iter().map(|g| g.code()).collect()
}

/// Every endpoint kind code (`direct`, `server_proxy`, `signed`), in table order.
#[cfg(feature = "client")]
pub fn endpoint_kind_codes() -> Vec<&'static str> {
    EndpointKind::ALL.iter().map(|k| k.code()).collect()
}

/// Every retry verdict code (`retry`, `not_retryable`, `exhausted`, `deadline`), in table order.
#[cfg(feature = "client")]
pub fn retry_verdict_codes() -> Vec<&'static str> {
    Verdict::ALL.iter().map(|v| v.code()).collect()
}

/// Every retry outcome code (`status`, `pre_send`, `post_send`, `timeout`), in table order:
/// what [`RetryQuery::outcome`] accepts.
#[cfg(feature = "client")]
pub fn retry_outcome_codes() -> Vec<&'static str> {
    ["status", "pre_send", "post_send", "timeout"].to_vec()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SigningKeys;

    #[test]
    fn expiry_rules() {
        assert_eq!(Expiry::from_options(Some(5), None).unwrap(), Expiry::At(5));
        assert_eq!(Expiry::from_options(None, Some(5)).unwrap(), Expiry::Ttl(5));
        for bad in [(None, None), (Some(1), Some(1)), (None, Some(0))] {
            let e = Expiry::from_options(bad.0, bad.1).unwrap_err();
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
        assert_eq!(Expiry::Ttl(10).resolve(100).unwrap(), 110);
        assert!(Expiry::Ttl(10).resolve(u64::MAX).is_err());
    }

    #[test]
    fn sign_verify_decide() {
        let keys = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
        let signer = RouteSigner::new(&keys, None)
            .unwrap_or_else(|_| RouteSigner::new(&keys, Some('a')).unwrap());
        let r = sign(&signer, "sbx-001", 8080, Expiry::At(2_000_000_000), None).unwrap();
        assert_eq!(r.token, "sbx-001-8080-x2qxvk-0ff8cd39a");
        assert_eq!(r.key_id, "a");
        assert!(sign(&signer, "sbx-001", 0, Expiry::At(1), None).is_err());
        assert!(sign(&signer, "sbx-001", 65536, Expiry::At(1), None).is_err());
        let v = RouteVerifier::new(keys);
        let route = verify_owned(&v, RouteForm::Token, &r.token, Some(1)).unwrap();
        assert_eq!(route, r.route());
        let host = r.host("example.com").unwrap();
        assert_eq!(
            verify_owned(&v, RouteForm::Host, &host, Some(1)).unwrap(),
            r.route()
        );
        let denied = verify_owned(&v, RouteForm::Token, &r.token, Some(2_000_000_001));
        assert_eq!(denied.unwrap_err().reason(), Some(DenyReason::Expired));
        let req = AccessRequest {
            ingress_to: Some(&r.token),
            ..Default::default()
        };
        let d = decide(&v, &req, Some("t"), Some(2_000_000_001));
        assert_eq!(
            (d.allowed, d.status, d.reason_code()),
            (false, 401, Some("expired"))
        );
        assert_eq!(d.clone().into_result().unwrap_err().status(), Some(401));
        let d = decide(&v, &req, Some("t"), Some(1));
        assert_eq!(d.grant_code(), Some("signature"));
        assert!(d.into_result().is_ok());
    }

    #[cfg(feature = "client")]
    #[test]
    fn client_code_tables() {
        assert_eq!(endpoint_kind_codes(), ["direct", "server_proxy", "signed"]);
        assert_eq!(
            retry_verdict_codes(),
            ["retry", "not_retryable", "exhausted", "deadline"]
        );
        for code in retry_outcome_codes() {
            let status = (code == "status").then_some(503);
            let o = crate::client::retry::Outcome::from_code(code, status).unwrap();
            assert_eq!(o.code(), code);
        }
    }

    #[test]
    fn error_view_has_bare_message_and_display() {
        let e = Error::api(404, Some("X".into()), "gone", Some("r1".into()));
        let v = ErrorView::from(&e);
        assert_eq!(v.message, "gone");
        assert_eq!(v.display, "API error 404 X: gone (request id r1)");
        assert_eq!(v.kind_code(), "api");
    }
}

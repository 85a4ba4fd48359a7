//! The one error type every layer of sandgate reports, with stable kind codes.

use std::fmt;

/// What went wrong, as a stable machine-readable category.
///
/// The string form returned by [`ErrorKind::code`] is part of the public contract of every
/// language package and never changes meaning. See `core/README.md` for the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// A caller-supplied value was rejected before any work was done.
    InvalidArgument,
    /// A configuration (signing keys, TOML, client settings) is invalid.
    InvalidConfig,
    /// A route or credential was denied; see [`Error::reason`] and [`Error::status`].
    AccessDenied,
    /// The server answered with an error status; see status, code and request id.
    Api,
    /// The request did not complete within its timeout.
    Timeout,
    /// The connection failed (refused, reset, TLS, DNS).
    Transport,
    /// The server's response could not be decoded.
    Decode,
    /// The caller cancelled the operation.
    Cancelled,
    /// A bug inside sandgate (for example a caught panic in a binding).
    Internal,
}

impl ErrorKind {
    /// Every kind, in table order.
    pub const ALL: [ErrorKind; 9] = [
        ErrorKind::InvalidArgument,
        ErrorKind::InvalidConfig,
        ErrorKind::AccessDenied,
        ErrorKind::Api,
        ErrorKind::Timeout,
        ErrorKind::Transport,
        ErrorKind::Decode,
        ErrorKind::Cancelled,
        ErrorKind::Internal,
    ];

    /// The stable snake_case code of this kind.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorKind::InvalidArgument => "invalid_argument",
            ErrorKind::InvalidConfig => "invalid_config",
            ErrorKind::AccessDenied => "access_denied",
            ErrorKind::Api => "api",
            ErrorKind::Timeout => "timeout",
            ErrorKind::Transport => "transport",
            ErrorKind::Decode => "decode",
            ErrorKind::Cancelled => "cancelled",
            ErrorKind::Internal => "internal",
        }
    }

    /// The kind whose [`code`](ErrorKind::code) is `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.code() == code)
    }
}

impl fmt::Display for ErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// Why an access decision (SPEC §1.5) denied a request.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum DenyReason {
    /// The route could not be parsed (400).
    Malformed,
    /// The signed route's expiry is in the past (401).
    Expired,
    /// The signed route names a key id the verifier does not hold (401).
    UnknownKey,
    /// The signature does not match (401).
    BadSignature,
    /// `OpenSandbox-Secure-Access` was sent but does not match the sandbox's token (401).
    HeaderMismatch,
    /// The sandbox requires secure access and no credential was presented (401).
    CredentialRequired,
    /// The verifier holds no signing keys (503).
    NotConfigured,
    /// Ours: the route names a sandbox the gateway does not know (404).
    UnknownSandbox,
}

impl DenyReason {
    /// Every reason, in table order.
    pub const ALL: [DenyReason; 8] = [
        DenyReason::Malformed,
        DenyReason::Expired,
        DenyReason::UnknownKey,
        DenyReason::BadSignature,
        DenyReason::HeaderMismatch,
        DenyReason::CredentialRequired,
        DenyReason::NotConfigured,
        DenyReason::UnknownSandbox,
    ];

    /// The stable snake_case code of this reason.
    pub const fn code(self) -> &'static str {
        match self {
            DenyReason::Malformed => "malformed",
            DenyReason::Expired => "expired",
            DenyReason::UnknownKey => "unknown_key",
            DenyReason::BadSignature => "bad_signature",
            DenyReason::HeaderMismatch => "header_mismatch",
            DenyReason::CredentialRequired => "credential_required",
            DenyReason::NotConfigured => "not_configured",
            DenyReason::UnknownSandbox => "unknown_sandbox",
        }
    }

    /// The HTTP status a gateway answers with for this reason.
    pub const fn status(self) -> u16 {
        match self {
            DenyReason::Malformed => 400,
            DenyReason::NotConfigured => 503,
            DenyReason::UnknownSandbox => 404,
            _ => 401,
        }
    }

    /// The reason whose [`code`](DenyReason::code) is `code`.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }
}

impl fmt::Display for DenyReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A denied access decision: the reason plus a short static explanation.
///
/// Cheap to create and copy (no allocation), so the verification hot path stays
/// allocation-free on both outcomes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Denial {
    reason: DenyReason,
    detail: &'static str,
}

impl Denial {
    /// A denial with a human-readable explanation.
    pub const fn new(reason: DenyReason, detail: &'static str) -> Self {
        Denial { reason, detail }
    }

    /// The machine-readable reason.
    pub const fn reason(&self) -> DenyReason {
        self.reason
    }

    /// The HTTP status for this denial.
    pub const fn status(&self) -> u16 {
        self.reason.status()
    }

    /// A short explanation for people.
    pub const fn detail(&self) -> &'static str {
        self.detail
    }
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "access denied ({}): {}", self.reason.code(), self.detail)
    }
}

impl std::error::Error for Denial {}

#[derive(Clone, Debug, PartialEq, Eq)]
struct Inner {
    kind: ErrorKind,
    message: String,
    status: Option<u16>,
    code: Option<String>,
    request_id: Option<String>,
    reason: Option<DenyReason>,
    retryable: bool,
    retry_after: Option<std::time::Duration>,
}

/// The error type of sandgate: a kind, a message, and where they apply an HTTP status,
/// the server's error code, the server's request id and a denial reason.
///
/// Messages never contain secrets.
#[derive(Clone, PartialEq, Eq)]
pub struct Error(Box<Inner>);

impl Error {
    /// An error of `kind` with `message`.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Self {
        Error(Box::new(Inner {
            kind,
            message: message.into(),
            status: None,
            code: None,
            request_id: None,
            reason: None,
            retryable: false,
            retry_after: None,
        }))
    }

    /// Shorthand for an [`ErrorKind::InvalidArgument`] error.
    pub fn invalid_argument(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidArgument, message)
    }

    /// Shorthand for an [`ErrorKind::InvalidConfig`] error.
    pub fn invalid_config(message: impl Into<String>) -> Self {
        Self::new(ErrorKind::InvalidConfig, message)
    }

    /// An [`ErrorKind::Api`] error as reported by a server.
    pub fn api(
        status: u16,
        code: Option<String>,
        message: impl Into<String>,
        request_id: Option<String>,
    ) -> Self {
        let mut e = Self::new(ErrorKind::Api, message);
        e.0.status = Some(status);
        e.0.code = code;
        e.0.request_id = request_id;
        e
    }

    /// Sets the HTTP status.
    pub fn with_status(mut self, status: u16) -> Self {
        self.0.status = Some(status);
        self
    }

    /// Sets the server request id.
    pub fn with_request_id(mut self, request_id: Option<String>) -> Self {
        self.0.request_id = request_id;
        self
    }

    /// Sets whether the client's retry policy retries this failure ([`is_retryable`](Self::is_retryable)).
    pub fn with_retryable(mut self, retryable: bool) -> Self {
        self.0.retryable = retryable;
        self
    }

    /// Sets the server's `Retry-After`, as a delay ([`retry_after`](Self::retry_after)).
    pub fn with_retry_after(mut self, retry_after: Option<std::time::Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    /// The category.
    pub fn kind(&self) -> ErrorKind {
        self.0.kind
    }

    /// The human-readable message (no secrets).
    pub fn message(&self) -> &str {
        &self.0.message
    }

    /// The HTTP status, for API errors and denials.
    pub fn status(&self) -> Option<u16> {
        self.0.status
    }

    /// The server's error code (for example `SANDBOX::NOT_FOUND`), for API errors.
    pub fn code(&self) -> Option<&str> {
        self.0.code.as_deref()
    }

    /// The server's `X-Request-ID`, when the server sent one.
    pub fn request_id(&self) -> Option<&str> {
        self.0.request_id.as_deref()
    }

    /// The denial reason, for [`ErrorKind::AccessDenied`].
    pub fn reason(&self) -> Option<DenyReason> {
        self.0.reason
    }

    /// Whether the client's retry policy retries this kind of failure for the request that
    /// met it (SPEC §2.1): a status in the method's retry set, a failure before anything was
    /// sent, or (idempotent methods) a connection failure or timeout after sending — with
    /// retries on (`max_retries > 0`). It does not depend on how many retries were left, so a
    /// `GET` that met 503 on its last attempt still says `true`; a `POST` that met 503 says
    /// `false` unless the caller opted in for 503. Errors no request produced say `false`.
    pub fn is_retryable(&self) -> bool {
        self.0.retryable
    }

    /// The delay the server asked for in `Retry-After` (delta-seconds or an HTTP-date), as it
    /// asked, before the client's 60 s cap: set on an answer that carried one (a 429 or 503).
    pub fn retry_after(&self) -> Option<std::time::Duration> {
        self.0.retry_after
    }
}

impl From<Denial> for Error {
    fn from(d: Denial) -> Self {
        let mut e = Error::new(ErrorKind::AccessDenied, d.detail);
        e.0.status = Some(d.status());
        e.0.reason = Some(d.reason());
        e
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Error");
        d.field("kind", &self.0.kind)
            .field("message", &self.0.message);
        if let Some(s) = self.0.status {
            d.field("status", &s);
        }
        if let Some(c) = &self.0.code {
            d.field("code", c);
        }
        if let Some(r) = &self.0.request_id {
            d.field("request_id", r);
        }
        if let Some(r) = self.0.reason {
            d.field("reason", &r);
        }
        if self.0.retryable {
            d.field("retryable", &true);
        }
        if let Some(r) = self.0.retry_after {
            d.field("retry_after", &r);
        }
        d.finish()
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0.kind {
            ErrorKind::AccessDenied => {
                let reason = self.0.reason.map(DenyReason::code).unwrap_or("denied");
                write!(f, "access denied ({reason}): {}", self.0.message)
            }
            ErrorKind::Api => {
                write!(f, "API error {}", self.0.status.unwrap_or(0))?;
                if let Some(c) = &self.0.code {
                    write!(f, " {c}")?;
                }
                write!(f, ": {}", self.0.message)?;
                if let Some(r) = &self.0.request_id {
                    write!(f, " (request id {r})")?;
                }
                Ok(())
            }
            kind => write!(f, "{}: {}", kind.code().replace('_', " "), self.0.message),
        }
    }
}

impl std::error::Error for Error {}

/// Shorthand for `Result<T, sandgate::Error>`.
pub type Result<T, E = Error> = std::result::Result<T, E>;

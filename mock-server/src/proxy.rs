//! The server proxy (SPEC §2, upstream #952/#1191/#1503):
//! `/v1/sandboxes/{id}/proxy/{port}/{path...}` (also without `/v1`) forwards any method and
//! body to the sandbox. It needs no API key (a single-tenant server), rejects `..` segments,
//! and for a secure sandbox requires `OpenSandbox-Secure-Access` equal to its access token
//! (constant time); signed route tokens are not accepted here.

use crate::http::{ApiError, MAX_BODY};
use crate::sandbox_app::{answer, read_body, Received};
use crate::state::SandboxState;
use crate::App;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use sandgate::route::SECURE_ACCESS_HEADER;
use std::sync::Arc;
use subtle::ConstantTimeEq;

/// Headers the proxy never forwards: credentials meant for the lifecycle server, and the
/// hop-by-hop headers of RFC 9110 §7.6.1.
const STRIPPED: [&str; 12] = [
    "authorization",
    "cookie",
    "open-sandbox-api-key",
    "opensandbox-secure-access",
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
];

/// Whether a raw path segment is `..`, escaped or not.
fn is_dot_dot(seg: &str) -> bool {
    let s = seg.to_ascii_lowercase();
    matches!(s.as_str(), ".." | "%2e%2e" | ".%2e" | "%2e.")
}

/// Splits the raw request path into (sandbox id, port text, upstream path).
fn split(path: &str) -> Option<(&str, &str, &str)> {
    let rest = path.strip_prefix("/v1").unwrap_or(path);
    let rest = rest.strip_prefix("/sandboxes/")?;
    let (id, rest) = rest.split_once('/')?;
    let rest = rest.strip_prefix("proxy/")?;
    let (port, upstream) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    Some((id, port, if upstream.is_empty() { "/" } else { upstream }))
}

fn secure_denied() -> Response {
    ApiError::new(
        StatusCode::UNAUTHORIZED,
        "MISSING_OR_INVALID_SECURE_ACCESS",
        "This sandbox requires the OpenSandbox-Secure-Access header for access.",
    )
    .into_response()
}

pub(crate) async fn handle(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let raw_path = parts.uri.path();
    let Some((id, port, upstream)) = split(raw_path) else {
        return ApiError::not_found("no such route").into_response();
    };
    let port = match crate::validate::port(port) {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    if upstream.split('/').any(is_dot_dot) {
        return ApiError::bad_request("the proxied path must not contain '..' segments")
            .into_response();
    }
    let now = app.store.now();
    let found = {
        let mut d = app.store.lock();
        d.purge_expired(now);
        d.sandboxes
            .get(id)
            .map(|s| (s.access_token.clone(), s.state))
    };
    let Some((token, state)) = found else {
        return ApiError::not_found(format!("sandbox {id:?} not found")).into_response();
    };
    if let Some(token) = token {
        let presented = parts
            .headers
            .get(SECURE_ACCESS_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(str::trim);
        let ok = presented.is_some_and(|p| {
            bool::from(p.as_bytes().ct_eq(token.expose().as_bytes())) && !token.expose().is_empty()
        });
        if !ok {
            return secure_denied();
        }
    }
    if state != SandboxState::Running {
        let mut r = ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SANDBOX::NOT_READY",
            format!("sandbox {id:?} is {}", state.name()),
        )
        .into_response();
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
        return r;
    }
    let body = match read_body(body, MAX_BODY).await {
        Ok(b) => b,
        Err(status) => {
            return ApiError::new(
                status,
                "SANDBOX::INVALID_PARAMETER",
                "cannot read the request body",
            )
            .into_response()
        }
    };
    // Headers named in `Connection` are hop-by-hop too.
    let named: Vec<String> = parts
        .headers
        .get_all("connection")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|t| t.trim().to_ascii_lowercase())
        .collect();
    let mut forwarded = HeaderMap::new();
    for (name, value) in &parts.headers {
        let n = name.as_str();
        if !STRIPPED.contains(&n) && !named.iter().any(|c| c == n) {
            forwarded.append(HeaderName::clone(name), value.clone());
        }
    }
    answer(&Received {
        sandbox_id: id,
        port,
        path: upstream,
        query: parts.uri.query(),
        method: parts.method.as_str(),
        headers: &forwarded,
        body: &body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_proxy_paths() {
        assert_eq!(
            split("/v1/sandboxes/a-b/proxy/8080/x/y"),
            Some(("a-b", "8080", "/x/y"))
        );
        assert_eq!(split("/sandboxes/a/proxy/80"), Some(("a", "80", "/")));
        assert_eq!(split("/sandboxes/a/proxy/80/"), Some(("a", "80", "/")));
        assert!(is_dot_dot("%2E%2e"));
        assert!(!is_dot_dot("..."));
    }
}

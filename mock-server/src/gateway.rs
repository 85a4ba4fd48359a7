//! The verifying gateway (SPEC §1.4–1.5) in front of the built-in sandbox app.
//!
//! The decision is core's `RouteVerifier::decide`, including where the route comes from; the
//! gateway only gathers the request's parts, looks sandboxes up, strips the headers core
//! names and forwards.

use crate::http::{request_id, MAX_BODY};
use crate::sandbox_app::{answer, read_body, Received};
use crate::state::SandboxState;
use crate::{App, RouteMode};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::Router;
use sandgate::route::{
    gateway_denial_body, RouteSource, GATEWAY_STRIPPED_HEADERS, INGRESS_LEGACY_HEADER,
    INGRESS_TO_HEADER, SECURE_ACCESS_HEADER,
};
use sandgate::{AccessRequest, Denial, DenyReason, SandboxPolicy, SecretString};
use std::sync::Arc;
use tower_http::timeout::RequestBodyTimeoutLayer;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(middleware::from_fn(request_id))
        .layer(RequestBodyTimeoutLayer::new(app.limits.header_read_timeout))
        .with_state(app)
}

/// A plain-text gateway answer: `OpenSandbox Ingress: ...` (every 503 with `Retry-After: 1`).
pub(crate) fn text(status: StatusCode, body: String, reason: Option<&str>) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if let Some(v) = reason.and_then(|r| HeaderValue::from_str(r).ok()) {
        r.headers_mut().insert("x-sandgate-reason", v);
    }
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    r
}

fn deny(d: &Denial) -> Response {
    let status = StatusCode::from_u16(d.status()).unwrap_or(StatusCode::FORBIDDEN);
    text(status, gateway_denial_body(d), Some(d.reason().code()))
}

async fn handle(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let (parts, body) = req.into_parts();
    let h = &parts.headers;
    // Header values as text; a value that is not visible ASCII makes the route malformed.
    let text_of = |name: &str| -> Result<Option<&str>, Denial> {
        h.get(name).map(|v| v.to_str()).transpose().map_err(|_| {
            Denial::new(
                DenyReason::Malformed,
                "a route or access header is not valid visible ASCII",
            )
        })
    };
    let hosts = h.get_all("host").iter().count();
    let parts_text = (|| {
        Ok::<_, Denial>((
            text_of(INGRESS_TO_HEADER)?,
            text_of(INGRESS_LEGACY_HEADER)?,
            text_of("host")?,
            text_of(SECURE_ACCESS_HEADER)?,
        ))
    })();
    let (ingress, legacy, host, secure) = match parts_text {
        Ok(p) => p,
        Err(d) => return deny(&d),
    };
    // The request target as received: hyper keeps its escaping.
    let target = parts
        .uri
        .path_and_query()
        .map_or_else(|| parts.uri.path(), |pq| pq.as_str());
    let access_req = AccessRequest {
        ingress_to: ingress,
        ingress_legacy: legacy,
        host,
        path: Some(target),
        secure_access: secure,
        source: match app.route_mode {
            RouteMode::Uri => RouteSource::Path,
            RouteMode::Header | RouteMode::Wildcard => RouteSource::Headers,
        },
        duplicate_host: hosts > 1,
    };
    // Copy the sandbox's policy out of the store so no lock is held while deciding.
    let mut found: Option<(Option<SecretString>, SandboxState)> = None;
    let now = app.store.now();
    let decision = app.verifier.decide(
        &access_req,
        |id| {
            found = {
                let mut d = app.store.lock();
                d.purge_expired(now);
                d.sandboxes
                    .get(id)
                    .map(|s| (s.access_token.clone(), s.state))
            };
            match &found {
                None => None,
                Some((None, _)) => Some(SandboxPolicy::Open),
                Some((Some(t), _)) => Some(SandboxPolicy::Secure {
                    access_token: t.expose(),
                }),
            }
        },
        now,
    );
    let access = match decision {
        Ok(a) => a,
        Err(d) => return deny(&d),
    };
    if let Some((_, state)) = &found {
        if *state != SandboxState::Running {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "OpenSandbox Ingress: sandbox not ready: {} is {}\n",
                    access.route.sandbox_id,
                    state.name()
                ),
                None,
            );
        }
    }
    let body = match read_body(body, MAX_BODY).await {
        Ok(b) => b,
        Err(status) => {
            return text(
                status,
                format!("OpenSandbox Ingress: cannot read the request body ({status})\n"),
                None,
            )
        }
    };
    let mut forwarded = HeaderMap::new();
    for (name, value) in h {
        if !GATEWAY_STRIPPED_HEADERS
            .iter()
            .any(|s| name.as_str().eq_ignore_ascii_case(s))
        {
            forwarded.append(name.clone(), value.clone());
        }
    }
    answer(&Received {
        sandbox_id: access.route.sandbox_id,
        port: access.route.port,
        path: access.path,
        query: access.query,
        method: parts.method.as_str(),
        headers: &forwarded,
        body: &body,
    })
}

//! The verifying gateway (SPEC §1.4–1.5) in front of the built-in sandbox app.
//!
//! The decision is core's `RouteVerifier::decide`; the gateway only gathers the request's
//! parts, looks sandboxes up, strips the two access headers and forwards.

use crate::http::request_id;
use crate::{App, RouteMode};
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};
use sandgate::route::{INGRESS_TO_HEADER, SECURE_ACCESS_HEADER};
use sandgate::{AccessRequest, SandboxPolicy, SecretString};
use serde_json::{json, Map, Value};
use std::sync::Arc;

pub(crate) fn router(app: Arc<App>) -> Router {
    Router::new()
        .fallback(handle)
        .layer(middleware::from_fn(request_id))
        .with_state(app)
}

fn deny_text(status: StatusCode, reason: &str, detail: &str) -> Response {
    let mut r = (status, format!("access denied ({reason}): {detail}\n")).into_response();
    if let Ok(v) = HeaderValue::from_str(reason) {
        r.headers_mut().insert("x-sandgate-reason", v);
    }
    r
}

async fn handle(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let h = req.headers();
    // Header values as text; a value that is not visible ASCII makes the route malformed.
    let text = |name: &str| -> Result<Option<String>, String> {
        h.get(name)
            .map(|v| v.to_str().map(str::to_owned))
            .transpose()
            .map_err(|_| format!("header {name} is not valid visible ASCII"))
    };
    let parts = (|| {
        Ok::<_, String>((
            text(INGRESS_TO_HEADER)?,
            text("host")?,
            text(SECURE_ACCESS_HEADER)?,
        ))
    })();
    let (ingress, host, secure) = match parts {
        Ok(p) => p,
        Err(msg) => return deny_text(StatusCode::BAD_REQUEST, "malformed", &msg),
    };
    let path_and_query = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_owned(), |pq| pq.as_str().to_owned());
    let access_req = AccessRequest {
        ingress_to: ingress.as_deref(),
        host: if app.route_mode == RouteMode::Uri {
            None
        } else {
            host.as_deref()
        },
        path: Some(&path_and_query),
        secure_access: secure.as_deref(),
    };
    // Copy the sandbox's policy out of the store so no lock is held while deciding.
    let mut token: Option<Option<SecretString>> = None;
    let now = app.store.now();
    let decision = app.verifier.decide(
        &access_req,
        |id| {
            token = app
                .store
                .lock()
                .sandboxes
                .get(id)
                .map(|s| s.access_token.clone());
            match &token {
                None => None,
                Some(None) => Some(SandboxPolicy::Open),
                Some(Some(t)) => Some(SandboxPolicy::Secure {
                    access_token: t.expose(),
                }),
            }
        },
        now,
    );
    let access = match decision {
        Ok(a) => a,
        Err(d) => {
            let status = StatusCode::from_u16(d.status()).unwrap_or(StatusCode::FORBIDDEN);
            return deny_text(status, d.reason().code(), d.detail());
        }
    };
    sandbox_app(
        access.route.sandbox_id,
        access.route.port,
        access.path,
        access.query,
        req.method().as_str(),
        h,
    )
}

/// The built-in sandbox app: echoes what it received after the gateway stripped the route
/// and the access headers. `/ping` and every other path answer the same way.
fn sandbox_app(
    sandbox_id: &str,
    port: u16,
    path: &str,
    query: Option<&str>,
    method: &str,
    headers: &HeaderMap,
) -> Response {
    let mut forwarded = Map::new();
    for (name, value) in headers {
        let n = name.as_str();
        if n.eq_ignore_ascii_case(INGRESS_TO_HEADER) || n.eq_ignore_ascii_case(SECURE_ACCESS_HEADER)
        {
            continue;
        }
        forwarded.insert(
            n.to_owned(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    Json(json!({
        "sandbox_id": sandbox_id,
        "port": port,
        "path": path,
        "query": query,
        "method": method,
        "headers": forwarded,
    }))
    .into_response()
}

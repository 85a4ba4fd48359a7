//! The verifying gateway (SPEC §1.4–1.5) in front of the built-in sandbox app, built on core's
//! `GatewayLayer` — the same check users deploy: the layer reads the route, asks the mock's
//! store for the sandbox's policy, answers refusals, removes the credential headers and
//! rewrites the path; this module only adds what the mock's platform knows (a sandbox that
//! is not running yet) and the sandbox app.
//!
//! `app_router` serves the same sandbox app behind a verifying proxy (`sandgate authz` under
//! nginx, Envoy or Traefik): the proxy routes with the `X-Sandgate-Sandbox-Id` and
//! `X-Sandgate-Port` headers the authorizer answered with.

use crate::http::{request_id, MAX_BODY};
use crate::sandbox_app::{answer, read_body, Received};
use crate::state::SandboxState;
use crate::App;
use axum::body::Body;
use axum::extract::State;
use axum::http::{HeaderValue, Request, StatusCode};
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::Router;
use sandgate::gateway::authz::{PORT_HEADER, SANDBOX_HEADER};
use sandgate::gateway::{Allowed, Gateway, GatewayLayer, Lookup, PolicyAnswer, PolicySource};
use sandgate::SigningKeys;
use std::sync::Arc;
use tower_http::timeout::RequestBodyTimeoutLayer;

/// The mock's store as a policy source.
struct StorePolicy(Arc<App>);

impl PolicySource for StorePolicy {
    fn lookup(&self, sandbox_id: &str, _: u16) -> Lookup<'_> {
        let app = &self.0;
        let now = app.store.now();
        let mut d = app.store.lock();
        d.purge_expired(now);
        Lookup::Ready(match d.sandboxes.get(sandbox_id) {
            None => PolicyAnswer::Unknown,
            Some(s) => match &s.access_token {
                None => PolicyAnswer::Open,
                Some(t) => PolicyAnswer::Secure(t.clone()),
            },
        })
    }
}

pub(crate) fn router(app: Arc<App>) -> Router {
    let clock_app = app.clone();
    // The gateway shares the mock's verifier, so `/_mock/signing-keys` reaches it at once.
    let gateway = Gateway::new(
        app.route_mode,
        SigningKeys::default(),
        StorePolicy(app.clone()),
    )
    .with_verifier(app.verifier.clone())
    .with_clock(move || clock_app.store.now());
    Router::new()
        .fallback(handle)
        .layer(GatewayLayer::new(gateway))
        .layer(middleware::from_fn(request_id))
        .layer(RequestBodyTimeoutLayer::new(app.limits.header_read_timeout))
        .with_state(app)
}

/// The sandbox app for a verifying proxy in front of the mock.
pub(crate) fn app_router(app: Arc<App>) -> Router {
    Router::new()
        .fallback(handle_routed)
        .layer(middleware::from_fn(request_id))
        .layer(RequestBodyTimeoutLayer::new(app.limits.header_read_timeout))
        .with_state(app)
}

/// A plain-text gateway answer: `OpenSandbox Ingress: ...` (every 503 with `Retry-After: 1`).
pub(crate) fn text(status: StatusCode, body: String) -> Response {
    let mut r = (status, body).into_response();
    r.headers_mut().insert(
        "content-type",
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if status == StatusCode::SERVICE_UNAVAILABLE {
        r.headers_mut()
            .insert("retry-after", HeaderValue::from_static("1"));
    }
    r
}

async fn handle(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let Some(route) = req.extensions().get::<Allowed>().cloned() else {
        // Unreachable behind the layer; never forward an unchecked request.
        return text(
            StatusCode::INTERNAL_SERVER_ERROR,
            "OpenSandbox Ingress: the request was not checked\n".to_owned(),
        );
    };
    serve(&app, req, &route.sandbox_id, route.port).await
}

async fn handle_routed(State(app): State<Arc<App>>, req: Request<Body>) -> Response {
    let h = req.headers();
    let id = h.get(SANDBOX_HEADER).and_then(|v| v.to_str().ok());
    let port = h
        .get(PORT_HEADER)
        .and_then(|v| v.to_str().ok())
        .and_then(|p| p.parse::<u16>().ok());
    let (Some(id), Some(port)) = (id.map(str::to_owned), port) else {
        return text(
            StatusCode::BAD_REQUEST,
            "OpenSandbox Ingress: the proxy did not send X-Sandgate-Sandbox-Id and X-Sandgate-Port\n"
                .to_owned(),
        );
    };
    if !app.store.lock().sandboxes.contains_key(&id) {
        return text(
            StatusCode::NOT_FOUND,
            format!("OpenSandbox Ingress: no sandbox {id}\n"),
        );
    }
    serve(&app, req, &id, port).await
}

async fn serve(app: &App, req: Request<Body>, sandbox_id: &str, port: u16) -> Response {
    let state = app.store.lock().sandboxes.get(sandbox_id).map(|s| s.state);
    if let Some(state) = state {
        if state != SandboxState::Running {
            return text(
                StatusCode::SERVICE_UNAVAILABLE,
                format!(
                    "OpenSandbox Ingress: sandbox not ready: {sandbox_id} is {}\n",
                    state.name()
                ),
            );
        }
    }
    let (parts, body) = req.into_parts();
    let body = match read_body(body, MAX_BODY).await {
        Ok(b) => b,
        Err(status) => {
            return text(
                status,
                format!("OpenSandbox Ingress: cannot read the request body ({status})\n"),
            )
        }
    };
    let (path, query) = match parts.uri.path_and_query() {
        Some(pq) => (pq.path(), pq.query()),
        None => ("/", None),
    };
    answer(&Received {
        sandbox_id,
        port,
        path,
        query,
        method: parts.method.as_str(),
        headers: &parts.headers,
        body: &body,
    })
}

//! The API listener: lifecycle routes (with and without `/v1`), the keys API, `/_mock/`
//! admin routes, fault injection and the request log.

use crate::auth::{authenticate, AuthError, Principal, Surface};
use crate::http::{request_id, ApiError, MAX_BODY};
use crate::lifecycle as lc;
use crate::state::RequestRecord;
use crate::validate;
use crate::{App, RouteMode};
use axum::body::Body;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, patch, post};
use axum::{Json, Router};
use sandgate::route::{INGRESS_TO_HEADER, SECURE_ACCESS_HEADER};
use sandgate::SecretString;
use serde_json::{json, Map, Value};
use std::sync::Arc;
use std::time::Duration;
use tower_http::timeout::RequestBodyTimeoutLayer;

type Shared = State<Arc<App>>;

pub(crate) fn router(app: Arc<App>) -> Router {
    let lifecycle = Router::new()
        .route(
            "/sandboxes",
            get(lc::list).post(lc::create).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id",
            get(lc::get_one)
                .delete(lc::delete)
                .fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/endpoints/:port",
            get(endpoint).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/renew-expiration",
            post(lc::renew).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/pause",
            post(lc::pause).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/resume",
            post(lc::resume).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/metadata",
            patch(lc::patch_metadata).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/snapshots",
            post(lc::create_snapshot).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/diagnostics/:kind",
            get(lc::diagnostics).fallback(method_not_allowed),
        )
        .route(
            "/snapshots",
            get(lc::list_snapshots).fallback(method_not_allowed),
        )
        .route(
            "/snapshots/:id",
            get(lc::get_snapshot)
                .delete(lc::delete_snapshot)
                .fallback(method_not_allowed),
        )
        .route(
            "/metrics/events",
            post(lc::metrics_event).fallback(method_not_allowed),
        )
        .route("/sandboxes/:id/proxy/:port", any(crate::proxy::handle))
        .route(
            "/sandboxes/:id/proxy/:port/*rest",
            any(crate::proxy::handle),
        );
    Router::new()
        .nest("/v1", lifecycle.clone())
        .merge(lifecycle)
        .merge(crate::keys_api::router())
        .nest("/_mock", crate::admin::router())
        .fallback(not_found)
        .layer(middleware::from_fn_with_state(app.clone(), faults_and_log))
        .layer(middleware::from_fn(request_id))
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(RequestBodyTimeoutLayer::new(app.limits.header_read_timeout))
        .with_state(app)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "no such route")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "METHOD_NOT_ALLOWED",
        "method not allowed on this route",
    )
}

/// Applies injected latency, failures and corrupt bodies to API requests, and logs them: on
/// receipt (so a request whose client gave up is still logged) and again with the status.
async fn faults_and_log(State(app): Shared, req: Request<Body>, next: Next) -> Response {
    let mut resp = faults_and_log_inner(&app, req, next).await;
    // Every answer's `Date` is read from the mock clock (SPEC §2), so a client learns the
    // server's time from it; hyper adds its own only when none is set.
    let now = std::time::UNIX_EPOCH + Duration::from_secs(app.store.now());
    if let Ok(v) = HeaderValue::from_str(&httpdate::fmt_http_date(now)) {
        resp.headers_mut().insert(axum::http::header::DATE, v);
    }
    resp
}

async fn faults_and_log_inner(app: &App, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_mock") {
        return next.run(req).await;
    }
    let record = RequestRecord {
        method: req.method().to_string(),
        path,
        status: 0,
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    };
    let (seq, latency, fail, corrupt) = {
        let mut d = app.store.lock();
        let seq = d.log_request(record);
        let f = &mut d.faults;
        let fail = if f.fail_next > 0 {
            f.fail_next -= 1;
            Some((f.failure_status(), f.retry_after))
        } else {
            None
        };
        let corrupt = fail.is_none() && f.corrupt_next > 0;
        if corrupt {
            f.corrupt_next -= 1;
        }
        (seq, f.latency_ms, fail, corrupt)
    };
    if latency > 0 {
        tokio::time::sleep(Duration::from_millis(latency)).await;
    }
    let resp = if let Some((status, retry_after)) = fail {
        let status = StatusCode::from_u16(status).unwrap_or(StatusCode::SERVICE_UNAVAILABLE);
        let mut r = (
            status,
            Json(json!({"code": "MOCK::INJECTED_FAULT", "message": "fault injected by the mock"})),
        )
            .into_response();
        if let Some(s) = retry_after {
            r.headers_mut().insert("retry-after", HeaderValue::from(s));
        }
        r
    } else if corrupt {
        let mut r = (StatusCode::OK, "{this is not json").into_response();
        r.headers_mut()
            .insert("content-type", HeaderValue::from_static("application/json"));
        r
    } else {
        next.run(req).await
    };
    app.store.lock().complete(seq, resp.status().as_u16());
    resp
}

pub(crate) fn auth_error(e: AuthError) -> ApiError {
    match e {
        AuthError::Missing => {
            ApiError::new(StatusCode::UNAUTHORIZED, "MISSING_API_KEY", e.message())
        }
        AuthError::Invalid(_) => {
            ApiError::new(StatusCode::UNAUTHORIZED, "INVALID_API_KEY", e.message())
        }
        AuthError::BadHeader(_) => ApiError::bad_request(e.message()),
    }
}

pub(crate) fn principal(app: &App, h: &HeaderMap, write: bool) -> Result<Principal, ApiError> {
    let p = authenticate(app, h, Surface::Lifecycle).map_err(auth_error)?;
    let allowed = if write { p.can_write() } else { p.can_read() };
    if !allowed {
        let need = if write { "operator" } else { "read_only" };
        return Err(ApiError::forbidden(format!(
            "this operation needs the {need} role"
        )));
    }
    Ok(p)
}

pub(crate) fn path_params<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(t)| t)
        .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))
}

/// What the endpoint query asks for.
struct EndpointQuery {
    expires: Option<u64>,
    server_proxy: bool,
}

/// Parses the endpoint query: `expires` (decimal u64 seconds in the future) and
/// `use_server_proxy` (a pydantic-style bool; not `true` together with `expires`).
fn endpoint_query(raw: Option<&str>, now: u64) -> Result<EndpointQuery, ApiError> {
    let mut expires: Option<String> = None;
    let mut server_proxy = false;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match &*k {
            "expires" => {
                if expires.is_some() {
                    return Err(ApiError::bad_request("expires is given more than once"));
                }
                expires = Some(v.into_owned());
            }
            // Like the platform's query parsing, the last value wins.
            "use_server_proxy" => {
                server_proxy = validate::pydantic_bool(&v).ok_or_else(|| {
                    ApiError::bad_request(format!(
                        "use_server_proxy must be a boolean (true/false, 1/0, yes/no, on/off), not {:?}",
                        v
                    ))
                })?
            }
            _ => {}
        }
    }
    let Some(e) = expires else {
        return Ok(EndpointQuery {
            expires: None,
            server_proxy,
        });
    };
    if server_proxy {
        return Err(ApiError::bad_request(
            "use_server_proxy cannot be combined with expires",
        ));
    }
    if e.is_empty() || !e.bytes().all(|c| c.is_ascii_digit()) {
        return Err(ApiError::bad_request(
            "expires must be decimal Unix seconds",
        ));
    }
    let e: u64 = e
        .parse()
        .map_err(|_| ApiError::bad_request("expires is above 2^64-1"))?;
    if e <= now {
        return Err(ApiError::bad_request(format!(
            "expires must be in the future (now is {now})"
        )));
    }
    Ok(EndpointQuery {
        expires: Some(e),
        server_proxy: false,
    })
}

async fn endpoint(
    State(app): Shared,
    h: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let (id, port) = path_params(params)?;
    let port = match port.parse::<i64>() {
        Ok(n) if port.bytes().all(|c| c.is_ascii_digit()) => {
            sandgate::route::check_port(n).map_err(|e| ApiError::bad_request(e.message()))?
        }
        _ => return Err(ApiError::bad_request("port must be decimal 1..65535")),
    };
    let p = principal(&app, &h, false)?;
    let now = app.store.now();
    let q = endpoint_query(query.as_deref(), now)?;
    let access_token = lc::with_sandbox(&app, &p, &id, |s| Ok(s.access_token.clone()))?;
    let mut resp =
        Json(render_endpoint(&app, &id, port, &q, access_token.as_ref())?).into_response();
    if let Some(origin) = &app.endpoint_origin {
        resp.headers_mut()
            .insert("OPEN-SANDBOX-ORIGIN", origin.clone());
    }
    Ok(resp)
}

/// Renders an endpoint in the configured route mode (SPEC §1.4), or the server-proxy
/// endpoint (SPEC §2).
fn render_endpoint(
    app: &App,
    id: &str,
    port: u16,
    q: &EndpointQuery,
    access_token: Option<&SecretString>,
) -> Result<Value, ApiError> {
    let gw = app.gateway_addr;
    let gw_port = gw.port();
    let mut headers = Map::new();
    let signed = match q.expires {
        Some(e) => Some(
            app.keys
                .signer()
                .as_ref()
                .ok_or_else(|| {
                    ApiError::new(
                        StatusCode::SERVICE_UNAVAILABLE,
                        "SANDBOX::SECURE_ACCESS_NOT_CONFIGURED",
                        "the server has no signing keys: signed endpoints are not available",
                    )
                })?
                .sign(id, port, e)
                .map_err(|err| ApiError::bad_request(err.message()))?,
        ),
        None => None,
    };
    let legacy = format!("{id}-{port}");
    let mut endpoint = match (app.route_mode, &signed) {
        (RouteMode::Header, s) => {
            let v = s.as_ref().map_or(legacy, |s| s.header_value());
            headers.insert(INGRESS_TO_HEADER.into(), Value::String(v));
            gw.to_string()
        }
        (RouteMode::Wildcard, Some(s)) => format!("{}:{gw_port}", s.host(&app.base_domain)),
        (RouteMode::Wildcard, None) => format!("{legacy}.{}:{gw_port}", app.base_domain),
        (RouteMode::Uri, Some(s)) => format!("{gw}{}", s.uri_prefix()),
        (RouteMode::Uri, None) => format!("{gw}/{id}/{port}"),
    };
    // A signed response never carries the access token.
    if let (None, Some(t)) = (&signed, access_token) {
        headers.insert(
            SECURE_ACCESS_HEADER.into(),
            Value::String(t.expose().to_owned()),
        );
    }
    if q.server_proxy {
        // The lifecycle server forwards the request itself: no gateway route header.
        endpoint = format!("{}/v1/sandboxes/{id}/proxy/{port}", app.api_addr);
        headers.retain(|k, _| !k.eq_ignore_ascii_case(INGRESS_TO_HEADER));
    }
    let mut out = json!({ "endpoint": endpoint });
    if !headers.is_empty() {
        out["headers"] = Value::Object(headers);
    }
    Ok(out)
}

//! The API listener: lifecycle routes (with and without `/v1`), the keys API, `/_mock/`
//! admin routes, fault injection and the request log.

use crate::auth::{authenticate, AuthError, Principal, Surface};
use crate::http::{json_object, request_id, ApiError, MAX_BODY};
use crate::state::{random_id, RequestRecord, SandboxRec, MAX_LOGGED_REQUESTS};
use crate::{App, RouteMode};
use axum::body::{Body, Bytes};
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{DefaultBodyLimit, Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::Engine;
use sandgate::keys::format_rfc3339;
use sandgate::route::{INGRESS_TO_HEADER, SECURE_ACCESS_HEADER};
use sandgate::SecretString;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

type Shared = State<Arc<App>>;

pub(crate) fn router(app: Arc<App>) -> Router {
    let lifecycle = Router::new()
        .route(
            "/sandboxes",
            get(list).post(create).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id",
            get(get_one).delete(delete).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/endpoints/:port",
            get(endpoint).fallback(method_not_allowed),
        )
        .route(
            "/sandboxes/:id/renew-expiration",
            post(renew).fallback(method_not_allowed),
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

/// Applies injected latency, failures and corrupt bodies to API requests, and logs them.
async fn faults_and_log(State(app): Shared, req: Request<Body>, next: Next) -> Response {
    let path = req.uri().path().to_owned();
    if path.starts_with("/_mock") {
        return next.run(req).await;
    }
    let method = req.method().to_string();
    let user_agent = req
        .headers()
        .get("user-agent")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let (latency, fail, corrupt) = {
        let mut d = app.store.lock();
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
        (f.latency_ms, fail, corrupt)
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
    let mut d = app.store.lock();
    if d.requests.len() < MAX_LOGGED_REQUESTS {
        d.requests.push(RequestRecord {
            method,
            path,
            status: resp.status().as_u16(),
            user_agent,
        });
    }
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

fn principal(app: &App, h: &HeaderMap, write: bool) -> Result<Principal, ApiError> {
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

fn path_params<T>(p: Result<Path<T>, PathRejection>) -> Result<T, ApiError> {
    p.map(|Path(t)| t)
        .map_err(|e| ApiError::bad_request(format!("invalid path: {}", e.body_text())))
}

fn sandbox_json(s: &SandboxRec) -> Value {
    json!({
        "id": s.id,
        "image": { "uri": s.image },
        "status": { "state": "Running" },
        "metadata": s.metadata,
        "secureAccess": s.access_token.is_some(),
        "createdAt": format_rfc3339(s.created_at),
        "expiresAt": format_rfc3339(s.expires_at),
    })
}

/// Whether `p` may see `s` (owner scoping through `access.owner`).
fn visible(p: &Principal, s: &SandboxRec) -> bool {
    match p.scope() {
        None => true,
        Some(user) => s.metadata.get("access.owner").map(String::as_str) == Some(user),
    }
}

async fn list(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    let p = principal(&app, &h, false)?;
    let d = app.store.lock();
    let items: Vec<Value> = d
        .sandboxes
        .values()
        .filter(|s| visible(&p, s))
        .map(sandbox_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

const MAX_TIMEOUT: u64 = 7 * 24 * 3600;

async fn create(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let p = principal(&app, &h, true)?;
    let body = json_object(body)?;
    let image = body
        .get("image")
        .and_then(|i| i.get("uri"))
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|u| !u.is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("image.uri is required and must be a non-empty string")
        })?
        .to_owned();
    let secure = match body.get("secureAccess") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(ApiError::bad_request("secureAccess must be a boolean")),
    };
    let timeout = match body.get("timeout") {
        None | Some(Value::Null) => 600,
        Some(v) => v
            .as_u64()
            .filter(|t| (1..=MAX_TIMEOUT).contains(t))
            .ok_or_else(|| {
                ApiError::bad_request(format!(
                    "timeout must be an integer number of seconds in 1..{MAX_TIMEOUT}"
                ))
            })?,
    };
    let mut metadata = BTreeMap::new();
    match body.get("metadata") {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = v.as_str().ok_or_else(|| {
                    ApiError::bad_request(format!("metadata value of {k:?} must be a string"))
                })?;
                metadata.insert(k.clone(), v.to_owned());
            }
        }
        Some(_) => {
            return Err(ApiError::bad_request(
                "metadata must be an object of strings",
            ))
        }
    }
    // The owner is always set by the server, never taken from the body.
    metadata.remove("access.owner");
    if let Principal::User(u) = &p {
        metadata.insert("access.owner".into(), u.id.clone());
    }
    let access_token = secure.then(|| {
        let mut bytes = [0u8; 24];
        let _ = getrandom::getrandom(&mut bytes);
        SecretString::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    });
    let now = app.store.now();
    let rec = SandboxRec {
        id: random_id(16),
        image,
        access_token,
        metadata,
        created_at: now,
        expires_at: now.saturating_add(timeout),
    };
    let out = sandbox_json(&rec);
    app.store.lock().sandboxes.insert(rec.id.clone(), rec);
    Ok((StatusCode::CREATED, Json(out)).into_response())
}

fn not_found_sandbox(id: &str) -> ApiError {
    ApiError::not_found(format!("sandbox {id:?} not found"))
}

async fn get_one(
    State(app): Shared,
    h: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, false)?;
    let d = app.store.lock();
    match d.sandboxes.get(&id) {
        Some(s) if visible(&p, s) => Ok(Json(sandbox_json(s))),
        _ => Err(not_found_sandbox(&id)),
    }
}

async fn delete(
    State(app): Shared,
    h: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let mut d = app.store.lock();
    match d.sandboxes.get(&id) {
        Some(s) if visible(&p, s) => {
            d.sandboxes.remove(&id);
            Ok(StatusCode::NO_CONTENT)
        }
        _ => Err(not_found_sandbox(&id)),
    }
}

async fn renew(
    State(app): Shared,
    h: HeaderMap,
    id: Result<Path<String>, PathRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let body = json_object(body)?;
    let at = body
        .get("expiresAt")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("expiresAt (RFC 3339) is required"))?;
    let at =
        sandgate::keys::parse_expires_at(at).map_err(|e| ApiError::bad_request(e.message()))?;
    if at <= app.store.now() {
        return Err(ApiError::bad_request("expiresAt must be in the future"));
    }
    let mut d = app.store.lock();
    match d.sandboxes.get_mut(&id) {
        Some(s) if visible(&p, s) => {
            s.expires_at = at;
            Ok(Json(json!({ "expiresAt": format_rfc3339(at) })))
        }
        _ => Err(not_found_sandbox(&id)),
    }
}

/// Parses the endpoint query: `expires` (decimal u64 seconds in the future) and
/// `use_server_proxy` (not together with `expires`).
fn endpoint_query(raw: Option<&str>, now: u64) -> Result<Option<u64>, ApiError> {
    let mut expires: Option<String> = None;
    let mut proxy = false;
    for (k, v) in form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
        match &*k {
            "expires" => {
                if expires.is_some() {
                    return Err(ApiError::bad_request("expires is given more than once"));
                }
                expires = Some(v.into_owned());
            }
            "use_server_proxy" => proxy = v.eq_ignore_ascii_case("true") || v == "1",
            _ => {}
        }
    }
    let Some(e) = expires else { return Ok(None) };
    if proxy {
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
    Ok(Some(e))
}

async fn endpoint(
    State(app): Shared,
    h: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    RawQuery(query): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (id, port) = path_params(params)?;
    let port = match port.parse::<i64>() {
        Ok(n) if port.bytes().all(|c| c.is_ascii_digit()) => {
            sandgate::route::check_port(n).map_err(|e| ApiError::bad_request(e.message()))?
        }
        _ => return Err(ApiError::bad_request("port must be decimal 1..65535")),
    };
    let p = principal(&app, &h, false)?;
    let now = app.store.now();
    let expires = endpoint_query(query.as_deref(), now)?;
    let access_token = {
        let d = app.store.lock();
        match d.sandboxes.get(&id) {
            Some(s) if visible(&p, s) => s.access_token.clone(),
            _ => return Err(not_found_sandbox(&id)),
        }
    };
    Ok(Json(render_endpoint(
        &app,
        &id,
        port,
        expires,
        access_token.as_ref(),
    )?))
}

/// Renders an endpoint in the configured route mode (SPEC §1.4).
fn render_endpoint(
    app: &App,
    id: &str,
    port: u16,
    expires: Option<u64>,
    access_token: Option<&SecretString>,
) -> Result<Value, ApiError> {
    let gw = app.gateway_addr;
    let gw_port = gw.port();
    let mut headers = Map::new();
    let signed = match expires {
        Some(e) => Some(
            app.signer
                .sign(id, port, e)
                .map_err(|err| ApiError::bad_request(err.message()))?,
        ),
        None => None,
    };
    let legacy = format!("{id}-{port}");
    let endpoint = match (app.route_mode, &signed) {
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
    Ok(json!({ "endpoint": endpoint, "headers": headers }))
}

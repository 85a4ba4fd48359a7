//! `/_mock/` admin routes (admin key required): clock, faults, reset, signing keys
//! (`signing.rs`), and read-only views of stored keys and logged requests. Documented in `mock-server/README.md`.

use crate::api::auth_error;
use crate::auth::{authenticate, Principal, Surface};
use crate::http::{json_object, ApiError};
use crate::state::Faults;
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<App>>;

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/clock", get(clock).post(set_clock))
        .route("/faults", get(faults).post(set_faults).delete(clear_faults))
        .route("/reset", post(reset))
        .route("/sandboxes", post(seed_sandbox))
        .route("/keys", get(keys))
        .route("/requests", get(requests).delete(clear_requests))
        .route("/metrics", get(metrics))
        .merge(crate::signing::router())
}

pub(crate) fn admin(app: &App, h: &HeaderMap) -> Result<(), ApiError> {
    match authenticate(app, h, Surface::Lifecycle).map_err(auth_error)? {
        Principal::Admin => Ok(()),
        Principal::User(_) => Err(ApiError::forbidden("/_mock/ routes need the admin key")),
    }
}

async fn clock(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    Ok(Json(json!({ "now": app.store.now() })))
}

/// `{"id", "secure_access": bool, "access_token"?}` adds a running sandbox with that id (a
/// secure one gets `access_token`, or a random one): for gateway tests that need given ids.
async fn seed_sandbox(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let body = json_object(body)?;
    let id = body
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty() && s.len() <= 256 && !s.contains(|c: char| c.is_control()))
        .ok_or_else(|| ApiError::bad_request("id must be a non-empty string of at most 256 bytes"))?
        .to_owned();
    let secure = match body.get("secure_access") {
        None => false,
        Some(v) => v
            .as_bool()
            .ok_or_else(|| ApiError::bad_request("secure_access must be a boolean"))?,
    };
    let token = match (secure, body.get("access_token")) {
        (false, None) => None,
        (false, Some(_)) => {
            return Err(ApiError::bad_request(
                "access_token needs secure_access true",
            ))
        }
        (true, None) => Some(crate::lifecycle::new_access_token()),
        (true, Some(v)) => Some(sandgate::SecretString::new(
            v.as_str()
                .filter(|t| !t.trim().is_empty())
                .ok_or_else(|| ApiError::bad_request("access_token must be a non-blank string"))?
                .to_owned(),
        )),
    };
    let now = app.store.now();
    crate::lifecycle::seed(&mut app.store.lock(), now, id.clone(), token)?;
    Ok(Json(json!({ "id": id, "secure_access": secure })))
}

/// `{"now": secs}` sets the clock (`"freeze": true` stops it there); `{"advance": secs}` moves
/// it (may be negative; a stopped clock stays stopped).
async fn set_clock(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let body = json_object(body)?;
    match (body.get("now"), body.get("advance")) {
        (Some(n), None) => {
            let n = n
                .as_u64()
                .ok_or_else(|| ApiError::bad_request("now must be Unix seconds"))?;
            let freeze = match body.get("freeze") {
                None => false,
                Some(f) => f
                    .as_bool()
                    .ok_or_else(|| ApiError::bad_request("freeze must be a boolean"))?,
            };
            let offset = i128::from(n) - i128::from(sandgate::clock::now_unix());
            let mut d = app.store.lock();
            d.clock_offset = offset.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
            d.frozen_at = freeze.then_some(n);
        }
        (None, Some(a)) => {
            let a = a
                .as_i64()
                .ok_or_else(|| ApiError::bad_request("advance must be integer seconds"))?;
            let mut d = app.store.lock();
            d.clock_offset = d.clock_offset.saturating_add(a);
            if let Some(f) = d.frozen_at {
                d.frozen_at = Some(f.saturating_add_signed(a));
            }
        }
        _ => {
            return Err(ApiError::bad_request(
                "send exactly one of \"now\" or \"advance\"",
            ))
        }
    }
    Ok(Json(json!({ "now": app.store.now() })))
}

fn faults_json(f: &Faults) -> Value {
    json!({
        "fail_next": f.fail_next,
        "status": f.failure_status(),
        "retry_after": f.retry_after,
        "latency_ms": f.latency_ms,
        "drop_next": f.drop_next,
        "corrupt_next": f.corrupt_next,
    })
}

async fn faults(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    Ok(Json(faults_json(&app.store.lock().faults)))
}

/// Replaces the faults: `fail_next`, `status` (default 503), `retry_after`, `latency_ms`,
/// `drop_next`, `corrupt_next`; absent fields are zero. Ranges: `Faults::validate`.
async fn set_faults(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let body = json_object(body)?;
    let known = [
        "fail_next",
        "status",
        "retry_after",
        "latency_ms",
        "drop_next",
        "corrupt_next",
    ];
    if let Some(k) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| !known.contains(&k.as_str())))
    {
        return Err(ApiError::bad_request(format!("unknown fault field {k:?}")));
    }
    let num = |name: &str| -> Result<u64, ApiError> {
        match body.get(name) {
            None | Some(Value::Null) => Ok(0),
            Some(v) => v.as_u64().ok_or_else(|| {
                ApiError::bad_request(format!("{name} must be a non-negative integer"))
            }),
        }
    };
    let small = |name: &str| -> Result<u32, ApiError> {
        u32::try_from(num(name)?).map_err(|_| ApiError::bad_request(format!("{name} is too large")))
    };
    let f = Faults {
        fail_next: small("fail_next")?,
        status: u16::try_from(num("status")?)
            .map_err(|_| ApiError::bad_request("status must be an error status (400..599)"))?,
        retry_after: match body.get("retry_after") {
            None | Some(Value::Null) => None,
            Some(_) => Some(num("retry_after")?),
        },
        latency_ms: num("latency_ms")?,
        drop_next: small("drop_next")?,
        corrupt_next: small("corrupt_next")?,
    };
    f.validate()
        .map_err(|e| ApiError::bad_request(e.message()))?;
    let out = faults_json(&f);
    app.store.lock().faults = f;
    Ok(Json(out))
}

async fn clear_faults(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let mut d = app.store.lock();
    d.faults = Faults::default();
    Ok(Json(faults_json(&d.faults)))
}

async fn reset(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    *app.store.lock() = Default::default();
    app.keys.restore();
    Ok(Json(json!({ "reset": true })))
}

/// Stored key records as the server holds them: hash and prefix, never a raw key.
async fn keys(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let d = app.store.lock();
    let items: Vec<Value> = d
        .keys
        .values()
        .map(|k| {
            json!({
                "id": k.id, "name": k.name, "prefix": k.prefix, "hash": k.hash,
                "owner": k.owner, "team": k.team,
                "roles": k.roles.iter().map(|r| r.name()).collect::<Vec<_>>(),
                "created_at": sandgate::keys::format_rfc3339(k.created_at),
                "expires_at": k.expires_at, "revoked": k.revoked,
            })
        })
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn requests(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let d = app.store.lock();
    let items: Vec<Value> = d
        .requests
        .iter()
        .map(|(_, r)| json!({ "method": r.method, "path": r.path, "status": r.status, "user_agent": r.user_agent }))
        .collect();
    Ok(Json(json!({ "items": items })))
}

async fn clear_requests(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    app.store.lock().requests.clear();
    Ok(Json(json!({ "items": [] })))
}

/// The SDK telemetry events received on `POST /metrics/events`, oldest first.
async fn metrics(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let d = app.store.lock();
    let items: Vec<Value> = d.metrics_events.iter().cloned().collect();
    Ok(Json(json!({ "items": items })))
}

//! The show-once keys API (SPEC §3.2): `POST/GET /api/v1/keys`, `DELETE /api/v1/keys/{id}`.

use crate::auth::{authenticate, AuthError, Principal, Surface, User};
use crate::http::{json_object, KeysError};
use crate::state::{random_id, KeyRec};
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, get};
use axum::{Json, Router};
use sandgate::keys::{format_rfc3339, generate_api_key, parse_expires_at, DEFAULT_API_KEY_PREFIX};
use serde_json::{json, Value};
use std::sync::Arc;

type Shared = State<Arc<App>>;

const DEFAULT_NAME: &str = "API Key";
const MAX_NAME: usize = 200;

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new()
        .route("/api/v1/keys", get(list).post(create).fallback(not_allowed))
        .route("/api/v1/keys/:id", delete(revoke).fallback(not_allowed))
}

async fn not_allowed() -> KeysError {
    KeysError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
}

fn user(app: &App, h: &HeaderMap) -> Result<User, KeysError> {
    match authenticate(app, h, Surface::Keys) {
        Ok(Principal::User(u)) => Ok(u),
        Ok(Principal::Admin) => Err(KeysError::new(
            StatusCode::FORBIDDEN,
            "API keys belong to users: call with a user principal, not the admin key",
        )),
        Err(e @ AuthError::BadHeader(_)) => {
            Err(KeysError::new(StatusCode::BAD_REQUEST, e.message()))
        }
        Err(e) => Err(KeysError::new(StatusCode::UNAUTHORIZED, e.message())),
    }
}

/// `expires_at`: RFC 3339, or epoch seconds (milliseconds when ≥ 1e12) as a string or an
/// integer. Must be in the future.
fn expires_at(v: Option<&Value>, now: u64) -> Result<Option<u64>, KeysError> {
    let bad = |m: String| KeysError::new(StatusCode::BAD_REQUEST, m);
    let text = match v {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) if n.is_u64() => n.to_string(),
        Some(_) => {
            return Err(bad(
                "expires_at must be an RFC 3339 string or integer epoch seconds".into(),
            ))
        }
    };
    let at = parse_expires_at(&text).map_err(|e| bad(e.message().to_owned()))?;
    if at <= now {
        return Err(bad("expires_at must be in the future".into()));
    }
    Ok(Some(at))
}

async fn create(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, KeysError> {
    let user = user(&app, &h)?;
    let body = json_object(body)?;
    // Only `name` and `expires_at` are read; `key`, `id`, `user_id`, `revoked`, ... are ignored.
    let name = match body.get("name") {
        None | Some(Value::Null) => DEFAULT_NAME.to_owned(),
        Some(Value::String(s)) if s.trim().is_empty() => DEFAULT_NAME.to_owned(),
        Some(Value::String(s)) if s.trim().chars().count() <= MAX_NAME => s.trim().to_owned(),
        Some(Value::String(_)) => {
            return Err(KeysError::new(
                StatusCode::BAD_REQUEST,
                format!("name is longer than {MAX_NAME} characters"),
            ))
        }
        Some(_) => {
            return Err(KeysError::new(
                StatusCode::BAD_REQUEST,
                "name must be a string",
            ))
        }
    };
    let now = app.store.now();
    let expires = expires_at(body.get("expires_at"), now)?;
    let generated = generate_api_key(DEFAULT_API_KEY_PREFIX)
        .map_err(|e| KeysError::new(StatusCode::INTERNAL_SERVER_ERROR, e.message()))?;
    let rec = KeyRec {
        id: format!("key_{}", random_id(12)),
        name,
        prefix: generated.prefix.clone(),
        hash: generated.hash.clone(),
        owner: user.id,
        team: user.team,
        roles: user.roles,
        created_at: now,
        expires_at: expires.map(format_rfc3339),
        revoked: false,
    };
    let mut data = json!({
        "id": rec.id,
        "name": rec.name,
        "prefix": rec.prefix,
        "key": generated.key.expose(),
    });
    if let Some(e) = &rec.expires_at {
        data["expires_at"] = json!(e);
    }
    {
        let mut d = app.store.lock();
        if d.keys.len() >= crate::state::MAX_KEYS {
            return Err(KeysError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "the mock holds at most {} keys: revoke and reset to make room",
                    crate::state::MAX_KEYS
                ),
            ));
        }
        d.key_ids_by_hash.insert(rec.hash.clone(), rec.id.clone());
        d.keys.insert(rec.id.clone(), rec);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({ "success": true, "data": data })),
    )
        .into_response())
}

fn key_json(k: &KeyRec) -> Value {
    json!({
        "id": k.id,
        "name": k.name,
        "prefix": k.prefix,
        "created_at": format_rfc3339(k.created_at),
        "expires_at": k.expires_at,
        "revoked": k.revoked,
    })
}

async fn list(State(app): Shared, h: HeaderMap) -> Result<Json<Value>, KeysError> {
    let user = user(&app, &h)?;
    let d = app.store.lock();
    let items: Vec<Value> = d
        .keys
        .values()
        .filter(|k| k.owner == user.id)
        .map(key_json)
        .collect();
    Ok(Json(json!({ "success": true, "data": items })))
}

async fn revoke(
    State(app): Shared,
    h: HeaderMap,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Value>, KeysError> {
    let id = id.map(|Path(id)| id).map_err(|e| {
        KeysError::new(
            StatusCode::BAD_REQUEST,
            format!("invalid path: {}", e.body_text()),
        )
    })?;
    let user = user(&app, &h)?;
    let mut d = app.store.lock();
    match d.keys.get_mut(&id) {
        Some(k) if k.owner == user.id => {
            k.revoked = true;
            Ok(Json(
                json!({ "success": true, "data": { "id": id, "revoked": true } }),
            ))
        }
        // Another user's key is indistinguishable from a missing one.
        _ => Err(KeysError::new(
            StatusCode::NOT_FOUND,
            format!("API key {id:?} not found"),
        )),
    }
}

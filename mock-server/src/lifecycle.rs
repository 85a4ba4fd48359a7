//! The lifecycle operations of upstream's `specs/sandbox-lifecycle.yml` (sandboxes,
//! snapshots, metrics events) and `specs/diagnostic-api.yml`, with their status codes and
//! response shapes. Sandboxes expire at `expiresAt` by the mock clock.

use crate::api::{path_params, principal};
use crate::auth::Principal;
use crate::http::{json_body, ApiError};
use crate::state::{
    uuid, Data, SandboxRec, SandboxState, SnapshotRec, MAX_METRICS_EVENTS, MAX_SANDBOXES,
    MAX_SNAPSHOTS,
};
use crate::validate::{self, DEFAULT_ENTRYPOINT};
use crate::App;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::Engine;
use sandgate::keys::format_rfc3339;
use sandgate::SecretString;
use serde_json::{json, Map, Value};
use std::collections::VecDeque;
use std::sync::Arc;

type Shared = State<Arc<App>>;

/// Largest accepted `pageSize`.
const MAX_PAGE_SIZE: u64 = 1000;
const DEFAULT_PAGE_SIZE: u64 = 20;

fn status_json(state: &str, reason: &str, message: &str, at: u64) -> Value {
    json!({
        "state": state,
        "reason": reason,
        "message": message,
        "lastTransitionAt": format_rfc3339(at),
    })
}

/// A sandbox as the spec's `Sandbox` (`full`) or `CreateSandboxResponse` (no startup source).
/// `secureAccess` is ours: sandgate's clients read it.
fn sandbox_json(s: &SandboxRec, full: bool) -> Value {
    let mut v = json!({
        "id": s.id,
        "status": status_json(s.state.name(), s.reason, s.message, s.last_transition_at),
        "metadata": s.metadata,
        "entrypoint": s.entrypoint,
        "createdAt": format_rfc3339(s.created_at),
        "secureAccess": s.access_token.is_some(),
    });
    if let Some(e) = s.expires_at {
        v["expiresAt"] = json!(format_rfc3339(e));
    }
    if !s.extensions.is_empty() {
        v["extensions"] = json!(s.extensions);
    }
    if let Some(p) = &s.platform {
        v["platform"] = p.clone();
    }
    if full {
        // Registry credentials are never echoed.
        if let Some(i) = &s.image {
            v["image"] = json!({ "uri": i });
        }
        if let Some(snap) = &s.snapshot_id {
            v["snapshotId"] = json!(snap);
        }
    }
    v
}

/// Whether `p` may see a resource owned by `owner` (scoping through `access.owner`).
fn owns(p: &Principal, owner: Option<&str>) -> bool {
    match p.scope() {
        None => true,
        Some(user) => owner == Some(user),
    }
}

fn visible(p: &Principal, s: &SandboxRec) -> bool {
    owns(p, s.metadata.get("access.owner").map(String::as_str))
}

fn not_found_sandbox(id: &str) -> ApiError {
    ApiError::not_found(format!("sandbox {id:?} not found"))
}

/// Runs `f` on the sandbox `id` if it exists (not expired) and `p` may see it.
pub(crate) fn with_sandbox<T>(
    app: &App,
    p: &Principal,
    id: &str,
    f: impl FnOnce(&mut SandboxRec) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let now = app.store.now();
    let mut d = app.store.lock();
    d.purge_expired(now);
    match d.sandboxes.get_mut(id) {
        Some(s) if visible(p, s) => f(s),
        _ => Err(not_found_sandbox(id)),
    }
}

/// The query pairs, decoded.
fn query_pairs(raw: Option<&str>) -> Vec<(String, String)> {
    form_urlencoded::parse(raw.unwrap_or("").as_bytes())
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// `page` and `pageSize` from the query.
fn paging(q: &[(String, String)]) -> Result<(u64, u64), ApiError> {
    let mut page = 1;
    let mut size = DEFAULT_PAGE_SIZE;
    for (k, v) in q {
        match k.as_str() {
            "page" => page = validate::positive(v, "page", u64::from(u32::MAX))?,
            "pageSize" => size = validate::positive(v, "pageSize", MAX_PAGE_SIZE)?,
            _ => {}
        }
    }
    Ok((page, size))
}

/// One page of `items` with the spec's `PaginationInfo`.
fn page_json(items: Vec<Value>, page: u64, size: u64) -> Value {
    let total = items.len() as u64;
    let pages = total.div_ceil(size);
    let start = usize::try_from((page - 1).saturating_mul(size)).unwrap_or(usize::MAX);
    let slice: Vec<Value> = items
        .into_iter()
        .skip(start)
        .take(usize::try_from(size).unwrap_or(usize::MAX))
        .collect();
    json!({
        "items": slice,
        "pagination": {
            "page": page,
            "pageSize": size,
            "totalItems": total,
            "totalPages": pages,
            "hasNextPage": page < pages,
        },
    })
}

/// `GET /sandboxes`: filters `state` (repeatable, OR, case-insensitive) and `metadata`
/// (`k=v&k2=v2`, URL-encoded, AND), paging `page`/`pageSize`; oldest first.
pub(crate) async fn list(
    State(app): Shared,
    h: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = principal(&app, &h, false)?;
    let q = query_pairs(raw.as_deref());
    let (page, size) = paging(&q)?;
    let states: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v.as_str())
        .collect();
    let mut wanted_meta = Vec::new();
    for (_, v) in q.iter().filter(|(k, _)| k == "metadata") {
        for (mk, mv) in form_urlencoded::parse(v.as_bytes()) {
            if mk.is_empty() {
                return Err(ApiError::bad_request(
                    "metadata filter must be key=value pairs joined with &",
                ));
            }
            wanted_meta.push((mk.into_owned(), mv.into_owned()));
        }
    }
    let now = app.store.now();
    let mut d = app.store.lock();
    d.purge_expired(now);
    let mut found: Vec<&SandboxRec> = d
        .sandboxes
        .values()
        .filter(|s| visible(&p, s))
        .filter(|s| {
            states.is_empty()
                || states
                    .iter()
                    .any(|st| st.eq_ignore_ascii_case(s.state.name()))
        })
        .filter(|s| {
            wanted_meta
                .iter()
                .all(|(k, v)| s.metadata.get(k) == Some(v))
        })
        .collect();
    found.sort_by_key(|s| s.seq);
    let items = found.into_iter().map(|s| sandbox_json(s, true)).collect();
    Ok(Json(page_json(items, page, size)))
}

fn access_token() -> SecretString {
    let mut bytes = [0u8; 24];
    // The OS random source does not fail on supported platforms.
    let _ = getrandom::getrandom(&mut bytes);
    SecretString::new(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
}

/// Adds a running sandbox with a given id (the admin seeding route): secure when
/// `access_token` is given.
pub(crate) fn seed(
    d: &mut crate::state::Data,
    now: u64,
    id: String,
    access_token: Option<SecretString>,
) -> Result<(), ApiError> {
    d.purge_expired(now);
    if d.sandboxes.contains_key(&id) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "SANDBOX::ALREADY_EXISTS",
            format!("sandbox {id:?} already exists"),
        ));
    }
    if d.sandboxes.len() >= MAX_SANDBOXES {
        return Err(too_many("sandboxes", MAX_SANDBOXES));
    }
    let mut rec = SandboxRec {
        id: id.clone(),
        seq: d.next_seq(),
        image: Some("seeded".to_owned()),
        snapshot_id: None,
        entrypoint: DEFAULT_ENTRYPOINT.iter().map(|s| (*s).to_owned()).collect(),
        platform: None,
        extensions: Default::default(),
        access_token,
        metadata: Default::default(),
        state: SandboxState::Running,
        reason: "",
        message: "",
        last_transition_at: now,
        created_at: now,
        expires_at: None,
        events: VecDeque::new(),
    };
    rec.transition(
        SandboxState::Running,
        "SANDBOX_RUNNING",
        "sandbox is running",
        now,
    );
    d.sandboxes.insert(id, rec);
    Ok(())
}

/// A new random access token.
pub(crate) fn new_access_token() -> SecretString {
    access_token()
}

fn too_many(what: &str, max: usize) -> ApiError {
    ApiError::new(
        StatusCode::TOO_MANY_REQUESTS,
        "MOCK::STORE_FULL",
        format!("the mock holds at most {max} {what}: delete some first"),
    )
}

/// `POST /sandboxes` → 202 `CreateSandboxResponse` with `Location`.
pub(crate) async fn create(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let p = principal(&app, &h, true)?;
    let body = json_body(&h, body, true)?.unwrap_or_default();
    let req = validate::create_request(&body)?;
    let now = app.store.now();
    let mut d = app.store.lock();
    d.purge_expired(now);
    if d.sandboxes.len() >= MAX_SANDBOXES {
        return Err(too_many("sandboxes", MAX_SANDBOXES));
    }
    let mut entrypoint = req.entrypoint;
    let mut image = req.image;
    if let Some(snap) = &req.snapshot_id {
        let s = d
            .snapshots
            .get(snap)
            .filter(|s| owns(&p, s.owner.as_deref()))
            .ok_or_else(|| ApiError::not_found(format!("snapshot {snap:?} not found")))?;
        entrypoint = entrypoint.or_else(|| Some(s.entrypoint.clone()));
        image = None;
    }
    let mut metadata = req.metadata;
    if let Principal::User(u) = &p {
        metadata.insert("access.owner".into(), u.id.clone());
    }
    let mut rec = SandboxRec {
        id: uuid(),
        seq: d.next_seq(),
        image,
        snapshot_id: req.snapshot_id,
        entrypoint: entrypoint
            .unwrap_or_else(|| DEFAULT_ENTRYPOINT.iter().map(|s| (*s).to_owned()).collect()),
        platform: req.platform,
        extensions: req.extensions,
        access_token: req.secure_access.then(access_token),
        metadata,
        state: SandboxState::Running,
        reason: "",
        message: "",
        last_transition_at: now,
        created_at: now,
        expires_at: req.timeout.map(|t| now.saturating_add(t)),
        events: VecDeque::new(),
    };
    rec.transition(
        SandboxState::Running,
        "SANDBOX_RUNNING",
        "sandbox is running",
        now,
    );
    let out = sandbox_json(&rec, false);
    let location = format!("/v1/sandboxes/{}", rec.id);
    d.sandboxes.insert(rec.id.clone(), rec);
    let mut resp = (StatusCode::ACCEPTED, Json(out)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert("location", v);
    }
    Ok(resp)
}

type IdPath = Result<Path<String>, PathRejection>;

/// `GET /sandboxes/{id}` → the full `Sandbox`.
pub(crate) async fn get_one(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, false)?;
    with_sandbox(&app, &p, &id, |s| Ok(Json(sandbox_json(s, true))))
}

/// `DELETE /sandboxes/{id}` → 204. Its snapshots stay.
pub(crate) async fn delete(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    with_sandbox(&app, &p, &id, |_| Ok(()))?;
    app.store.lock().sandboxes.remove(&id);
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /sandboxes/{id}/pause` → 202; only a Running sandbox pauses (else 409).
pub(crate) async fn pause(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    transition(&app, &h, id, SandboxState::Running, SandboxState::Paused).await
}

/// `POST /sandboxes/{id}/resume` → 202; only a Paused sandbox resumes (else 409).
pub(crate) async fn resume(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    transition(&app, &h, id, SandboxState::Paused, SandboxState::Running).await
}

async fn transition(
    app: &App,
    h: &HeaderMap,
    id: IdPath,
    from: SandboxState,
    to: SandboxState,
) -> Result<StatusCode, ApiError> {
    let id = path_params(id)?;
    let p = principal(app, h, true)?;
    let now = app.store.now();
    with_sandbox(app, &p, &id, |s| {
        if s.state != from {
            return Err(ApiError::conflict(format!(
                "sandbox {id:?} is {}, not {}",
                s.state.name(),
                from.name()
            )));
        }
        let (reason, message) = match to {
            SandboxState::Paused => ("USER_PAUSE", "sandbox was paused"),
            SandboxState::Running => ("USER_RESUME", "sandbox was resumed"),
        };
        s.transition(to, reason, message, now);
        Ok(StatusCode::ACCEPTED)
    })
}

/// `POST /sandboxes/{id}/renew-expiration` `{"expiresAt": RFC 3339}` → `{"expiresAt"}`.
/// The new time must be in the future (by the mock clock); it may shorten the lifetime.
pub(crate) async fn renew(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let body = json_body(&h, body, true)?.unwrap_or_default();
    if let Some(k) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| k.as_str() != "expiresAt"))
    {
        return Err(ApiError::bad_request(format!(
            "unknown field {k:?}: the body is {{\"expiresAt\": RFC 3339}}"
        )));
    }
    let at = body
        .get("expiresAt")
        .and_then(Value::as_str)
        .ok_or_else(|| ApiError::bad_request("expiresAt (RFC 3339 string) is required"))?;
    let at = sandgate::keys::parse_expires_at(at)
        .map_err(|e| ApiError::bad_request(format!("expiresAt: {}", e.message())))?;
    let now = app.store.now();
    if at <= now {
        return Err(ApiError::bad_request("expiresAt must be in the future"));
    }
    with_sandbox(&app, &p, &id, |s| {
        s.expires_at = Some(at);
        s.event(
            now,
            &format!("expiration renewed to {}", format_rfc3339(at)),
        );
        Ok(Json(json!({ "expiresAt": format_rfc3339(at) })))
    })
}

/// `PATCH /sandboxes/{id}/metadata`: JSON Merge Patch (string adds or replaces, null
/// deletes), keys and values as Kubernetes labels; `access.owner` is the server's.
pub(crate) async fn patch_metadata(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let body = json_body(&h, body, true)?.unwrap_or_default();
    let patch: &Map<String, Value> = body.as_object().expect("json_body returns objects");
    for (k, v) in patch {
        if k == "access.owner" {
            return Err(ApiError::bad_request(
                "access.owner is set by the server and cannot be patched",
            ));
        }
        validate::metadata_key(k)?;
        match v {
            Value::Null => {}
            Value::String(s) if validate::label_value(s) => {}
            Value::String(_) => {
                return Err(ApiError::bad_request(format!(
                    "metadata value of {k:?} must be 1-63 characters, alphanumeric at both ends, '-', '_' or '.' inside"
                )))
            }
            _ => {
                return Err(ApiError::bad_request(format!(
                    "metadata value of {k:?} must be a string or null"
                )))
            }
        }
    }
    let now = app.store.now();
    with_sandbox(&app, &p, &id, |s| {
        for (k, v) in patch {
            match v.as_str() {
                Some(v) => {
                    s.metadata.insert(k.clone(), v.to_owned());
                }
                None => {
                    s.metadata.remove(k);
                }
            }
        }
        s.event(now, "metadata patched");
        Ok(Json(sandbox_json(s, true)))
    })
}

fn snapshot_json(s: &SnapshotRec, state: &str) -> Value {
    let (reason, message) = match state {
        "Creating" => ("snapshot_accepted", "snapshot creation accepted"),
        _ => ("snapshot_ready", "snapshot is ready"),
    };
    let mut v = json!({
        "id": s.id,
        "sandboxId": s.sandbox_id,
        "status": status_json(state, reason, message, s.created_at),
        "createdAt": format_rfc3339(s.created_at),
    });
    if let Some(n) = &s.name {
        v["name"] = json!(n);
    }
    v
}

/// `POST /sandboxes/{id}/snapshots` `{"name"?}` → 202 `Snapshot` in state `Creating`; the
/// source must be Running. The mock captures at once: every later read sees `Ready`.
pub(crate) async fn create_snapshot(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
    body: Result<Bytes, BytesRejection>,
) -> Result<Response, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let body = json_body(&h, body, false)?.unwrap_or_default();
    if let Some(k) = body
        .as_object()
        .and_then(|m| m.keys().find(|k| k.as_str() != "name"))
    {
        return Err(ApiError::bad_request(format!(
            "unknown field {k:?}: the body is {{\"name\"?: string}}"
        )));
    }
    let name = match body.get("name") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.is_empty() => Some(s.clone()),
        Some(_) => return Err(ApiError::bad_request("name must be a non-empty string")),
    };
    let now = app.store.now();
    let (entrypoint, owner) = with_sandbox(&app, &p, &id, |s| {
        if s.state != SandboxState::Running {
            return Err(ApiError::conflict(format!(
                "sandbox {id:?} is {}: only a Running sandbox can be snapshotted",
                s.state.name()
            )));
        }
        s.event(now, "snapshot requested");
        Ok((
            s.entrypoint.clone(),
            s.metadata.get("access.owner").cloned(),
        ))
    })?;
    let mut d = app.store.lock();
    if d.snapshots.len() >= MAX_SNAPSHOTS {
        return Err(too_many("snapshots", MAX_SNAPSHOTS));
    }
    let rec = SnapshotRec {
        id: uuid(),
        seq: d.next_seq(),
        sandbox_id: id,
        name,
        owner,
        entrypoint,
        created_at: now,
    };
    let out = snapshot_json(&rec, "Creating");
    let location = format!("/v1/snapshots/{}", rec.id);
    d.snapshots.insert(rec.id.clone(), rec);
    let mut resp = (StatusCode::ACCEPTED, Json(out)).into_response();
    if let Ok(v) = HeaderValue::from_str(&location) {
        resp.headers_mut().insert("location", v);
    }
    Ok(resp)
}

fn with_snapshot<T>(
    d: &mut Data,
    p: &Principal,
    id: &str,
    f: impl FnOnce(&mut Data) -> T,
) -> Result<T, ApiError> {
    match d.snapshots.get(id) {
        Some(s) if owns(p, s.owner.as_deref()) => Ok(f(d)),
        _ => Err(ApiError::not_found(format!("snapshot {id:?} not found"))),
    }
}

/// `GET /snapshots/{id}`.
pub(crate) async fn get_snapshot(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<Json<Value>, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, false)?;
    let mut d = app.store.lock();
    with_snapshot(&mut d, &p, &id, |d| {
        Json(snapshot_json(&d.snapshots[&id], "Ready"))
    })
}

/// `DELETE /snapshots/{id}` → 204.
pub(crate) async fn delete_snapshot(
    State(app): Shared,
    h: HeaderMap,
    id: IdPath,
) -> Result<StatusCode, ApiError> {
    let id = path_params(id)?;
    let p = principal(&app, &h, true)?;
    let mut d = app.store.lock();
    with_snapshot(&mut d, &p, &id, |d| {
        d.snapshots.remove(&id);
        StatusCode::NO_CONTENT
    })
}

/// `GET /snapshots`: filters `sandboxId`, `name`, `state` (repeatable), paging.
pub(crate) async fn list_snapshots(
    State(app): Shared,
    h: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let p = principal(&app, &h, false)?;
    let q = query_pairs(raw.as_deref());
    let (page, size) = paging(&q)?;
    let get = |name: &str| q.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str());
    let states: Vec<&str> = q
        .iter()
        .filter(|(k, _)| k == "state")
        .map(|(_, v)| v.as_str())
        .collect();
    let d = app.store.lock();
    let mut found: Vec<&SnapshotRec> = d
        .snapshots
        .values()
        .filter(|s| owns(&p, s.owner.as_deref()))
        .filter(|s| get("sandboxId").map_or(true, |id| s.sandbox_id == id))
        .filter(|s| get("name").map_or(true, |n| s.name.as_deref() == Some(n)))
        .filter(|_| states.is_empty() || states.iter().any(|s| s.eq_ignore_ascii_case("Ready")))
        .collect();
    found.sort_by_key(|s| s.seq);
    let items = found
        .into_iter()
        .map(|s| snapshot_json(s, "Ready"))
        .collect();
    Ok(Json(page_json(items, page, size)))
}

/// `POST /metrics/events` (`MetricsEvent`) → 204; kept for `/_mock/metrics`.
pub(crate) async fn metrics_event(
    State(app): Shared,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    principal(&app, &h, false)?;
    let body = json_body(&h, body, true)?.unwrap_or_default();
    if body.get("eventType").and_then(Value::as_str) != Some("sandbox.create") {
        return Err(ApiError::bad_request(
            "eventType must be \"sandbox.create\"",
        ));
    }
    if body
        .get("createDurationMs")
        .and_then(Value::as_u64)
        .is_none()
    {
        return Err(ApiError::bad_request(
            "createDurationMs must be a non-negative integer",
        ));
    }
    if !body.get("success").is_some_and(Value::is_boolean) {
        return Err(ApiError::bad_request("success must be a boolean"));
    }
    for f in ["sandboxId", "image"] {
        if body.get(f).is_some_and(|v| !v.is_string() && !v.is_null()) {
            return Err(ApiError::bad_request(format!("{f} must be a string")));
        }
    }
    let mut d = app.store.lock();
    if d.metrics_events.len() >= MAX_METRICS_EVENTS {
        d.metrics_events.pop_front();
    }
    d.metrics_events.push_back(body);
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /sandboxes/{id}/diagnostics/{logs|events}?scope=...` → an inline descriptor whose
/// text is the sandbox's lifecycle lines (the mock has no container output).
pub(crate) async fn diagnostics(
    State(app): Shared,
    h: HeaderMap,
    params: Result<Path<(String, String)>, PathRejection>,
    RawQuery(raw): RawQuery,
) -> Result<Json<Value>, ApiError> {
    let (id, kind) = path_params(params)?;
    if kind != "logs" && kind != "events" {
        return Err(ApiError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "no such route",
        ));
    }
    let p = principal(&app, &h, false)?;
    let q = query_pairs(raw.as_deref());
    let scope = q
        .iter()
        .find(|(k, _)| k == "scope")
        .map(|(_, v)| v.clone())
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| {
            ApiError::bad_request("scope is required (container, lifecycle, runtime or all)")
        })?;
    with_sandbox(&app, &p, &id, |s| {
        let mut content = String::new();
        for line in &s.events {
            content.push_str(line);
            content.push('\n');
        }
        Ok(Json(json!({
            "sandboxId": s.id,
            "kind": kind,
            "scope": scope,
            "delivery": "inline",
            "contentType": "text/plain; charset=utf-8",
            "content": content,
            "truncated": false,
        })))
    })
}

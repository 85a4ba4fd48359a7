//! Pieces both listeners use: request ids, the two error shapes, JSON bodies.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Largest accepted request body.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Adds `X-Request-ID` (a UUID, as upstream's) to every response.
pub(crate) async fn request_id(req: Request<Body>, next: Next) -> Response {
    let mut resp = next.run(req).await;
    if let Ok(v) = HeaderValue::from_str(&crate::state::uuid()) {
        resp.headers_mut().insert("x-request-id", v);
    }
    resp
}

/// A lifecycle API error: `{"code", "message"}`.
pub(crate) struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "SANDBOX::INVALID_PARAMETER",
            message,
        )
    }
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "SANDBOX::NOT_FOUND", message)
    }
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "FORBIDDEN", message)
    }
    /// 409: the operation does not fit the resource's current state.
    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "SANDBOX::INVALID_STATE", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({ "code": self.code, "message": self.message })),
        )
            .into_response()
    }
}

/// A keys API error: `{"success": false, "error": {"message", "code": status}}`.
pub(crate) struct KeysError {
    pub status: StatusCode,
    pub message: String,
}

impl KeysError {
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        KeysError {
            status,
            message: message.into(),
        }
    }
}

impl IntoResponse for KeysError {
    fn into_response(self) -> Response {
        (
            self.status,
            axum::Json(json!({
                "success": false,
                "error": { "message": self.message, "code": self.status.as_u16() },
            })),
        )
            .into_response()
    }
}

impl From<ApiError> for KeysError {
    fn from(e: ApiError) -> Self {
        KeysError::new(e.status, e.message)
    }
}

/// Reads a JSON object body; an empty body is `{}`. Errors say what was wrong.
pub(crate) fn json_object(body: Result<Bytes, BytesRejection>) -> Result<Value, ApiError> {
    let body = body.map_err(|r| {
        let status = r.status();
        if status == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(
                status,
                "SANDBOX::INVALID_PARAMETER",
                format!("request body is larger than {MAX_BODY} bytes"),
            )
        } else {
            ApiError::new(
                status,
                "SANDBOX::INVALID_PARAMETER",
                format!("cannot read the body: {r}"),
            )
        }
    })?;
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(Value::Object(Default::default()));
    }
    let v: Value = serde_json::from_slice(&body)
        .map_err(|e| ApiError::bad_request(format!("request body is not valid JSON: {e}")))?;
    if !v.is_object() {
        return Err(ApiError::bad_request("request body must be a JSON object"));
    }
    Ok(v)
}

/// A header as text; a value that is not visible ASCII is an error naming the header.
pub(crate) fn header<'a>(h: &'a HeaderMap, name: &str) -> Result<Option<&'a str>, String> {
    match h.get(name) {
        None => Ok(None),
        Some(v) => v
            .to_str()
            .map(Some)
            .map_err(|_| format!("header {name} is not valid visible ASCII")),
    }
}

/// Reads the JSON object body of a lifecycle request (SPEC §2, upstream's spec): a body that
/// is present must be sent as `Content-Type: application/json`; `required` bodies must be
/// present. Returns `None` for an absent optional body.
pub(crate) fn json_body(
    h: &HeaderMap,
    body: Result<Bytes, BytesRejection>,
    required: bool,
) -> Result<Option<Value>, ApiError> {
    let bytes = match &body {
        Ok(b) => b.clone(),
        Err(_) => return json_object(body).map(Some),
    };
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if required {
            return Err(ApiError::bad_request(
                "a JSON request body is required (Content-Type: application/json)",
            ));
        }
        return Ok(None);
    }
    let content_type = header(h, "content-type").map_err(ApiError::bad_request)?;
    let is_json = content_type.is_some_and(|ct| {
        ct.split(';')
            .next()
            .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
    });
    if !is_json {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "SANDBOX::INVALID_PARAMETER",
            format!(
                "Content-Type must be application/json, not {:?}",
                content_type.unwrap_or("")
            ),
        ));
    }
    json_object(Ok(bytes)).map(Some)
}

//! Pieces both listeners use: request ids, the two error shapes, JSON bodies.

use axum::body::{Body, Bytes};
use axum::extract::rejection::BytesRejection;
use axum::http::{HeaderMap, HeaderValue, Request, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Value};

/// Largest accepted request body.
pub(crate) const MAX_BODY: usize = 64 * 1024;

/// Adds `X-Request-ID` to every response.
pub(crate) async fn request_id(req: Request<Body>, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let id = format!("req_{}", crate::state::random_id(16));
    if let Ok(v) = HeaderValue::from_str(&id) {
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

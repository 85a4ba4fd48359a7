//! The built-in sandbox app behind the gateway and the server proxy: it answers every path
//! (`/ping` included) with `200` and JSON echoing what it received after stripping.

use axum::body::{Body, Bytes};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::{json, Map, Value};

/// What reached the app.
pub(crate) struct Received<'a> {
    pub sandbox_id: &'a str,
    pub port: u16,
    /// Upstream path as forwarded (escaping kept).
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub method: &'a str,
    /// Headers after the forwarder removed its own.
    pub headers: &'a HeaderMap,
    pub body: &'a [u8],
}

pub(crate) fn answer(r: &Received<'_>) -> Response {
    let mut headers = Map::new();
    for (name, value) in r.headers {
        headers.insert(
            name.as_str().to_owned(),
            Value::String(String::from_utf8_lossy(value.as_bytes()).into_owned()),
        );
    }
    Json(json!({
        "sandbox_id": r.sandbox_id,
        "port": r.port,
        "path": r.path,
        "query": r.query,
        "method": r.method,
        "headers": headers,
        "body": String::from_utf8_lossy(r.body),
    }))
    .into_response()
}

/// Reads a request body up to `max` bytes; `Err` carries the status to answer (413 when too
/// large, 408 when the client was too slow or the read failed).
pub(crate) async fn read_body(body: Body, max: usize) -> Result<Bytes, axum::http::StatusCode> {
    use axum::http::StatusCode;
    axum::body::to_bytes(body, max).await.map_err(|e| {
        let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(&e);
        while let Some(c) = cause {
            if c.is::<http_body_util::LengthLimitError>() {
                return StatusCode::PAYLOAD_TOO_LARGE;
            }
            cause = c.source();
        }
        StatusCode::REQUEST_TIMEOUT
    })
}

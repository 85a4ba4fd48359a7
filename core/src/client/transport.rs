//! Sending one call: URL building, auth headers, timeouts, retries and error mapping.

use super::config::redact_userinfo;
use super::config::Settings;
use crate::error::{Error, ErrorKind, Result};
use reqwest::header::{HeaderMap, HeaderName, HeaderValue, LOCATION, RETRY_AFTER, USER_AGENT};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::time::{Duration, SystemTime};

/// Which API a call goes to: it decides the path prefix and the API-key header.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Api {
    /// `/v1/...`, key in `OPEN-SANDBOX-API-KEY`.
    Lifecycle,
    /// `/api/v1/keys/...`, key in `X-API-Key`.
    Keys,
}

pub(crate) struct Call<'a> {
    api: Api,
    method: Method,
    segments: Vec<&'a str>,
    pub query: Vec<(&'static str, String)>,
    body: Option<Value>,
}

impl<'a> Call<'a> {
    pub fn get(api: Api, segments: &[&'a str]) -> Self {
        Self::new(api, Method::GET, segments, None)
    }
    pub fn delete(api: Api, segments: &[&'a str]) -> Self {
        Self::new(api, Method::DELETE, segments, None)
    }
    pub fn post(api: Api, segments: &[&'a str], body: Value) -> Self {
        Self::new(api, Method::POST, segments, Some(body))
    }
    fn new(api: Api, method: Method, segments: &[&'a str], body: Option<Value>) -> Self {
        Call {
            api,
            method,
            segments: segments.to_vec(),
            query: Vec::new(),
            body,
        }
    }
    /// GET and DELETE may be repeated; POSTs create things and may not.
    fn idempotent(&self) -> bool {
        self.method == Method::GET || self.method == Method::DELETE
    }
}

pub(crate) struct Transport {
    pub settings: Settings,
    http: reqwest::Client,
    base: String,
    /// `base` with userinfo shown as `***`: what `base_url` reports.
    shown_base: String,
}

impl Transport {
    pub fn new(settings: Settings) -> Result<Self> {
        let mut headers = HeaderMap::new();
        for (k, v) in &settings.headers {
            // Validated by the builder.
            if let (Ok(k), Ok(v)) = (
                HeaderName::from_bytes(k.as_bytes()),
                HeaderValue::from_str(v),
            ) {
                headers.append(k, v);
            }
        }
        if let Ok(ua) = HeaderValue::from_str(&settings.user_agent) {
            headers.insert(USER_AGENT, ua);
        }
        let http = reqwest::Client::builder()
            .default_headers(headers)
            .timeout(settings.timeout)
            // SPEC §2.1: a redirect is never followed, so no credential leaves the origin.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot build the HTTP client: {e}")))?;
        let base = format!("{}://{}", settings.protocol, settings.domain);
        let shown_base = redact_userinfo(&base).into_owned();
        Ok(Transport {
            settings,
            http,
            base,
            shown_base,
        })
    }

    pub fn base_url(&self) -> &str {
        &self.shown_base
    }

    fn url(&self, call: &Call<'_>) -> Result<reqwest::Url> {
        let mut url = reqwest::Url::parse(&format!("{}/", self.base))
            .map_err(|e| Error::invalid_config(format!("bad base URL: {e}")))?;
        {
            let mut segs = url
                .path_segments_mut()
                .map_err(|_| Error::invalid_config("base URL cannot have a path"))?;
            segs.pop_if_empty();
            match call.api {
                Api::Lifecycle => segs.push("v1"),
                Api::Keys => segs.extend(["api", "v1", "keys"]),
            };
            segs.extend(&call.segments);
        }
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(&call.query);
        }
        Ok(url)
    }

    fn request(&self, call: &Call<'_>, url: reqwest::Url) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(call.method.clone(), url);
        if let Some(key) = &self.settings.api_key {
            let name = match call.api {
                Api::Lifecycle => "OPEN-SANDBOX-API-KEY",
                Api::Keys => "X-API-Key",
            };
            rb = rb.header(name, key.expose());
        }
        if let Some(body) = &call.body {
            rb = rb.json(body);
        }
        rb
    }

    /// Sends `call` (with retries where safe) and returns the decoded JSON body of a success
    /// (`Null` for an empty body), or the mapped error.
    pub async fn json(&self, call: Call<'_>) -> Result<Value> {
        let url = self.url(&call)?;
        let policy = self.settings.retry;
        let mut attempt = 1;
        loop {
            let retry_left = attempt < policy.max_attempts;
            let sent = self.request(&call, url.clone()).send().await;
            let outcome = match sent {
                Ok(resp) => self.read(resp).await,
                Err(e) => Err(Failure::from_reqwest(e)),
            };
            let failure = match outcome {
                Ok(v) => return Ok(v),
                Err(f) => f,
            };
            let may_retry = retry_left
                && match &failure {
                    Failure::Status { status, .. } => {
                        call.idempotent() && matches!(status.as_u16(), 429 | 502 | 503 | 504)
                    }
                    Failure::Connect(_) => true,
                    Failure::Connection(_) => call.idempotent(),
                    Failure::Timeout | Failure::Done(_) => false,
                };
            if !may_retry {
                return Err(failure.into_error(&self.settings));
            }
            let delay = match &failure {
                Failure::Status {
                    retry_after: Some(d),
                    ..
                } => (*d).min(policy.max_backoff),
                _ => jitter(policy.backoff(attempt)),
            };
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    async fn read(&self, mut resp: reqwest::Response) -> std::result::Result<Value, Failure> {
        let status = resp.status();
        let request_id = resp
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        if status.is_redirection() {
            return Err(Failure::Done(redirect_error(
                status,
                resp.headers().get(LOCATION),
                request_id,
            )));
        }
        let retry_after = resp.headers().get(RETRY_AFTER).and_then(parse_retry_after);
        let bytes = self.body(&mut resp, status, &request_id).await?;
        if status.is_success() {
            if bytes.is_empty() || status == StatusCode::NO_CONTENT {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                Failure::Done(
                    Error::new(
                        ErrorKind::Decode,
                        format!(
                            "the server's {} response is not valid JSON: {e}",
                            status.as_u16()
                        ),
                    )
                    .with_status(status.as_u16())
                    .with_request_id(request_id.clone()),
                )
            });
        }
        Err(Failure::Status {
            status,
            retry_after,
            error: api_error(status, &bytes, request_id),
        })
    }

    /// Reads the body chunk by chunk, refusing it as soon as it is known to exceed the size
    /// cap: from `Content-Length` before reading anything, else when the running total passes it.
    async fn body(
        &self,
        resp: &mut reqwest::Response,
        status: StatusCode,
        request_id: &Option<String>,
    ) -> std::result::Result<Vec<u8>, Failure> {
        let cap = self.settings.max_response_bytes;
        let too_big = |what: String| {
            Failure::Done(
                Error::new(
                    ErrorKind::Decode,
                    format!(
                        "the server's {} response {what}, over the limit of {cap} bytes",
                        status.as_u16()
                    ),
                )
                .with_status(status.as_u16())
                .with_request_id(request_id.clone()),
            )
        };
        if let Some(n) = resp.content_length() {
            if n > cap as u64 {
                return Err(too_big(format!("announces {n} bytes")));
            }
        }
        let mut out = Vec::new();
        while let Some(chunk) = resp.chunk().await.map_err(Failure::from_reqwest)? {
            if out.len() + chunk.len() > cap {
                return Err(too_big("is larger".to_owned()));
            }
            out.extend_from_slice(&chunk);
        }
        Ok(out)
    }
}

/// Why an attempt failed, as far as retrying is concerned.
enum Failure {
    /// The server answered with an error status.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
        error: Error,
    },
    /// The connection could not be made: the request was never sent.
    Connect(reqwest::Error),
    /// The connection failed after the request may have been sent.
    Connection(reqwest::Error),
    /// The request did not finish in time: not retried.
    Timeout,
    /// Final: never retried (decode errors).
    Done(Error),
}

impl Failure {
    fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Failure::Timeout
        } else if e.is_connect() {
            Failure::Connect(e)
        } else {
            Failure::Connection(e)
        }
    }

    fn into_error(self, settings: &Settings) -> Error {
        match self {
            Failure::Status { error, .. } | Failure::Done(error) => error,
            Failure::Timeout => Error::new(
                ErrorKind::Timeout,
                format!("the request timed out after {:?}", settings.timeout),
            ),
            Failure::Connect(e) | Failure::Connection(e) => Error::new(
                ErrorKind::Transport,
                format!(
                    "cannot talk to {}: {}",
                    redact_userinfo(&settings.domain),
                    // The URL may carry userinfo from the domain: never in a message.
                    error_chain(&e.without_url())
                ),
            ),
        }
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(inner) = src {
        let t = inner.to_string();
        if !s.contains(&t) {
            s.push_str(": ");
            s.push_str(&t);
        }
        src = inner.source();
    }
    s
}

/// A 3xx answer: never followed (SPEC §2.1); an `api` error with the status and `Location`.
fn redirect_error(
    status: StatusCode,
    location: Option<&HeaderValue>,
    request_id: Option<String>,
) -> Error {
    let location = match location.map(HeaderValue::to_str) {
        None => "no Location".to_owned(),
        Some(Err(_)) => "a Location that is not text".to_owned(),
        Some(Ok(l)) => {
            let l: String = redact_userinfo(l.trim()).chars().take(300).collect();
            format!("Location: {l}")
        }
    };
    Error::api(
        status.as_u16(),
        None,
        format!(
            "the server answered {} with {location}; sandgate never follows redirects",
            status.as_u16()
        ),
        request_id,
    )
}

/// Maps an error response: lifecycle `{"code", "message"}` or keys
/// `{"success": false, "error": {"message", "code"}}`, else the body text.
fn api_error(status: StatusCode, body: &[u8], request_id: Option<String>) -> Error {
    let parsed: Option<Value> = serde_json::from_slice(body).ok();
    let (code, message) = match &parsed {
        Some(v) if v.get("error").is_some_and(Value::is_object) => {
            let e = &v["error"];
            (
                e.get("code").and_then(Value::as_str).map(str::to_owned),
                e.get("message").and_then(Value::as_str).map(str::to_owned),
            )
        }
        Some(v) => (
            v.get("code").and_then(Value::as_str).map(str::to_owned),
            v.get("message").and_then(Value::as_str).map(str::to_owned),
        ),
        None => (None, None),
    };
    let message = message.unwrap_or_else(|| {
        let text = String::from_utf8_lossy(body);
        let text = text.trim();
        if text.is_empty() {
            status.canonical_reason().unwrap_or("error").to_owned()
        } else {
            text.chars().take(300).collect()
        }
    });
    Error::api(status.as_u16(), code, message, request_id)
}

fn parse_retry_after(v: &HeaderValue) -> Option<Duration> {
    let s = v.to_str().ok()?.trim();
    if let Ok(secs) = s.parse::<u64>() {
        return Some(Duration::from_secs(secs));
    }
    let at = httpdate::parse_http_date(s).ok()?;
    Some(
        at.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO),
    )
}

/// `d` scaled by a random factor in [0.75, 1.25].
fn jitter(d: Duration) -> Duration {
    let mut b = [0u8; 2];
    let r = if getrandom::getrandom(&mut b).is_ok() {
        f64::from(u16::from_le_bytes(b)) / f64::from(u16::MAX)
    } else {
        0.5
    };
    d.mul_f64(0.75 + 0.5 * r)
}

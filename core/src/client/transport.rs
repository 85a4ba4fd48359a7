//! Sending one call: URL building, auth headers, timeouts, retries and error mapping.

use super::config::redact_userinfo;
use super::config::Settings;
use super::model::{API_KEY_HEADER, ORIGIN_HEADER};
use super::retry::{self, Outcome, Verdict};
use crate::error::{Error, ErrorKind, Result};
use crate::surface::{ErrorView, RetryEvent};
use reqwest::header::{
    HeaderMap, HeaderName, HeaderValue, DATE, LOCATION, RETRY_AFTER, USER_AGENT,
};
use reqwest::{Method, StatusCode};
use serde_json::Value;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

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
    pub fn post_empty(api: Api, segments: &[&'a str]) -> Self {
        Self::new(api, Method::POST, segments, None)
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
}

/// The server's clock as learnt from the `Date` header of its responses (SPEC §2.1): the
/// offset from ours, in milliseconds, and whether one was learnt yet.
#[derive(Default)]
pub(crate) struct ServerClock {
    offset_ms: AtomicI64,
    known: AtomicBool,
}

impl ServerClock {
    /// Learns from a `Date` of `date` received now. A `Date` is whole seconds, rounded down:
    /// the server's time was in `[date, date + 1 s)`, so the middle is taken.
    fn learn(&self, date: SystemTime) {
        let ms = |t: SystemTime| match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i128::try_from(d.as_millis()).unwrap_or(i128::MAX),
            Err(e) => -i128::try_from(e.duration().as_millis()).unwrap_or(i128::MAX),
        };
        let offset = (ms(date) + 500 - ms(SystemTime::now()))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64;
        self.offset_ms.store(offset, Ordering::Relaxed);
        self.known.store(true, Ordering::Release);
    }

    /// The learnt offset (server minus local) in milliseconds, once a `Date` was seen.
    pub fn offset_ms(&self) -> Option<i64> {
        self.known
            .load(Ordering::Acquire)
            .then(|| self.offset_ms.load(Ordering::Relaxed))
    }

    /// The server's "now" in Unix milliseconds (the local clock until an offset is learnt).
    pub fn now_ms(&self) -> u64 {
        let local = crate::clock::now_unix_ms();
        match self.offset_ms() {
            Some(o) => local.saturating_add_signed(o),
            None => local,
        }
    }

    /// The server's "now" in Unix seconds.
    pub fn now(&self) -> u64 {
        self.now_ms() / 1000
    }
}

/// A successful answer: its JSON body (`Null` when empty) and the headers a caller reads.
pub(crate) struct Reply {
    pub body: Value,
    /// `OPEN-SANDBOX-ORIGIN`, when sent.
    pub origin: Option<String>,
}

pub(crate) struct Transport {
    pub settings: Settings,
    pub clock: ServerClock,
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
        // Each attempt gets its own timeout (`send`). reqwest's own retries are left at their
        // default: HTTP/2 refusals that prove the server did not process the request.
        let http = reqwest::Client::builder()
            .default_headers(headers)
            // SPEC §2.1: a redirect is never followed, so no credential leaves the origin.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::invalid_config(format!("cannot build the HTTP client: {e}")))?;
        let base = format!("{}://{}", settings.protocol, settings.domain);
        let shown_base = redact_userinfo(&base).into_owned();
        Ok(Transport {
            settings,
            clock: ServerClock::default(),
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
                Api::Lifecycle => API_KEY_HEADER,
                Api::Keys => "X-API-Key",
            };
            rb = rb.header(name, key.expose());
        }
        if let Some(body) = &call.body {
            rb = rb.json(body);
        }
        rb
    }

    /// Sends `call` and returns the decoded JSON body of a success (`Null` for an empty body),
    /// or the mapped error.
    pub async fn json(&self, call: Call<'_>) -> Result<Value> {
        Ok(self.send(call).await?.body)
    }

    /// Sends `call`, retrying as the policy says (SPEC §2.1, [`retry::decide`]), and returns
    /// the success or the last failure as an error that says whether it is retryable.
    pub async fn send(&self, call: Call<'_>) -> Result<Reply> {
        let url = self.url(&call)?;
        let policy = &self.settings.retry;
        let method = call.method.as_str();
        let per_attempt = policy.attempt_timeout.unwrap_or(self.settings.timeout);
        let start = Instant::now();
        let mut prev_delay = None;
        let mut attempt = 0u32;
        loop {
            attempt += 1;
            // The overall deadline shortens the attempt that would outlive it.
            let (timeout, cut) = match policy.deadline {
                Some(d) if d.saturating_sub(start.elapsed()) < per_attempt => {
                    (d.saturating_sub(start.elapsed()), true)
                }
                _ => (per_attempt, false),
            };
            if timeout.is_zero() {
                return Err(deadline_error(policy.deadline, attempt - 1, None));
            }
            let failure = match self.attempt(&call, url.clone(), timeout).await {
                Ok(reply) => return Ok(reply),
                Err(f) => f,
            };
            let Some(outcome) = failure.outcome() else {
                return Err(failure.into_error(&self.settings, timeout));
            };
            let decision = retry::decide(
                policy,
                &retry::Attempt {
                    method,
                    outcome,
                    attempt,
                    prev_delay,
                    retry_after: failure.retry_after(),
                    elapsed: start.elapsed(),
                },
            );
            let error = failure
                .into_error(&self.settings, timeout)
                .with_retryable(retry::retryable(policy, method, outcome));
            if cut && outcome == Outcome::Timeout {
                return Err(deadline_error(policy.deadline, attempt, Some(&error)));
            }
            match decision.verdict {
                Verdict::Retry => {}
                Verdict::Deadline => {
                    return Err(deadline_error(policy.deadline, attempt, Some(&error)))
                }
                Verdict::NotRetryable | Verdict::Exhausted => return Err(error),
            }
            let delay = retry::sample_delay(&decision);
            if let Some(hook) = &self.settings.on_retry {
                let event = RetryEvent {
                    attempt,
                    delay_ms: u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    cause: ErrorView::from(&error),
                };
                let _ = catch_unwind(AssertUnwindSafe(|| hook(&event)));
            }
            tokio::time::sleep(delay).await;
            prev_delay = Some(delay);
        }
    }

    async fn attempt(
        &self,
        call: &Call<'_>,
        url: reqwest::Url,
        timeout: Duration,
    ) -> std::result::Result<Reply, Failure> {
        match self.request(call, url).timeout(timeout).send().await {
            Ok(resp) => self.read(resp).await,
            Err(e) => Err(Failure::from_reqwest(e)),
        }
    }

    async fn read(&self, mut resp: reqwest::Response) -> std::result::Result<Reply, Failure> {
        let status = resp.status();
        let date = resp
            .headers()
            .get(DATE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| httpdate::parse_http_date(v).ok());
        if let Some(d) = date {
            self.clock.learn(d);
        }
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
        // An HTTP-date is counted from the answer's own `Date` (the server's clock).
        let retry_after = resp
            .headers()
            .get(RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| {
                let now =
                    date.unwrap_or_else(|| UNIX_EPOCH + Duration::from_millis(self.clock.now_ms()));
                retry::parse_retry_after(v, now)
            });
        let origin = resp
            .headers()
            .get(ORIGIN_HEADER)
            .and_then(|v| v.to_str().ok())
            .map(|v| v.trim().to_owned())
            .filter(|v| !v.is_empty());
        let bytes = self.body(&mut resp, status, &request_id).await?;
        if status.is_success() {
            if bytes.is_empty() || status == StatusCode::NO_CONTENT {
                return Ok(Reply {
                    body: Value::Null,
                    origin,
                });
            }
            let body = serde_json::from_slice(&bytes).map_err(|e| {
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
            })?;
            return Ok(Reply { body, origin });
        }
        Err(Failure::Status {
            status,
            retry_after,
            error: api_error(status, &bytes, request_id).with_retry_after(retry_after),
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

/// The `timeout` error of a call stopped by its overall deadline after `attempts` attempts.
fn deadline_error(deadline: Option<Duration>, attempts: u32, last: Option<&Error>) -> Error {
    let d = deadline.unwrap_or_default();
    let mut m = format!("the overall deadline of {d:?} passed after {attempts} attempt(s)");
    if let Some(e) = last {
        m.push_str("; the last one failed: ");
        m.push_str(&e.to_string());
    }
    Error::new(ErrorKind::Timeout, m)
}

/// Why an attempt failed, as far as retrying is concerned.
enum Failure {
    /// The server answered with an error status.
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
        error: Error,
    },
    /// Nothing of the request was sent: connect (DNS, TCP, TLS) failed, or the request was
    /// handed back unsent by a connection that closed.
    PreSend(reqwest::Error),
    /// The connection failed after the request may have been sent.
    PostSend(reqwest::Error),
    /// The attempt did not finish in time.
    Timeout,
    /// Final: never retried (decode errors, redirects).
    Done(Error),
}

impl Failure {
    fn from_reqwest(e: reqwest::Error) -> Self {
        if e.is_timeout() {
            Failure::Timeout
        } else if e.is_connect() || handed_back_unsent(&e) {
            Failure::PreSend(e)
        } else {
            Failure::PostSend(e)
        }
    }

    fn outcome(&self) -> Option<Outcome> {
        match self {
            Failure::Status { status, .. } => Some(Outcome::Status(status.as_u16())),
            Failure::PreSend(_) => Some(Outcome::PreSend),
            Failure::PostSend(_) => Some(Outcome::PostSend),
            Failure::Timeout => Some(Outcome::Timeout),
            Failure::Done(_) => None,
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        match self {
            Failure::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    fn into_error(self, settings: &Settings, timeout: Duration) -> Error {
        match self {
            Failure::Status { error, .. } | Failure::Done(error) => error,
            Failure::Timeout => Error::new(
                ErrorKind::Timeout,
                format!("the request timed out after {timeout:?}"),
            ),
            Failure::PreSend(e) | Failure::PostSend(e) => Error::new(
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

/// hyper hands a request back, with a "canceled" error, only when no byte of it was written:
/// the connection closed before the request was started (hyper's dispatcher returns the
/// message; a request it had started is never returned). Such a request is safe to send again.
fn handed_back_unsent(e: &reqwest::Error) -> bool {
    let mut src: Option<&(dyn std::error::Error + 'static)> = std::error::Error::source(e);
    while let Some(err) = src {
        if err
            .downcast_ref::<hyper::Error>()
            .is_some_and(hyper::Error::is_canceled)
        {
            return true;
        }
        src = err.source();
    }
    false
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

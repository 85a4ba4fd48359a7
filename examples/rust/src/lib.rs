//! The whole sandgate flow against the embedded mock server, step by step:
//! mint a key as a user → create a secure sandbox with it → get a signed endpoint →
//! `GET /ping` through the gateway → verify the token locally → advance the mock clock and see
//! the same link rejected as expired → see a tampered token rejected → revoke the key and see
//! it rejected. `sandgate demo` runs this too.

use sandgate::client::{Client, CreateSandbox, Endpoint};
use sandgate::route::INGRESS_TO_HEADER;
use sandgate::{DenyReason, ErrorKind, RouteVerifier};
use sandgate_mock::{MockConfig, MockServer, RouteMode};
use std::time::Duration;

/// A step that did not behave as expected.
#[derive(Debug)]
pub struct StepFailed(pub String);

impl std::fmt::Display for StepFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl From<sandgate::Error> for StepFailed {
    fn from(e: sandgate::Error) -> Self {
        StepFailed(e.to_string())
    }
}

fn check(ok: bool, what: impl Into<String>) -> Result<(), StepFailed> {
    if ok {
        Ok(())
    } else {
        Err(StepFailed(what.into()))
    }
}

/// GET `path` through the gateway with the endpoint's headers; returns status and body.
async fn through_gateway(
    http: &reqwest::Client,
    e: &Endpoint,
    path: &str,
) -> Result<(u16, String), StepFailed> {
    let mut rb = http.get(format!("{}{path}", e.url));
    for (k, v) in &e.headers {
        rb = rb.header(k, v);
    }
    let r = rb
        .send()
        .await
        .map_err(|err| StepFailed(format!("gateway request failed: {err}")))?;
    let status = r.status().as_u16();
    Ok((status, r.text().await.unwrap_or_default()))
}

/// Runs the flow, printing each step with `say`. Returns the first step that misbehaved.
pub async fn run(mut say: impl FnMut(String)) -> Result<(), StepFailed> {
    let mock = MockServer::start(MockConfig {
        route_mode: RouteMode::Header,
        trusted_headers: true,
        ..Default::default()
    })?;
    say(format!(
        "mock server: API {} · gateway {}",
        mock.api_url(),
        mock.gateway_url()
    ));

    // 1. A user (from the trusted headers) mints a key; the raw key is shown this one time.
    let as_user = Client::builder()
        .domain(mock.domain())
        .header("X-OpenSandbox-User", "demo-user")
        .header("X-OpenSandbox-Roles", "operator")
        .ignore_env()
        .build()?;
    let key = as_user.create_api_key(Some("demo"), None).await?;
    say(format!(
        "1. minted API key {} for demo-user (prefix {}, shown once: {} characters)",
        key.id,
        key.prefix,
        key.key.expose().len()
    ));

    // 2. With that key alone, create a sandbox that requires secure access.
    let client = Client::builder()
        .domain(mock.domain())
        .api_key(key.key.expose())
        .ignore_env()
        .build()?;
    let sandbox = client
        .create_sandbox(&CreateSandbox {
            secure_access: true,
            ..CreateSandbox::new("python:3.11")
        })
        .await?;
    check(
        sandbox.metadata.get("access.owner").map(String::as_str) == Some("demo-user"),
        "sandbox owner is not demo-user",
    )?;
    say(format!(
        "2. created secure sandbox {} owned by {}",
        sandbox.id, sandbox.metadata["access.owner"]
    ));

    // 3. A signed endpoint for port 8080 that stops working in 60 seconds.
    let endpoint = client
        .get_signed_endpoint_for(&sandbox.id, 8080, Duration::from_secs(60))
        .await?;
    let route = endpoint
        .route
        .clone()
        .ok_or_else(|| StepFailed("no signed route".into()))?;
    let token = endpoint
        .headers
        .get(INGRESS_TO_HEADER)
        .cloned()
        .unwrap_or_default();
    say(format!(
        "3. signed endpoint {} with {INGRESS_TO_HEADER}: {token} (expires {})",
        endpoint.url,
        route.expires.unwrap_or(0)
    ));

    // 4. Through the gateway.
    let http = reqwest::Client::new();
    let (status, body) = through_gateway(&http, &endpoint, "/ping?from=demo").await?;
    check(
        status == 200,
        format!("GET /ping answered {status}: {body}"),
    )?;
    say(format!(
        "4. GET /ping through the gateway → {status} {body}"
    ));

    // 5. Verify the same token locally with the mock's signing keys.
    let verifier = RouteVerifier::new(mock.signing_keys().clone());
    let verified = verifier
        .verify_at(&token, mock.now())
        .map_err(sandgate::Error::from)?;
    say(format!(
        "5. verified locally: sandbox {} port {} key {}",
        verified.sandbox_id,
        verified.port,
        route.key_id.unwrap_or('?')
    ));

    // 6. Past its expiry the same link is rejected.
    mock.advance(61);
    let (status, body) = through_gateway(&http, &endpoint, "/ping").await?;
    check(
        status == 401 && body.contains("expired"),
        format!("expired link answered {status}: {body}"),
    )?;
    let local = verifier
        .verify_at(&token, mock.now())
        .err()
        .map(|d| d.reason());
    check(
        local == Some(DenyReason::Expired),
        "local verify did not say expired",
    )?;
    say(format!(
        "6. after the clock moved 61 s: {status} {}",
        body.trim()
    ));

    // 7. A tampered token is rejected.
    let fresh = client
        .get_signed_endpoint_for(&sandbox.id, 8080, Duration::from_secs(3600))
        .await?;
    let mut tampered = fresh.clone();
    let good = fresh
        .headers
        .get(INGRESS_TO_HEADER)
        .cloned()
        .unwrap_or_default();
    let bad = tamper(&good);
    tampered
        .headers
        .insert(INGRESS_TO_HEADER.to_owned(), bad.clone());
    check(
        through_gateway(&http, &fresh, "/ping").await?.0 == 200,
        "the fresh link was refused",
    )?;
    let (status, body) = through_gateway(&http, &tampered, "/ping").await?;
    check(
        status == 401 && body.contains("bad_signature"),
        format!("tampered token answered {status}: {body}"),
    )?;
    say(format!("7. tampered token {bad}: {status} {}", body.trim()));

    // 8. Revoke the key: it stops working.
    as_user.revoke_api_key(&key.id).await?;
    let err = client
        .list_sandboxes()
        .await
        .err()
        .ok_or_else(|| StepFailed("revoked key still works".into()))?;
    check(
        err.kind() == ErrorKind::Api && err.status() == Some(401),
        format!("revoked key gave {err}"),
    )?;
    say(format!("8. revoked key {} → {err}", key.id));
    Ok(())
}

/// Flips one hex digit of the signature.
fn tamper(token: &str) -> String {
    let mut b = token.as_bytes().to_vec();
    let i = b.len() - 2;
    b[i] = if b[i] == b'0' { b'1' } else { b'0' };
    String::from_utf8(b).unwrap_or_default()
}

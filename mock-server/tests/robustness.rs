//! Bad input gets a 4xx with a clear message, never a panic.

mod common;
use common::*;
use sandgate_mock::RouteMode;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

#[tokio::test]
async fn oversized_and_malformed_bodies() {
    let t = start(RouteMode::Header, true);
    let big = format!(r#"{{"image": {{"uri": "{}"}}}}"#, "x".repeat(70_000));
    let r = t
        .call("POST", "/v1/sandboxes", &t.admin(), Some(&big))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(r.json()["message"]
        .as_str()
        .unwrap()
        .contains("larger than"));
    let r = t
        .call("POST", "/api/v1/keys", &user("u", "operator"), Some(&big))
        .await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.json()["error"]["code"], 413);
    let r = t
        .call(
            "POST",
            "/api/v1/keys",
            &user("u", "operator"),
            Some("{not json"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.json()["error"]["message"]
        .as_str()
        .unwrap()
        .contains("not valid JSON"));
    assert_eq!(t.mock.stored_key_count(), 0);
}

#[tokio::test]
async fn bad_percent_encoding_and_odd_paths() {
    let t = start(RouteMode::Header, false);
    for p in [
        "/v1/sandboxes/%ff%fe",
        "/v1/sandboxes/%zz",
        "/v1/sandboxes/a%00b/endpoints/80",
        "/v1/sandboxes/%C0%AF/endpoints/80",
    ] {
        let r = t.call("GET", p, &t.admin(), None).await;
        assert!(r.status.is_client_error(), "{p}: {}", r.status);
    }
}

/// Sends raw bytes and returns the status line.
async fn raw(addr: &str, request: &[u8]) -> String {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut buf = vec![0u8; 4096];
    let n = s.read(&mut buf).await.unwrap_or(0);
    String::from_utf8_lossy(&buf[..n])
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}

#[tokio::test]
async fn non_utf8_headers_and_paths() {
    let t = start(RouteMode::Header, true);
    let api = t.mock.domain();
    let gw = t
        .mock
        .gateway_url()
        .trim_start_matches("http://")
        .to_owned();
    let line = raw(
        &api,
        b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nOPEN-SANDBOX-API-KEY: \xff\xfe\r\n\r\n",
    )
    .await;
    assert!(line.contains(" 400 ") || line.contains(" 401 "), "{line}");
    let line = raw(
        &api,
        b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nX-OpenSandbox-User: \xc3\x28\r\n\r\n",
    )
    .await;
    assert!(line.contains(" 400 "), "{line}");
    let line = raw(
        &gw,
        b"GET /ping HTTP/1.1\r\nHost: x\r\nOpenSandbox-Ingress-To: \xff-80\r\n\r\n",
    )
    .await;
    assert!(line.contains(" 400 "), "{line}");
    let line = raw(&gw, b"GET /\xff\xfe HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(line.contains(" 400 "), "{line}");
    // The server is still healthy.
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
}

#[tokio::test]
async fn gateway_absurd_ports_and_huge_routes() {
    let t = start(RouteMode::Uri, false);
    for p in [
        "/abc/99999999999999999999/ping",
        "/abc/0/",
        "/abc/-1/",
        &format!("/{}/80/", "a".repeat(5000)),
    ] {
        let r = t.gw(p, &[]).await;
        assert!(r.status.is_client_error(), "{p}: {}", r.status);
    }
}

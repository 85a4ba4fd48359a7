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

fn limited(header: u64, idle: u64, max: usize) -> sandgate_mock::MockServer {
    sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
        header_read_timeout: std::time::Duration::from_millis(header),
        idle_timeout: std::time::Duration::from_millis(idle),
        max_connections: max,
        ..Default::default()
    })
    .unwrap()
}

/// Reads until the server closes the connection; `None` if it is still open after `limit`.
async fn closed_within(
    s: &mut tokio::net::TcpStream,
    limit: std::time::Duration,
) -> Option<String> {
    let mut out = Vec::new();
    match tokio::time::timeout(limit, s.read_to_end(&mut out)).await {
        Ok(_) => Some(String::from_utf8_lossy(&out).into_owned()),
        Err(_) => None,
    }
}

fn addrs(m: &sandgate_mock::MockServer) -> [String; 2] {
    [
        m.domain(),
        m.gateway_url().trim_start_matches("http://").to_owned(),
    ]
}

#[tokio::test]
async fn a_slow_client_cannot_hold_a_connection() {
    // Timeouts of a fraction of a second; the checks allow seconds, so they never flake.
    let m = limited(300, 600, 64);
    let generous = std::time::Duration::from_secs(5);
    for addr in addrs(&m) {
        // Connects and sends nothing.
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        assert!(
            closed_within(&mut s, generous).await.is_some(),
            "{addr}: silent client"
        );
        // Sends half a head and stalls.
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\n")
            .await
            .unwrap();
        assert!(
            closed_within(&mut s, generous).await.is_some(),
            "{addr}: stalled head"
        );
        // Trickles the head a byte at a time, never finishing it: activity does not help.
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        let started = tokio::time::Instant::now();
        let mut closed = false;
        for b in b"GET /v1/sandboxes HTTP/1.1\r\nX-Slow: "
            .iter()
            .chain([b'a'; 200].iter())
        {
            if s.write_all(&[*b]).await.is_err() {
                closed = true;
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            if started.elapsed() > generous {
                break;
            }
        }
        assert!(
            closed
                || closed_within(&mut s, std::time::Duration::from_millis(100))
                    .await
                    .is_some(),
            "{addr}: trickled head held the connection for {:?}",
            started.elapsed()
        );
        // Sends a head promising a body and stalls in the body: 408 or closed.
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(
            b"POST /v1/sandboxes HTTP/1.1\r\nHost: x\r\nOpenSandbox-Ingress-To: a-80\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"ima",
        )
        .await
        .unwrap();
        let a = closed_within(&mut s, generous).await;
        assert!(a.is_some(), "{addr}: stalled body held the connection");
        let a = a.unwrap();
        assert!(a.is_empty() || a.starts_with("HTTP/1.1 4"), "{addr}: {a}");
        // An idle kept-alive connection is closed too.
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /nothing HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let a = closed_within(&mut s, generous)
            .await
            .expect("idle keep-alive closed");
        assert!(a.starts_with("HTTP/1.1 "), "{addr}: {a}");
    }
    // The server still answers.
    let r = reqwest::get(format!("{}/v1/sandboxes", m.api_url()))
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn past_the_connection_cap_a_client_gets_503_with_retry_after() {
    let m = limited(10_000, 10_000, 2);
    for addr in addrs(&m) {
        let held: Vec<_> = [
            tokio::net::TcpStream::connect(&addr).await.unwrap(),
            tokio::net::TcpStream::connect(&addr).await.unwrap(),
        ]
        .into();
        // Give the accept loop a moment to count both.
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\n\r\n")
            .await
            .unwrap();
        let a = closed_within(&mut s, std::time::Duration::from_secs(5))
            .await
            .expect("closed after the 503");
        assert!(a.starts_with("HTTP/1.1 503"), "{addr}: {a}");
        let lower = a.to_ascii_lowercase();
        assert!(lower.contains("retry-after: 1\r\n"), "{a}");
        assert!(lower.contains("connection: close\r\n"), "{a}");
        assert!(
            a.contains("MOCK::TOO_MANY_CONNECTIONS")
                || a.contains("OpenSandbox Ingress: too many connections"),
            "{a}"
        );
        // Once a held connection goes, a new one is served.
        drop(held);
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        let mut s = tokio::net::TcpStream::connect(&addr).await.unwrap();
        s.write_all(b"GET /v1/sandboxes HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let a = closed_within(&mut s, std::time::Duration::from_secs(5))
            .await
            .unwrap();
        assert!(!a.starts_with("HTTP/1.1 503"), "{addr}: {a}");
    }
}

#[tokio::test]
async fn bad_limits_are_refused() {
    for cfg in [
        sandgate_mock::MockConfig {
            max_connections: 0,
            ..Default::default()
        },
        sandgate_mock::MockConfig {
            header_read_timeout: std::time::Duration::ZERO,
            ..Default::default()
        },
        sandgate_mock::MockConfig {
            idle_timeout: std::time::Duration::from_secs(7200),
            ..Default::default()
        },
    ] {
        let e = sandgate_mock::MockServer::start(cfg).unwrap_err();
        assert_eq!(e.kind(), sandgate::ErrorKind::InvalidConfig);
    }
}

#[tokio::test]
async fn the_request_log_keeps_the_newest_and_logs_abandoned_requests() {
    let t = start(RouteMode::Header, false);
    t.mock
        .set_faults(sandgate_mock::Faults {
            latency_ms: 3_000,
            ..Default::default()
        })
        .unwrap();
    // The client gives up long before the answer.
    let quick = reqwest::Client::builder()
        .timeout(std::time::Duration::from_millis(200))
        .build()
        .unwrap();
    let err = quick
        .get(format!("{}/v1/sandboxes/abandoned", t.mock.api_url()))
        .send()
        .await
        .unwrap_err();
    assert!(err.is_timeout());
    let log = t.mock.requests();
    let rec = log
        .iter()
        .find(|r| r.path == "/v1/sandboxes/abandoned")
        .expect("logged on receipt");
    assert_eq!(rec.status, 0);
    t.mock.clear_faults();
    // Past the cap the oldest entries go: the newest stay.
    let n = 10_005;
    let admin = t.admin();
    for i in 0..n {
        t.call("GET", &format!("/v1/sandboxes/n{i}"), &admin, None)
            .await;
    }
    let log = t.mock.requests();
    assert_eq!(log.len(), 10_000);
    assert_eq!(
        log.last().unwrap().path,
        format!("/v1/sandboxes/n{}", n - 1)
    );
    assert_eq!(log.last().unwrap().status, 404);
    assert!(log.iter().all(|r| r.path != "/v1/sandboxes/abandoned"));
    assert!(log.iter().all(|r| r.path != "/v1/sandboxes/n0"));
}

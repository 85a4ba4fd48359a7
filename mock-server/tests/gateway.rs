//! The gateway over HTTP in all three route modes: SPEC §1.4–1.5 through core's verifier.

mod common;
use common::*;
use sandgate_mock::RouteMode;

/// A request to the gateway for an endpoint response `v`, in `mode`, for upstream `path`.
fn request_for(
    t: &T,
    mode: RouteMode,
    v: &serde_json::Value,
    path: &str,
) -> (String, Vec<(&'static str, String)>) {
    let endpoint = v["endpoint"].as_str().unwrap();
    let mut headers = Vec::new();
    if let Some(h) = v["headers"].as_object() {
        for (k, val) in h {
            let name: &'static str = if k == "OpenSandbox-Ingress-To" {
                "OpenSandbox-Ingress-To"
            } else {
                "OpenSandbox-Secure-Access"
            };
            headers.push((name, val.as_str().unwrap().to_owned()));
        }
    }
    match mode {
        RouteMode::Header => (path.to_owned(), headers),
        RouteMode::Wildcard => {
            // *.localhost may not resolve here: send to the gateway with the endpoint's Host.
            headers.push(("Host", endpoint.to_owned()));
            (path.to_owned(), headers)
        }
        RouteMode::Uri => {
            let gw = t.mock.gateway_url();
            let prefix = endpoint
                .strip_prefix(gw.trim_start_matches("http://"))
                .unwrap();
            (format!("{prefix}{path}"), headers)
        }
    }
}

#[tokio::test]
async fn signed_ping_in_every_mode_then_expired() {
    for mode in [RouteMode::Header, RouteMode::Wildcard, RouteMode::Uri] {
        let t = start(mode, false);
        let id = t.sandbox(&t.admin(), true).await;
        let expires = t.mock.now() + 300;
        let v = t
            .endpoint(&id, 8080, &format!("?expires={expires}"))
            .await
            .json();
        let (path, headers) = request_for(&t, mode, &v, "/ping?x=1&y=two");
        let r = t.gw(&path, &headers).await;
        assert_eq!(r.status, StatusCode::OK, "{mode}: {}", r.text);
        let echo = r.json();
        assert_eq!(echo["sandbox_id"], id.as_str());
        assert_eq!(echo["port"], 8080);
        assert_eq!(echo["path"], "/ping", "{mode}");
        assert_eq!(echo["query"], "x=1&y=two");
        let fwd = echo["headers"].as_object().unwrap();
        assert!(
            fwd.keys()
                .all(|k| k != "opensandbox-ingress-to" && k != "opensandbox-secure-access"),
            "{fwd:?}"
        );
        assert!(r.header("x-request-id").is_some());

        t.mock.advance(301);
        let r = t.gw(&path, &headers).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED, "{mode}");
        assert_eq!(r.header("x-sandgate-reason"), Some("expired"));
        assert!(r.text.contains("expired"), "{}", r.text);
    }
}

#[tokio::test]
async fn unsigned_endpoints_through_the_gateway() {
    for mode in [RouteMode::Header, RouteMode::Wildcard, RouteMode::Uri] {
        let t = start(mode, false);
        let open = t.sandbox(&t.admin(), false).await;
        let v = t.endpoint(&open, 3000, "").await.json();
        let (path, headers) = request_for(&t, mode, &v, "/files/a.txt");
        let r = t.gw(&path, &headers).await;
        assert_eq!(r.status, StatusCode::OK, "{mode}: {}", r.text);
        assert_eq!(r.json()["path"], "/files/a.txt");
        // A secure sandbox's unsigned endpoint carries the access token header: allowed.
        let secure = t.sandbox(&t.admin(), true).await;
        let v = t.endpoint(&secure, 3000, "").await.json();
        let (path, headers) = request_for(&t, mode, &v, "/ping");
        let r = t.gw(&path, &headers).await;
        assert_eq!(r.status, StatusCode::OK, "{mode}: {}", r.text);
        // Without the header: credential required.
        let no_header: Vec<_> = headers
            .into_iter()
            .filter(|(k, _)| *k != "OpenSandbox-Secure-Access")
            .collect();
        let r = t.gw(&path, &no_header).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        assert_eq!(r.header("x-sandgate-reason"), Some("credential_required"));
    }
}

#[tokio::test]
async fn denials_have_reasons_and_statuses() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), true).await;
    let expires = t.mock.now() + 300;
    let v = t
        .endpoint(&id, 80, &format!("?expires={expires}"))
        .await
        .json();
    let token = v["headers"]["OpenSandbox-Ingress-To"]
        .as_str()
        .unwrap()
        .to_owned();
    let access = t.endpoint(&id, 80, "").await.json()["headers"]["OpenSandbox-Secure-Access"]
        .as_str()
        .unwrap()
        .to_owned();
    let ingress = |tok: &str| -> Vec<(&'static str, String)> {
        vec![("OpenSandbox-Ingress-To", tok.to_owned())]
    };

    let mut tampered = token.clone().into_bytes();
    let i = tampered.len() - 2;
    tampered[i] = if tampered[i] == b'0' { b'1' } else { b'0' };
    let tampered = String::from_utf8(tampered).unwrap();
    let unknown_key = format!("{}z", &token[..token.len() - 1]);
    type Headers = Vec<(&'static str, String)>;
    let cases: Vec<(Headers, u16, &str)> = vec![
        (ingress(&tampered), 401, "bad_signature"),
        (ingress(&unknown_key), 401, "unknown_key"),
        (ingress("no-route-here-x"), 400, "malformed"),
        (ingress(&format!("{id}-80")), 401, "credential_required"),
        (ingress("nosuchsandbox-80"), 404, "unknown_sandbox"),
        (
            {
                let mut h = ingress(&token);
                h.push(("OpenSandbox-Secure-Access", "wrong".into()));
                h
            },
            401,
            "header_mismatch",
        ),
        (
            {
                let mut h = ingress(&token);
                h.push(("OpenSandbox-Secure-Access", String::new()));
                h
            },
            401,
            "header_mismatch",
        ),
        (vec![], 400, "malformed"),
    ];
    for (headers, status, reason) in cases {
        let r = t.gw("/ping", &headers).await;
        assert_eq!(r.status.as_u16(), status, "{reason}: {}", r.text);
        assert_eq!(r.header("x-sandgate-reason"), Some(reason));
        assert!(
            r.text
                .starts_with(&format!("OpenSandbox Ingress: access denied ({reason})")),
            "{}",
            r.text
        );
        assert!(r.header("content-type").unwrap().starts_with("text/plain"));
    }
    // The right header allows even a tampered route; the signed route alone is allowed.
    let mut h = ingress(&tampered);
    h.push(("OpenSandbox-Secure-Access", format!("  {access} ")));
    assert_eq!(t.gw("/ping", &h).await.status, StatusCode::OK);
    assert_eq!(t.gw("/ping", &ingress(&token)).await.status, StatusCode::OK);
}

#[tokio::test]
async fn ingress_header_wins_over_host_and_uri_mode_ignores_host() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), false).await;
    let h = vec![
        ("OpenSandbox-Ingress-To", format!("{id}-80")),
        ("Host", "garbage.example.com".into()),
    ];
    assert_eq!(t.gw("/", &h).await.status, StatusCode::OK);
    let h = vec![("Host", format!("{id}-81.localhost"))];
    let r = t.gw("/", &h).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["port"], 81);

    let t = start(RouteMode::Uri, false);
    let id = t.sandbox(&t.admin(), false).await;
    let r = t
        .gw(
            &format!("/{id}/82/deep/path?q=1"),
            &[("Host", "nothing-1.localhost".into())],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json()["path"], "/deep/path");
    // An open sandbox's uri path is parsed the legacy way even if it looks signed.
    let r = t.gw(&format!("/{id}/82/x2qxvk/0ff8cd39a/ping"), &[]).await;
    assert_eq!(r.json()["path"], "/x2qxvk/0ff8cd39a/ping");
}

/// Sends raw bytes to `addr` and returns the whole answer (the server closes or 2 s pass).
async fn raw_answer(addr: &str, request: &[u8]) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn deprecated_header_empty_values_and_stripping() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), true).await;
    let access = t.endpoint(&id, 80, "").await.json()["headers"]["OpenSandbox-Secure-Access"]
        .as_str()
        .unwrap()
        .to_owned();
    let r = t
        .gw(
            "/a%2Fb/c?x=%20&y",
            &[
                ("OpenSandbox-Ingress-To", "  ".into()),
                ("OPEN-SANDBOX-INGRESS", format!("{id}-81")),
                ("OpenSandbox-Secure-Access", access.clone()),
                ("OpenSandbox-Access-Renew", "1".into()),
                ("X-Kept", "yes".into()),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let echo = r.json();
    assert_eq!(echo["sandbox_id"], id.as_str());
    assert_eq!(echo["port"], 81);
    assert_eq!(echo["path"], "/a%2Fb/c", "escaping is kept");
    assert_eq!(echo["query"], "x=%20&y");
    let fwd = echo["headers"].as_object().unwrap();
    for gone in [
        "opensandbox-ingress-to",
        "open-sandbox-ingress",
        "opensandbox-secure-access",
        "opensandbox-access-renew",
    ] {
        assert!(!fwd.contains_key(gone), "{gone} was forwarded: {fwd:?}");
    }
    assert_eq!(fwd["x-kept"], "yes");
    // The new header wins over the deprecated one.
    let r = t
        .gw(
            "/",
            &[
                ("OpenSandbox-Ingress-To", format!("{id}-82")),
                ("OPEN-SANDBOX-INGRESS", "nothing-81".into()),
                ("OpenSandbox-Secure-Access", access.clone()),
            ],
        )
        .await;
    assert_eq!(r.json()["port"], 82);
    // Methods and bodies reach the app.
    let resp = t
        .http
        .put(format!("{}/upload", t.mock.gateway_url()))
        .header("OpenSandbox-Ingress-To", format!("{id}-80"))
        .header("OpenSandbox-Secure-Access", access)
        .body("hello body")
        .send()
        .await
        .unwrap();
    let v: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (v["method"].as_str(), v["body"].as_str()),
        (Some("PUT"), Some("hello body"))
    );
}

#[tokio::test]
async fn malformed_requests_of_section_1_4() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), false).await;
    let gw = t
        .mock
        .gateway_url()
        .trim_start_matches("http://")
        .to_owned();
    // Two Host headers.
    let a = raw_answer(
        &gw,
        format!("GET /ping HTTP/1.1\r\nHost: {id}-80.localhost\r\nHost: {id}-80.localhost\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 400"), "{a}");
    assert!(a.contains("more than one Host"), "{a}");
    // No route source at all (HTTP/1.0 without Host): 400, the path is not a route here.
    let a = raw_answer(
        &gw,
        format!("GET /{id}/80/ping HTTP/1.0\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(
        a.starts_with("HTTP/1.1 400") || a.starts_with("HTTP/1.0 400"),
        "{a}"
    );
    assert!(
        a.contains("OpenSandbox Ingress: access denied (malformed)"),
        "{a}"
    );
    assert!(
        a.to_ascii_lowercase().contains("content-type: text/plain"),
        "{a}"
    );
    // A request target that is not a path.
    let a = raw_answer(
        &gw,
        format!("OPTIONS * HTTP/1.1\r\nHost: x\r\nOpenSandbox-Ingress-To: {id}-80\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .await;
    assert!(a.starts_with("HTTP/1.1 400"), "{a}");

    let t = start(RouteMode::Uri, false);
    let id = t.sandbox(&t.admin(), false).await;
    // The ingress headers mean nothing in uri mode.
    let r = t
        .gw("/ping", &[("OpenSandbox-Ingress-To", format!("{id}-80"))])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = t.gw(&format!("//{id}/80/ping"), &[]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text);
    let r = t.gw(&format!("/{id}/80/a%2Fb?q=%41"), &[]).await;
    assert_eq!(
        (r.json()["path"].as_str(), r.json()["query"].as_str()),
        (Some("/a%2Fb"), Some("q=%41"))
    );
}

#[tokio::test]
async fn seeded_sandboxes_a_frozen_clock_and_the_app_listener_for_a_proxy() {
    let mock = sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
        app_port: Some(0),
        signing_keys: Some(sandgate::SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap()),
        ..Default::default()
    })
    .unwrap();
    let t = T {
        mock,
        http: reqwest::Client::new(),
    };
    let admin = t.admin();
    // Seed a secure sandbox with a given id and token; a second seed of the id is 409.
    let body = r#"{"id": "sbx-001", "secure_access": true, "access_token": "tok_9f8e7d6c5b4a"}"#;
    let r = t.call("POST", "/_mock/sandboxes", &admin, Some(body)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let r = t.call("POST", "/_mock/sandboxes", &admin, Some(body)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text);
    let r = t
        .call(
            "POST",
            "/_mock/sandboxes",
            &admin,
            Some(r#"{"id": "x", "access_token": "t"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Freeze the clock at the token's expiry second: still valid, however long we wait.
    let r = t
        .call(
            "POST",
            "/_mock/clock",
            &admin,
            Some(r#"{"now": 2000000000, "freeze": true}"#),
        )
        .await;
    assert_eq!(r.json()["now"], 2000000000u64);
    let signed = vec![(
        "OpenSandbox-Ingress-To",
        "sbx-001-8080-x2qxvk-0ff8cd39a".to_owned(),
    )];
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(t.mock.now(), 2000000000);
    let r = t.gw("/ping", &signed).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    t.mock.advance(1);
    let r = t.gw("/ping", &signed).await;
    assert_eq!(r.header("x-sandgate-reason"), Some("expired"));
    // The app listener routes with the headers an authorizer answers with.
    let app = t.mock.app_url().unwrap();
    let routed = vec![
        ("X-Sandgate-Sandbox-Id", "sbx-001".to_owned()),
        ("X-Sandgate-Port", "8080".to_owned()),
    ];
    let r = t.raw(&app, "GET", "/a%2Fb?q=1", &routed, None).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let echo = r.json();
    assert_eq!(
        (echo["sandbox_id"].as_str(), echo["port"].as_u64()),
        (Some("sbx-001"), Some(8080))
    );
    assert_eq!(
        (echo["path"].as_str(), echo["query"].as_str()),
        (Some("/a%2Fb"), Some("q=1"))
    );
    let r = t.raw(&app, "GET", "/", &[], None).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let mut unknown = routed.clone();
    unknown[0].1 = "nosuch".into();
    assert_eq!(
        t.raw(&app, "GET", "/", &unknown, None).await.status,
        StatusCode::NOT_FOUND
    );
    assert!(t.mock.describe_json()["app_url"].is_string());
}

#[tokio::test]
async fn a_mock_without_signing_keys_answers_not_configured() {
    let mock = sandgate_mock::MockServer::start(sandgate_mock::MockConfig {
        signing_keys: Some(sandgate::SigningKeys::empty()),
        ..Default::default()
    })
    .unwrap();
    let t = T {
        mock,
        http: reqwest::Client::new(),
    };
    let id = t.sandbox(&t.admin(), true).await;
    let r = t
        .gw(
            "/",
            &[(
                "OpenSandbox-Ingress-To",
                format!("{id}-80-x2qxvk-0ff8cd39a"),
            )],
        )
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert_eq!(r.header("x-sandgate-reason"), Some("not_configured"));
    assert_eq!(r.header("retry-after"), Some("1"));
    let expires = t.mock.now() + 60;
    let r = t.endpoint(&id, 80, &format!("?expires={expires}")).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text);
    assert!(t.mock.app_url().is_none());
}

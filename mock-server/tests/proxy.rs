//! The server proxy of SPEC §2: `use_server_proxy` endpoints and the proxy route.

mod common;
use common::*;
use sandgate_mock::RouteMode;

#[tokio::test]
async fn use_server_proxy_is_parsed_like_a_pydantic_bool() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), true).await;
    let api = t.mock.domain();
    for yes in ["true", "True", "1", "yes", "ON", "y", "t"] {
        let r = t
            .endpoint(&id, 8080, &format!("?use_server_proxy={yes}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{yes}: {}", r.text);
        let v = r.json();
        assert_eq!(
            v["endpoint"],
            format!("{api}/v1/sandboxes/{id}/proxy/8080"),
            "{yes}"
        );
        let h = v["headers"].as_object().unwrap();
        assert!(
            !h.keys()
                .any(|k| k.eq_ignore_ascii_case("OpenSandbox-Ingress-To")),
            "{v}"
        );
        assert!(h["OpenSandbox-Secure-Access"]
            .as_str()
            .is_some_and(|s| !s.is_empty()));
    }
    for no in ["false", "0", "no", "off", "N", "F"] {
        let v = t
            .endpoint(&id, 8080, &format!("?use_server_proxy={no}"))
            .await
            .json();
        assert_eq!(
            v["endpoint"],
            t.mock.gateway_url().trim_start_matches("http://"),
            "{no}"
        );
    }
    for bad in ["maybe", "", "2", "truee"] {
        let r = t
            .endpoint(&id, 8080, &format!("?use_server_proxy={bad}"))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad:?}");
    }
    let exp = t.mock.now() + 60;
    let r = t
        .endpoint(&id, 8080, &format!("?use_server_proxy=yes&expires={exp}"))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // use_server_proxy=false with expires is a plain signed endpoint.
    let r = t
        .endpoint(&id, 8080, &format!("?use_server_proxy=0&expires={exp}"))
        .await;
    assert_eq!(r.status, StatusCode::OK);
    // An open sandbox behind the proxy has no headers left: the field is omitted.
    let open = t.sandbox(&t.admin(), false).await;
    let v = t.endpoint(&open, 80, "?use_server_proxy=true").await.json();
    assert!(v.get("headers").is_none(), "{v}");
}

#[tokio::test]
async fn the_proxy_route_forwards_with_the_secure_access_check() {
    for mode in [RouteMode::Header, RouteMode::Uri] {
        let t = start(mode, false);
        let id = t.sandbox(&t.admin(), true).await;
        let v = t.endpoint(&id, 8080, "?use_server_proxy=true").await.json();
        let url = format!("http://{}", v["endpoint"].as_str().unwrap());
        let access = v["headers"]["OpenSandbox-Secure-Access"]
            .as_str()
            .unwrap()
            .to_owned();
        // No API key needed; credentials for the server and hop-by-hop headers are stripped.
        let resp = t
            .http
            .post(format!("{url}/run/a%2Fb?x=1&y=%20"))
            .header("OpenSandbox-Secure-Access", &access)
            .header("Authorization", "Bearer secret")
            .header("Cookie", "session=1")
            .header("OPEN-SANDBOX-API-KEY", "k")
            .header("X-Custom", "kept")
            .header("Connection", "keep-alive, X-Hop")
            .header("X-Hop", "gone")
            .body("payload")
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        let echo: serde_json::Value = resp.json().await.unwrap();
        assert_eq!(echo["sandbox_id"], id.as_str());
        assert_eq!(echo["port"], 8080);
        assert_eq!(echo["path"], "/run/a%2Fb");
        assert_eq!(echo["query"], "x=1&y=%20");
        assert_eq!(
            (echo["method"].as_str(), echo["body"].as_str()),
            (Some("POST"), Some("payload"))
        );
        let fwd = echo["headers"].as_object().unwrap();
        for gone in [
            "authorization",
            "cookie",
            "open-sandbox-api-key",
            "opensandbox-secure-access",
            "connection",
            "x-hop",
        ] {
            assert!(!fwd.contains_key(gone), "{gone}: {fwd:?}");
        }
        assert_eq!(fwd["x-custom"], "kept");
        // Without /v1 too.
        let short = url.replace("/v1/sandboxes", "/sandboxes");
        let r = t
            .raw(
                &short,
                "GET",
                "",
                &[("OpenSandbox-Secure-Access", access.clone())],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        assert_eq!(r.json()["path"], "/");
        // Missing, wrong or empty header: 401 with the platform's code.
        for h in [
            vec![],
            vec![("OpenSandbox-Secure-Access", "wrong".to_owned())],
            vec![("OpenSandbox-Secure-Access", String::new())],
        ] {
            let r = t.raw(&url, "GET", "/ping", &h, None).await;
            assert_eq!(r.status, StatusCode::UNAUTHORIZED);
            assert_eq!(r.json()["code"], "MISSING_OR_INVALID_SECURE_ACCESS");
            assert_eq!(
                r.json()["message"],
                "This sandbox requires the OpenSandbox-Secure-Access header for access."
            );
            assert!(r.header("x-request-id").is_some());
        }
        // A signed route token is no credential here.
        let exp = t.mock.now() + 60;
        let token = t
            .endpoint(&id, 8080, &format!("?expires={exp}"))
            .await
            .json();
        let mut h = vec![];
        if let Some(tok) = token["headers"]["OpenSandbox-Ingress-To"].as_str() {
            h.push(("OpenSandbox-Ingress-To", tok.to_owned()));
        }
        assert_eq!(
            t.raw(&url, "GET", "/ping", &h, None).await.status,
            StatusCode::UNAUTHORIZED
        );
        // `..` segments, escaped or not, are refused (sent raw: clients normalise them).
        let api = t.mock.domain();
        for p in ["/../x", "/a/%2e%2E/x", "/.%2e"] {
            let a = raw(&api, &format!("GET /v1/sandboxes/{id}/proxy/8080{p} HTTP/1.1\r\nHost: x\r\nOpenSandbox-Secure-Access: {access}\r\nConnection: close\r\n\r\n")).await;
            assert!(a.starts_with("HTTP/1.1 400"), "{p}: {a}");
        }
        let r = t
            .raw(
                &format!("http://{api}"),
                "GET",
                "/v1/sandboxes/nope/proxy/80/x",
                &[],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND);
        let r = t
            .raw(
                &format!("http://{api}"),
                "GET",
                &format!("/v1/sandboxes/{id}/proxy/0/x"),
                &[],
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
    }
}

async fn raw(addr: &str, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn an_open_sandbox_needs_no_header_behind_the_proxy() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), false).await;
    let r = t
        .raw(
            &t.mock.api_url(),
            "DELETE",
            &format!("/v1/sandboxes/{id}/proxy/3000/item/7"),
            &[],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(
        (r.json()["method"].as_str(), r.json()["path"].as_str()),
        (Some("DELETE"), Some("/item/7"))
    );
}

//! Lifecycle API over HTTP: sandboxes, endpoints, the 400 rules, auth and roles.

mod common;
use common::*;
use sandgate_mock::RouteMode;

#[tokio::test]
async fn sandbox_crud_with_and_without_v1() {
    let t = start(RouteMode::Header, false);
    let admin = t.admin();
    let id = t.sandbox(&admin, true).await;
    for prefix in ["/v1", ""] {
        let r = t
            .call("GET", &format!("{prefix}/sandboxes/{id}"), &admin, None)
            .await;
        assert_eq!(r.status, StatusCode::OK);
        let v = r.json();
        assert_eq!(v["id"], id.as_str());
        assert_eq!(v["secureAccess"], true);
        assert_eq!(v["status"]["state"], "Running");
        assert!(r.header("x-request-id").unwrap().starts_with("req_"));
        let r = t
            .call("GET", &format!("{prefix}/sandboxes"), &admin, None)
            .await;
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
    }
    let r = t
        .call("DELETE", &format!("/sandboxes/{id}"), &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.header("x-request-id").is_some());
    let r = t
        .call("GET", &format!("/v1/sandboxes/{id}"), &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "SANDBOX::NOT_FOUND");
    assert!(r.header("x-request-id").is_some());
}

#[tokio::test]
async fn create_validates_its_body() {
    let t = start(RouteMode::Header, false);
    let admin = t.admin();
    for body in [
        r#"{}"#,
        r#"{"image": {"uri": ""}}"#,
        r#"{"image": "python"}"#,
        r#"{"image": {"uri": "x"}, "secureAccess": "yes"}"#,
        r#"{"image": {"uri": "x"}, "timeout": -5}"#,
        r#"{"image": {"uri": "x"}, "timeout": 0}"#,
        r#"{"image": {"uri": "x"}, "metadata": {"a": 1}}"#,
        r#"[1, 2]"#,
        r#"{"image": "#,
    ] {
        let r = t.call("POST", "/v1/sandboxes", &admin, Some(body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.json()["code"], "SANDBOX::INVALID_PARAMETER", "{body}");
        assert!(!r.json()["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn endpoint_rendering_in_every_mode() {
    for mode in [RouteMode::Header, RouteMode::Wildcard, RouteMode::Uri] {
        let t = start(mode, false);
        let gw = t
            .mock
            .gateway_url()
            .trim_start_matches("http://")
            .to_owned();
        let open = t.sandbox(&t.admin(), false).await;
        let secure = t.sandbox(&t.admin(), true).await;
        let r = t.endpoint(&open, 8080, "").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let v = r.json();
        let headers = v["headers"].as_object().unwrap();
        assert!(headers.get("OpenSandbox-Secure-Access").is_none());
        match mode {
            RouteMode::Header => {
                assert_eq!(v["endpoint"], gw.as_str());
                assert_eq!(headers["OpenSandbox-Ingress-To"], format!("{open}-8080"));
            }
            RouteMode::Wildcard => {
                let port = gw.rsplit(':').next().unwrap();
                assert_eq!(v["endpoint"], format!("{open}-8080.localhost:{port}"));
            }
            RouteMode::Uri => assert_eq!(v["endpoint"], format!("{gw}/{open}/8080")),
        }
        // Unsigned for a secure sandbox carries the access token; signed never does.
        let r = t.endpoint(&secure, 8080, "").await;
        let token = r.json()["headers"]["OpenSandbox-Secure-Access"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(token.len() >= 32, "{token}");
        let expires = t.mock.now() + 600;
        let r = t
            .endpoint(&secure, 8080, &format!("?expires={expires}"))
            .await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text);
        let v = r.json();
        assert!(
            v["headers"].get("OpenSandbox-Secure-Access").is_none(),
            "{v}"
        );
        let signed = sandgate::RouteSigner::new(t.mock.signing_keys(), None)
            .unwrap()
            .sign(&secure, 8080, expires)
            .unwrap();
        let endpoint = v["endpoint"].as_str().unwrap();
        match mode {
            RouteMode::Header => assert_eq!(v["headers"]["OpenSandbox-Ingress-To"], signed.token()),
            RouteMode::Wildcard => assert!(
                endpoint.starts_with(&signed.host("localhost")),
                "{endpoint}"
            ),
            RouteMode::Uri => assert_eq!(endpoint, format!("{gw}{}", signed.uri_prefix())),
        }
    }
}

#[tokio::test]
async fn every_expires_rule() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), true).await;
    let now = t.mock.now();
    for q in [
        "?expires=".to_owned(),
        "?expires=abc".to_owned(),
        "?expires=-5".to_owned(),
        "?expires=1.5".to_owned(),
        "?expires=18446744073709551616".to_owned(),
        format!("?expires={now}"),
        format!("?expires={}", now - 10),
        "?expires=0".to_owned(),
        format!("?expires={}&expires={}", now + 60, now + 60),
        format!("?expires={}&use_server_proxy=true", now + 60),
    ] {
        let r = t.endpoint(&id, 80, &q).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{q}: {}", r.text);
        assert_eq!(r.json()["code"], "SANDBOX::INVALID_PARAMETER");
    }
    for q in ["", "?use_server_proxy=true", "?other=1"] {
        assert_eq!(t.endpoint(&id, 80, q).await.status, StatusCode::OK, "{q}");
    }
    let r = t.endpoint(&id, 80, &format!("?expires={}", now + 60)).await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t.endpoint(&id, 80, "?expires=18446744073709551615").await;
    assert_eq!(r.status, StatusCode::OK, "u64::MAX is valid: {}", r.text);
}

#[tokio::test]
async fn ports_and_unknown_sandboxes() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), false).await;
    for port in ["0", "65536", "99999999999999999999999", "-1", "http", "08o"] {
        let r = t
            .call(
                "GET",
                &format!("/v1/sandboxes/{id}/endpoints/{port}"),
                &t.admin(),
                None,
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{port}");
    }
    let r = t.endpoint("nope", 80, "").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.json()["code"], "SANDBOX::NOT_FOUND");
}

#[tokio::test]
async fn auth_is_required_and_roles_apply() {
    let t = start(RouteMode::Header, true);
    let r = t.call("GET", "/v1/sandboxes", &[], None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "MISSING_API_KEY");
    let r = t
        .call(
            "GET",
            "/v1/sandboxes",
            &[("OPEN-SANDBOX-API-KEY", "wrong".into())],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "INVALID_API_KEY");
    // The team and roles headers alone are not a user.
    let r = t
        .call(
            "GET",
            "/v1/sandboxes",
            &[("X-OpenSandbox-Roles", "operator".into())],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);

    let reader = user("rita", "read_only");
    let r = t.call("GET", "/v1/sandboxes", &reader, None).await;
    assert_eq!(r.status, StatusCode::OK);
    let body = r#"{"image": {"uri": "x"}}"#;
    let r = t.call("POST", "/v1/sandboxes", &reader, Some(body)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.json()["code"], "FORBIDDEN");
    let nobody = user("nora", "");
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &nobody, None).await.status,
        StatusCode::FORBIDDEN
    );
    let bad = user("x", "root");
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &bad, None).await.status,
        StatusCode::BAD_REQUEST
    );

    // Owner scoping: the server sets access.owner; others cannot see or act on it.
    let olga = user("olga", "operator");
    let body = r#"{"image": {"uri": "x"}, "metadata": {"access.owner": "mallory", "team": "t1"}}"#;
    let r = t.call("POST", "/v1/sandboxes", &olga, Some(body)).await;
    let v = r.json();
    assert_eq!(v["metadata"]["access.owner"], "olga");
    assert_eq!(v["metadata"]["team"], "t1");
    let id = v["id"].as_str().unwrap().to_owned();
    let oscar = user("oscar", "operator");
    assert_eq!(
        t.call("GET", &format!("/v1/sandboxes/{id}"), &oscar, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call("DELETE", &format!("/v1/sandboxes/{id}"), &oscar, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call(
            "GET",
            &format!("/v1/sandboxes/{id}/endpoints/80"),
            &oscar,
            None
        )
        .await
        .status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &oscar, None).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &olga, None).await.json()["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{id}/renew-expiration"),
            &reader,
            Some(r#"{"expiresAt": "2100-01-01T00:00:00Z"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{id}/renew-expiration"),
            &olga,
            Some(r#"{"expiresAt": "2100-01-01T00:00:00Z"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    // service_admin users and the admin key see everything.
    let boss = user("boss", "service_admin");
    assert_eq!(
        t.call("GET", &format!("/v1/sandboxes/{id}"), &boss, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.call("GET", &format!("/v1/sandboxes/{id}"), &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.call("DELETE", &format!("/v1/sandboxes/{id}"), &olga, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn trusted_headers_are_ignored_when_the_mode_is_off() {
    let t = start(RouteMode::Header, false);
    let r = t
        .call("GET", "/v1/sandboxes", &user("u", "service_admin"), None)
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["code"], "MISSING_API_KEY");
}

#[tokio::test]
async fn unknown_routes_and_methods() {
    let t = start(RouteMode::Header, false);
    let r = t.call("GET", "/v2/nothing", &t.admin(), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert!(r.header("x-request-id").is_some());
    let r = t.call("PUT", "/v1/sandboxes", &t.admin(), Some("{}")).await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(r.json()["code"], "METHOD_NOT_ALLOWED");
}

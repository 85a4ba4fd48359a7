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
        assert!(is_uuid(r.header("x-request-id").unwrap()));
        assert!(is_uuid(&id), "{id}");
        let r = t
            .call("GET", &format!("{prefix}/sandboxes"), &admin, None)
            .await;
        assert_eq!(r.json()["items"].as_array().unwrap().len(), 1);
        assert_eq!(r.json()["pagination"]["totalItems"], 1);
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
    let base = r#""entrypoint": ["x"], "resourceLimits": {"cpu": "1"}"#;
    for body in [
        r#"{}"#.to_owned(),
        format!(r#"{{"image": {{"uri": ""}}, {base}}}"#),
        format!(r#"{{"image": "python", {base}}}"#),
        format!(r#"{{"image": {{"uri": "x", "tag": "1"}}, {base}}}"#),
        r#"{"image": {"uri": "x"}, "resourceLimits": {}}"#.to_owned(),
        r#"{"image": {"uri": "x"}, "entrypoint": ["x"]}"#.to_owned(),
        r#"{"image": {"uri": "x"}, "entrypoint": [], "resourceLimits": {}}"#.to_owned(),
        r#"{"image": {"uri": "x"}, "entrypoint": "x", "resourceLimits": {}}"#.to_owned(),
        format!(r#"{{"image": {{"uri": "x"}}, "snapshotId": "s", {base}}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "secureAccess": "yes"}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "timeout": -5}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "timeout": 59}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "timeout": 60.5}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "metadata": {{"a": 1}}}}"#),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "env": []}}"#),
        format!(
            r#"{{"image": {{"uri": "x"}}, {base}, "platform": {{"os": "mac", "arch": "arm64"}}}}"#
        ),
        format!(
            r#"{{"image": {{"uri": "x"}}, {base}, "extensions": {{"access.renew.extend.seconds": "10"}}}}"#
        ),
        format!(r#"{{"image": {{"uri": "x"}}, {base}, "volumes": {{}}}}"#),
        r#"[1, 2]"#.to_owned(),
        r#"{"image": "#.to_owned(),
    ] {
        let r = t.call("POST", "/v1/sandboxes", &admin, Some(&body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert_eq!(r.json()["code"], "SANDBOX::INVALID_PARAMETER", "{body}");
        assert!(!r.json()["message"].as_str().unwrap().is_empty());
        assert!(r.header("x-request-id").is_some());
    }
    // A JSON body must say so.
    let r = t
        .raw(
            &t.mock.api_url(),
            "POST",
            "/v1/sandboxes",
            &[admin[0].clone(), ("content-type", "text/plain".to_owned())],
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let resp = t
        .http
        .post(format!("{}/v1/sandboxes", t.mock.api_url()))
        .header("OPEN-SANDBOX-API-KEY", admin[0].1.clone())
        .header("content-type", "text/plain")
        .body(create_body(""))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let v: serde_json::Value = resp.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("application/json"),
        "{v}"
    );
    assert_eq!(t.mock.requests().len(), 22);
}

#[tokio::test]
async fn create_answers_202_with_the_spec_shape() {
    let t = start(RouteMode::Header, false);
    let body = create_body(
        r#""metadata": {"team": "t1"}, "platform": {"os": "linux", "arch": "arm64"}, "extensions": {"storage.id": "s1"}, "env": {"A": "1"}, "image": {"uri": "python:3.11", "auth": {"username": "u", "password": "hunter2"}}"#,
    );
    let r = t
        .call("POST", "/v1/sandboxes", &t.admin(), Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let v = r.json();
    let id = v["id"].as_str().unwrap();
    assert!(is_uuid(id));
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/sandboxes/{id}").as_str())
    );
    assert_eq!(v["status"]["state"], "Running");
    assert!(v["status"]["lastTransitionAt"].is_string());
    assert_eq!(
        v["entrypoint"],
        serde_json::json!(["python", "-m", "http.server"])
    );
    assert_eq!(v["metadata"]["team"], "t1");
    assert_eq!(v["platform"]["arch"], "arm64");
    assert_eq!(v["extensions"]["storage.id"], "s1");
    assert!(v["createdAt"].is_string() && v["expiresAt"].is_string());
    // The create response has no startup source; GET has it, never with credentials.
    assert!(v.get("image").is_none(), "{v}");
    let r = t
        .call("GET", &format!("/v1/sandboxes/{id}"), &t.admin(), None)
        .await;
    let v = r.json();
    assert_eq!(v["image"], serde_json::json!({"uri": "python:3.11"}));
    assert!(!r.text.contains("hunter2"));
    // Without a timeout a sandbox needs manual cleanup: no expiresAt.
    let body =
        r#"{"image": {"uri": "x"}, "entrypoint": ["x"], "resourceLimits": {}, "timeout": null}"#;
    let v = t
        .call("POST", "/sandboxes", &t.admin(), Some(body))
        .await
        .json();
    assert!(v.get("expiresAt").is_none(), "{v}");
    assert!(v["createdAt"].is_string());
}

#[tokio::test]
async fn sandboxes_expire_at_expires_at_by_the_mock_clock() {
    let t = start(RouteMode::Header, false);
    let id = t.sandbox(&t.admin(), false).await;
    let path = format!("/v1/sandboxes/{id}");
    t.mock.advance(599);
    assert_eq!(
        t.call("GET", &path, &t.admin(), None).await.status,
        StatusCode::OK
    );
    // Renewing moves expiresAt; it may also shorten it.
    let at = sandgate::keys::format_rfc3339(t.mock.now() + 100);
    let r = t
        .call(
            "POST",
            &format!("{path}/renew-expiration"),
            &t.admin(),
            Some(&format!(r#"{{"expiresAt": "{at}"}}"#)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), serde_json::json!({ "expiresAt": at }));
    for bad in [
        r#"{"expiresAt": "2000-01-01T00:00:00Z"}"#,
        r#"{"expiresAt": "tomorrow"}"#,
        r#"{"expiresAt": 12}"#,
        r#"{}"#,
        r#"{"expiresAt": "2100-01-01T00:00:00Z", "extra": 1}"#,
    ] {
        let r = t
            .call(
                "POST",
                &format!("{path}/renew-expiration"),
                &t.admin(),
                Some(bad),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    t.mock.advance(100);
    let r = t.call("GET", &path, &t.admin(), None).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.call("GET", "/v1/sandboxes", &t.admin(), None).await;
    assert_eq!(r.json()["pagination"]["totalItems"], 0);
    assert_eq!(t.endpoint(&id, 80, "").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn list_pages_and_filters() {
    let t = start(RouteMode::Header, false);
    let admin = t.admin();
    let mut ids = Vec::new();
    for i in 0..5 {
        let meta = format!(
            r#""metadata": {{"n": "{i}", "group": "{}", "note": "a b&c"}}"#,
            i % 2
        );
        let r = t
            .call("POST", "/v1/sandboxes", &admin, Some(&create_body(&meta)))
            .await;
        ids.push(r.json()["id"].as_str().unwrap().to_owned());
    }
    let list = |q: &str| {
        let q = q.to_owned();
        let t = &t;
        let admin = admin.clone();
        async move {
            let r = t
                .call("GET", &format!("/v1/sandboxes{q}"), &admin, None)
                .await;
            assert_eq!(r.status, StatusCode::OK, "{q}: {}", r.text);
            r.json()
        }
    };
    let v = list("?pageSize=2&page=2").await;
    let got: Vec<&str> = v["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_str().unwrap())
        .collect();
    assert_eq!(got, [ids[2].as_str(), ids[3].as_str()]);
    assert_eq!(
        v["pagination"],
        serde_json::json!({"page": 2, "pageSize": 2, "totalItems": 5, "totalPages": 3, "hasNextPage": true})
    );
    let v = list("?pageSize=2&page=3").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 1);
    assert_eq!(v["pagination"]["hasNextPage"], false);
    let v = list("?page=9").await;
    assert_eq!(v["items"].as_array().unwrap().len(), 0);
    assert_eq!(v["pagination"]["pageSize"], 20);
    // metadata=group%3D1%26note%3Da%2520b%2526c is group=1 AND note="a b&c".
    let v = list("?metadata=group%3D1%26note%3Da%2520b%2526c").await;
    assert_eq!(v["pagination"]["totalItems"], 2);
    let v = list("?metadata=group%3D1%26n%3D3").await;
    assert_eq!(v["items"][0]["id"], ids[3].as_str());
    t.call(
        "POST",
        &format!("/v1/sandboxes/{}/pause", ids[0]),
        &admin,
        None,
    )
    .await;
    let v = list("?state=Paused").await;
    assert_eq!(v["pagination"]["totalItems"], 1);
    let v = list("?state=paused&state=Running").await;
    assert_eq!(v["pagination"]["totalItems"], 5);
    let v = list("?state=Terminated").await;
    assert_eq!(v["pagination"]["totalItems"], 0);
    for bad in [
        "?page=0",
        "?pageSize=0",
        "?page=x",
        "?pageSize=-1",
        "?pageSize=1001",
    ] {
        let r = t
            .call("GET", &format!("/v1/sandboxes{bad}"), &admin, None)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn pause_resume_and_their_conflicts() {
    let t = start(RouteMode::Header, false);
    let admin = t.admin();
    let id = t.sandbox(&admin, false).await;
    let call = |op: &str| format!("/v1/sandboxes/{id}/{op}");
    let r = t.call("POST", &call("resume"), &admin, None).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.json()["code"], "SANDBOX::INVALID_STATE");
    let r = t.call("POST", &call("pause"), &admin, None).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let v = t
        .call("GET", &format!("/v1/sandboxes/{id}"), &admin, None)
        .await
        .json();
    assert_eq!(v["status"]["state"], "Paused");
    assert_eq!(
        t.call("POST", &call("pause"), &admin, None).await.status,
        StatusCode::CONFLICT
    );
    // A paused sandbox is not served: 503 with Retry-After.
    let r = t
        .gw("/ping", &[("OpenSandbox-Ingress-To", format!("{id}-80"))])
        .await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.header("retry-after"), Some("1"));
    assert!(
        r.text.starts_with("OpenSandbox Ingress: sandbox not ready"),
        "{}",
        r.text
    );
    assert_eq!(
        t.call("POST", &call("resume"), &admin, None).await.status,
        StatusCode::ACCEPTED
    );
    let r = t
        .gw("/ping", &[("OpenSandbox-Ingress-To", format!("{id}-80"))])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    let r = t
        .call("POST", "/v1/sandboxes/nope/pause", &admin, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let reader = start(RouteMode::Header, true);
    let rid = reader.sandbox(&reader.admin(), false).await;
    let r = reader
        .call(
            "POST",
            &format!("/v1/sandboxes/{rid}/pause"),
            &user("r", "read_only"),
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // The lifecycle shows in the diagnostics.
    let r = t
        .call(
            "GET",
            &format!("/v1/sandboxes/{id}/diagnostics/events?scope=lifecycle"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(
        (v["kind"].as_str(), v["delivery"].as_str()),
        (Some("events"), Some("inline"))
    );
    let content = v["content"].as_str().unwrap();
    assert!(
        content.contains("USER_PAUSE") && content.contains("USER_RESUME"),
        "{content}"
    );
    let r = t
        .call(
            "GET",
            &format!("/v1/sandboxes/{id}/diagnostics/logs"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "scope is required");
}

#[tokio::test]
async fn metadata_patch_is_a_merge_patch() {
    let t = start(RouteMode::Header, true);
    let olga = user("olga", "operator");
    let r = t
        .call(
            "POST",
            "/v1/sandboxes",
            &olga,
            Some(&create_body(r#""metadata": {"a": "1", "b": "2"}"#)),
        )
        .await;
    let id = r.json()["id"].as_str().unwrap().to_owned();
    let path = format!("/v1/sandboxes/{id}/metadata");
    let r = t
        .call(
            "PATCH",
            &path,
            &olga,
            Some(r#"{"a": "x", "b": null, "c": "3", "gone": null}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    let v = r.json();
    assert_eq!(
        v["metadata"],
        serde_json::json!({"a": "x", "c": "3", "access.owner": "olga"})
    );
    assert_eq!(v["id"], id.as_str());
    let r = t.call("PATCH", &path, &olga, Some("{}")).await;
    assert_eq!(r.json()["metadata"]["a"], "x");
    for bad in [
        r#"{"access.owner": "mallory"}"#,
        r#"{"access.owner": null}"#,
        r#"{"opensandbox.io/x": "1"}"#,
        r#"{"a": "has space"}"#,
        r#"{"a": 1}"#,
        r#"{"bad key": "1"}"#,
        r#"[]"#,
    ] {
        let r = t.call("PATCH", &path, &olga, Some(bad)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}: {}", r.text);
    }
    let r = t
        .call(
            "PATCH",
            &path,
            &user("oscar", "operator"),
            Some(r#"{"a": "1"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn snapshots_create_list_restore_delete() {
    let t = start(RouteMode::Header, false);
    let admin = t.admin();
    let id = t.sandbox(&admin, false).await;
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{id}/snapshots"),
            &admin,
            Some(r#"{"name": "before"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let snap = r.json();
    let sid = snap["id"].as_str().unwrap().to_owned();
    assert_eq!(snap["status"]["state"], "Creating");
    assert_eq!(snap["sandboxId"], id.as_str());
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/snapshots/{sid}").as_str())
    );
    // Unnamed, with no body at all.
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{id}/snapshots"),
            &admin,
            None,
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let r = t
        .call("GET", &format!("/v1/snapshots/{sid}"), &admin, None)
        .await;
    assert_eq!(r.json()["status"]["state"], "Ready");
    assert_eq!(r.json()["name"], "before");
    let v = t
        .call(
            "GET",
            &format!("/v1/snapshots?sandboxId={id}"),
            &admin,
            None,
        )
        .await
        .json();
    assert_eq!(v["pagination"]["totalItems"], 2);
    let v = t
        .call("GET", "/v1/snapshots?name=before&pageSize=1", &admin, None)
        .await
        .json();
    assert_eq!(v["items"][0]["id"], sid.as_str());
    // Restore: the new sandbox names its snapshot and keeps the entrypoint.
    let body = format!(r#"{{"snapshotId": "{sid}", "resourceLimits": {{}}, "timeout": 600}}"#);
    let r = t.call("POST", "/v1/sandboxes", &admin, Some(&body)).await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    let restored = r.json()["id"].as_str().unwrap().to_owned();
    let v = t
        .call("GET", &format!("/v1/sandboxes/{restored}"), &admin, None)
        .await
        .json();
    assert_eq!(v["snapshotId"], sid.as_str());
    assert!(v.get("image").is_none());
    assert_eq!(
        v["entrypoint"],
        serde_json::json!(["python", "-m", "http.server"])
    );
    let body = r#"{"snapshotId": "nope", "resourceLimits": {}}"#;
    assert_eq!(
        t.call("POST", "/v1/sandboxes", &admin, Some(body))
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    // Only a Running sandbox is snapshotted; bodies are checked.
    t.call("POST", &format!("/v1/sandboxes/{id}/pause"), &admin, None)
        .await;
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{id}/snapshots"),
            &admin,
            Some("{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = t
        .call(
            "POST",
            &format!("/v1/sandboxes/{restored}/snapshots"),
            &admin,
            Some(r#"{"label": "x"}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // Snapshots outlive their sandbox, and are deleted on their own.
    t.call("DELETE", &format!("/v1/sandboxes/{id}"), &admin, None)
        .await;
    assert_eq!(
        t.call("GET", &format!("/v1/snapshots/{sid}"), &admin, None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        t.call("DELETE", &format!("/v1/snapshots/{sid}"), &admin, None)
            .await
            .status,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        t.call("GET", &format!("/v1/snapshots/{sid}"), &admin, None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn metrics_events_are_accepted_and_checked() {
    let t = start(RouteMode::Header, false);
    let ok = r#"{"eventType": "sandbox.create", "sandboxId": "s", "image": "python:3.12", "createDurationMs": 1842, "success": true}"#;
    let r = t
        .call("POST", "/v1/metrics/events", &t.admin(), Some(ok))
        .await;
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.text);
    assert_eq!(t.mock.metrics_events().len(), 1);
    for bad in [
        r#"{"eventType": "other", "createDurationMs": 1, "success": true}"#,
        r#"{"eventType": "sandbox.create", "createDurationMs": -1, "success": true}"#,
        r#"{"eventType": "sandbox.create", "createDurationMs": 1}"#,
        "",
    ] {
        let r = t
            .call("POST", "/v1/metrics/events", &t.admin(), Some(bad))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    assert_eq!(
        t.call("POST", "/v1/metrics/events", &[], Some(ok))
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
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
        let headers = v["headers"].as_object().cloned().unwrap_or_default();
        assert!(headers.get("OpenSandbox-Secure-Access").is_none());
        // A response with no headers omits the field.
        assert_eq!(v.get("headers").is_none(), mode != RouteMode::Header, "{v}");
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
        let signed = sandgate::RouteSigner::new(&t.mock.signing_keys(), None)
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
    let body = create_body(r#""metadata": {"access.owner": "mallory", "team": "t1"}"#);
    let r = t.call("POST", "/v1/sandboxes", &olga, Some(&body)).await;
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

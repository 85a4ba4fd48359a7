//! The show-once keys API over HTTP, each SPEC §3.2 behaviour in its own test.

mod common;
use common::*;
use sandgate_mock::RouteMode;
use serde_json::Value;

fn alice() -> Vec<(&'static str, String)> {
    user("alice", "operator")
}

async fn stored(t: &T) -> Vec<Value> {
    t.call("GET", "/_mock/keys", &t.admin(), None).await.json()["items"]
        .as_array()
        .unwrap()
        .clone()
}

#[tokio::test]
async fn key_is_shown_once_and_only_the_hash_is_stored() {
    let t = start(RouteMode::Header, true);
    let r = t
        .call("POST", "/api/v1/keys", &alice(), Some(r#"{"name": "ci"}"#))
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let v = r.json();
    assert_eq!(v["success"], true);
    let key = v["data"]["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("osk_") && key.len() == 47, "{key}");
    assert_eq!(v["data"]["prefix"], key[..12]);
    assert_eq!(v["data"]["name"], "ci");
    let list = t.call("GET", "/api/v1/keys", &alice(), None).await;
    assert!(
        !list.text.contains(&key),
        "the list shows the key: {}",
        list.text
    );
    assert!(!list.text.contains(&key[12..]));
    let item = &list.json()["data"][0];
    assert_eq!(item["prefix"], key[..12]);
    assert!(item.get("hash").is_none() && item.get("key").is_none());
    let s = stored(&t).await;
    assert_eq!(s.len(), 1);
    assert_eq!(s[0]["hash"], sandgate::hash_api_key(&key));
    let all = serde_json::to_string(&s).unwrap();
    assert!(!all.contains(&key[12..]), "the raw key is stored");
}

#[tokio::test]
async fn minted_key_authenticates_in_every_header_and_acts_as_its_owner() {
    let t = start(RouteMode::Header, true);
    let (_, key) = t.mint(&alice(), "{}").await;
    for h in [
        vec![("OPEN-SANDBOX-API-KEY", key.clone())],
        vec![("X-API-Key", key.clone())],
        vec![("Authorization", format!("ApiKey {key}"))],
    ] {
        let id = t.sandbox(&h, false).await;
        let r = t
            .call("GET", &format!("/v1/sandboxes/{id}"), &h, None)
            .await;
        assert_eq!(r.json()["metadata"]["access.owner"], "alice");
    }
    // The key's owner sees the key's sandboxes through the trusted headers too.
    let r = t.call("GET", "/v1/sandboxes", &alice(), None).await;
    assert_eq!(r.json()["items"].as_array().unwrap().len(), 3);
    // And a key acts with its owner's roles: a read_only user's key cannot create.
    let (_, ro_key) = t.mint(&user("rob", "read_only"), "{}").await;
    let r = t
        .call(
            "POST",
            "/v1/sandboxes",
            &[("X-API-Key", ro_key)],
            Some(r#"{"image":{"uri":"x"}}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    // A minted key can mint keys of its own, for the same owner.
    let (_, second) = t.mint(&[("X-API-Key", key.clone())], "{}").await;
    let r = t
        .call("GET", "/api/v1/keys", &[("X-API-Key", second)], None)
        .await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn anonymous_is_401_and_stores_nothing() {
    let t = start(RouteMode::Header, true);
    let r = t.call("POST", "/api/v1/keys", &[], Some("{}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(r.json()["success"], false);
    assert_eq!(r.json()["error"]["code"], 401);
    let r = t
        .call(
            "POST",
            "/api/v1/keys",
            &[("X-API-Key", "osk_bogus".into())],
            Some("{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.mock.stored_key_count(), 0);
    // Without trusted-header mode the user headers are not a principal.
    let t = start(RouteMode::Header, false);
    let r = t.call("POST", "/api/v1/keys", &alice(), Some("{}")).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert_eq!(t.mock.stored_key_count(), 0);
}

#[tokio::test]
async fn admin_key_is_not_a_user() {
    let t = start(RouteMode::Header, true);
    let r = t
        .call(
            "POST",
            "/api/v1/keys",
            &[("X-API-Key", t.mock.admin_key().expose().to_owned())],
            Some("{}"),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(t.mock.stored_key_count(), 0);
}

#[tokio::test]
async fn body_cannot_impersonate_or_forge() {
    let t = start(RouteMode::Header, true);
    let body = r#"{"name": "x", "user_id": "bob", "userId": "bob", "key": "osk_chosen_by_me_000000000000000000000000000",
                  "id": "key_forged", "revoked": true, "prefix": "osk_forged__", "scopes": ["all"]}"#;
    let r = t.call("POST", "/api/v1/keys", &alice(), Some(body)).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let d = r.json()["data"].clone();
    assert_ne!(d["key"], "osk_chosen_by_me_000000000000000000000000000");
    assert_ne!(d["id"], "key_forged");
    assert_ne!(d["prefix"], "osk_forged__");
    let s = stored(&t).await;
    assert_eq!(s[0]["owner"], "alice");
    assert_eq!(s[0]["revoked"], false);
    let bob_list = t
        .call("GET", "/api/v1/keys", &user("bob", "operator"), None)
        .await;
    assert_eq!(bob_list.json()["data"].as_array().unwrap().len(), 0);
    // The minted key works, the key from the body does not.
    let key = d["key"].as_str().unwrap().to_owned();
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &[("X-API-Key", key)], None)
            .await
            .status,
        StatusCode::OK
    );
    let forged = "osk_chosen_by_me_000000000000000000000000000".to_owned();
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &[("X-API-Key", forged)], None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn other_methods_are_405() {
    let t = start(RouteMode::Header, true);
    for (m, p) in [
        ("PUT", "/api/v1/keys"),
        ("PATCH", "/api/v1/keys"),
        ("DELETE", "/api/v1/keys"),
        ("GET", "/api/v1/keys/key_x"),
        ("POST", "/api/v1/keys/key_x"),
    ] {
        let r = t.call(m, p, &alice(), Some("{}")).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{m} {p}");
        assert_eq!(r.json()["error"]["code"], 405);
    }
}

#[tokio::test]
async fn names_default_and_trim() {
    let t = start(RouteMode::Header, true);
    for (body, want) in [
        ("{}", "API Key"),
        (r#"{"name": "   "}"#, "API Key"),
        (r#"{"name": null}"#, "API Key"),
        (r#"{"name": "  deploy  "}"#, "deploy"),
        ("", "API Key"),
    ] {
        let r = t.call("POST", "/api/v1/keys", &alice(), Some(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{body}");
        assert_eq!(r.json()["data"]["name"], want, "{body}");
    }
    let r = t
        .call("POST", "/api/v1/keys", &alice(), Some(r#"{"name": 5}"#))
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn expires_at_rules() {
    let t = start(RouteMode::Header, true);
    let now = t.mock.now();
    for (body, stored_as) in [
        (
            r#"{"expires_at": "2100-01-01T00:00:00Z"}"#.to_owned(),
            "2100-01-01T00:00:00Z",
        ),
        (
            r#"{"expires_at": "2100-01-01T08:00:00+08:00"}"#.to_owned(),
            "2100-01-01T00:00:00Z",
        ),
        (
            r#"{"expires_at": 4102444800}"#.to_owned(),
            "2100-01-01T00:00:00Z",
        ),
        (
            r#"{"expires_at": "4102444800"}"#.to_owned(),
            "2100-01-01T00:00:00Z",
        ),
        (
            r#"{"expires_at": 4102444800000}"#.to_owned(),
            "2100-01-01T00:00:00Z",
        ),
    ] {
        let r = t.call("POST", "/api/v1/keys", &alice(), Some(&body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{body}: {}", r.text);
        assert_eq!(r.json()["data"]["expires_at"], stored_as);
    }
    let count = t.mock.stored_key_count();
    for body in [
        format!(r#"{{"expires_at": {}}}"#, now - 1),
        r#"{"expires_at": "2001-01-01T00:00:00Z"}"#.to_owned(),
        r#"{"expires_at": "next week"}"#.to_owned(),
        r#"{"expires_at": ""}"#.to_owned(),
        r#"{"expires_at": 1.5}"#.to_owned(),
        r#"{"expires_at": -100}"#.to_owned(),
        r#"{"expires_at": true}"#.to_owned(),
    ] {
        let r = t.call("POST", "/api/v1/keys", &alice(), Some(&body)).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
        assert_eq!(r.json()["error"]["code"], 400);
    }
    assert_eq!(
        t.mock.stored_key_count(),
        count,
        "a rejected request stored a key"
    );
}

#[tokio::test]
async fn expired_and_revoked_keys_stop_working() {
    let t = start(RouteMode::Header, true);
    let soon = t.mock.now() + 60;
    let (_, key) = t
        .mint(&alice(), &format!(r#"{{"expires_at": {soon}}}"#))
        .await;
    let h = vec![("X-API-Key", key)];
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &h, None).await.status,
        StatusCode::OK
    );
    t.mock.advance(61);
    let r = t.call("GET", "/v1/sandboxes", &h, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["message"].as_str().unwrap().contains("expired"));

    let (id, key) = t.mint(&alice(), "{}").await;
    let h = vec![("X-API-Key", key)];
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &h, None).await.status,
        StatusCode::OK
    );
    let r = t
        .call("DELETE", &format!("/api/v1/keys/{id}"), &alice(), None)
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["data"]["revoked"], true);
    let r = t.call("GET", "/v1/sandboxes", &h, None).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    assert!(r.json()["message"].as_str().unwrap().contains("revoked"));
    let listed = t.call("GET", "/api/v1/keys", &alice(), None).await.json();
    assert!(listed["data"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k["id"] == id.as_str() && k["revoked"] == true));
}

#[tokio::test]
async fn users_cannot_touch_each_others_keys() {
    let t = start(RouteMode::Header, true);
    let (id, _) = t.mint(&alice(), "{}").await;
    let bob = user("bob", "operator");
    let r = t
        .call("DELETE", &format!("/api/v1/keys/{id}"), &bob, None)
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let r = t.call("GET", "/api/v1/keys", &bob, None).await;
    assert_eq!(r.json()["data"].as_array().unwrap().len(), 0);
    assert_eq!(stored(&t).await[0]["revoked"], false);
}

#[tokio::test]
async fn concurrent_minting_and_revoking_is_consistent() {
    let t = std::sync::Arc::new(start(RouteMode::Header, true));
    let mut tasks = Vec::new();
    for i in 0..32 {
        let t = t.clone();
        tasks.push(tokio::spawn(async move {
            let who = user(&format!("u{}", i % 4), "operator");
            let mut revoked = 0;
            for j in 0..5 {
                let (id, key) = t.mint(&who, "{}").await;
                if j % 2 == 0 {
                    let r = t
                        .call("DELETE", &format!("/api/v1/keys/{id}"), &who, None)
                        .await;
                    assert_eq!(r.status, StatusCode::OK);
                    revoked += 1;
                    assert_eq!(
                        t.call("GET", "/v1/sandboxes", &[("X-API-Key", key)], None)
                            .await
                            .status,
                        StatusCode::UNAUTHORIZED
                    );
                } else {
                    assert_eq!(
                        t.call("GET", "/v1/sandboxes", &[("X-API-Key", key)], None)
                            .await
                            .status,
                        StatusCode::OK
                    );
                }
            }
            revoked
        }));
    }
    let mut revoked = 0;
    for task in tasks {
        revoked += task.await.unwrap();
    }
    let s = stored(&t).await;
    assert_eq!(s.len(), 32 * 5);
    assert_eq!(s.iter().filter(|k| k["revoked"] == true).count(), revoked);
    let mut hashes: Vec<_> = s
        .iter()
        .map(|k| k["hash"].as_str().unwrap().to_owned())
        .collect();
    hashes.sort();
    hashes.dedup();
    assert_eq!(hashes.len(), 32 * 5);
    for u in 0..4 {
        let r = t
            .call(
                "GET",
                "/api/v1/keys",
                &user(&format!("u{u}"), "operator"),
                None,
            )
            .await;
        assert_eq!(r.json()["data"].as_array().unwrap().len(), 8 * 5);
    }
}

//! Live signing-key rotation on the mock (SPEC §7): the `/_mock/signing-keys` admin route and
//! `MockServer::set_signing_keys`, and the whole rotation — sign with `a`, add `b`, activate
//! `b`, both verify, retire `a` once its last link has expired (mock clock) — driven by the
//! core's key ring and checked through the gateway.

mod common;
use common::*;
use sandgate::keys::render::{render, Form, RenderOptions};
use sandgate::keys::ring::KeyRing;
use sandgate_mock::{MockConfig, MockServer, RouteMode};
use serde_json::{json, Value};

const HOUR: u64 = 3600;

fn start_with(keys: sandgate::SigningKeys) -> T {
    T {
        mock: MockServer::start(MockConfig {
            route_mode: RouteMode::Header,
            signing_keys: Some(keys),
            ..Default::default()
        })
        .unwrap(),
        http: reqwest::Client::new(),
    }
}

/// A secure sandbox that outlives the test's clock moves (a day).
async fn long_lived_sandbox(t: &T) -> String {
    let body =
        create_body(r#""secureAccess": true"#).replace(r#""timeout": 600"#, r#""timeout": 86400"#);
    let r = t
        .call("POST", "/v1/sandboxes", &t.admin(), Some(&body))
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.text);
    r.json()["id"].as_str().unwrap().to_owned()
}

/// The ring's keys as the flag string the admin route takes (the ingress form, rendered by
/// core), and its active key.
fn admin_body(ring: &KeyRing) -> String {
    let flag = render(
        &ring.signing_keys().unwrap(),
        Form::IngressFlag,
        &RenderOptions::default(),
    )
    .unwrap();
    let keys = flag
        .expose()
        .trim_end()
        .strip_prefix("--secure-access-keys=")
        .unwrap()
        .to_owned();
    json!({ "keys": keys, "active_key": ring.active_key_id().unwrap().to_string() }).to_string()
}

/// Pushes the ring to the mock through the admin route, as a test in any language would.
async fn push(t: &T, ring: &KeyRing) -> Value {
    let r = t
        .call(
            "PUT",
            "/_mock/signing-keys",
            &t.admin(),
            Some(&admin_body(ring)),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()
}

/// A signed link (the `OpenSandbox-Ingress-To` value) for `sandbox`, valid until `expires`.
async fn link(t: &T, sandbox: &str, expires: u64) -> String {
    let r = t
        .endpoint(sandbox, 8080, &format!("?expires={expires}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    r.json()["headers"]["OpenSandbox-Ingress-To"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// The gateway's answer to a link: status and denial reason.
async fn through_gateway(t: &T, link: &str) -> (u16, String) {
    let r = t
        .gw("/ping", &[("OpenSandbox-Ingress-To", link.to_owned())])
        .await;
    let reason = r.header("X-Sandgate-Reason").unwrap_or("").to_owned();
    (r.status.as_u16(), reason)
}

fn key_of(link: &str) -> char {
    link.chars().last().unwrap()
}

#[tokio::test]
async fn rotation_end_to_end_through_the_gateway() {
    // Day 0: a ring with key a, the mock running with it.
    let start = sandgate::clock::now_unix();
    let mut ring = KeyRing::init(HOUR, None, start).unwrap();
    let t = start_with(ring.signing_keys().unwrap());
    t.mock.set_now(start);
    let sandbox = long_lived_sandbox(&t).await;
    // The longest link a signs: valid for the platform's longest lifetime.
    let a_link = link(&t, &sandbox, t.mock.now() + HOUR).await;
    assert_eq!(key_of(&a_link), 'a');
    assert_eq!(through_gateway(&t, &a_link).await, (200, String::new()));

    // Add b everywhere first: a still signs, both verify.
    t.mock.advance(60);
    assert_eq!(ring.add_key(None, t.mock.now()).unwrap(), 'b');
    let shown = push(&t, &ring).await;
    assert_eq!(shown, json!({"key_ids": ["a", "b"], "active_key": "a"}));
    assert_eq!(key_of(&link(&t, &sandbox, t.mock.now() + 60).await), 'a');

    // Activate b: new links are b's; a's links still verify.
    t.mock.advance(60);
    let activated = t.mock.now();
    ring.activate('b', activated).unwrap();
    assert_eq!(push(&t, &ring).await["active_key"], "b");
    // a may have signed until this instant: its last link is valid until activated + HOUR.
    let last_a_link_expiry = activated + HOUR;
    let b_link = link(&t, &sandbox, t.mock.now() + HOUR).await;
    assert_eq!(key_of(&b_link), 'b');
    assert_eq!(through_gateway(&t, &a_link).await, (200, String::new()));
    assert_eq!(through_gateway(&t, &b_link).await, (200, String::new()));

    // Retiring a is refused while one of its links can be valid, up to the last second.
    for now in [t.mock.now(), last_a_link_expiry] {
        let e = ring.retire('a', now, false).unwrap_err();
        assert!(e.message().contains("can be valid until"), "{e}");
    }

    // After a's last link has expired (mock clock), a is retired everywhere.
    t.mock.set_now(last_a_link_expiry + 1);
    let now = t.mock.now();
    assert_eq!(ring.retire('a', now, false).unwrap(), None);
    assert_eq!(
        push(&t, &ring).await,
        json!({"key_ids": ["b"], "active_key": "b"})
    );
    assert_eq!(t.mock.signing_keys().key_ids(), &['b']);
    let fresh_b_link = link(&t, &sandbox, now + HOUR).await;
    assert_eq!(key_of(&fresh_b_link), 'b');
    assert_eq!(
        through_gateway(&t, &fresh_b_link).await,
        (200, String::new())
    );
    assert_eq!(
        through_gateway(&t, &a_link).await,
        (401, "expired".to_owned())
    );

    // The key itself is gone, whatever the clock: at an instant when both old links were
    // still within their expiry, a's answers 401 unknown_key and b's 200.
    t.mock.set_now(activated + 10);
    assert_eq!(
        through_gateway(&t, &a_link).await,
        (401, "unknown_key".to_owned())
    );
    assert_eq!(through_gateway(&t, &b_link).await, (200, String::new()));
}

#[tokio::test]
async fn set_signing_keys_from_rust_and_reset_restores_the_start_keys() {
    let start = sandgate::SigningKeys::from_flag("a=Zm9vYmFy").unwrap();
    let t = start_with(start);
    let sandbox = t.sandbox(&t.admin(), true).await;
    let now = t.mock.now();
    let a_link = link(&t, &sandbox, now + 600).await;
    let keys = sandgate::SigningKeys::from_flag("a=Zm9vYmFy,c=YmF6cXV4")
        .unwrap()
        .with_active('c')
        .unwrap();
    t.mock.set_signing_keys(keys).unwrap();
    let c_link = link(&t, &sandbox, now + 600).await;
    assert_eq!(key_of(&c_link), 'c');
    assert_eq!(through_gateway(&t, &c_link).await.0, 200);
    assert_eq!(through_gateway(&t, &a_link).await.0, 200);
    // The JSON line `sandgate mock` prints follows the replacement.
    assert_eq!(
        t.mock.describe_json()["signing_keys"],
        "a=Zm9vYmFy,c=YmF6cXV4"
    );
    // An empty set is a mock without keys (signed routes and endpoints answer 503).
    let e = t.mock.set_signing_keys(sandgate::SigningKeys::empty());
    assert!(e.is_ok(), "an empty set makes a mock without keys: {e:?}");
    assert!(t.mock.signing_keys().key_ids().is_empty());
    // reset() puts back the keys the mock started with.
    t.mock.reset();
    assert_eq!(t.mock.signing_keys().key_ids(), &['a']);
    let sandbox = t.sandbox(&t.admin(), true).await;
    let c_link = link(&t, &sandbox, now + 600).await;
    assert_eq!(key_of(&c_link), 'a');
}

#[tokio::test]
async fn the_admin_route_validates_and_never_echoes_a_secret() {
    let t = start(RouteMode::Header, true);
    let before = t.mock.signing_keys().expose_flag_string();
    // Admin only.
    for (m, body) in [("GET", None), ("PUT", Some(r#"{"keys": "a=Zm9v"}"#))] {
        let r = t.call(m, "/_mock/signing-keys", &[], body).await;
        assert_eq!(r.status, StatusCode::UNAUTHORIZED);
        let r = t
            .call(m, "/_mock/signing-keys", &user("u", "service_admin"), body)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN);
    }
    let r = t.call("GET", "/_mock/signing-keys", &t.admin(), None).await;
    assert_eq!(r.json(), json!({"key_ids": ["a", "b"], "active_key": "a"}));
    let secret = "c2VjcmV0LXRoYXQtbXVzdC1ub3Qtc2hvdw==";
    for (body, says) in [
        ("{}".to_owned(), "keys must be the flag string"),
        (r#"{"keys": 5}"#.to_owned(), "keys must be the flag string"),
        (
            json!({"keys": format!("a={secret}"), "extra": 1}).to_string(),
            "unknown signing-keys field",
        ),
        (
            json!({"keys": format!("a={secret},a={secret}")}).to_string(),
            "more than once",
        ),
        (json!({"keys": format!("{secret}")}).to_string(), "entry 1"),
        (
            json!({"keys": format!("a={secret}"), "active_key": "b"}).to_string(),
            "does not name a configured signing key",
        ),
        (
            json!({"keys": format!("a={secret}"), "active_key": secret}).to_string(),
            "active_key must be one character",
        ),
        (
            json!({"keys": format!("a={secret}"), "active_key": 1}).to_string(),
            "active_key must be a string",
        ),
        ("not json".to_owned(), ""),
    ] {
        let r = t
            .call("PUT", "/_mock/signing-keys", &t.admin(), Some(&body))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.text);
        assert!(r.text.contains(says), "{body}: {}", r.text);
        assert!(!r.text.contains("c2VjcmV0"), "{}", r.text);
    }
    assert_eq!(t.mock.signing_keys().expose_flag_string(), before);
    // An empty flag string is a mock without keys, as at start (`keys: ""`).
    let r = t
        .call(
            "PUT",
            "/_mock/signing-keys",
            &t.admin(),
            Some(r#"{"keys": ""}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({"key_ids": [], "active_key": null}));
    t.mock
        .set_signing_keys(sandgate::SigningKeys::from_flag(&before).unwrap())
        .unwrap();
    // POST works as PUT; active_key defaults to the first key; the answer has no secret.
    let r = t
        .call(
            "POST",
            "/_mock/signing-keys",
            &t.admin(),
            Some(&json!({"keys": format!("9={secret},z=Zm9v")}).to_string()),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    assert_eq!(r.json(), json!({"key_ids": ["9", "z"], "active_key": null}));
    assert!(!r.text.contains("c2VjcmV0"));
    let sandbox = t.sandbox(&t.admin(), true).await;
    let l = link(&t, &sandbox, t.mock.now() + 60).await;
    assert_eq!(key_of(&l), '9');
    // POST /_mock/reset restores the start keys too.
    let r = t.call("POST", "/_mock/reset", &t.admin(), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(t.mock.signing_keys().expose_flag_string(), before);
}

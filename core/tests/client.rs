//! The client against the in-process mock server: every operation, every error kind,
//! retries, timeouts and concurrency.

use sandgate::client::{Client, CreateSandbox, RetryPolicy};
use sandgate::surface::{self, Expiry};
use sandgate::ErrorKind;
use sandgate_mock::{Faults, MockConfig, MockServer, RouteMode};
use std::time::{Duration, Instant};

fn mock(mode: RouteMode) -> MockServer {
    MockServer::start(MockConfig {
        route_mode: mode,
        trusted_headers: true,
        ..Default::default()
    })
    .unwrap()
}

fn admin(m: &MockServer) -> Client {
    Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .ignore_env()
        .build()
        .unwrap()
}

/// A client acting as user `name` through the trusted headers.
fn as_user(m: &MockServer, name: &str) -> Client {
    Client::builder()
        .domain(m.domain())
        .header("X-OpenSandbox-User", name)
        .header("X-OpenSandbox-Roles", "operator")
        .ignore_env()
        .build()
        .unwrap()
}

fn fast_retry() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_secs(2),
        ..Default::default()
    }
}

#[tokio::test]
async fn client_sandbox_operations() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let mut req = CreateSandbox::new("python:3.11");
    req.secure_access = true;
    req.timeout = Some(900);
    req.metadata.insert("team".into(), "blue".into());
    let s = c.create_sandbox(&req).await.unwrap();
    assert!(s.secure_access);
    assert_eq!(s.state, "Running");
    assert_eq!(s.image.as_deref(), Some("python:3.11"));
    assert_eq!(s.metadata["team"], "blue");
    let got = c.get_sandbox(&s.id).await.unwrap();
    assert_eq!(got, s);
    assert_eq!(c.list_sandboxes().await.unwrap(), vec![s.clone()]);
    c.delete_sandbox(&s.id).await.unwrap();
    let e = c.get_sandbox(&s.id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Api, Some(404), Some("SANDBOX::NOT_FOUND"))
    );
    // Request ids are UUIDs, as upstream's.
    let rid = e.request_id().unwrap();
    assert_eq!((rid.len(), rid.matches('-').count()), (36, 4), "{rid}");
}

#[tokio::test]
async fn client_renew_sandbox_moves_its_expiry() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let mut req = CreateSandbox::new("python:3.11");
    req.timeout = Some(600);
    let s = c.create_sandbox(&req).await.unwrap();
    let before = c.get_sandbox(&s.id).await.unwrap().expires_at.unwrap();

    // An instant: the server's new expiresAt is that instant, and the sandbox shows it.
    let at = sandgate::clock::now_unix() + 7200;
    let r = c.renew_sandbox(&s.id, at).await.unwrap();
    assert_eq!(r.expires, at);
    assert_ne!(r.expires_at, before);
    assert_eq!(
        c.get_sandbox(&s.id).await.unwrap().expires_at,
        Some(r.expires_at.clone())
    );
    // A TTL from now, through the surface's one dispatch.
    let r = surface::renew_sandbox(&c, &s.id, Expiry::Ttl(86_400))
        .await
        .unwrap();
    assert!(r.expires.abs_diff(sandgate::clock::now_unix() + 86_400) <= 2);
    assert_eq!(
        c.get_sandbox(&s.id).await.unwrap().expires_at,
        Some(r.expires_at)
    );
    let e = c
        .renew_sandbox_for("does-not-exist", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Api, Some(404), Some("SANDBOX::NOT_FOUND"))
    );
    // Past the first expiry by the mock clock, the renewed sandbox is still there.
    m.advance(3600);
    assert_eq!(c.get_sandbox(&s.id).await.unwrap().id, s.id);
}

#[tokio::test]
async fn client_endpoints_unsigned_and_signed_in_every_mode() {
    for mode in [RouteMode::Header, RouteMode::Wildcard, RouteMode::Uri] {
        let m = mock(mode);
        let c = admin(&m);
        let mut req = CreateSandbox::new("img");
        req.secure_access = true;
        let s = c.create_sandbox(&req).await.unwrap();
        let e = c.get_endpoint(&s.id, 8080).await.unwrap();
        assert_eq!(e.url, format!("http://{}", e.endpoint));
        assert!(e.route.is_none());
        assert!(e.headers.contains_key("OpenSandbox-Secure-Access"));
        assert!(
            !format!("{e:?}").contains(&e.headers["OpenSandbox-Secure-Access"]),
            "Debug shows the token"
        );

        let expires = sandgate::clock::now_unix() + 600;
        let e = c.get_signed_endpoint(&s.id, 8080, expires).await.unwrap();
        let route = e.route.clone().expect("signed route");
        assert_eq!(
            (route.sandbox_id.as_str(), route.port, route.expires),
            (s.id.as_str(), 8080, Some(expires))
        );
        assert_eq!(route.key_id, Some('a'));
        assert!(!e.headers.contains_key("OpenSandbox-Secure-Access"));

        let e = c
            .get_signed_endpoint_for(&s.id, 9000, Duration::from_secs(3600))
            .await
            .unwrap();
        let exp = e.route.unwrap().expires.unwrap();
        assert!(
            exp.abs_diff(sandgate::clock::now_unix() + 3600) <= 2,
            "{mode}"
        );
    }
}

#[tokio::test]
async fn client_api_keys_create_list_revoke() {
    let m = mock(RouteMode::Header);
    let alice = as_user(&m, "alice");
    let expires = sandgate::clock::now_unix() + 86_400;
    let k = alice
        .create_api_key(Some("ci"), Some(expires))
        .await
        .unwrap();
    assert_eq!(k.name, "ci");
    assert_eq!(k.prefix, k.key.expose()[..12]);
    assert_eq!(
        k.expires_at.as_deref(),
        Some(sandgate::keys::format_rfc3339(expires).as_str())
    );
    assert!(!format!("{k:?}").contains(k.key.expose()));
    // The minted key works on its own, as alice.
    let with_key = Client::builder()
        .domain(m.domain())
        .api_key(k.key.expose())
        .ignore_env()
        .build()
        .unwrap();
    let s = with_key
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap();
    assert_eq!(s.metadata["access.owner"], "alice");
    let listed = with_key.list_api_keys().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id.as_str(), listed[0].revoked),
        (k.id.as_str(), false)
    );
    let default_name = alice.create_api_key(None, None).await.unwrap();
    assert_eq!(default_name.name, "API Key");
    alice.revoke_api_key(&k.id).await.unwrap();
    let e = with_key.list_api_keys().await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Api, Some(401)));
    assert!(e.message().contains("revoked"), "{e}");
    let e = as_user(&m, "bob")
        .revoke_api_key(&default_name.id)
        .await
        .unwrap_err();
    assert_eq!(e.status(), Some(404));
}

/// Regression (issue 15): `expires_at` as milliseconds far in the future used to mint a key
/// that was already expired (1e15 ms → 1e12 s → stored as the bare number `1000000000000` →
/// read back as milliseconds, 2001). An expiry past year 9999 is now a 400 and no key is made;
/// one up to 9999-12-31T23:59:59Z is stored as RFC 3339 and the key works.
#[tokio::test]
async fn keys_api_far_future_expiry_is_refused_or_kept_exact() {
    let m = mock(RouteMode::Header);
    let http = reqwest::Client::new();
    let mint = |body: serde_json::Value| {
        http.post(format!("{}/api/v1/keys", m.api_url()))
            .header("X-OpenSandbox-User", "carol")
            .json(&body)
            .send()
    };
    for far in [
        serde_json::json!(1_000_000_000_000_000u64),
        serde_json::json!("1000000000000000"),
        serde_json::json!(999_999_999_999u64),
        serde_json::json!("9999-12-31T23:59:59-01:00"),
    ] {
        let r = mint(serde_json::json!({ "expires_at": far }))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 400, "{far}");
    }
    let carol = as_user(&m, "carol");
    assert!(carol.list_api_keys().await.unwrap().is_empty());
    for (edge, stored) in [
        (
            serde_json::json!(253_402_300_799_000u64),
            "9999-12-31T23:59:59Z",
        ),
        (
            serde_json::json!("9999-12-31T23:59:59Z"),
            "9999-12-31T23:59:59Z",
        ),
        (serde_json::json!(4_000_000_000u64), "2096-10-02T07:06:40Z"),
    ] {
        let r = mint(serde_json::json!({ "expires_at": edge }))
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201, "{edge}");
        let v: serde_json::Value = r.json().await.unwrap();
        assert_eq!(v["data"]["expires_at"], stored, "{edge}");
        let key = v["data"]["key"].as_str().unwrap();
        let with_key = Client::builder()
            .domain(m.domain())
            .api_key(key)
            .ignore_env()
            .build()
            .unwrap();
        with_key
            .list_api_keys()
            .await
            .unwrap_or_else(|e| panic!("{edge}: the minted key must work: {e}"));
    }
    // The client refuses such an expiry before sending anything.
    let e = carol
        .create_api_key(None, Some(sandgate::keys::MAX_EXPIRES_AT + 1))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
}

#[tokio::test]
async fn client_invalid_arguments_send_nothing() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let past = sandgate::clock::now_unix() - 1;
    let errs = vec![
        c.get_endpoint("", 80).await.unwrap_err(),
        c.get_endpoint("  ", 80).await.unwrap_err(),
        c.get_endpoint("abc", 0).await.unwrap_err(),
        c.get_signed_endpoint("abc", 80, past).await.unwrap_err(),
        c.get_signed_endpoint_for("abc", 80, Duration::ZERO)
            .await
            .unwrap_err(),
        c.create_api_key(None, Some(past)).await.unwrap_err(),
        c.revoke_api_key("").await.unwrap_err(),
        c.create_sandbox(&CreateSandbox::new("")).await.unwrap_err(),
        c.get_sandbox("").await.unwrap_err(),
        c.delete_sandbox("").await.unwrap_err(),
        c.renew_sandbox("abc", past).await.unwrap_err(),
        c.renew_sandbox("abc", u64::MAX).await.unwrap_err(),
        c.renew_sandbox("", past + 600).await.unwrap_err(),
        c.renew_sandbox_for("abc", Duration::ZERO)
            .await
            .unwrap_err(),
        c.renew_sandbox_for("abc", Duration::from_millis(999))
            .await
            .unwrap_err(),
    ];
    for e in errs {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{e}");
        assert!(!e.message().is_empty());
    }
    assert!(
        m.requests().is_empty(),
        "requests were sent: {:?}",
        m.requests()
    );
    assert_eq!(
        sandgate::route::check_port(70000).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
    assert_eq!(
        sandgate::route::check_port(-1).unwrap_err().kind(),
        ErrorKind::InvalidArgument
    );
}

#[tokio::test]
async fn client_error_kinds() {
    let m = mock(RouteMode::Header);
    // Api, lifecycle shape.
    let anon = Client::builder()
        .domain(m.domain())
        .ignore_env()
        .build()
        .unwrap();
    let e = anon.list_sandboxes().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Api, Some(401), Some("MISSING_API_KEY"))
    );
    // Api, keys shape.
    let e = anon.create_api_key(None, None).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Api, Some(401), None)
    );
    assert!(!e.message().is_empty());
    // Decode.
    m.set_faults(Faults {
        corrupt_next: 1,
        ..Default::default()
    })
    .unwrap();
    let e = admin(&m).list_sandboxes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    // Transport: nothing listens on a port we just freed.
    let free = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let dead = Client::builder()
        .domain(free.to_string())
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap();
    let e = dead.list_sandboxes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(e.message().contains(&free.to_string()), "{e}");
    // InvalidConfig.
    for b in [
        Client::builder().protocol("ftp"),
        Client::builder().domain(""),
        Client::builder().domain("has space:80"),
        Client::builder().timeout(Duration::ZERO),
        Client::builder().header("bad header", "v"),
        Client::builder().api_key("line\nbreak"),
    ] {
        let e = b.ignore_env().build().unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    }
    let e = Client::builder()
        .api_key("osk_supersecret\n")
        .ignore_env()
        .build()
        .unwrap_err();
    assert!(!e.to_string().contains("supersecret"));
}

#[tokio::test]
async fn client_timeout_through_latency() {
    let m = mock(RouteMode::Header);
    m.set_faults(Faults {
        latency_ms: 1500,
        ..Default::default()
    })
    .unwrap();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .timeout(Duration::from_millis(200))
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap();
    let start = Instant::now();
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(!e.is_retryable(), "retries are off");
    assert!(start.elapsed() < Duration::from_millis(1400));
    assert_eq!(m.requests().len(), 1);
    // With retries on, a GET that timed out is sent again (SPEC §2.1: idempotent).
    m.reset();
    m.set_faults(Faults {
        latency_ms: 1500,
        ..Default::default()
    })
    .unwrap();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .timeout(Duration::from_millis(200))
        .retry(fast_retry())
        .ignore_env()
        .build()
        .unwrap();
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.is_retryable());
    assert_eq!(m.requests().len(), 3, "1 attempt + max_retries 2");
}

#[tokio::test]
async fn client_retries_503_honouring_retry_after() {
    let m = mock(RouteMode::Header);
    m.set_faults(Faults {
        fail_next: 2,
        status: 503,
        retry_after: Some(1),
        ..Default::default()
    })
    .unwrap();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .retry(fast_retry())
        .ignore_env()
        .build()
        .unwrap();
    let start = Instant::now();
    c.list_sandboxes().await.unwrap();
    assert!(
        start.elapsed() >= Duration::from_secs(2),
        "Retry-After: 1 was not honoured"
    );
    let statuses: Vec<u16> = m.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![503, 503, 200]);
}

#[tokio::test]
async fn client_gives_up_after_max_attempts_and_can_be_turned_off() {
    let m = mock(RouteMode::Header);
    m.set_faults(Faults {
        fail_next: 5,
        status: 502,
        ..Default::default()
    })
    .unwrap();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .retry(fast_retry())
        .ignore_env()
        .build()
        .unwrap();
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!(e.status(), Some(502));
    assert_eq!(m.requests().len(), 3);
    m.reset();
    m.set_faults(Faults {
        fail_next: 1,
        status: 429,
        ..Default::default()
    })
    .unwrap();
    let once = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap();
    assert_eq!(once.list_sandboxes().await.unwrap_err().status(), Some(429));
    assert_eq!(m.requests().len(), 1);
    // 500 and 4xx are not retried.
    m.reset();
    m.set_faults(Faults {
        fail_next: 1,
        status: 500,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(c.list_sandboxes().await.unwrap_err().status(), Some(500));
    assert_eq!(m.requests().len(), 1);
}

#[tokio::test]
async fn client_retries_a_dropped_connection() {
    let m = mock(RouteMode::Header);
    m.set_faults(Faults {
        drop_next: 1,
        ..Default::default()
    })
    .unwrap();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .retry(fast_retry())
        .ignore_env()
        .build()
        .unwrap();
    c.list_sandboxes().await.unwrap();
    let statuses: Vec<u16> = m.requests().iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![0, 200]);
    m.reset();
    m.set_faults(Faults {
        drop_next: 1,
        ..Default::default()
    })
    .unwrap();
    let s = c.create_sandbox(&CreateSandbox::new("i")).await;
    assert_eq!(s.unwrap_err().kind(), ErrorKind::Transport);
}

#[tokio::test]
async fn client_never_retries_posts_once_sent() {
    let m = mock(RouteMode::Header);
    let alice = Client::builder()
        .domain(m.domain())
        .header("X-OpenSandbox-User", "alice")
        .header("X-OpenSandbox-Roles", "operator")
        .retry(fast_retry())
        .ignore_env()
        .build()
        .unwrap();
    m.set_faults(Faults {
        fail_next: 1,
        status: 503,
        retry_after: Some(0),
        ..Default::default()
    })
    .unwrap();
    let e = alice.create_api_key(Some("once"), None).await.unwrap_err();
    assert_eq!(e.status(), Some(503));
    m.set_faults(Faults {
        drop_next: 1,
        ..Default::default()
    })
    .unwrap();
    assert_eq!(
        alice
            .create_api_key(Some("once"), None)
            .await
            .unwrap_err()
            .kind(),
        ErrorKind::Transport
    );
    m.set_faults(Faults {
        fail_next: 1,
        status: 503,
        ..Default::default()
    })
    .unwrap();
    assert!(alice
        .create_sandbox(&CreateSandbox::new("i"))
        .await
        .is_err());
    let posts: Vec<_> = m
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST")
        .collect();
    assert_eq!(posts.len(), 3, "{posts:?}");
    assert_eq!(m.stored_key_count(), 0);
}

#[tokio::test]
async fn client_user_agent() {
    let m = mock(RouteMode::Header);
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .language("python")
        .ignore_env()
        .build()
        .unwrap();
    c.list_sandboxes().await.unwrap();
    let want = format!("sandgate/{} (python)", env!("CARGO_PKG_VERSION"));
    assert_eq!(m.requests()[0].user_agent.as_deref(), Some(want.as_str()));
    assert_eq!(c.user_agent(), want);
}

#[tokio::test]
async fn client_twenty_concurrent_calls_on_one_client() {
    let m = mock(RouteMode::Uri);
    let c = admin(&m);
    let s = c.create_sandbox(&CreateSandbox::new("img")).await.unwrap();
    let mut tasks = Vec::new();
    for port in 1..=20u16 {
        let c = c.clone();
        let id = s.id.clone();
        tasks.push(tokio::spawn(async move {
            c.get_signed_endpoint_for(&id, port, Duration::from_secs(60))
                .await
        }));
    }
    for (i, t) in tasks.into_iter().enumerate() {
        let e = t.await.unwrap().unwrap();
        assert_eq!(e.route.unwrap().port, i as u16 + 1);
    }
}

#[tokio::test]
async fn client_scheme_in_domain_wins() {
    let c = Client::builder()
        .domain("https://api.example.com/")
        .protocol("http")
        .ignore_env()
        .build()
        .unwrap();
    assert_eq!(
        (c.base_url(), c.protocol()),
        ("https://api.example.com", "https")
    );
    let c = Client::builder()
        .domain("api.example.com:9000")
        .ignore_env()
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "http://api.example.com:9000");
}

#[tokio::test]
async fn client_list_sandboxes_follows_every_page() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let mut made = Vec::new();
    for _ in 0..105 {
        made.push(
            c.create_sandbox(&CreateSandbox::new("img"))
                .await
                .unwrap()
                .id,
        );
    }
    let listed: Vec<String> = c
        .list_sandboxes()
        .await
        .unwrap()
        .into_iter()
        .map(|s| s.id)
        .collect();
    assert_eq!(listed, made, "all pages, in creation order");
    // One request per page of 100.
    let lists = m
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == "/v1/sandboxes")
        .count();
    assert_eq!(lists, 2);
}

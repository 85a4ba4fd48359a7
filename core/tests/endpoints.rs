//! Endpoint modes, the endpoint cache, the server's clock and pause/resume (SPEC §2, §2.1)
//! through the public client API, against the in-process mock and its request log.

use sandgate::client::{
    Client, CreateSandbox, EndpointCacheConfig, EndpointKind, EndpointMode, RetryPolicy,
    API_KEY_HEADER,
};
use sandgate::surface::Expiry;
use sandgate::ErrorKind;
use sandgate_mock::{Faults, MockConfig, MockServer, RouteMode};
use std::time::Duration;

fn mock_with(mode: RouteMode, origin: Option<&str>) -> MockServer {
    MockServer::start(MockConfig {
        route_mode: mode,
        trusted_headers: true,
        endpoint_origin: origin.map(str::to_owned),
        ..Default::default()
    })
    .unwrap()
}

fn mock(mode: RouteMode) -> MockServer {
    mock_with(mode, None)
}

fn admin_with(m: &MockServer, cache: EndpointCacheConfig) -> Client {
    Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .endpoint_cache(cache)
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap()
}

fn admin(m: &MockServer) -> Client {
    admin_with(m, EndpointCacheConfig::default())
}

async fn sandbox(c: &Client, secure: bool) -> String {
    let mut req = CreateSandbox::new("img");
    req.secure_access = secure;
    c.create_sandbox(&req).await.unwrap().id
}

/// Endpoint requests the mock logged (any mode, any port).
fn endpoint_requests(m: &MockServer) -> usize {
    m.requests()
        .iter()
        .filter(|r| r.path.contains("/endpoints/"))
        .count()
}

fn has_api_key(headers: &std::collections::BTreeMap<String, String>) -> bool {
    headers
        .keys()
        .any(|k| k.eq_ignore_ascii_case(API_KEY_HEADER))
}

const TTL: EndpointMode = EndpointMode::Signed(Expiry::Ttl(3600));

#[tokio::test]
async fn endpoint_modes_carry_the_api_key_only_through_the_server_proxy() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    let key = m.admin_key().expose().to_owned();

    let direct = c.endpoint(&id, 8080, EndpointMode::Direct).await.unwrap();
    assert_eq!(direct.kind, EndpointKind::Direct);
    assert!(!has_api_key(&direct.headers), "{direct:?}");
    assert!(direct.headers.contains_key("OpenSandbox-Ingress-To"));

    let proxy = c
        .endpoint(&id, 8080, EndpointMode::ServerProxy)
        .await
        .unwrap();
    assert_eq!(proxy.kind, EndpointKind::ServerProxy);
    assert_eq!(proxy.headers.get(API_KEY_HEADER), Some(&key));
    assert!(proxy
        .endpoint
        .ends_with(&format!("/v1/sandboxes/{id}/proxy/8080")));
    assert!(!proxy.headers.contains_key("OpenSandbox-Ingress-To"));
    assert!(proxy.headers.contains_key("OpenSandbox-Secure-Access"));
    assert_eq!(proxy.redacted_headers()[API_KEY_HEADER], "***");
    assert!(
        !format!("{proxy:?}").contains(&key),
        "Debug shows the API key"
    );
    // The endpoint works as given: its headers are all a request needs.
    let http = reqwest::Client::new();
    let mut rb = http.get(format!("{}/ping", proxy.url));
    for (k, v) in &proxy.headers {
        rb = rb.header(k, v);
    }
    assert_eq!(rb.send().await.unwrap().status().as_u16(), 200);

    for mode in [
        EndpointMode::Signed(Expiry::Ttl(600)),
        EndpointMode::Signed(Expiry::At(c.server_now() + 900)),
    ] {
        let signed = c.endpoint(&id, 8080, mode).await.unwrap();
        assert_eq!(signed.kind, EndpointKind::Signed);
        assert!(!has_api_key(&signed.headers), "{signed:?}");
        assert!(signed.route.is_some());
    }

    // A client without an API key has none to attach.
    let user = Client::builder()
        .domain(m.domain())
        .header("X-OpenSandbox-User", "u")
        .header("X-OpenSandbox-Roles", "operator")
        .ignore_env()
        .build()
        .unwrap();
    let uid = sandbox(&user, false).await;
    let p = user
        .endpoint(&uid, 80, EndpointMode::ServerProxy)
        .await
        .unwrap();
    assert!(!has_api_key(&p.headers), "{p:?}");

    // The one explicit choice, from flat options.
    assert_eq!(
        EndpointMode::from_options(false, None, None).unwrap(),
        EndpointMode::Direct
    );
    assert_eq!(
        EndpointMode::from_options(true, None, None).unwrap(),
        EndpointMode::ServerProxy
    );
    assert_eq!(
        EndpointMode::from_options(false, None, Some(5)).unwrap(),
        EndpointMode::Signed(Expiry::Ttl(5))
    );
    for (sp, e, t) in [
        (true, Some(5), None),
        (true, None, Some(5)),
        (false, Some(5), Some(5)),
        (false, None, Some(0)),
    ] {
        let err = EndpointMode::from_options(sp, e, t).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::InvalidArgument, "{err}");
    }
}

#[tokio::test]
async fn endpoint_origin_comes_from_the_server_header() {
    let m = mock_with(RouteMode::Uri, Some("template"));
    let c = admin(&m);
    let id = sandbox(&c, false).await;
    for mode in [EndpointMode::Direct, EndpointMode::ServerProxy, TTL] {
        let e = c.endpoint(&id, 8080, mode).await.unwrap();
        assert_eq!(e.origin.as_deref(), Some("template"), "{mode:?}");
    }
    let plain = mock(RouteMode::Uri);
    let c = admin(&plain);
    let id = sandbox(&c, false).await;
    assert_eq!(c.get_endpoint(&id, 8080).await.unwrap().origin, None);
}

#[tokio::test]
async fn shareable_url_carries_everything_or_says_what_needs_a_header() {
    let http = reqwest::Client::new();
    // uri mode, signed: the URL alone reaches the sandbox through the gateway.
    let m = mock(RouteMode::Uri);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    let signed = c.endpoint(&id, 8080, TTL).await.unwrap();
    let url = signed.shareable_url("/ping?x=1").unwrap();
    assert!(
        url.starts_with(&signed.url) && url.ends_with("/ping?x=1"),
        "{url}"
    );
    let resp = http.get(&url).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200, "{url}");
    let echo: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(
        (echo["sandbox_id"].as_str(), echo["path"].as_str()),
        (Some(id.as_str()), Some("/ping"))
    );
    assert_eq!(signed.shareable_url("").unwrap(), signed.url);
    for bad in ["ping", "/a b", "/a\nb"] {
        let e = signed.shareable_url(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{bad:?}");
    }
    // The access token must travel in a header.
    let direct = c.get_endpoint(&id, 8080).await.unwrap();
    let e = direct.shareable_url("/ping").unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("OpenSandbox-Secure-Access"), "{e}");
    assert!(!e
        .message()
        .contains(&direct.headers["OpenSandbox-Secure-Access"]));
    // A server-proxy endpoint needs the API key in a header.
    let proxy = c
        .endpoint(&id, 8080, EndpointMode::ServerProxy)
        .await
        .unwrap();
    let e = proxy.shareable_url("/").unwrap_err();
    assert!(e.message().contains("server-proxy"), "{e}");
    // An open sandbox in uri mode needs nothing else.
    let open = sandbox(&c, false).await;
    let u = c
        .get_endpoint(&open, 80)
        .await
        .unwrap()
        .shareable_url("/ping")
        .unwrap();
    assert_eq!(http.get(&u).send().await.unwrap().status().as_u16(), 200);

    // wildcard mode, signed: the token is in the host.
    let m = mock(RouteMode::Wildcard);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    let signed = c.endpoint(&id, 8080, TTL).await.unwrap();
    let token = format!("{id}-8080-");
    let url = signed.shareable_url("/ping").unwrap();
    assert!(
        url.starts_with(&format!("http://{token}")) && url.contains(".localhost:"),
        "{url}"
    );

    // header mode: the route itself travels in a header.
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    let e = c
        .endpoint(&id, 8080, TTL)
        .await
        .unwrap()
        .shareable_url("/ping")
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    assert!(e.message().contains("header mode"), "{e}");
}

#[tokio::test]
async fn fifty_concurrent_signed_endpoint_calls_send_one_request() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    // Slow answers make sure the calls overlap.
    m.set_faults(Faults {
        latency_ms: 200,
        ..Default::default()
    })
    .unwrap();
    let before = m.requests().len();
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let (c, id) = (c.clone(), id.clone());
            tokio::spawn(async move { c.endpoint(&id, 8080, TTL).await })
        })
        .collect();
    let mut tokens = Vec::new();
    for t in tasks {
        let e = t.await.unwrap().unwrap();
        tokens.push(e.headers["OpenSandbox-Ingress-To"].clone());
    }
    assert_eq!(m.requests().len() - before, 1, "{:?}", m.requests());
    assert!(tokens.iter().all(|t| *t == tokens[0]));
    // Later calls are hits too.
    m.clear_faults();
    c.get_signed_endpoint_for(&id, 8080, Duration::from_secs(3600))
        .await
        .unwrap();
    assert_eq!(m.requests().len() - before, 1);
    assert_eq!(
        c.cached_endpoint(&id, 8080, TTL).unwrap().headers["OpenSandbox-Ingress-To"],
        tokens[0]
    );
}

#[tokio::test]
async fn endpoint_cache_keys_ttl_margin_lru_and_off() {
    let m = mock(RouteMode::Uri);
    let c = admin(&m);
    let id = sandbox(&c, false).await;
    // Keyed by (sandbox, port, mode).
    for _ in 0..3 {
        c.get_endpoint(&id, 80).await.unwrap();
        c.endpoint(&id, 80, EndpointMode::ServerProxy)
            .await
            .unwrap();
        c.get_endpoint(&id, 81).await.unwrap();
        c.endpoint(&id, 80, TTL).await.unwrap();
    }
    assert_eq!(endpoint_requests(&m), 4);
    // A signed endpoint is reused until expires - margin (30 s), never past it: one that
    // expires within the margin is fetched every time.
    let soon = EndpointMode::Signed(Expiry::At(c.server_now() + 20));
    c.endpoint(&id, 80, soon).await.unwrap();
    c.endpoint(&id, 80, soon).await.unwrap();
    assert_eq!(endpoint_requests(&m), 6);
    assert!(c.cached_endpoint(&id, 80, soon).is_none());
    let later = EndpointMode::Signed(Expiry::At(c.server_now() + 3600));
    c.endpoint(&id, 80, later).await.unwrap();
    c.endpoint(&id, 80, later).await.unwrap();
    assert_eq!(endpoint_requests(&m), 7);

    // Unsigned entries live for the TTL.
    m.reset();
    let short = admin_with(
        &m,
        EndpointCacheConfig {
            ttl: Duration::from_millis(150),
            max_entries: 2,
            ..Default::default()
        },
    );
    let id = sandbox(&short, false).await;
    short.get_endpoint(&id, 1).await.unwrap();
    short.get_endpoint(&id, 1).await.unwrap();
    assert_eq!(endpoint_requests(&m), 1);
    tokio::time::sleep(Duration::from_millis(250)).await;
    assert!(short
        .cached_endpoint(&id, 1, EndpointMode::Direct)
        .is_none());
    short.get_endpoint(&id, 1).await.unwrap();
    assert_eq!(endpoint_requests(&m), 2);
    // LRU: with two entries, a third evicts the least recently used.
    short.get_endpoint(&id, 2).await.unwrap(); // 3
    short.get_endpoint(&id, 1).await.unwrap(); // hit; 2 is now the oldest
    short.get_endpoint(&id, 3).await.unwrap(); // 4, evicts 2
    short.get_endpoint(&id, 1).await.unwrap(); // hit
    short.get_endpoint(&id, 2).await.unwrap(); // 5
    assert_eq!(endpoint_requests(&m), 5);

    // Off: every call asks.
    m.reset();
    let off = admin_with(&m, EndpointCacheConfig::off());
    let id = sandbox(&off, false).await;
    for _ in 0..3 {
        off.endpoint(&id, 80, TTL).await.unwrap();
    }
    assert_eq!(endpoint_requests(&m), 3);
    assert!(off.cached_endpoint(&id, 80, TTL).is_none());

    // Bad configurations are refused with a clear error.
    for bad in [
        EndpointCacheConfig {
            max_entries: 0,
            ..Default::default()
        },
        EndpointCacheConfig {
            ttl: Duration::ZERO,
            ..Default::default()
        },
    ] {
        let e = Client::builder()
            .endpoint_cache(bad)
            .ignore_env()
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    }
}

#[tokio::test]
async fn endpoint_errors_are_shared_by_concurrent_misses_and_never_cached() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, false).await;
    m.set_faults(Faults {
        fail_next: 1,
        status: 503,
        latency_ms: 200,
        ..Default::default()
    })
    .unwrap();
    let before = endpoint_requests(&m);
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (c, id) = (c.clone(), id.clone());
            tokio::spawn(async move { c.get_endpoint(&id, 80).await })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap().unwrap_err().status(), Some(503));
    }
    assert_eq!(endpoint_requests(&m) - before, 1);
    m.clear_faults();
    c.get_endpoint(&id, 80).await.unwrap();
    c.get_endpoint(&id, 80).await.unwrap();
    assert_eq!(endpoint_requests(&m) - before, 2);
}

#[tokio::test]
async fn delete_and_pause_invalidate_and_an_older_fetch_never_repopulates() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, true).await;
    // Pause and resume through the same client forget the sandbox's endpoints.
    c.endpoint(&id, 8080, TTL).await.unwrap();
    c.get_endpoint(&id, 8080).await.unwrap();
    c.pause_sandbox(&id).await.unwrap();
    assert!(c.cached_endpoint(&id, 8080, TTL).is_none());
    assert_eq!(c.get_sandbox(&id).await.unwrap().state, "Paused");
    c.endpoint(&id, 8080, TTL).await.unwrap();
    c.resume_sandbox(&id).await.unwrap();
    assert_eq!(c.get_sandbox(&id).await.unwrap().state, "Running");
    c.endpoint(&id, 8080, TTL).await.unwrap();
    assert_eq!(endpoint_requests(&m), 4);
    // Delete: the next lookup goes to the server, which no longer knows the sandbox.
    c.delete_sandbox(&id).await.unwrap();
    let e = c.endpoint(&id, 8080, TTL).await.unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Api, Some(404)));

    // A fetch in flight when the sandbox's endpoints are invalidated answers its caller but
    // is not kept.
    let id = sandbox(&c, true).await;
    for invalidate in [false, true] {
        c.invalidate_endpoints(&id);
        m.set_faults(Faults {
            latency_ms: 300,
            ..Default::default()
        })
        .unwrap();
        let before = endpoint_requests(&m);
        let fetch = {
            let (c, id) = (c.clone(), id.clone());
            tokio::spawn(async move { c.endpoint(&id, 8080, TTL).await })
        };
        tokio::time::sleep(Duration::from_millis(100)).await;
        if invalidate {
            c.invalidate_endpoints(&id);
        }
        fetch.await.unwrap().unwrap();
        m.clear_faults();
        c.endpoint(&id, 8080, TTL).await.unwrap();
        let sent = endpoint_requests(&m) - before;
        assert_eq!(
            sent,
            if invalidate { 2 } else { 1 },
            "invalidate {invalidate}"
        );
    }
}

#[tokio::test]
async fn pause_and_resume_follow_the_lifecycle_spec() {
    let m = mock(RouteMode::Header);
    let c = admin(&m);
    let id = sandbox(&c, false).await;
    c.pause_sandbox(&id).await.unwrap();
    // Pausing a paused sandbox is a conflict; a POST is never sent twice for it.
    let before = m.requests().len();
    let e = c.pause_sandbox(&id).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), e.code()),
        (ErrorKind::Api, Some(409), Some("SANDBOX::INVALID_STATE"))
    );
    assert!(!e.is_retryable());
    assert_eq!(m.requests().len() - before, 1);
    let posts: Vec<_> = m
        .requests()
        .into_iter()
        .filter(|r| r.method == "POST" && r.path.ends_with("/pause"))
        .collect();
    assert_eq!(posts.len(), 2, "{posts:?}");
    c.resume_sandbox(&id).await.unwrap();
    assert_eq!(c.resume_sandbox(&id).await.unwrap_err().status(), Some(409));
    assert_eq!(
        c.pause_sandbox("nope").await.unwrap_err().status(),
        Some(404)
    );
    for e in [
        c.pause_sandbox("").await.unwrap_err(),
        c.resume_sandbox(" ").await.unwrap_err(),
    ] {
        assert_eq!(e.kind(), ErrorKind::InvalidArgument);
    }
}

/// SPEC §2.1: a TTL counts on the server's clock. The mock clock is moved an hour away from
/// the machine's; a TTL of 60 s gives no 400 and expires at the mock's now + 60, whether the
/// client learnt the server's clock earlier or learns it from this very request.
#[tokio::test]
async fn ttl_expiry_is_computed_on_the_server_clock() {
    for skew in [3600i64, -3600] {
        let m = mock(RouteMode::Header);
        m.set_now(sandgate::clock::now_unix().saturating_add_signed(skew));
        // The mock answers with its own clock in `Date`.
        let r = reqwest::get(format!("{}/v1/sandboxes", m.api_url()))
            .await
            .unwrap();
        let date = httpdate::parse_http_date(r.headers()["date"].to_str().unwrap()).unwrap();
        let date = date
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs();
        assert!(date.abs_diff(m.now()) <= 1, "{date} vs {}", m.now());

        let learnt = admin(&m);
        let id = sandbox(&learnt, true).await;
        let offset = learnt.server_clock_offset_ms().unwrap();
        assert!(
            (offset - skew * 1000).abs() <= 1500,
            "offset {offset} for skew {skew}"
        );
        let fresh = admin(&m);
        assert_eq!(fresh.server_clock_offset_ms(), None);
        for (c, requests) in [(&learnt, 1), (&fresh, 2)] {
            let before = endpoint_requests(&m);
            let e = c
                .get_signed_endpoint_for(&id, 8080, Duration::from_secs(60))
                .await
                .unwrap_or_else(|e| panic!("skew {skew}: {e}"));
            let expires = e.route.unwrap().expires.unwrap();
            let want = m.now() + 60;
            assert!(
                expires.abs_diff(want) <= 1,
                "skew {skew}: expires {expires}, mock now + 60 = {want}"
            );
            // A client that did not know the clock yet asks once more, on the server's clock.
            assert_eq!(endpoint_requests(&m) - before, requests, "skew {skew}");
        }
        // The server's clock jumps an hour after the client learnt it: the next TTL request
        // sees the jump in its answer and asks again on the new clock (no 400).
        m.set_now(m.now().saturating_add_signed(skew));
        let before = endpoint_requests(&m);
        let e = learnt
            .get_signed_endpoint_for(&id, 8081, Duration::from_secs(60))
            .await
            .unwrap_or_else(|e| panic!("after the jump, skew {skew}: {e}"));
        let expires = e.route.unwrap().expires.unwrap();
        assert!(
            expires.abs_diff(m.now() + 60) <= 1,
            "after the jump: {expires}"
        );
        assert_eq!(endpoint_requests(&m) - before, 2, "skew {skew}");
        m.set_now(m.now().saturating_add_signed(-skew));
        // An instant is judged on the server's clock too.
        let local_soon = sandgate::clock::now_unix() + 120;
        let r = learnt.get_signed_endpoint(&id, 8080, local_soon).await;
        if skew > 0 {
            assert_eq!(r.unwrap_err().kind(), ErrorKind::InvalidArgument);
        } else {
            assert_eq!(r.unwrap().route.unwrap().expires, Some(local_soon));
        }
    }
}

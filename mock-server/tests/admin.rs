//! `/_mock/` admin routes and every fault kind, over HTTP.

mod common;
use common::*;
use sandgate_mock::{Faults, RouteMode};
use std::time::{Duration, Instant};

#[tokio::test]
async fn admin_routes_need_the_admin_key() {
    let t = start(RouteMode::Header, true);
    for (m, p) in [
        ("GET", "/_mock/clock"),
        ("POST", "/_mock/reset"),
        ("GET", "/_mock/keys"),
        ("POST", "/_mock/faults"),
    ] {
        assert_eq!(
            t.call(m, p, &[], Some("{}")).await.status,
            StatusCode::UNAUTHORIZED,
            "{p}"
        );
        assert_eq!(
            t.call(m, p, &user("u", "service_admin"), Some("{}"))
                .await
                .status,
            StatusCode::FORBIDDEN,
            "{p}"
        );
    }
}

#[tokio::test]
async fn clock_set_and_advance() {
    let t = start(RouteMode::Header, false);
    let r = t
        .call(
            "POST",
            "/_mock/clock",
            &t.admin(),
            Some(r#"{"now": 2000000000}"#),
        )
        .await;
    let now = r.json()["now"].as_u64().unwrap();
    assert!((2_000_000_000..2_000_000_003).contains(&now), "{now}");
    let r = t
        .call(
            "POST",
            "/_mock/clock",
            &t.admin(),
            Some(r#"{"advance": -1000}"#),
        )
        .await;
    let now = r.json()["now"].as_u64().unwrap();
    assert!((1_999_999_000..1_999_999_003).contains(&now), "{now}");
    assert!(t.mock.now().abs_diff(now) < 3);
    for bad in [
        r#"{}"#,
        r#"{"now": -1}"#,
        r#"{"advance": "x"}"#,
        r#"{"now": 1, "advance": 1}"#,
    ] {
        assert_eq!(
            t.call("POST", "/_mock/clock", &t.admin(), Some(bad))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn fail_next_with_retry_after() {
    let t = start(RouteMode::Header, false);
    let r = t
        .call(
            "POST",
            "/_mock/faults",
            &t.admin(),
            Some(r#"{"fail_next": 2, "status": 503, "retry_after": 7}"#),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text);
    for _ in 0..2 {
        let r = t.call("GET", "/v1/sandboxes", &t.admin(), None).await;
        assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(r.header("retry-after"), Some("7"));
        assert!(r.header("x-request-id").is_some());
    }
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
    let log = t.mock.requests();
    assert_eq!(
        log.iter().map(|r| r.status).collect::<Vec<_>>(),
        vec![503, 503, 200]
    );
}

#[tokio::test]
async fn latency_is_added() {
    let t = start(RouteMode::Header, false);
    t.call(
        "POST",
        "/_mock/faults",
        &t.admin(),
        Some(r#"{"latency_ms": 300}"#),
    )
    .await;
    let start = Instant::now();
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
    assert!(start.elapsed() >= Duration::from_millis(300));
    // Admin routes are never slowed down or failed.
    t.call("DELETE", "/_mock/faults", &t.admin(), None).await;
    assert_eq!(t.mock.faults().latency_ms, 0);
}

#[tokio::test]
async fn dropped_connections() {
    let t = start(RouteMode::Header, false);
    t.call(
        "POST",
        "/_mock/faults",
        &t.admin(),
        Some(r#"{"drop_next": 1}"#),
    )
    .await;
    let err = t
        .http
        .get(format!("{}/v1/sandboxes", t.mock.api_url()))
        .header("OPEN-SANDBOX-API-KEY", t.mock.admin_key().expose())
        .send()
        .await
        .expect_err("the connection should have been dropped");
    assert!(!err.is_timeout(), "{err}");
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(t.mock.requests()[0].status, 0);
}

#[tokio::test]
async fn corrupt_bodies() {
    let t = start(RouteMode::Header, false);
    t.call(
        "POST",
        "/_mock/faults",
        &t.admin(),
        Some(r#"{"corrupt_next": 1}"#),
    )
    .await;
    let r = t.call("GET", "/v1/sandboxes", &t.admin(), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(serde_json::from_str::<serde_json::Value>(&r.text).is_err());
}

#[tokio::test]
async fn fault_bodies_are_validated() {
    let t = start(RouteMode::Header, false);
    for bad in [
        r#"{"fail_next": -1}"#,
        r#"{"status": 200, "fail_next": 1}"#,
        r#"{"explode": 1}"#,
        r#"{"latency_ms": "x"}"#,
    ] {
        assert_eq!(
            t.call("POST", "/_mock/faults", &t.admin(), Some(bad))
                .await
                .status,
            StatusCode::BAD_REQUEST,
            "{bad}"
        );
    }
}

#[tokio::test]
async fn reset_forgets_everything() {
    let t = start(RouteMode::Header, true);
    t.sandbox(&t.admin(), false).await;
    t.mint(&user("u", "operator"), "{}").await;
    t.mock.advance(100);
    let r = t.call("POST", "/_mock/reset", &t.admin(), None).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(t.mock.stored_key_count(), 0);
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .json()["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert!(t.mock.now().abs_diff(sandgate::clock::now_unix()) < 3);
}

#[tokio::test]
async fn stop_closes_the_listeners() {
    let mut t = start(RouteMode::Header, false);
    let url = t.mock.api_url();
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::OK
    );
    t.mock.stop();
    let fresh = reqwest::Client::new();
    assert!(fresh
        .get(format!("{url}/v1/sandboxes"))
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn set_faults_validates_like_the_admin_route() {
    let t = start(RouteMode::Header, false);
    for bad in [
        Faults {
            fail_next: 1,
            status: 200,
            ..Default::default()
        },
        Faults {
            status: 600,
            ..Default::default()
        },
        Faults {
            retry_after: Some(3601),
            ..Default::default()
        },
        Faults {
            latency_ms: 600_001,
            ..Default::default()
        },
        Faults {
            drop_next: Faults::MAX_COUNT + 1,
            ..Default::default()
        },
    ] {
        let e = t.mock.set_faults(bad.clone()).unwrap_err();
        assert_eq!(e.kind(), sandgate::ErrorKind::InvalidArgument, "{bad:?}");
    }
    assert_eq!(
        t.mock.faults(),
        Faults::default(),
        "a rejected set changed the faults"
    );
    // Status 0 means the default 503.
    t.mock
        .set_faults(Faults {
            fail_next: 1,
            ..Default::default()
        })
        .unwrap();
    assert_eq!(
        t.call("GET", "/v1/sandboxes", &t.admin(), None)
            .await
            .status,
        StatusCode::SERVICE_UNAVAILABLE
    );
    t.mock
        .set_faults(Faults {
            latency_ms: 5,
            ..Default::default()
        })
        .unwrap();
    t.mock.clear_faults();
    assert_eq!(t.mock.faults(), Faults::default());
}

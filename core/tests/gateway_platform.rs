//! The platform API as a gateway policy source, against the in-process mock: secure and open
//! sandboxes learnt from GetEndpoint, 404 as unknown, answers cached, and while the platform
//! is down unknown sandboxes fail closed with 503 while cached ones keep working.

use sandgate::client::{Client, CreateSandbox, RetryPolicy};
use sandgate::gateway::{Gateway, PlatformPolicy, RequestParts, RouteMode, Verdict};
use sandgate::SigningKeys;
use sandgate_mock::{MockConfig, MockServer};
use std::sync::{Arc, Mutex};
use std::time::Duration;

fn client(m: &MockServer) -> Client {
    Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .timeout(Duration::from_secs(2))
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap()
}

fn endpoint_calls(m: &MockServer) -> usize {
    m.requests()
        .iter()
        .filter(|r| r.path.contains("/endpoints/"))
        .count()
}

async fn check(g: &Gateway, route: &str, secure: Option<&str>) -> Verdict {
    let mut headers = vec![("OpenSandbox-Ingress-To", route.to_owned())];
    if let Some(s) = secure {
        headers.push(("OpenSandbox-Secure-Access", s.to_owned()));
    }
    g.check(&RequestParts::new("/ping", &headers)).await
}

fn reason(v: &Verdict) -> (u16, &'static str) {
    match v {
        Verdict::Allow(a) => (200, a.grant.code()),
        Verdict::Deny(r) => (r.status(), r.reason_code()),
    }
}

#[tokio::test]
async fn platform_policy_learns_caches_and_fails_closed() {
    let mut mock = MockServer::start(MockConfig::default()).unwrap();
    let c = client(&mock);
    let secure = c
        .create_sandbox(&CreateSandbox {
            secure_access: true,
            ..CreateSandbox::new("python:3.11")
        })
        .await
        .unwrap();
    let open = c
        .create_sandbox(&CreateSandbox::new("python:3.11"))
        .await
        .unwrap();
    let token =
        c.get_endpoint(&secure.id, 80).await.unwrap().headers["OpenSandbox-Secure-Access"].clone();
    let lines = Arc::new(Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let policy = PlatformPolicy::builder(client(&mock))
        .ttl(Duration::from_secs(60))
        .logger(move |l| sink.lock().unwrap().push(l.to_owned()))
        .build()
        .unwrap();
    let g = Gateway::new(
        RouteMode::Header,
        mock.signing_keys().clone(),
        policy.clone(),
    );
    let before = endpoint_calls(&mock);

    let secure_route = format!("{}-80", secure.id);
    assert_eq!(
        reason(&check(&g, &secure_route, Some(&token)).await),
        (200, "header")
    );
    assert_eq!(
        reason(&check(&g, &secure_route, None).await),
        (401, "credential_required")
    );
    assert_eq!(
        reason(&check(&g, &secure_route, Some("wrong")).await),
        (401, "header_mismatch")
    );
    assert_eq!(
        reason(&check(&g, &format!("{}-80", open.id), None).await),
        (200, "open")
    );
    assert_eq!(
        reason(&check(&g, "nosuch-80", None).await),
        (404, "unknown_sandbox")
    );
    // Five decisions, three sandboxes: three calls (the rest from the cache).
    assert_eq!(endpoint_calls(&mock) - before, 3);
    assert_eq!(policy.cached(), 3);

    // Concurrent first lookups of one sandbox share one call.
    policy.clear();
    let before = endpoint_calls(&mock);
    let checks: Vec<_> = (0..16)
        .map(|_| {
            let g = g.clone();
            let r = secure_route.clone();
            tokio::spawn(async move { reason(&check(&g, &r, None).await) })
        })
        .collect();
    for h in checks {
        assert_eq!(h.await.unwrap(), (401, "credential_required"));
    }
    assert_eq!(endpoint_calls(&mock) - before, 1);

    // The platform goes away: known sandboxes keep their answer, unknown ones get 503.
    let signed = sandgate::RouteSigner::new(&mock.signing_keys(), None)
        .unwrap()
        .sign(&secure.id, 80, sandgate::clock::now_unix() + 60)
        .unwrap()
        .token();
    mock.stop();
    assert_eq!(reason(&check(&g, &signed, None).await), (200, "signature"));
    let v = check(&g, "brand-new-80", None).await;
    assert_eq!(reason(&v), (503, "policy_unavailable"));
    let Verdict::Deny(r) = v else { unreachable!() };
    assert_eq!(r.retry_after(), Some("1"));
    let logged = lines.lock().unwrap().clone();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(!logged[0].contains(&token));
}

#[tokio::test]
async fn signature_only_needs_no_platform() {
    let keys = SigningKeys::generate("a").unwrap();
    let g = Gateway::signature_only(RouteMode::Uri, keys.clone());
    let t = sandgate::RouteSigner::new(&keys, Some('a'))
        .unwrap()
        .sign("any-sandbox", 8080, sandgate::clock::now_unix() + 60)
        .unwrap();
    let target = format!("{}/x", t.uri_prefix());
    let none: [(&str, &str); 0] = [];
    let v = g.check(&RequestParts::new(&target, &none)).await;
    assert_eq!(reason(&v), (200, "signature"));
    let v = g
        .check(&RequestParts::new(
            "/any-sandbox/8080/x",
            &[("OpenSandbox-Secure-Access", "t")],
        ))
        .await;
    assert_eq!(reason(&v), (401, "credential_required"));
}

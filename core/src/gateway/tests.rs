use super::authz::{self, Protocol};
use super::*;
use crate::route::{INGRESS_LEGACY_HEADER, INGRESS_TO_HEADER, SECURE_ACCESS_HEADER};
use crate::RouteSigner;

const SECRET_FLAG: &str = "a=bXktdGVzdC1zZWNyZXQ=";
const NO_HEADERS: [(&str, &str); 0] = [];
const TOKEN: &str = "sbx-001-8080-x2qxvk-0ff8cd39a";

fn keys() -> SigningKeys {
    SigningKeys::from_flag(SECRET_FLAG).unwrap()
}

fn table() -> PolicyTable {
    PolicyTable::new()
        .secure("sbx-001", "tok_9f8e7d6c5b4a")
        .open("open-1")
}

fn gw(mode: RouteMode) -> Gateway {
    Gateway::new(mode, keys(), table()).with_clock(|| 1_900_000_000)
}

fn check(g: &Gateway, target: &str, headers: &[(&str, &str)]) -> Verdict {
    g.check_now(&RequestParts::new(target, &headers))
}

fn reason(v: &Verdict) -> &'static str {
    match v {
        Verdict::Allow(_) => "allowed",
        Verdict::Deny(r) => r.reason_code(),
    }
}

#[test]
fn header_names_match_the_route_module() {
    assert_eq!(
        INGRESS_TO_HEADER.to_ascii_lowercase(),
        "opensandbox-ingress-to"
    );
    assert_eq!(
        INGRESS_LEGACY_HEADER.to_ascii_lowercase(),
        "open-sandbox-ingress"
    );
    assert_eq!(
        SECURE_ACCESS_HEADER.to_ascii_lowercase(),
        "opensandbox-secure-access"
    );
    assert!(is_stripped_header("opensandbox-access-renew"));
    assert!(!is_stripped_header("host"));
}

#[test]
fn signed_header_route_is_allowed_with_the_upstream_target() {
    let g = gw(RouteMode::Header);
    let v = check(&g, "/ping?x=1", &[("OpenSandbox-Ingress-To", TOKEN)]);
    let Verdict::Allow(a) = v else {
        panic!("{v:?}")
    };
    assert_eq!((a.sandbox_id.as_str(), a.port), ("sbx-001", 8080));
    assert_eq!(a.grant, Grant::Signature);
    assert_eq!(a.upstream_target(), "/ping?x=1");
    assert_eq!(a.headers_to_strip().len(), 4);
}

#[test]
fn uri_mode_strips_the_signed_prefix_and_keeps_escaping() {
    let g = gw(RouteMode::Uri);
    let v = check(&g, "/sbx-001/8080/x2qxvk/0ff8cd39a/a%2Fb?q=%20", &[]);
    let Verdict::Allow(a) = v else {
        panic!("{v:?}")
    };
    assert_eq!(a.upstream_target(), "/a%2Fb?q=%20");
    // Header mode ignores the path as a route: no route is malformed.
    let v = check(&gw(RouteMode::Header), "/sbx-001/8080/x", &[("Host", "")]);
    assert_eq!(reason(&v), "malformed");
}

#[test]
fn refusals_carry_status_body_reason_and_retry_after() {
    let g = gw(RouteMode::Header);
    let v = check(&g, "/", &[("OpenSandbox-Ingress-To", "nosuch-80")]);
    let Verdict::Deny(r) = &v else { panic!() };
    assert_eq!((r.status(), r.reason_code()), (404, "unknown_sandbox"));
    assert_eq!(r.retry_after(), None);
    assert_eq!(
        r.body(),
        "OpenSandbox Ingress: access denied (unknown_sandbox): no sandbox with this id\n"
    );
    let v = check(&g, "/", &[("OpenSandbox-Ingress-To", "sbx-001-8080")]);
    assert_eq!((v.status(), reason(&v)), (401, "credential_required"));
    // No keys: a signed route of a secure sandbox is 503 with Retry-After.
    let g = Gateway::new(RouteMode::Header, SigningKeys::empty(), table());
    let v = check(&g, "/", &[("OpenSandbox-Ingress-To", TOKEN)]);
    let Verdict::Deny(r) = &v else { panic!() };
    assert_eq!((r.status(), r.retry_after()), (503, Some("1")));
    assert!(r.headers().contains(&("retry-after", "1")));
    assert!(r
        .headers()
        .contains(&("x-sandgate-reason", "not_configured")));
    // The policy source cannot answer: 503 policy_unavailable with Retry-After.
    let r = Refusal::policy_unavailable();
    assert_eq!((r.status(), r.retry_after()), (503, Some("1")));
    assert!(r
        .body()
        .starts_with("OpenSandbox Ingress: access denied (policy_unavailable)"));
    assert!(r.error().is_none());
}

#[test]
fn header_values_that_are_not_visible_ascii_are_malformed() {
    let g = gw(RouteMode::Header);
    let headers: Vec<(&str, &[u8])> = vec![("OpenSandbox-Ingress-To", b"sbx-001-80\xff")];
    let v = g.check_now(&RequestParts::new("/", &headers));
    assert_eq!(reason(&v), "malformed");
    let headers = [("Host", "open-1-80.example.com"), ("host", "x")];
    assert_eq!(reason(&check(&g, "/", &headers)), "malformed");
}

#[test]
fn host_comes_from_the_authority_when_no_host_header() {
    let g = gw(RouteMode::Wildcard);
    let parts = RequestParts {
        authority: Some("open-1-80.example.com:8080"),
        ..RequestParts::new("/x", &NO_HEADERS)
    };
    assert_eq!(reason(&g.check_now(&parts)), "allowed");
}

#[test]
fn signature_only_ignores_the_access_header() {
    let g = Gateway::signature_only(RouteMode::Header, keys()).with_clock(|| 1_900_000_000);
    let v = check(
        &g,
        "/",
        &[
            ("OpenSandbox-Ingress-To", TOKEN),
            ("OpenSandbox-Secure-Access", "x"),
        ],
    );
    assert_eq!(reason(&v), "allowed");
    let v = check(
        &g,
        "/",
        &[
            ("OpenSandbox-Ingress-To", "anything-80"),
            ("OpenSandbox-Secure-Access", "x"),
        ],
    );
    assert_eq!(reason(&v), "credential_required");
    let v = check(
        &g,
        "/",
        &[("OpenSandbox-Ingress-To", "sbx-001-8080-x2qxvk-1ff8cd39a")],
    );
    assert_eq!(reason(&v), "bad_signature");
}

#[test]
fn policy_table_parses_json_and_toml_and_never_quotes_secrets() {
    let j = PolicyTable::from_json(
        r#"{"default": "signature_only", "sandboxes": {"a": {"secure": true, "access_token": "t1"}, "b": {"secure": false}}}"#,
    )
    .unwrap();
    assert_eq!(j.get("a"), PolicyAnswer::Secure("t1".into()));
    assert_eq!(j.get("b"), PolicyAnswer::Open);
    assert_eq!(j.get("c"), PolicyAnswer::SignatureOnly);
    let t =
        PolicyTable::from_toml("[sandboxes.a]\nsecure = true\naccess_token = \"t1\"\n").unwrap();
    assert_eq!(t.get("a"), PolicyAnswer::Secure("t1".into()));
    assert_eq!(t.get("zz"), PolicyAnswer::Unknown);
    for (bad, needle) in [
        (
            r#"{"sandboxes": {"a": {"secure": "sekret-value"}}}"#,
            "shape",
        ),
        (
            r#"{"sandboxes": {"a": {"secure": true}}}"#,
            "needs an access_token",
        ),
        (
            r#"{"sandboxes": {"a": {"secure": false, "access_token": "sekret-value"}}}"#,
            "not secure",
        ),
        (
            r#"{"sandboxes": {"a": {"secure": true, "access_token": "sekret-value", "x": 1}}}"#,
            "shape",
        ),
        (
            r#"{"sandboxes": {"a": {"secure": true, "access_token": " sekret-value"}}}"#,
            "surrounding",
        ),
        (
            "{\"sandboxes\": {\"a\": {\"secure\": true, \"access_token\": \"sekret-value",
            "JSON",
        ),
    ] {
        let e = PolicyTable::parse(bad).unwrap_err();
        assert!(e.message().contains(needle), "{bad}: {e}");
        assert!(!e.message().contains("sekret"), "{e}");
    }
    let e = PolicyTable::from_toml("[sandboxes.a]\nsecure = \"sekret-value\"\n").unwrap_err();
    assert!(
        !e.message().contains("sekret") && e.message().contains("line 2"),
        "{e}"
    );
    assert!(!format!("{:?}", j.get("a")).contains("t1"));
}

#[test]
fn file_policy_reloads_and_keeps_the_last_good_one() {
    let dir = std::env::temp_dir().join(format!("sandgate-policy-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("policy.json");
    std::fs::write(&path, r#"{"sandboxes": {"a": {"secure": false}}}"#).unwrap();
    let lines = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let p = FilePolicy::open(&path)
        .unwrap()
        .with_interval(std::time::Duration::from_millis(10))
        .with_logger(move |l| sink.lock().unwrap().push(l.to_owned()));
    assert_eq!(p.table().get("a"), PolicyAnswer::Open);
    let wait = || std::thread::sleep(std::time::Duration::from_millis(30));
    std::fs::write(
        &path,
        r#"{"sandboxes": {"a": {"secure": true, "access_token": "t2"}}}"#,
    )
    .unwrap();
    wait();
    assert_eq!(p.table().get("a"), PolicyAnswer::Secure("t2".into()));
    std::fs::write(&path, r#"{"sandboxes": {"a": {"secure": "sekret-bad"}}} "#).unwrap();
    for _ in 0..3 {
        wait();
        assert_eq!(p.table().get("a"), PolicyAnswer::Secure("t2".into()));
    }
    let logged = lines.lock().unwrap().clone();
    assert_eq!(logged.len(), 1, "{logged:?}");
    assert!(logged[0].contains("keeping the last good policy") && !logged[0].contains("sekret"));
    std::fs::write(&path, r#"{"sandboxes": {}}"#).unwrap();
    wait();
    assert_eq!(p.table().get("a"), PolicyAnswer::Unknown);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn authz_protocols_rebuild_the_original_request_and_shape_answers() {
    let g = gw(RouteMode::Uri);
    let headers = [
        ("X-Forwarded-Uri", "/sbx-001/8080/x2qxvk/0ff8cd39a/p?q=1"),
        ("X-Forwarded-Host", "gw.example.com"),
        ("X-Forwarded-Method", "POST"),
    ];
    let o = authz::original(Protocol::Traefik, "GET", "/traefik", &headers).unwrap();
    assert_eq!(o.method, Some("POST"));
    let v = g.check_now(&o.parts);
    let a = authz::answer(Protocol::Traefik, &v);
    assert_eq!(a.status, 200);
    assert!(a
        .headers
        .contains(&(authz::PATH_HEADER, "/p?q=1".to_owned())));
    // Envoy: prefix + original path, headers to remove.
    let e = authz::original(
        Protocol::Envoy,
        "PUT",
        "/envoy/sbx-001/8080/x2qxvk/0ff8cd39a",
        &NO_HEADERS,
    )
    .unwrap();
    let a = authz::answer(Protocol::Envoy, &g.check_now(&e.parts));
    assert_eq!(a.status, 200);
    let remove = &a
        .headers
        .iter()
        .find(|(k, _)| *k == authz::ENVOY_REMOVE_HEADER)
        .unwrap()
        .1;
    assert!(
        remove.contains("opensandbox-secure-access") && remove.contains("open-sandbox-ingress")
    );
    // nginx: 401/403 with the real status in a header.
    let h = [("X-Forwarded-Uri", "/nosuch/80/")];
    let o = authz::original(Protocol::Nginx, "GET", "/nginx", &h).unwrap();
    let a = authz::answer(Protocol::Nginx, &g.check_now(&o.parts));
    assert_eq!(a.status, 403);
    assert!(a
        .headers
        .contains(&(authz::STATUS_HEADER, "404".to_owned())));
    let a = authz::answer(Protocol::Traefik, &g.check_now(&o.parts));
    assert_eq!(
        (a.status, a.body.starts_with("OpenSandbox Ingress: ")),
        (404, true)
    );
    // A proxy that leaves out the original URI is a configuration error.
    let err = authz::original(Protocol::Nginx, "GET", "/nginx", &NO_HEADERS).unwrap_err();
    assert_eq!(authz::misconfigured(err).status, 500);
    assert_eq!(Protocol::for_path("/envoy/x"), Some(Protocol::Envoy));
    assert_eq!(Protocol::for_path("/envoyx"), None);
}

#[test]
fn a_fresh_signature_from_the_signer_passes_the_gateway() {
    let k = keys();
    let t = RouteSigner::new(&k, Some('a'))
        .unwrap()
        .sign("sbx-001", 3000, 1_900_000_100)
        .unwrap();
    let g = gw(RouteMode::Wildcard);
    let host = t.wildcard_host("example.com").unwrap();
    let v = check(&g, "/", &[("Host", host.as_str())]);
    assert_eq!(reason(&v), "allowed");
}

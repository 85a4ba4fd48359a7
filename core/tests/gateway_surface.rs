//! The gateway's binding surface: bad options are clear errors, a policy file is read and
//! followed, and keys swap live through a gateway the surface built.

use sandgate::surface::{check_request, gateway, GatewayOptions, PolicyOptions};
use sandgate::{ErrorKind, RouteSigner, SigningKeys};

const KEYS: &str = "a=bXktdGVzdC1zZWNyZXQ=";

fn options(mode: &str, policy: PolicyOptions) -> GatewayOptions {
    GatewayOptions {
        route_mode: mode.to_owned(),
        keys: SigningKeys::from_flag(KEYS).unwrap(),
        policy,
        now: Some(1_900_000_000),
    }
}

#[test]
fn bad_options_say_what_was_wrong() {
    let e = gateway(options("sideways", PolicyOptions::SignatureOnly)).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig);
    assert!(e.message().contains("header, wildcard or uri"), "{e}");
    let e = gateway(options("header", PolicyOptions::Table("{not json".into()))).unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    let e = gateway(options(
        "header",
        PolicyOptions::Table(r#"{"sandboxes": {"s": {"secure": true, "access_token": "hunter2-secret"}}, "extra": 1}"#.into()),
    ))
    .unwrap_err();
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let e = gateway(options(
        "header",
        PolicyOptions::File("/nonexistent/sandgate-policy.json".into()),
    ))
    .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    let e = PolicyOptions::from_options(Some("{}".into()), Some("p.json".into())).unwrap_err();
    assert!(e.message().contains("at most one"), "{e}");
    assert!(PolicyOptions::from_options(None, Some(String::new())).is_err());
    assert_eq!(
        PolicyOptions::from_options(None, None).unwrap(),
        PolicyOptions::SignatureOnly
    );
}

#[test]
fn a_policy_file_is_followed_and_keys_swap_live() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("policy.json");
    std::fs::write(&path, r#"{"sandboxes": {"sbx-001": {"secure": false}}}"#).unwrap();
    let g = gateway(options("header", PolicyOptions::File(path.clone()))).unwrap();
    let legacy = [("OpenSandbox-Ingress-To", "sbx-001-8080"), ("Host", "gw")];
    let v = check_request(&g, "/x", &legacy);
    assert_eq!((v.allowed, v.grant), (true, Some("open")));
    // A link signed with key b is unknown until the gateway takes b.
    let b = SigningKeys::from_flag("b=YW5vdGhlci10ZXN0LXNlY3JldA==").unwrap();
    let token = RouteSigner::new(&b, Some('b'))
        .unwrap()
        .sign("sbx-002", 80, 1_900_000_600)
        .unwrap()
        .token()
        .to_owned();
    std::fs::write(
        &path,
        r#"{"sandboxes": {"sbx-002": {"secure": true, "access_token": "t"}}}"#,
    )
    .unwrap();
    let headers = [("OpenSandbox-Ingress-To", token.as_str())];
    let mut v = check_request(&g, "/", &headers);
    // The file is re-read when it changes (its modification time and size are polled).
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while v.reason == Some("unknown_sandbox") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        v = check_request(&g, "/", &headers);
    }
    assert_eq!((v.status, v.reason), (401, Some("unknown_key")));
    g.replace_keys(b);
    let v = check_request(&g, "/", &headers);
    assert_eq!((v.status, v.grant), (200, Some("signature")));
}

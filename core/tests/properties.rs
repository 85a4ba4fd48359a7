//! Property tests: sign → render → parse → verify round-trips, and b36 round-trips.

use proptest::prelude::*;
use sandgate::route::{decode_expires_b36, encode_expires_b36, parse_path, parse_token};
use sandgate::{AccessRequest, DenyReason, RouteSigner, RouteVerifier, SandboxPolicy, SigningKeys};

fn keys(secret: &[u8], id: char) -> SigningKeys {
    SigningKeys::from_pairs([(id, secret.to_vec())], Some(id)).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn b36_round_trip(v in any::<u64>()) {
        let e = encode_expires_b36(v);
        prop_assert!(e.as_str().len() <= 13);
        prop_assert_eq!(decode_expires_b36(e.as_str()).unwrap(), v);
    }

    #[test]
    fn b36_rejects_leading_zero_and_uppercase(v in 1u64.., upper in any::<bool>()) {
        let enc = encode_expires_b36(v).to_string();
        let padded = format!("0{enc}");
        prop_assert!(decode_expires_b36(&padded).is_err());
        if upper && enc.bytes().any(|c| c.is_ascii_lowercase()) {
            prop_assert!(decode_expires_b36(&enc.to_uppercase()).is_err());
        }
    }

    #[test]
    fn sign_render_parse_verify(
        id in "[a-z0-9]{1,12}(-[a-z0-9]{0,8}){0,4}",
        port in 1u16..,
        expires in any::<u64>(),
        secret in proptest::collection::vec(any::<u8>(), 1..80),
        key_id in proptest::sample::select("0123456789abcdefghijklmnopqrstuvwxyz".chars().collect::<Vec<_>>()),
    ) {
        let keys = keys(&secret, key_id);
        let route = RouteSigner::new(&keys, None).unwrap().sign(&id, port, expires).unwrap();
        let verifier = RouteVerifier::new(keys);
        let now = expires.saturating_sub(1);

        let token = route.token();
        let parsed = parse_token(&token).unwrap();
        prop_assert_eq!(parsed.sandbox_id, id.as_str());
        prop_assert_eq!(parsed.port, port);
        prop_assert_eq!(parsed.signed.unwrap().expires, expires);
        prop_assert!(verifier.verify_at(&token, now).is_ok());
        prop_assert!(verifier.verify_at(&token, expires).is_ok());
        if expires < u64::MAX {
            prop_assert_eq!(verifier.verify_at(&token, expires + 1).unwrap_err().reason(), DenyReason::Expired);
        }

        let host = route.host("sandbox.example.com");
        prop_assert_eq!(verifier.verify_host(&host, now).unwrap().sandbox_id, id.as_str());

        let path = format!("{}/a/b?c=d", route.uri_prefix());
        let access = verifier.verify_path(&path, now).unwrap();
        prop_assert_eq!((access.path, access.query), ("/a/b", Some("c=d")));
        prop_assert_eq!(parse_path(&path, true).unwrap().route, parsed);

        let req = AccessRequest { ingress_to: Some(&token), ..Default::default() };
        let policy = SandboxPolicy::Secure { access_token: "t" };
        prop_assert!(verifier.decide(&req, |_| Some(policy), now).is_ok());
    }

    #[test]
    fn unsigned_routes_round_trip_with_dashed_ids(
        id in "-{0,3}[a-zA-Z0-9]{0,12}(-{1,3}[a-z0-9]{0,8}){0,5}-{0,2}",
        port in 1u16..,
    ) {
        prop_assume!(!id.is_empty());
        let token = format!("{id}-{port}");
        let parsed = parse_token(&token).unwrap();
        prop_assert_eq!((parsed.sandbox_id, parsed.port, parsed.signed), (id.as_str(), port, None));
        let host = format!("{token}.sandbox.example.com:8443");
        let parsed = sandgate::route::parse_host(&host).unwrap();
        prop_assert_eq!((parsed.sandbox_id, parsed.port), (id.as_str(), port));
        let req = AccessRequest { ingress_to: Some(&token), ..Default::default() };
        let access = RouteVerifier::new(SigningKeys::default()).decide(&req, |_| Some(SandboxPolicy::Open), 0).unwrap();
        prop_assert_eq!(access.route.sandbox_id, id.as_str());
    }

    #[test]
    fn any_single_character_change_is_denied(
        id in "[a-z0-9]{1,10}(-[a-z0-9]{1,5}){0,2}",
        port in 1u16..,
        expires in 1u64..u64::MAX,
        pos in any::<prop::sample::Index>(),
        replacement in proptest::char::range('0', 'z'),
    ) {
        let keys = keys(b"secret", 'k');
        let token = RouteSigner::new(&keys, None).unwrap().sign(&id, port, expires).unwrap().token();
        let i = pos.index(token.len());
        let mut bytes = token.clone().into_bytes();
        prop_assume!(bytes[i] != replacement as u8);
        bytes[i] = replacement as u8;
        let tampered = String::from_utf8(bytes).unwrap();
        prop_assert!(RouteVerifier::new(keys).verify_at(&tampered, 0).is_err(), "{} accepted", tampered);
    }

    #[test]
    fn parsers_never_panic(s in "\\PC{0,80}") {
        let _ = parse_token(&s);
        let _ = sandgate::route::parse_host(&s);
        let _ = parse_path(&s, true);
        let _ = decode_expires_b36(&s);
        let _ = SigningKeys::from_flag(&s);
        let _ = SigningKeys::from_toml(&s);
    }
}

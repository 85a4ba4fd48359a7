//! Runs every shared case file in `sdk-tests/cases/` through the public Rust API.

use sandgate::keys::{
    check_api_key, generate_api_key, hash_api_key, verify_api_key, StoredKeyView,
};
use sandgate::route::{
    decode_expires_b36, encode_expires_b36, parse_header, parse_host, parse_path,
};
use sandgate::{AccessRequest, ErrorKind, RouteSigner, RouteVerifier, SandboxPolicy, SigningKeys};
use serde_json::Value;

mod common;
use common::load;

fn s(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

fn u(v: &Value) -> u64 {
    s(v).parse().unwrap()
}

fn opt_str(v: &Value) -> Option<&str> {
    v.as_str()
}

#[test]
fn vectors_sign_and_verify() {
    let data = load("vectors");
    let vectors = data["signing"].as_array().unwrap();
    assert_eq!(vectors.len(), 300);
    for v in vectors {
        let keys = SigningKeys::from_flag(&format!("{}={}", s(&v["key_id"]), s(&v["secret_b64"])))
            .unwrap();
        let key_id = s(&v["key_id"]).chars().next().unwrap();
        let port = v["port"].as_u64().unwrap() as u16;
        let expires = u(&v["expires"]);
        let route = RouteSigner::new(&keys, Some(key_id))
            .unwrap()
            .sign(s(&v["sandbox_id"]), port, expires)
            .unwrap();
        assert_eq!(route.token(), s(&v["token"]));
        assert_eq!(route.signature(), s(&v["signature"]));
        assert_eq!(route.expires_b36(), s(&v["expires_b36"]));
        let verified = RouteVerifier::new(keys)
            .verify_at(s(&v["token"]), expires)
            .unwrap();
        assert_eq!(verified.sandbox_id, s(&v["sandbox_id"]));
        assert_eq!(verified.port, port);
    }
    for f in data["expires_b36"].as_array().unwrap() {
        assert_eq!(encode_expires_b36(u(&f["expires"])).as_str(), s(&f["b36"]));
        assert_eq!(decode_expires_b36(s(&f["b36"])).unwrap(), u(&f["expires"]));
    }
    for r in data["expires_b36_rejected"].as_array().unwrap() {
        let e = decode_expires_b36(s(r)).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidArgument, "{r}");
    }
}

/// Compares an allowed decision (or parse) with the expected route facts.
fn check_route(name: &str, route: &sandgate::ParsedRoute<'_>, expect: &Value) {
    assert_eq!(route.sandbox_id, s(&expect["sandbox_id"]), "{name}");
    assert_eq!(
        u64::from(route.port),
        expect["port"].as_u64().unwrap(),
        "{name}"
    );
    let expires = route.signed.map(|p| p.expires.to_string());
    assert_eq!(expires.as_deref(), opt_str(&expect["expires"]), "{name}");
    let key_id = route.signed.map(|p| p.key_id().to_string());
    assert_eq!(key_id.as_deref(), opt_str(&expect["key_id"]), "{name}");
}

#[test]
fn parse_cases() {
    let data = load("parse");
    let verifier = RouteVerifier::new(SigningKeys::empty());
    for c in data["cases"].as_array().unwrap() {
        let name = s(&c["name"]);
        let input = s(&c["input"]);
        let expect = &c["expect"];
        let req = match s(&c["form"]) {
            "token" => AccessRequest {
                ingress_to: Some(input),
                ..Default::default()
            },
            "host" => AccessRequest {
                host: Some(input),
                path: Some("/"),
                ..Default::default()
            },
            "path" => AccessRequest {
                path: Some(input),
                ..Default::default()
            },
            f => panic!("unknown form {f}"),
        };
        let decided = verifier.decide(&req, |_| Some(SandboxPolicy::Open), 0);
        // The direct parsers agree with the decision.
        let direct = match s(&c["form"]) {
            "token" => parse_header(input).map(|r| (r, None)),
            "host" => parse_host(input).map(|r| (r, None)),
            _ => parse_path(input, false).map(|p| (p.route, Some((p.path(), p.query)))),
        };
        if expect["ok"].as_bool().unwrap() {
            let access = decided.unwrap_or_else(|d| panic!("{name}: {d}"));
            check_route(name, &access.route, expect);
            let (route, path) = direct.unwrap();
            check_route(name, &route, expect);
            if let Some(p) = expect.get("path") {
                assert_eq!(access.path, s(p), "{name}");
                assert_eq!(access.query, opt_str(&expect["query"]), "{name}");
                assert_eq!(path, Some((access.path, access.query)), "{name}");
            }
        } else {
            let d = decided.unwrap_err();
            assert_eq!(d.reason().code(), s(&expect["reason"]), "{name}");
            assert_eq!(d.status(), 400, "{name}");
            assert!(direct.is_err(), "{name}");
        }
    }
}

#[test]
fn access_cases() {
    let data = load("access");
    for c in data["cases"].as_array().unwrap() {
        let name = s(&c["name"]);
        let verifier = RouteVerifier::new(SigningKeys::from_flag(s(&c["keys"])).unwrap());
        let r = &c["request"];
        let req = AccessRequest {
            ingress_to: opt_str(&r["ingress_to"]),
            host: opt_str(&r["host"]),
            path: opt_str(&r["path"]),
            secure_access: opt_str(&r["secure_access"]),
            ..Default::default()
        };
        let sb = &c["sandbox"];
        let policy = if sb["secure"].as_bool().unwrap() {
            SandboxPolicy::Secure {
                access_token: s(&sb["access_token"]),
            }
        } else {
            SandboxPolicy::Open
        };
        let expect = &c["expect"];
        // The owned form gives the same verdict.
        let token = opt_str(&sb["access_token"]).filter(|_| sb["secure"].as_bool().unwrap());
        let owned = sandgate::surface::decide(&verifier, &req, token, Some(u(&c["now"])));
        assert_eq!(
            owned.allowed,
            expect["allowed"].as_bool().unwrap(),
            "{name}"
        );
        assert_eq!(
            u64::from(owned.status),
            expect["status"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            owned.reason.map(|r| r.code()),
            opt_str(&expect["reason"]),
            "{name}"
        );
        assert_eq!(owned.path.as_deref(), opt_str(&expect["path"]), "{name}");
        match verifier.decide(&req, |_| Some(policy), u(&c["now"])) {
            Ok(access) => {
                assert!(
                    expect["allowed"].as_bool().unwrap(),
                    "{name}: allowed, expected denial"
                );
                assert_eq!(access.grant.code(), s(&expect["grant"]), "{name}");
                check_route(name, &access.route, expect);
                assert_eq!(access.path, s(&expect["path"]), "{name}");
                assert_eq!(access.query, opt_str(&expect["query"]), "{name}");
            }
            Err(d) => {
                assert!(
                    !expect["allowed"].as_bool().unwrap(),
                    "{name}: denied with {d}"
                );
                assert_eq!(d.reason().code(), s(&expect["reason"]), "{name}");
                assert_eq!(
                    u64::from(d.status()),
                    expect["status"].as_u64().unwrap(),
                    "{name}"
                );
            }
        }
    }
}

#[test]
fn key_config_cases() {
    let data = load("key_config");
    for c in data["cases"].as_array().unwrap() {
        let name = s(&c["name"]);
        let input = &c["input"];
        let result = match s(&c["form"]) {
            "flag" => SigningKeys::from_flag(s(input)).map(Some),
            "toml" => SigningKeys::from_toml(s(input)).map(Some),
            "env" => SigningKeys::from_env_map(
                input
                    .as_object()
                    .unwrap()
                    .iter()
                    .map(|(k, v)| (k.as_str(), s(v))),
            ),
            other => panic!("{name}: unknown form {other}"),
        };
        let expect = &c["expect"];
        if expect["unset"] == Value::Bool(true) {
            let r = result.unwrap_or_else(|e| panic!("{name}: {e}"));
            assert!(r.is_none(), "{name}: {r:?}");
        } else if expect["ok"].as_bool().unwrap() {
            let keys = result
                .unwrap_or_else(|e| panic!("{name}: {e}"))
                .unwrap_or_else(|| panic!("{name}: no key set"));
            let ids: Vec<String> = keys.key_ids().iter().map(|c| c.to_string()).collect();
            let want: Vec<&str> = expect["key_ids"]
                .as_array()
                .unwrap()
                .iter()
                .map(s)
                .collect();
            assert_eq!(ids, want, "{name}");
            let active = keys.active_key_id().map(|c| c.to_string());
            assert_eq!(active.as_deref(), opt_str(&expect["active_key"]), "{name}");
        } else {
            let e = result.expect_err(name);
            assert_eq!(e.kind().code(), s(&expect["kind"]), "{name}");
            let msg = e.to_string();
            assert!(
                msg.contains(s(&expect["message_contains"])),
                "{name}: {msg}"
            );
            if let Some(x) = opt_str(&expect["message_excludes"]) {
                assert!(!msg.contains(x), "{name}: {msg}");
                assert!(!format!("{e:?}").contains(x), "{name}");
            }
        }
    }
}

#[test]
fn api_key_cases() {
    let data = load("api_keys");
    for h in data["hash"].as_array().unwrap() {
        assert_eq!(hash_api_key(s(&h["raw"])), s(&h["hash"]));
    }
    for v in data["verify"].as_array().unwrap() {
        let name = s(&v["name"]);
        let view = StoredKeyView {
            hash: s(&v["hash"]),
            revoked: v["revoked"].as_bool().unwrap_or(false),
            expires_at: opt_str(&v["expires_at"]),
        };
        let now = v
            .get("now")
            .map(u)
            .unwrap_or_else(sandgate::clock::now_unix);
        let got = check_api_key(s(&v["key"]), &view, now);
        match &v["expect"] {
            Value::Bool(b) => assert_eq!(got.unwrap().is_ok(), *b, "{name}"),
            kind => assert_eq!(got.unwrap_err().kind().code(), s(kind), "{name}"),
        }
        if v.get("expires_at").is_none() && !view.revoked {
            let plain = verify_api_key(s(&v["key"]), view.hash);
            match &v["expect"] {
                Value::Bool(b) => assert_eq!(plain.unwrap(), *b, "{name}"),
                kind => assert_eq!(plain.unwrap_err().kind().code(), s(kind), "{name}"),
            }
        }
    }
    for g in data["generate"].as_array().unwrap() {
        let prefix = s(&g["prefix"]);
        match generate_api_key(prefix) {
            Ok(k) => {
                let raw = k.key.expose();
                assert_eq!(raw.len() as u64, g["length"].as_u64().unwrap());
                assert!(raw.starts_with(prefix));
                assert_eq!(k.prefix, raw[..12]);
                assert_eq!(k.hash, hash_api_key(raw));
                assert!(verify_api_key(raw, &k.hash).unwrap());
            }
            Err(e) => assert_eq!(e.kind().code(), s(&g["error"])),
        }
    }
}

fn opt_u64(v: &Value) -> Option<u64> {
    v.as_u64()
}

fn opt_u16_list(v: &Value) -> Option<Vec<u16>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|x| u16::try_from(x.as_u64().unwrap()).unwrap())
            .collect()
    })
}

#[test]
fn retry_cases() {
    use sandgate::surface::{retry_decision, RetryOptions, RetryQuery};
    let data = load("retry");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() > 50);
    for c in cases {
        let name = s(&c["name"]);
        let p = &c["policy"];
        let options = RetryOptions {
            max_retries: opt_u64(&p["max_retries"]).map(|n| n as u32),
            initial_backoff_ms: opt_u64(&p["initial_backoff_ms"]),
            max_backoff_ms: opt_u64(&p["max_backoff_ms"]),
            multiplier: p["multiplier"].as_f64(),
            retry_statuses: opt_u16_list(&p["retry_statuses"]),
            post_retry_statuses: opt_u16_list(&p["post_retry_statuses"]),
            attempt_timeout_ms: opt_u64(&p["attempt_timeout_ms"]),
            deadline_ms: opt_u64(&p["deadline_ms"]),
        };
        let a = &c["attempt"];
        let query = RetryQuery {
            method: s(&a["method"]),
            outcome: s(&a["outcome"]),
            status: opt_u64(&a["status"]).map(|n| n as u16),
            attempt: a["attempt"].as_u64().unwrap() as u32,
            prev_delay_ms: opt_u64(&a["prev_delay_ms"]),
            retry_after: opt_str(&a["retry_after"]),
            now: opt_str(&a["now"]).map(|n| n.parse().unwrap()),
            elapsed_ms: a["elapsed_ms"].as_u64().unwrap(),
        };
        let e = &c["expect"];
        let got = retry_decision(&options, &query);
        if let Some(kind) = opt_str(&e["error"]) {
            let err = got.expect_err(name);
            assert_eq!(err.kind().code(), kind, "{name}: {err}");
            assert!(!err.message().is_empty());
            continue;
        }
        let d = got.unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(d.retry, e["retry"].as_bool().unwrap(), "{name}");
        assert_eq!(d.verdict_code(), s(&e["verdict"]), "{name}");
        assert_eq!(
            d.min_delay_ms,
            e["min_delay_ms"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(
            d.max_delay_ms,
            e["max_delay_ms"].as_u64().unwrap(),
            "{name}"
        );
        assert_eq!(d.retryable, e["retryable"].as_bool().unwrap(), "{name}");
    }
}

#[test]
fn cache_cases() {
    use sandgate::surface::{cache_decision, CacheOptions};
    let data = load("cache");
    let cases = data["cases"].as_array().unwrap();
    assert!(cases.len() > 15);
    for c in cases {
        let name = s(&c["name"]);
        let p = &c["policy"];
        let options = CacheOptions {
            enabled: p["enabled"].as_bool(),
            max_entries: opt_u64(&p["max_entries"]),
            ttl_ms: opt_u64(&p["ttl_ms"]),
            margin_ms: opt_u64(&p["margin_ms"]),
        };
        let got = cache_decision(
            &options,
            opt_str(&c["signed_expires"]).map(|e| e.parse().unwrap()),
            u(&c["fetched_at_ms"]),
            u(&c["now_ms"]),
        );
        let e = &c["expect"];
        if let Some(kind) = opt_str(&e["error"]) {
            assert_eq!(got.expect_err(name).kind().code(), kind, "{name}");
            continue;
        }
        let f = got.unwrap_or_else(|err| panic!("{name}: {err}"));
        assert_eq!(f.fresh, e["fresh"].as_bool().unwrap(), "{name}");
        assert_eq!(f.until_ms, u(&e["until_ms"]), "{name}");
    }
}

#[test]
fn gateway_cases() {
    use sandgate::surface::{check_request, gateway, GatewayOptions, PolicyOptions};
    let data = load("gateway");
    let mut failures = Vec::new();
    for c in data["cases"].as_array().unwrap() {
        let name = s(&c["name"]);
        let g = gateway(GatewayOptions {
            route_mode: s(&c["mode"]).to_owned(),
            keys: SigningKeys::from_flag(s(&c["keys"])).unwrap(),
            policy: match c["policy"].as_str() {
                Some(p) => PolicyOptions::Table(p.to_owned()),
                None => PolicyOptions::SignatureOnly,
            },
            now: Some(u(&c["now"])),
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let headers: Vec<(String, String)> = c["request"]["headers"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (s(&h[0]).to_owned(), s(&h[1]).to_owned()))
            .collect();
        let v = check_request(&g, s(&c["request"]["target"]), &headers);
        let e = &c["expect"];
        let strip: Vec<&str> = e["headers_to_strip"]
            .as_array()
            .unwrap()
            .iter()
            .map(s)
            .collect();
        let mut got = vec![
            ("allowed", Value::from(v.allowed)),
            ("status", Value::from(v.status)),
            ("reason", v.reason.map_or(Value::Null, Value::from)),
        ];
        let mut want = vec![
            ("allowed", e["allowed"].clone()),
            ("status", e["status"].clone()),
            ("reason", e["reason"].clone()),
        ];
        if v.allowed {
            let r = v.route.clone().unwrap();
            got.extend([
                ("grant", Value::from(v.grant.unwrap())),
                ("sandbox_id", Value::from(r.sandbox_id)),
                ("port", Value::from(r.port)),
                (
                    "expires",
                    r.expires
                        .map_or(Value::Null, |x| Value::from(x.to_string())),
                ),
                ("key_id", r.key_id.map_or(Value::Null, Value::from)),
                (
                    "upstream_target",
                    Value::from(v.upstream_target.clone().unwrap()),
                ),
            ]);
            for k in [
                "grant",
                "sandbox_id",
                "port",
                "expires",
                "key_id",
                "upstream_target",
            ] {
                want.push((k, e[k].clone()));
            }
            assert!(v.body.is_empty() && v.response_headers.is_empty(), "{name}");
        } else {
            let retry = v
                .response_headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("retry-after"))
                .map(|(_, x)| *x);
            got.push(("retry_after", retry.map_or(Value::Null, Value::from)));
            want.push(("retry_after", e["retry_after"].clone()));
            assert!(
                v.body.starts_with("OpenSandbox Ingress: "),
                "{name}: {}",
                v.body
            );
            assert!(v
                .response_headers
                .contains(&("content-type", "text/plain; charset=utf-8")));
        }
        assert!(
            v.headers_to_strip
                .iter()
                .map(|h| h.to_ascii_lowercase())
                .eq(strip.iter().map(|h| h.to_ascii_lowercase())),
            "{name}"
        );
        if got != want {
            failures.push(format!("{name}: got {got:?}\n  want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

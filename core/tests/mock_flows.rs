//! `sdk-tests/cases/errors.json` and `sdk-tests/cases/scenario.json` through the public Rust
//! client against the in-process mock server, the same cases every language package runs.

mod common;

use common::load;
use sandgate::client::{Client, ClientBuilder, CreateSandbox, Endpoint, RetryPolicy};
use sandgate::route::check_port;
use sandgate::{Error, RouteVerifier};
use sandgate_mock::{Faults, MockConfig, MockServer, RouteMode};
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

fn start(mode: RouteMode) -> MockServer {
    MockServer::start(MockConfig {
        route_mode: mode,
        trusted_headers: true,
        ..Default::default()
    })
    .unwrap()
}

fn unix(v: &Value) -> u64 {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("expected Unix seconds as a string, got {v}"))
}

fn user_headers(b: ClientBuilder, user: &str, roles: &str) -> ClientBuilder {
    b.header("X-OpenSandbox-User", user)
        .header("X-OpenSandbox-Roles", roles)
}

/// A port nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

// ------------------------------------------------------------------------------ errors.json

fn error_case_client(m: &MockServer, case: &Value) -> Result<Client, Error> {
    let mut b = Client::builder().ignore_env().domain(m.domain());
    b = match case["as"].as_str() {
        Some("admin") => b.api_key(m.admin_key().expose()),
        Some("bad_key") => b.api_key("osk_not_a_real_key"),
        Some("read_only_user") => user_headers(b, "errors-user", "read_only"),
        Some("operator_user") => user_headers(b, "errors-user", "operator"),
        Some("anonymous") | None => b,
        Some(other) => panic!("unknown principal {other}"),
    };
    let opts = &case["client"];
    if let Some(ms) = opts["timeout_ms"].as_u64() {
        b = b.timeout(Duration::from_millis(ms));
    }
    if opts["retry"] == Value::Bool(false) {
        b = b.retry(RetryPolicy::none());
    }
    if opts["closed_port"] == Value::Bool(true) {
        b = b.domain(format!("127.0.0.1:{}", closed_port()));
    }
    if let Some(p) = opts["protocol"].as_str() {
        b = b.protocol(p);
    }
    if let Some(d) = opts["domain"].as_str() {
        b = b.domain(d);
    }
    b.build()
}

async fn error_case_call(c: &Client, op: &str, args: &Value) -> Result<(), Error> {
    let id = args["sandbox_id"].as_str().unwrap_or("");
    // Ports are typed `u16` in Rust; out-of-range numbers go through `check_port`, the
    // conversion the package offers for integers from elsewhere.
    let port = || check_port(args["port"].as_i64().expect("port"));
    match op {
        "get_sandbox" => c.get_sandbox(id).await.map(drop),
        "get_endpoint" => c.get_endpoint(id, port()?).await.map(drop),
        "get_signed_endpoint" => c
            .get_signed_endpoint(id, port()?, unix(&args["expires"]))
            .await
            .map(drop),
        "create_sandbox" => {
            let image = args["image"].as_str().expect("image");
            c.create_sandbox(&CreateSandbox::new(image)).await.map(drop)
        }
        "list_sandboxes" => c.list_sandboxes().await.map(drop),
        "create_api_key" => {
            let expires_at = args.get("expires_at").map(unix);
            c.create_api_key(None, expires_at).await.map(drop)
        }
        "revoke_api_key" => c.revoke_api_key(args["key_id"].as_str().unwrap()).await,
        "renew_sandbox" => match args.get("ttl_seconds") {
            Some(t) => {
                let ttl = Duration::from_secs(t.as_u64().expect("ttl_seconds"));
                c.renew_sandbox_for(id, ttl).await.map(drop)
            }
            None => c.renew_sandbox(id, unix(&args["expires"])).await.map(drop),
        },
        other => panic!("unknown op {other}"),
    }
}

/// Compares an outcome with a case's `expect`; returns what differs.
fn error_case_mismatch(
    result: Result<(), Error>,
    expect: &Value,
    m: &MockServer,
) -> Option<String> {
    if expect["ok"] == Value::Bool(true) {
        return result.err().map(|e| format!("expected success, got {e}"));
    }
    let e = match result {
        Ok(()) => return Some("expected an error, got success".into()),
        Err(e) => e,
    };
    let kind = expect["kind"].as_str().unwrap();
    if e.kind().code() != kind {
        return Some(format!("kind {} ({e}), want {kind}", e.kind().code()));
    }
    if let Some(status) = expect["status"].as_u64() {
        if e.status().map(u64::from) != Some(status) {
            return Some(format!("status {:?}, want {status}", e.status()));
        }
    }
    if let Some(code) = expect.get("code") {
        if e.code() != code.as_str() {
            return Some(format!("code {:?}, want {code}", e.code()));
        }
    }
    if expect["request_id"] == Value::Bool(true) && e.request_id().unwrap_or("").is_empty() {
        return Some("no request id".into());
    }
    if expect["no_request"] == Value::Bool(true) && !m.requests().is_empty() {
        return Some(format!("a request was sent: {:?}", m.requests()));
    }
    if e.message().is_empty() {
        return Some("empty message".into());
    }
    None
}

#[tokio::test]
async fn errors_cases_through_the_client() {
    let cases = load("errors");
    let cases = cases["cases"].as_array().unwrap();
    assert!(cases.len() >= 20, "errors.json has {} cases", cases.len());
    let mut failures = Vec::new();
    for case in cases {
        let name = case["name"].as_str().unwrap();
        let m = start(RouteMode::Header);
        if let Some(f) = case.get("fault") {
            let n = |k: &str| f[k].as_u64().unwrap_or(0);
            m.set_faults(Faults {
                fail_next: n("fail_next") as u32,
                status: n("status") as u16,
                retry_after: f["retry_after"].as_u64(),
                latency_ms: n("latency_ms"),
                drop_next: n("drop_next") as u32,
                corrupt_next: n("corrupt_next") as u32,
            })
            .unwrap();
        }
        let op = case["op"].as_str().unwrap();
        let result = match error_case_client(&m, case) {
            Err(e) => Err(e),
            Ok(_) if op == "build_client" => Ok(()),
            Ok(c) => error_case_call(&c, op, &case["args"]).await,
        };
        if let Some(why) = error_case_mismatch(result, &case["expect"], &m) {
            failures.push(format!("{name}: {why}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

// ---------------------------------------------------------------------------- scenario.json

struct Scenario {
    mock: MockServer,
    mode: RouteMode,
    http: reqwest::Client,
    keys: HashMap<String, sandgate::client::CreatedApiKey>,
    sandboxes: HashMap<String, sandgate::client::Sandbox>,
    endpoints: HashMap<String, Endpoint>,
}

/// The endpoint's URL split into scheme+authority and path.
fn split_url(url: &str) -> (&str, &str) {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    match url[after_scheme..].find('/') {
        Some(i) => url.split_at(after_scheme + i),
        None => (url, ""),
    }
}

/// Changes the 8th character of a signature (its last hex digit; the 9th is the key id).
fn tamper(sig: &str) -> String {
    let c = if &sig[7..8] == "1" { "0" } else { "1" };
    format!("{}{c}{}", &sig[..7], &sig[8..])
}

impl Scenario {
    fn client(&self, step: &Value) -> Client {
        let who = &step["as"];
        let b = Client::builder().ignore_env().domain(self.mock.domain());
        let b = match who["key"].as_str() {
            Some(name) => b.api_key(self.keys[name].key.expose()),
            None => user_headers(
                b,
                who["user"].as_str().expect("as.user"),
                who["roles"].as_str().expect("as.roles"),
            ),
        };
        b.build().unwrap()
    }

    /// The route token an endpoint carries, where the route mode puts it.
    fn token(&self, e: &Endpoint) -> String {
        let (authority, path) = split_url(&e.url);
        match self.mode {
            RouteMode::Header => e.headers["OpenSandbox-Ingress-To"].clone(),
            RouteMode::Wildcard => {
                let host = &authority[authority.find("://").unwrap() + 3..];
                host.split('.').next().unwrap().to_owned()
            }
            RouteMode::Uri => {
                let parts: Vec<&str> = path.trim_matches('/').split('/').collect();
                assert!(
                    parts.len() >= 4,
                    "uri endpoint {} has no signed prefix",
                    e.url
                );
                parts[parts.len() - 4..].join("-")
            }
        }
    }

    async fn gateway_get(&self, step: &Value, e: &Endpoint) -> (u16, Option<String>, String) {
        let mut target = format!("{}{}", e.url, step["path"].as_str().unwrap());
        let mut headers = e.headers.clone();
        if step["tamper"] == Value::Bool(true) {
            assert!(e.route.is_some(), "cannot tamper with an unsigned endpoint");
            let tok = self.token(e);
            let (head, sig) = tok.split_at(tok.len() - 9);
            let bad = format!("{head}{}", tamper(sig));
            match self.mode {
                RouteMode::Header => {
                    headers.insert("OpenSandbox-Ingress-To".into(), bad);
                }
                RouteMode::Wildcard => target = target.replacen(&tok, &bad, 1),
                RouteMode::Uri => {
                    target = target.replacen(&format!("/{sig}"), &format!("/{}", tamper(sig)), 1)
                }
            }
        }
        let mut host = None;
        if self.mode == RouteMode::Wildcard {
            // *.localhost need not resolve: send to the gateway with the endpoint's Host.
            let (authority, rest) = split_url(&target);
            host = Some(authority[authority.find("://").unwrap() + 3..].to_owned());
            target = format!("{}{rest}", self.mock.gateway_url());
        }
        if let Some(v) = step["secure_header"].as_str() {
            headers.insert("OpenSandbox-Secure-Access".into(), v.to_owned());
        }
        if step["drop_secure_header"] == Value::Bool(true) {
            headers.remove("OpenSandbox-Secure-Access");
        }
        let mut req = self.http.get(&target);
        for (k, v) in &headers {
            req = req.header(k, v);
        }
        if let Some(h) = host {
            req = req.header(reqwest::header::HOST, h);
        }
        let resp = req
            .send()
            .await
            .unwrap_or_else(|e| panic!("GET {target}: {e}"));
        let status = resp.status().as_u16();
        let reason = resp
            .headers()
            .get("X-Sandgate-Reason")
            .map(|v| v.to_str().unwrap().to_owned());
        (status, reason, resp.text().await.unwrap())
    }

    async fn run(&mut self, i: usize, step: &Value) {
        let op = step["op"].as_str().unwrap();
        let want = &step["expect"];
        let at = format!("{} step {i} {op}", self.mode.as_str());
        let save = step["save"].as_str().unwrap_or("").to_owned();
        match op {
            "create_api_key" => {
                let k = self
                    .client(step)
                    .create_api_key(step["name"].as_str(), None)
                    .await
                    .unwrap_or_else(|e| panic!("{at}: {e}"));
                if let Some(name) = want["name"].as_str() {
                    assert_eq!(k.name, name, "{at}");
                }
                if want["prefix_is_key_start"] == Value::Bool(true) {
                    assert_eq!(k.prefix.len(), 12, "{at}");
                    assert!(k.key.expose().starts_with(&k.prefix), "{at}");
                }
                assert!(
                    !format!("{k:?}").contains(k.key.expose()),
                    "{at}: raw key printed"
                );
                self.keys.insert(save, k);
            }
            "list_api_keys" => {
                let list = self.client(step).list_api_keys().await.unwrap();
                if let Some(n) = want["count"].as_u64() {
                    assert_eq!(list.len() as u64, n, "{at}");
                }
                if let Some(name) = want["never_contains_key"].as_str() {
                    let raw = self.keys[name].key.expose();
                    assert!(
                        !format!("{list:?}").contains(raw),
                        "{at}: a listed key holds the raw key"
                    );
                }
            }
            "list_sandboxes" => {
                let result = self.client(step).list_sandboxes().await;
                if let Some(err) = want.get("error") {
                    let e = result.expect_err(&at);
                    assert_eq!(e.kind().code(), err["kind"].as_str().unwrap(), "{at}: {e}");
                    assert_eq!(e.status().map(u64::from), err["status"].as_u64(), "{at}");
                    assert_eq!(e.code(), err["code"].as_str(), "{at}");
                    return;
                }
                let list = result.unwrap_or_else(|e| panic!("{at}: {e}"));
                if let Some(n) = want["count"].as_u64() {
                    assert_eq!(list.len() as u64, n, "{at}");
                }
            }
            "create_sandbox" => {
                let mut req = CreateSandbox::new(step["image"].as_str().unwrap());
                req.secure_access = step["secure_access"] == Value::Bool(true);
                let sb = self.client(step).create_sandbox(&req).await.unwrap();
                if let Some(owner) = want["owner"].as_str() {
                    assert_eq!(
                        sb.metadata.get("access.owner").map(String::as_str),
                        Some(owner),
                        "{at}"
                    );
                }
                if let Some(secure) = want["secure_access"].as_bool() {
                    assert_eq!(sb.secure_access, secure, "{at}");
                }
                self.sandboxes.insert(save, sb);
            }
            "get_signed_endpoint" | "get_endpoint" => {
                let id = self.sandboxes[step["sandbox"].as_str().unwrap()].id.clone();
                let port = u16::try_from(step["port"].as_u64().unwrap()).unwrap();
                let c = self.client(step);
                let e = if op == "get_endpoint" {
                    c.get_endpoint(&id, port).await
                } else {
                    let ttl = Duration::from_secs(step["ttl_seconds"].as_u64().unwrap());
                    c.get_signed_endpoint_for(&id, port, ttl).await
                }
                .unwrap_or_else(|err| panic!("{at}: {err}"));
                if let Some(r) = want.get("route") {
                    let route = e.route.as_ref().unwrap_or_else(|| panic!("{at}: no route"));
                    assert_eq!(route.sandbox_id, id, "{at}");
                    assert_eq!(u64::from(route.port), r["port"].as_u64().unwrap(), "{at}");
                    assert_eq!(
                        route.key_id.map(String::from).as_deref(),
                        r["key_id"].as_str(),
                        "{at}"
                    );
                    assert!(route.expires.is_some(), "{at}: signed route without expiry");
                }
                if want["no_route"] == Value::Bool(true) {
                    assert!(e.route.is_none(), "{at}: unsigned endpoint has a route");
                }
                if let Some(h) = want["no_header"].as_str() {
                    assert!(!e.headers.contains_key(h), "{at}: endpoint has {h}");
                }
                if let Some(h) = want["has_header"].as_str() {
                    let v = e.headers.get(h).unwrap_or_else(|| panic!("{at}: no {h}"));
                    assert!(
                        !format!("{e:?}").contains(v.as_str()),
                        "{at}: access token printed"
                    );
                }
                self.endpoints.insert(save, e);
            }
            "verify_local" => {
                let e = &self.endpoints[step["endpoint"].as_str().unwrap()];
                let verifier = RouteVerifier::new(self.mock.signing_keys().clone());
                let token = self.token(e);
                let result = verifier.verify_at(&token, self.mock.now());
                if want["allowed"] == Value::Bool(true) {
                    let r = result.unwrap_or_else(|d| panic!("{at}: {d}"));
                    let route = e.route.as_ref().unwrap();
                    assert_eq!(
                        (r.sandbox_id, r.port),
                        (route.sandbox_id.as_str(), route.port),
                        "{at}"
                    );
                } else {
                    let d = result.expect_err(&at);
                    assert_eq!(d.reason().code(), want["reason"].as_str().unwrap(), "{at}");
                    assert_eq!(
                        u64::from(d.status()),
                        want["status"].as_u64().unwrap(),
                        "{at}"
                    );
                }
            }
            "gateway_get" => {
                let e = &self.endpoints[step["endpoint"].as_str().unwrap()];
                let (status, reason, body) = self.gateway_get(step, e).await;
                assert_eq!(
                    u64::from(status),
                    want["status"].as_u64().unwrap(),
                    "{at}: {body}"
                );
                if let Some(r) = want["reason"].as_str() {
                    assert_eq!(reason.as_deref(), Some(r), "{at}");
                }
                if let Some(echo) = want["echo"].as_object() {
                    let got: Value = serde_json::from_str(&body)
                        .unwrap_or_else(|err| panic!("{at}: echo {body}: {err}"));
                    // The scenario creates one sandbox.
                    let id = &self.sandboxes.values().next().unwrap().id;
                    assert_eq!(got["sandbox_id"].as_str(), Some(id.as_str()), "{at}");
                    for (k, v) in echo {
                        assert_eq!(&got[k], v, "{at}: echo field {k}");
                    }
                }
            }
            "advance_clock" => self.mock.advance(step["seconds"].as_i64().unwrap()),
            "revoke_api_key" => {
                let id = self.keys[step["key"].as_str().unwrap()].id.clone();
                self.client(step).revoke_api_key(&id).await.unwrap();
            }
            other => panic!("unknown scenario op {other}"),
        }
    }
}

async fn scenario(mode: RouteMode) {
    let data = load("scenario");
    let modes: Vec<&str> = data["modes"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        modes.contains(&mode.as_str()),
        "scenario.json does not list mode {}",
        mode.as_str()
    );
    let steps = data["steps"].as_array().unwrap();
    assert!(!steps.is_empty());
    let mut s = Scenario {
        mock: start(mode),
        mode,
        http: reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .unwrap(),
        keys: HashMap::new(),
        sandboxes: HashMap::new(),
        endpoints: HashMap::new(),
    };
    assert_eq!(s.mock.route_mode(), mode);
    for (i, step) in steps.iter().enumerate() {
        s.run(i, step).await;
    }
}

#[tokio::test]
async fn scenario_header_mode() {
    scenario(RouteMode::Header).await;
}

#[tokio::test]
async fn scenario_wildcard_mode() {
    scenario(RouteMode::Wildcard).await;
}

#[tokio::test]
async fn scenario_uri_mode() {
    scenario(RouteMode::Uri).await;
}

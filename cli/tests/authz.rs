//! `sandgate authz serve` as a proxy's authorizer, run as a user runs it: the three
//! subrequest protocols, the policy file's reload, the platform policy, the limits, the
//! access log and the graceful stop.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const KEYS: &str = "a=bXktdGVzdC1zZWNyZXQ=";
const TOKEN: &str = "sbx-001-8080-x2qxvk-0ff8cd39a";
const ACCESS: &str = "tok_9f8e7d6c5b4a";
const POLICY: &str = r#"{"sandboxes": {"sbx-001": {"secure": true, "access_token": "tok_9f8e7d6c5b4a"}, "sbx001": {"secure": false}}}"#;

struct Authz {
    child: Child,
    addr: String,
    log: PathBuf,
    dir: PathBuf,
}

fn temp_dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sandgate-authz-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn start(name: &str, args: &[&str]) -> Authz {
    let dir = temp_dir(name);
    let log = dir.join("stderr.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args([
            "authz",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--now",
            "1900000000",
        ])
        .args(args)
        .env_remove("SANDGATE_KEYS")
        .stdout(Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value =
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    let addr = ready["listen"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    Authz {
        child,
        addr,
        log,
        dir,
    }
}

impl Authz {
    fn stop(mut self) -> (bool, String) {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        let status = self.child.wait().unwrap();
        let log = std::fs::read_to_string(&self.log).unwrap();
        let _ = std::fs::remove_dir_all(&self.dir);
        (status.success(), log)
    }
}

struct Resp {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Resp {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

fn request(addr: &str, method: &str, target: &str, headers: &[(&str, &str)]) -> Resp {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    let mut req = format!("{method} {target} HTTP/1.1\r\nHost: authz\r\nConnection: close\r\n");
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").unwrap();
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Resp {
        status,
        headers,
        body: body.to_owned(),
    }
}

fn write_policy(dir: &std::path::Path, text: &str) -> PathBuf {
    let p = dir.join("policy.json");
    std::fs::write(&p, text).unwrap();
    p
}

#[test]
fn three_protocols_health_and_an_access_log_without_secrets() {
    let dir = temp_dir("proto");
    let policy = write_policy(&dir, POLICY);
    let a = start(
        "proto",
        &["--keys", KEYS, "--policy", policy.to_str().unwrap()],
    );
    assert_eq!(request(&a.addr, "GET", "/healthz", &[]).status, 200);
    assert_eq!(request(&a.addr, "GET", "/other", &[]).status, 404);
    // nginx: 200 with the route, or 401/403 with the real status for the snippet.
    let r = request(
        &a.addr,
        "GET",
        "/nginx",
        &[
            ("X-Forwarded-Uri", "/ping?x=1"),
            ("OpenSandbox-Ingress-To", TOKEN),
        ],
    );
    assert_eq!(r.status, 200);
    assert_eq!(r.header("x-sandgate-path"), Some("/ping?x=1"));
    let r = request(
        &a.addr,
        "GET",
        "/nginx",
        &[
            ("X-Forwarded-Uri", "/"),
            ("OpenSandbox-Ingress-To", "nosuch-80"),
        ],
    );
    assert_eq!(
        (r.status, r.header("x-sandgate-status")),
        (403, Some("404"))
    );
    let r = request(
        &a.addr,
        "GET",
        "/nginx",
        &[
            ("X-Forwarded-Uri", "/"),
            ("OpenSandbox-Ingress-To", "sbx-001-8080"),
            ("OpenSandbox-Secure-Access", "wrong"),
        ],
    );
    assert_eq!(
        (r.status, r.header("x-sandgate-status")),
        (401, Some("401"))
    );
    // Envoy: the method is the original one; allowed with the headers to remove.
    let r = request(
        &a.addr,
        "DELETE",
        "/envoy/files/x",
        &[
            ("OpenSandbox-Ingress-To", "sbx-001-8080"),
            ("OpenSandbox-Secure-Access", ACCESS),
        ],
    );
    assert_eq!(r.status, 200);
    assert!(r
        .header("x-envoy-auth-headers-to-remove")
        .unwrap()
        .contains("opensandbox-secure-access"));
    // Traefik: the real status and body.
    let r = request(
        &a.addr,
        "GET",
        "/traefik",
        &[
            ("X-Forwarded-Uri", "/"),
            (
                "X-Forwarded-Host",
                "sbx-001-8080-x2qxvk-1ff8cd39a.example.com",
            ),
        ],
    );
    assert_eq!(r.status, 401);
    assert!(r
        .body
        .starts_with("OpenSandbox Ingress: access denied (bad_signature)"));
    let (ok, log) = a.stop();
    assert!(ok, "{log}");
    assert!(log.contains("sandgate authz: stopped"), "{log}");
    let decisions: Vec<&str> = log.lines().filter(|l| l.contains(" us=")).collect();
    assert_eq!(decisions.len(), 5, "{log}");
    assert!(
        decisions[0]
            .contains("nginx - 200 allow grant=signature sandbox=sbx-001 port=8080 path=/ping "),
        "{log}"
    );
    for secret in [ACCESS, "0ff8cd39a", "1ff8cd39a", "wrong", "x=1"] {
        assert!(!log.contains(secret), "the log shows {secret}: {log}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_bad_policy_file_keeps_the_last_good_one_and_logs_one_line() {
    let dir = temp_dir("reload");
    let policy = write_policy(&dir, POLICY);
    let a = start(
        "reload",
        &[
            "--keys",
            KEYS,
            "--policy",
            policy.to_str().unwrap(),
            "--no-access-log",
        ],
    );
    let ask = |route: &str| {
        request(
            &a.addr,
            "GET",
            "/traefik",
            &[("X-Forwarded-Uri", "/"), ("OpenSandbox-Ingress-To", route)],
        )
        .status
    };
    assert_eq!(ask("sbx001-80"), 200);
    std::fs::write(
        &policy,
        r#"{"sandboxes": {"sbx001": {"secure": "sekret-in-a-bad-file"}}}"#,
    )
    .unwrap();
    for _ in 0..3 {
        std::thread::sleep(Duration::from_millis(700));
        assert_eq!(ask("sbx001-80"), 200);
    }
    std::fs::write(&policy, r#"{"sandboxes": {"other": {"secure": false}}}"#).unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while ask("sbx001-80") != 404 {
        assert!(Instant::now() < deadline, "the new policy was not loaded");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(ask("other-80"), 200);
    let (ok, log) = a.stop();
    assert!(ok);
    let bad: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("keeping the last good policy"))
        .collect();
    assert_eq!(bad.len(), 1, "{log}");
    assert!(
        bad[0].contains("line 1") && !log.contains("sekret"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn usage_errors_are_one_line_without_secrets() {
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_sandgate"))
            .args(["authz", "serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .env_remove("SANDGATE_KEYS")
            .output()
            .unwrap()
    };
    let o = run(&["--keys", KEYS]);
    assert_eq!(o.status.code(), Some(2));
    let dir = temp_dir("usage");
    let policy = write_policy(
        &dir,
        r#"{"sandboxes": {"a": {"secure": false, "access_token": "sekret-token"}}}"#,
    );
    let o = run(&["--keys", KEYS, "--policy", policy.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("not secure but has an access_token") && !err.contains("sekret"),
        "{err}"
    );
    let o = run(&["--keys", KEYS, "--signature-only", "--idle-timeout", "0s"]);
    assert_eq!(o.status.code(), Some(2));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn slow_and_idle_clients_are_closed_and_the_cap_answers_503() {
    let a = start(
        "limits",
        &[
            "--keys",
            KEYS,
            "--signature-only",
            "--header-read-timeout",
            "300ms",
            "--idle-timeout",
            "400ms",
            "--max-connections",
            "2",
        ],
    );
    let closed_within = |mut s: TcpStream, limit: Duration| {
        s.set_read_timeout(Some(limit)).unwrap();
        let start = Instant::now();
        let mut buf = [0u8; 256];
        // EOF (or hyper's last word before it) within the limit, not a read timeout.
        s.read(&mut buf).is_ok() && start.elapsed() < limit
    };
    // A head that never ends.
    let mut slow = TcpStream::connect(&a.addr).unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHo").unwrap();
    // A connection that sends nothing.
    let silent = TcpStream::connect(&a.addr).unwrap();
    std::thread::sleep(Duration::from_millis(100));
    // Both slots are taken: a third connection gets 503 with Retry-After.
    let r = request(&a.addr, "GET", "/healthz", &[]);
    assert_eq!((r.status, r.header("retry-after")), (503, Some("1")));
    assert!(closed_within(slow, Duration::from_secs(3)));
    assert!(closed_within(silent, Duration::from_secs(3)));
    std::thread::sleep(Duration::from_millis(100));
    assert_eq!(request(&a.addr, "GET", "/healthz", &[]).status, 200);
    let (ok, _) = a.stop();
    assert!(ok);
}

#[test]
fn platform_policy_through_the_mock_and_fail_closed_when_it_is_gone() {
    use sandgate::client::{Client, CreateSandbox};
    let mut mock = sandgate_mock::MockServer::start(Default::default()).unwrap();
    let client = Client::builder()
        .domain(mock.domain())
        .api_key(mock.admin_key().expose())
        .ignore_env()
        .build()
        .unwrap();
    let (secure, token) = sandgate::runtime::block_on(async {
        let s = client
            .create_sandbox(&CreateSandbox {
                secure_access: true,
                ..CreateSandbox::new("python:3.11")
            })
            .await
            .unwrap();
        let ep = client.get_endpoint(&s.id, 80).await.unwrap();
        (s.id, ep.headers["OpenSandbox-Secure-Access"].clone())
    });
    let keys = mock.signing_keys().expose_flag_string();
    let mut child = Command::new(env!("CARGO_BIN_EXE_sandgate"))
        .args([
            "authz",
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--platform",
            "--no-access-log",
            "--keys",
            &keys,
        ])
        .args(["--domain", &mock.domain(), "--timeout", "1s"])
        .env("OPEN_SANDBOX_API_KEY", mock.admin_key().expose())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let ready: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(ready["policy"], "platform");
    let addr = ready["listen"]
        .as_str()
        .unwrap()
        .trim_start_matches("http://")
        .to_owned();
    let route = format!("{secure}-80");
    let ask = |secure_header: Option<&str>, route: &str| {
        let mut h = vec![("X-Forwarded-Uri", "/"), ("OpenSandbox-Ingress-To", route)];
        if let Some(s) = secure_header {
            h.push(("OpenSandbox-Secure-Access", s));
        }
        request(&addr, "GET", "/traefik", &h)
    };
    assert_eq!(ask(Some(&token), &route).status, 200);
    assert_eq!(ask(None, &route).status, 401);
    assert_eq!(ask(None, "nosuch-80").status, 404);
    mock.stop();
    // Known (cached) sandboxes keep working; unknown ones fail closed with 503.
    assert_eq!(ask(Some(&token), &route).status, 200);
    let r = ask(None, "brand-new-80");
    assert_eq!(
        (
            r.status,
            r.header("x-sandgate-reason"),
            r.header("retry-after")
        ),
        (503, Some("policy_unavailable"), Some("1"))
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains(&token), "{err}");
    assert!(err.contains("the platform cannot answer"), "{err}");
}

#[test]
fn sighup_reloads_the_signing_keys_and_a_bad_file_keeps_the_last_good_set() {
    // Key b signs a link the first key file does not know; after the file gains b and the
    // process gets SIGHUP, the same link is allowed, with no restart.
    let dir = temp_dir("sighup");
    let keys = dir.join("keys.toml");
    let entry = |id: &str, secret: &str| {
        format!("[[ingress.secure_access.keys]]\nkey_id = \"{id}\"\nkey = \"{secret}\"\n")
    };
    let toml = |entries: &str, active: &str| {
        format!("[ingress.secure_access]\nactive_key = \"{active}\"\n\n{entries}")
    };
    let a = entry("a", "bXktdGVzdC1zZWNyZXQ=");
    let b = entry("b", "YW5vdGhlci10ZXN0LXNlY3JldA==");
    std::fs::write(&keys, toml(&a, "a")).unwrap();
    let az = start(
        "sighup-run",
        &["--keys-file", keys.to_str().unwrap(), "--signature-only"],
    );
    let sign = |key_flag: &str| {
        let o = Command::new(env!("CARGO_BIN_EXE_sandgate"))
            .args([
                "sign",
                "--keys",
                key_flag,
                "--sandbox",
                "sbx-001",
                "--port",
                "8080",
                "--expires",
                "1900000600",
                "--key-id",
                "b",
                "--json",
            ])
            .env_remove("SANDGATE_KEYS")
            .output()
            .unwrap();
        assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
        let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
        v["token"].as_str().unwrap().to_owned()
    };
    let b_link = sign("b=YW5vdGhlci10ZXN0LXNlY3JldA==");
    let check = |token: &str| {
        request(
            &az.addr,
            "GET",
            "/nginx",
            &[("X-Forwarded-Uri", "/"), ("OpenSandbox-Ingress-To", token)],
        )
    };
    let r = check(&b_link);
    assert_eq!(r.status, 401, "{}", r.body);
    let hup = |pid: u32| {
        Command::new("kill")
            .args(["-HUP", &pid.to_string()])
            .status()
            .unwrap();
    };
    let wait_for = |want: u16| {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let r = check(&b_link);
            if r.status == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "still {} after SIGHUP: {}",
                r.status,
                r.body
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    };
    std::fs::write(&keys, toml(&format!("{a}{b}"), "b")).unwrap();
    hup(az.child.id());
    wait_for(200);
    // A broken file: the keys stay, one line is logged.
    std::fs::write(&keys, "not toml at all [").unwrap();
    hup(az.child.id());
    let deadline = Instant::now() + Duration::from_secs(10);
    while !std::fs::read_to_string(&az.log)
        .unwrap()
        .contains("not reloaded")
    {
        assert!(
            Instant::now() < deadline,
            "no log line for the bad key file"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(check(&b_link).status, 200);
    let (ok, log) = az.stop();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ok, "{log}");
    assert!(
        log.contains("signing keys reloaded: ids ab, active b"),
        "{log}"
    );
    assert_eq!(log.matches("signing keys not reloaded").count(), 1, "{log}");
    assert!(
        !log.contains("bXktdGVzdC1zZWNyZXQ") && !log.contains("YW5vdGhlci10ZXN0"),
        "{log}"
    );
}

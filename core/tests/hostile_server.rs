//! The client against scripted servers on loopback that misbehave on purpose (SPEC §2.1):
//! redirects to the same and to another origin, oversized and endless bodies, signed
//! endpoints that name another route, renewal answers that are not RFC 3339, and userinfo
//! written in the domain.

use sandgate::client::{Client, CreateSandbox, RetryPolicy};
use sandgate::ErrorKind;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as the scripted server received it.
#[derive(Clone, Debug)]
struct Seen {
    method: String,
    target: String,
    /// Header lines as received, lowercased names.
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

/// What the scripted server does with a request.
#[derive(Clone)]
enum Reply {
    /// Write these bytes and close.
    Bytes(Vec<u8>),
    /// Write the head, then `chunk` forever (until the client goes away), counting bytes.
    Endless { head: Vec<u8>, chunk: Vec<u8> },
    /// Write the head and keep the connection open without sending the body.
    HeadThenHang(Vec<u8>),
}

struct Script {
    listener: TcpListener,
    seen: Arc<Mutex<Vec<Seen>>>,
    body_bytes_written: Arc<Mutex<u64>>,
}

impl Script {
    async fn bind() -> Script {
        Script {
            listener: TcpListener::bind("127.0.0.1:0").await.unwrap(),
            seen: Arc::default(),
            body_bytes_written: Arc::default(),
        }
    }

    fn addr(&self) -> String {
        self.listener.local_addr().unwrap().to_string()
    }

    /// Serves every connection with `reply(request)` in the background.
    fn serve(self, reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> Served {
        let seen = self.seen.clone();
        let written = self.body_bytes_written.clone();
        let reply = Arc::new(reply);
        let addr = self.addr();
        let (seen2, written2) = (seen.clone(), written.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((conn, _)) = self.listener.accept().await else {
                    return;
                };
                let (seen, written, reply) = (seen2.clone(), written2.clone(), reply.clone());
                tokio::spawn(async move { handle(conn, &seen, &written, &*reply).await });
            }
        });
        Served {
            addr,
            seen,
            body_bytes_written: written,
            task,
        }
    }
}

struct Served {
    addr: String,
    seen: Arc<Mutex<Vec<Seen>>>,
    body_bytes_written: Arc<Mutex<u64>>,
    task: tokio::task::JoinHandle<()>,
}

impl Served {
    fn seen(&self) -> Vec<Seen> {
        self.seen.lock().unwrap().clone()
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn handle(
    mut conn: TcpStream,
    seen: &Mutex<Vec<Seen>>,
    written: &Mutex<u64>,
    reply: &(dyn Fn(&Seen) -> Reply + Send + Sync),
) {
    let mut buf = Vec::new();
    let mut tmp = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            break i + 4;
        }
        match conn.read(&mut tmp).await {
            Ok(0) | Err(_) => return,
            Ok(n) => buf.extend_from_slice(&tmp[..n]),
        }
    };
    let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut first = lines.next().unwrap_or("").split(' ');
    let method = first.next().unwrap_or("").to_owned();
    let target = first.next().unwrap_or("").to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(k, _)| k == "content-length")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = buf[head_end..].to_vec();
    while body.len() < len {
        match conn.read(&mut tmp).await {
            Ok(0) | Err(_) => break,
            Ok(n) => body.extend_from_slice(&tmp[..n]),
        }
    }
    let req = Seen {
        method,
        target,
        headers,
        body,
    };
    seen.lock().unwrap().push(req.clone());
    match reply(&req) {
        Reply::Bytes(b) => {
            let _ = conn.write_all(&b).await;
            let _ = conn.shutdown().await;
        }
        Reply::HeadThenHang(h) => {
            let _ = conn.write_all(&h).await;
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Reply::Endless { head, chunk } => {
            if conn.write_all(&head).await.is_err() {
                return;
            }
            while conn.write_all(&chunk).await.is_ok() {
                *written.lock().unwrap() += chunk.len() as u64;
            }
        }
    }
}

fn response(status: u16, headers: &[(&str, &str)], body: &str) -> Vec<u8> {
    let mut r = format!("HTTP/1.1 {status} Scripted\r\nConnection: close\r\n");
    for (k, v) in headers {
        r.push_str(&format!("{k}: {v}\r\n"));
    }
    r.push_str(&format!("Content-Length: {}\r\n\r\n{body}", body.len()));
    r.into_bytes()
}

const KEY: &str = "osk_the-configured-credential";

fn client_for(domain: &str) -> Client {
    Client::builder()
        .domain(domain)
        .api_key(KEY)
        .header("X-OpenSandbox-User", "scripted")
        .retry(RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(10),
            max_backoff: Duration::from_millis(50),
            ..Default::default()
        })
        .timeout(Duration::from_secs(10))
        .ignore_env()
        .build()
        .unwrap()
}

#[derive(Clone, Copy, Debug)]
enum Op {
    GetEndpoint,
    CreateApiKey,
    CreateSandbox,
}

async fn run(op: Op, c: &Client) -> sandgate::Error {
    match op {
        Op::GetEndpoint => c.get_endpoint("sbx-1", 8080).await.map(|_| ()),
        Op::CreateApiKey => c.create_api_key(Some("k"), None).await.map(|_| ()),
        Op::CreateSandbox => c
            .create_sandbox(&CreateSandbox::new("python:3.11"))
            .await
            .map(|_| ()),
    }
    .expect_err("a redirect must not succeed")
}

#[tokio::test]
async fn client_never_follows_redirects_to_any_origin() {
    for status in [301u16, 302, 303, 307, 308] {
        for other_origin in [false, true] {
            for op in [Op::GetEndpoint, Op::CreateApiKey, Op::CreateSandbox] {
                // The other origin answers 200 to anything, so following it would succeed.
                let other = Script::bind().await.serve(|_| {
                    Reply::Bytes(response(
                        200,
                        &[("Content-Type", "application/json")],
                        r#"{"endpoint":"x","id":"k","name":"k","prefix":"p","key":"s","success":true,"data":{"id":"k","name":"k","prefix":"p","key":"s"},"status":{"state":"Running"}}"#,
                    ))
                });
                let origin = Script::bind().await;
                let origin_addr = origin.addr();
                let location = if other_origin {
                    format!("http://{}/elsewhere?from=redirect", other.addr)
                } else {
                    format!("http://{origin_addr}/moved")
                };
                let loc = location.clone();
                let origin = origin.serve(move |req| {
                    if req.target.starts_with("/moved") {
                        // Same origin, second hop: would succeed if followed.
                        Reply::Bytes(response(200, &[], r#"{"endpoint":"x"}"#))
                    } else {
                        Reply::Bytes(response(
                            status,
                            &[("Location", &loc), ("X-Request-ID", "req_redirect")],
                            "",
                        ))
                    }
                });
                let e = run(op, &client_for(&origin_addr)).await;
                let what = format!("{op:?} {status} other_origin={other_origin}");
                assert_eq!(e.kind(), ErrorKind::Api, "{what}: {e}");
                assert_eq!(e.status(), Some(status), "{what}");
                assert_eq!(e.request_id(), Some("req_redirect"), "{what}");
                assert!(e.message().contains(&location), "{what}: {e}");
                assert!(!e.message().contains(KEY), "{what}: {e}");
                // Nothing reached the other origin; the origin saw exactly one request (no
                // second POST, no same-origin hop, no retry).
                assert!(other.seen().is_empty(), "{what}: {:?}", other.seen());
                let seen = origin.seen();
                assert_eq!(seen.len(), 1, "{what}: {seen:?}");
                let want = if matches!(op, Op::GetEndpoint) {
                    "GET"
                } else {
                    "POST"
                };
                assert_eq!(seen[0].method, want, "{what}");
                // The credential went to the configured origin, and only there.
                let cred = if matches!(op, Op::CreateApiKey) {
                    "x-api-key"
                } else {
                    "open-sandbox-api-key"
                };
                assert!(
                    seen[0].headers.iter().any(|(k, v)| k == cred && v == KEY),
                    "{what}: {:?}",
                    seen[0].headers
                );
                assert_eq!(seen[0].body.is_empty(), want == "GET", "{what}");
            }
        }
    }
}

#[tokio::test]
async fn client_redirect_error_hides_userinfo_in_location() {
    let origin = Script::bind().await.serve(|_| {
        Reply::Bytes(response(
            302,
            &[("Location", "http://mallory:hunter2pass@127.0.0.1:9/steal")],
            "",
        ))
    });
    let e = client_for(&origin.addr)
        .get_endpoint("sbx", 80)
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.status()), (ErrorKind::Api, Some(302)));
    assert!(e.message().contains("http://***@127.0.0.1:9/steal"), "{e}");
    assert!(!e.message().contains("hunter2pass"), "{e}");
}

fn small_cap(domain: &str, cap: usize) -> Client {
    Client::builder()
        .domain(domain)
        .max_response_bytes(cap)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(20))
        .ignore_env()
        .build()
        .unwrap()
}

#[tokio::test]
async fn client_refuses_an_announced_oversized_body_before_reading_it() {
    // 9 MiB announced (over the default 8 MiB), and no body ever sent: a client that tried
    // to buffer it would wait for the timeout instead.
    let srv = Script::bind().await.serve(|_| {
        Reply::HeadThenHang(
            b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 9437184\r\n\r\n"
                .to_vec(),
        )
    });
    let c = Client::builder()
        .domain(&srv.addr)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_secs(20))
        .ignore_env()
        .build()
        .unwrap();
    let t = Instant::now();
    let e = c.get_endpoint("sbx", 80).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert_eq!(e.status(), Some(200));
    assert!(
        e.message().contains("9437184") && e.message().contains("8388608"),
        "{e}"
    );
    assert!(t.elapsed() < Duration::from_secs(15), "waited for the body");

    // The same head with 8 MiB exactly is within the cap: the client waits for the body.
    let at_cap = Script::bind().await.serve(|_| {
        Reply::HeadThenHang(b"HTTP/1.1 200 OK\r\nContent-Length: 8388608\r\n\r\n".to_vec())
    });
    let c = Client::builder()
        .domain(&at_cap.addr)
        .retry(RetryPolicy::none())
        .timeout(Duration::from_millis(500))
        .ignore_env()
        .build()
        .unwrap();
    let e = c.get_endpoint("sbx", 80).await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
}

#[tokio::test]
async fn client_stops_reading_an_endless_body_at_the_cap() {
    for status in ["200 OK", "500 Internal Server Error"] {
        let head = format!("HTTP/1.1 {status}\r\nTransfer-Encoding: chunked\r\n\r\n").into_bytes();
        // Each chunk is a 1 KiB chunk of the chunked encoding.
        let mut chunk = b"400\r\n".to_vec();
        chunk.extend(std::iter::repeat(b'x').take(1024));
        chunk.extend_from_slice(b"\r\n");
        let srv = Script::bind().await.serve(move |_| Reply::Endless {
            head: head.clone(),
            chunk: chunk.clone(),
        });
        let e = small_cap(&srv.addr, 64 * 1024)
            .get_endpoint("sbx", 80)
            .await
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Decode, "{status}: {e}");
        assert!(e.message().contains("65536"), "{e}");
        // Give the server a moment to notice the closed connection, then check that the
        // client did not keep draining: socket buffers hold a few MiB at most.
        tokio::time::sleep(Duration::from_millis(200)).await;
        let written = *srv.body_bytes_written.lock().unwrap();
        assert!(
            written < 32 * 1024 * 1024,
            "{status}: server wrote {written} bytes"
        );
    }
}

#[tokio::test]
async fn client_accepts_a_body_at_the_cap_and_rejects_one_byte_more() {
    let body = format!(r#"{{"endpoint":"{}"}}"#, "e".repeat(100));
    let len = body.len();
    let b = body.clone();
    let srv = Script::bind()
        .await
        .serve(move |_| Reply::Bytes(response(200, &[], &b)));
    let ok = small_cap(&srv.addr, len)
        .get_endpoint("sbx", 80)
        .await
        .unwrap();
    assert_eq!(ok.endpoint, "e".repeat(100));
    let e = small_cap(&srv.addr, len - 1)
        .get_endpoint("sbx", 80)
        .await
        .unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Decode, "{e}");
    assert!(Client::builder()
        .max_response_bytes(0)
        .ignore_env()
        .build()
        .is_err());
}

#[tokio::test]
async fn client_signed_endpoint_must_name_the_requested_route() {
    // A well-formed signed token, for another sandbox / another port / the right route.
    let cases = [
        ("other-sbx-8080-x2qxvk-0ff8cd39a", false),
        ("sbx-001-9090-x2qxvk-0ff8cd39a", false),
        ("sbx-001-8080-x2qxvk-0ff8cd39a", true),
    ];
    for (token, ok) in cases {
        for wildcard in [false, true] {
            let body = if wildcard {
                format!(r#"{{"endpoint":"{token}.gw.example.com"}}"#)
            } else {
                format!(
                    r#"{{"endpoint":"gw.example.com","headers":{{"OpenSandbox-Ingress-To":"{token}"}}}}"#
                )
            };
            let srv = Script::bind()
                .await
                .serve(move |_| Reply::Bytes(response(200, &[], &body)));
            let r = client_for(&srv.addr)
                .get_signed_endpoint("sbx-001", 8080, 4_000_000_000)
                .await;
            match (ok, r) {
                (true, Ok(ep)) => {
                    let route = ep.route.unwrap();
                    assert_eq!((route.sandbox_id.as_str(), route.port), ("sbx-001", 8080));
                }
                (false, Err(e)) => {
                    assert_eq!(e.kind(), ErrorKind::Decode, "{token}: {e}");
                    assert!(e.message().contains("another sandbox or port"), "{e}");
                }
                (ok, r) => panic!("{token} wildcard={wildcard}: expected ok={ok}, got {r:?}"),
            }
        }
    }
}

#[tokio::test]
async fn client_renewal_sends_rfc3339_and_reads_only_an_rfc3339_answer() {
    let cases = [
        (
            r#"{"expiresAt":"2033-05-18T03:33:20Z"}"#,
            Some(2_000_000_000),
        ),
        (
            r#"{"expiresAt":"2033-05-18T05:33:20+02:00"}"#,
            Some(2_000_000_000),
        ),
        (r#"{"expiresAt":"soon"}"#, None),
        (r#"{"expiresAt":"2000000000"}"#, None),
        (r#"{"expiresAt":"1969-12-31T23:59:59Z"}"#, None),
        (r#"{"expiresAt":2000000000}"#, None),
        ("{}", None),
    ];
    for (body, want) in cases {
        let srv = Script::bind()
            .await
            .serve(move |_| Reply::Bytes(response(200, &[], body)));
        let r = client_for(&srv.addr)
            .renew_sandbox("sbx-1", 2_000_000_000)
            .await;
        let seen = srv.seen();
        assert_eq!(seen.len(), 1, "{body}");
        assert_eq!(
            (seen[0].method.as_str(), seen[0].target.as_str()),
            ("POST", "/v1/sandboxes/sbx-1/renew-expiration")
        );
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&seen[0].body).unwrap(),
            serde_json::json!({ "expiresAt": "2033-05-18T03:33:20Z" })
        );
        match (want, r) {
            // `expires_at` is the server's text as sent; `expires` the instant it names.
            (Some(e), Ok(r)) => {
                let sent: serde_json::Value = serde_json::from_str(body).unwrap();
                assert_eq!(
                    (r.expires, sent["expiresAt"].as_str()),
                    (e, Some(r.expires_at.as_str()))
                );
            }
            (None, Err(e)) => assert_eq!(e.kind(), ErrorKind::Decode, "{body}: {e}"),
            (want, r) => panic!("{body}: expected {want:?}, got {r:?}"),
        }
    }
    // A renewal is a POST: a 503 after it was sent is not retried.
    let srv = Script::bind()
        .await
        .serve(|_| Reply::Bytes(response(503, &[], "{}")));
    let e = client_for(&srv.addr)
        .renew_sandbox_for("sbx-1", Duration::from_secs(60))
        .await
        .unwrap_err();
    assert_eq!(
        (e.kind(), e.status(), srv.seen().len()),
        (ErrorKind::Api, Some(503), 1)
    );
}

#[tokio::test]
async fn client_errors_never_echo_userinfo_in_the_domain() {
    // Nothing listens on port 9 of loopback: a transport error that must not quote the
    // credentials written in the domain.
    let c = Client::builder()
        .domain("alice:S3cretPassw0rd@127.0.0.1:9")
        .retry(RetryPolicy::none())
        .ignore_env()
        .build()
        .unwrap();
    assert!(!format!("{c:?}").contains("S3cretPassw0rd"), "{c:?}");
    assert_eq!(c.base_url(), "http://***@127.0.0.1:9");
    let e = c.get_sandbox("sbx").await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Transport, "{e}");
    assert!(!e.to_string().contains("S3cretPassw0rd"), "{e}");
    assert!(!e.to_string().contains("alice"), "{e}");
    assert!(e.message().contains("***@127.0.0.1:9"), "{e}");

    // Configuration errors about the domain redact it too.
    for domain in [
        "bob:S3cretPassw0rd@host with space",
        "https://bob:S3cretPassw0rd@exa mple.com",
        "bob:S3cretPassw0rd@[::1",
    ] {
        let e = Client::builder()
            .domain(domain)
            .ignore_env()
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{domain}: {e}");
        assert!(!e.to_string().contains("S3cretPassw0rd"), "{domain}: {e}");
        assert!(e.message().contains("***@"), "{domain}: {e}");
    }
}

#[test]
fn redact_userinfo_forms() {
    use sandgate::client::redact_userinfo;
    assert_eq!(redact_userinfo("user:SECRET@host:80"), "***@host:80");
    assert_eq!(redact_userinfo("https://u:p@h/x@y"), "https://***@h/x@y");
    assert_eq!(redact_userinfo("a@b@host/p"), "***@host/p");
    assert_eq!(redact_userinfo("host:80/a@b"), "host:80/a@b");
    assert_eq!(redact_userinfo("host?q=a@b"), "host?q=a@b");
    assert_eq!(redact_userinfo("plain"), "plain");
}

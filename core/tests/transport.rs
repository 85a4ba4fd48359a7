//! The resilient transport of SPEC §2.1, one rule at a time: against the mock (its faults and
//! request log) and against scripted loopback servers for what the mock cannot do (a POST
//! that reached the server and died, a connect failure followed by a listener, HTTP-date and
//! oversized `Retry-After`).

use sandgate::client::{Client, CreateSandbox, RetryEvent, RetryPolicy, StatusSet};
use sandgate::ErrorKind;
use sandgate_mock::{Faults, MockConfig, MockServer};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

fn mock() -> MockServer {
    MockServer::start(MockConfig {
        trusted_headers: true,
        ..Default::default()
    })
    .unwrap()
}

fn fast(max_retries: u32) -> RetryPolicy {
    RetryPolicy {
        max_retries,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(200),
        ..Default::default()
    }
}

type Events = Arc<Mutex<Vec<RetryEvent>>>;

/// A client for `domain` with `policy` whose retry events are recorded.
fn client(domain: &str, key: Option<&str>, policy: RetryPolicy) -> (Client, Events) {
    let events: Events = Arc::default();
    let seen = events.clone();
    let mut b = Client::builder()
        .domain(domain)
        .retry(policy)
        .on_retry(move |e| seen.lock().unwrap().push(e.clone()))
        .header("X-OpenSandbox-User", "tester")
        .header("X-OpenSandbox-Roles", "operator")
        .ignore_env();
    if let Some(k) = key {
        b = b.api_key(k);
    }
    (b.build().unwrap(), events)
}

fn admin(m: &MockServer, policy: RetryPolicy) -> (Client, Events) {
    client(&m.domain(), Some(m.admin_key().expose()), policy)
}

fn fail(m: &MockServer, n: u32, status: u16, retry_after: Option<u64>) {
    m.set_faults(Faults {
        fail_next: n,
        status,
        retry_after,
        ..Default::default()
    })
    .unwrap();
}

fn count(m: &MockServer, method: &str) -> usize {
    m.requests().iter().filter(|r| r.method == method).count()
}

#[tokio::test]
async fn retry_default_policy_makes_four_attempts_and_reports_each_retry() {
    let m = mock();
    let p = RetryPolicy::default();
    assert_eq!(
        (
            p.max_retries,
            p.initial_backoff,
            p.max_backoff,
            p.multiplier
        ),
        (3, Duration::from_millis(500), Duration::from_secs(30), 2.0)
    );
    assert_eq!(p.retry_statuses.to_vec(), vec![429, 502, 503]);
    assert!(p.post_retry_statuses.to_vec().is_empty());
    // Retry-After: 0 keeps the default policy fast.
    fail(&m, 10, 503, Some(0));
    let (c, events) = admin(&m, RetryPolicy::default());
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!((e.status(), e.is_retryable()), (Some(503), true));
    assert_eq!(e.retry_after(), Some(Duration::ZERO));
    assert_eq!(m.requests().len(), 4);
    let events = events.lock().unwrap().clone();
    assert_eq!(
        events.iter().map(|e| e.attempt).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    for ev in &events {
        assert_eq!(ev.delay_ms, 0);
        assert_eq!((ev.cause.status, ev.cause.retryable), (Some(503), true));
        assert_eq!(ev.cause.retry_after_ms, Some(0));
    }
}

#[tokio::test]
async fn retry_delays_follow_decorrelated_jitter() {
    let m = mock();
    fail(&m, 5, 502, None);
    let policy = RetryPolicy {
        max_retries: 5,
        initial_backoff: Duration::from_millis(20),
        max_backoff: Duration::from_millis(150),
        multiplier: 3.0,
        ..Default::default()
    };
    let (c, events) = admin(&m, policy);
    c.list_sandboxes().await.unwrap();
    let delays: Vec<u64> = events.lock().unwrap().iter().map(|e| e.delay_ms).collect();
    assert_eq!(delays.len(), 5);
    assert_eq!(delays[0], 20, "the first retry waits initial_backoff");
    for w in delays.windows(2) {
        let hi = (w[0] * 3).clamp(20, 150);
        assert!((20..=hi).contains(&w[1]), "{delays:?}");
    }
    // Hooks that panic do not stop the client.
    m.reset();
    fail(&m, 1, 503, Some(0));
    let noisy = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .retry(fast(2))
        .on_retry(|_| panic!("a hook bug"))
        .ignore_env()
        .build()
        .unwrap();
    noisy.list_sandboxes().await.unwrap();
    assert_eq!(m.requests().len(), 2);
}

#[tokio::test]
async fn retry_statuses_are_configurable_and_posts_need_an_opt_in() {
    let m = mock();
    let (c, _) = admin(&m, fast(3));
    // Default set: 429, 502, 503; not 500 or 504.
    for (status, attempts) in [(429, 2), (502, 2), (503, 2), (500, 1), (504, 1), (404, 1)] {
        m.reset();
        fail(&m, 1, status, None);
        let r = c.list_sandboxes().await;
        assert_eq!(m.requests().len(), attempts, "status {status}");
        if attempts == 1 {
            let e = r.unwrap_err();
            assert_eq!((e.status(), e.is_retryable()), (Some(status), false));
        }
    }
    // A set of the caller's own.
    let (own, _) = admin(
        &m,
        RetryPolicy {
            retry_statuses: StatusSet::of(&[500]).unwrap(),
            ..fast(3)
        },
    );
    for (status, attempts) in [(500, 2), (503, 1)] {
        m.reset();
        fail(&m, 1, status, None);
        let _ = own.list_sandboxes().await;
        assert_eq!(m.requests().len(), attempts, "status {status}");
    }
    // POST: a status is never retried by default...
    m.reset();
    fail(&m, 1, 503, Some(0));
    let e = c
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.is_retryable()), (Some(503), false));
    assert_eq!(count(&m, "POST"), 1);
    // ...only when the caller opted in for that status.
    let (opted, _) = admin(
        &m,
        RetryPolicy {
            post_retry_statuses: StatusSet::of(&[503]).unwrap(),
            ..fast(3)
        },
    );
    m.reset();
    fail(&m, 1, 503, Some(0));
    opted
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap();
    assert_eq!(count(&m, "POST"), 2);
    m.reset();
    fail(&m, 1, 429, Some(0));
    let e = opted
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap_err();
    assert_eq!((e.status(), e.is_retryable()), (Some(429), false));
    assert_eq!(count(&m, "POST"), 1);
    // A connection dropped after the POST was sent is never re-sent, opt-in or not.
    m.reset();
    m.set_faults(Faults {
        drop_next: 1,
        ..Default::default()
    })
    .unwrap();
    let e = opted
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Transport, false));
    assert_eq!(count(&m, "POST"), 1);
    // The same drop on a GET is retried.
    m.reset();
    m.set_faults(Faults {
        drop_next: 1,
        ..Default::default()
    })
    .unwrap();
    c.list_sandboxes().await.unwrap();
    assert_eq!(m.requests().len(), 2);
    // Bad sets are refused.
    for bad in [&[200][..], &[302], &[600], &[99]] {
        let e = StatusSet::of(bad).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{bad:?}");
    }
}

#[tokio::test]
async fn retry_after_is_carried_by_429_and_off_means_one_attempt() {
    let m = mock();
    fail(&m, 1, 429, Some(7));
    let (off, events) = admin(&m, RetryPolicy::none());
    let e = off.list_sandboxes().await.unwrap_err();
    assert_eq!(e.status(), Some(429));
    assert_eq!(e.retry_after(), Some(Duration::from_secs(7)));
    assert!(!e.is_retryable(), "retries are off");
    assert_eq!(m.requests().len(), 1);
    assert!(events.lock().unwrap().is_empty());
    let view = sandgate::surface::ErrorView::from(&e);
    assert_eq!((view.retry_after_ms, view.retryable), (Some(7000), false));
    // Errors no request produced are not retryable.
    let e = off.get_sandbox("").await.unwrap_err();
    assert!(!e.is_retryable() && e.retry_after().is_none());
}

#[tokio::test]
async fn retry_timeouts_per_attempt_and_overall_deadline() {
    let m = mock();
    m.set_faults(Faults {
        latency_ms: 600,
        ..Default::default()
    })
    .unwrap();
    // The policy's attempt timeout wins over the client's timeout.
    let (c, _) = client(
        &m.domain(),
        Some(m.admin_key().expose()),
        RetryPolicy {
            attempt_timeout: Some(Duration::from_millis(100)),
            ..fast(1)
        },
    );
    let start = Instant::now();
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!(
        (e.kind(), e.is_retryable()),
        (ErrorKind::Timeout, true),
        "{e}"
    );
    assert!(start.elapsed() < Duration::from_millis(550));
    assert_eq!(m.requests().len(), 2);
    // A POST that timed out may have been applied: never re-sent.
    m.reset();
    m.set_faults(Faults {
        latency_ms: 600,
        ..Default::default()
    })
    .unwrap();
    let e = c
        .create_sandbox(&CreateSandbox::new("img"))
        .await
        .unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Timeout, false));
    assert_eq!(count(&m, "POST"), 1);

    // The overall deadline stops the retries and says so.
    m.reset();
    fail(&m, 1000, 503, None);
    let (c, _) = admin(
        &m,
        RetryPolicy {
            max_retries: 100,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(100),
            deadline: Some(Duration::from_millis(450)),
            ..Default::default()
        },
    );
    let start = Instant::now();
    let e = c.list_sandboxes().await.unwrap_err();
    assert_eq!(e.kind(), ErrorKind::Timeout, "{e}");
    assert!(e.message().contains("deadline"), "{e}");
    assert!(
        e.message().contains("503"),
        "the last failure is named: {e}"
    );
    assert!(start.elapsed() < Duration::from_millis(700));
    assert!(
        (3..=5).contains(&m.requests().len()),
        "{}",
        m.requests().len()
    );
    // A deadline shorter than an attempt cuts the attempt.
    m.reset();
    m.set_faults(Faults {
        latency_ms: 2000,
        ..Default::default()
    })
    .unwrap();
    let (c, _) = admin(
        &m,
        RetryPolicy {
            deadline: Some(Duration::from_millis(200)),
            ..fast(3)
        },
    );
    let start = Instant::now();
    let e = c.list_sandboxes().await.unwrap_err();
    assert!(e.message().contains("deadline"), "{e}");
    assert!(start.elapsed() < Duration::from_millis(600));
    assert_eq!(m.requests().len(), 1);
    // Bad knobs are refused.
    for bad in [
        RetryPolicy {
            multiplier: 0.5,
            ..Default::default()
        },
        RetryPolicy {
            multiplier: f64::NAN,
            ..Default::default()
        },
        RetryPolicy {
            initial_backoff: Duration::from_secs(60),
            ..Default::default()
        },
        RetryPolicy {
            deadline: Some(Duration::ZERO),
            ..Default::default()
        },
        RetryPolicy {
            attempt_timeout: Some(Duration::ZERO),
            ..Default::default()
        },
        RetryPolicy {
            max_retries: 101,
            ..Default::default()
        },
    ] {
        let e = Client::builder()
            .retry(bad)
            .ignore_env()
            .build()
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{e}");
    }
}

#[tokio::test]
async fn retry_cancellation_during_backoff_is_terminal() {
    let m = mock();
    fail(&m, 100, 503, Some(1));
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = Client::builder()
        .domain(m.domain())
        .api_key(m.admin_key().expose())
        .on_retry(move |e| {
            let _ = tx.send(e.delay_ms);
        })
        .ignore_env()
        .build()
        .unwrap();
    let call = tokio::spawn(async move { c.list_sandboxes().await });
    assert_eq!(rx.recv().await, Some(1000));
    call.abort();
    assert!(call.await.unwrap_err().is_cancelled());
    tokio::time::sleep(Duration::from_millis(1300)).await;
    assert_eq!(m.requests().len(), 1, "a cancelled call sent again");
}

// ------------------------------------------------------------------ scripted servers

/// A loopback server that answers the n-th request (from 0) with `reply(n)`: the raw bytes to
/// write, or `None` to read the request and close without answering. Counts requests.
struct Script {
    addr: String,
    seen: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Script {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Script {
    async fn start(reply: impl Fn(usize) -> Option<String> + Send + Sync + 'static) -> Script {
        Self::on(TcpListener::bind("127.0.0.1:0").await.unwrap(), reply)
    }

    fn on(
        listener: TcpListener,
        reply: impl Fn(usize) -> Option<String> + Send + Sync + 'static,
    ) -> Script {
        let addr = listener.local_addr().unwrap().to_string();
        let seen: Arc<Mutex<Vec<String>>> = Arc::default();
        let (s, reply) = (seen.clone(), Arc::new(reply));
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let (s, reply) = (s.clone(), reply.clone());
                tokio::spawn(async move { serve(conn, &s, &*reply).await });
            }
        });
        Script { addr, seen, task }
    }

    fn requests(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

async fn serve(
    mut conn: TcpStream,
    seen: &Mutex<Vec<String>>,
    reply: &(dyn Fn(usize) -> Option<String> + Send + Sync),
) {
    loop {
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
        let len: usize = head
            .lines()
            .find_map(|l| {
                let (k, v) = l.split_once(':')?;
                k.eq_ignore_ascii_case("content-length")
                    .then(|| v.trim().parse().ok())?
            })
            .unwrap_or(0);
        while buf.len() < head_end + len {
            match conn.read(&mut tmp).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&tmp[..n]),
            }
        }
        let n = {
            let mut s = seen.lock().unwrap();
            s.push(head.lines().next().unwrap_or("").to_owned());
            s.len() - 1
        };
        match reply(n) {
            Some(bytes) => {
                if conn.write_all(bytes.as_bytes()).await.is_err() {
                    return;
                }
            }
            None => return,
        }
    }
}

fn answer(status: &str, extra: &str, body: &str) -> String {
    format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
}

const KEY_CREATED: &str = r#"{"success": true, "data": {"id": "k1", "name": "n", "prefix": "osk_abcdefgh", "key": "osk_abcdefghijklmnop"}}"#;

#[tokio::test]
async fn retry_post_that_reached_the_server_is_never_sent_again() {
    // The server reads the whole POST, then closes without answering.
    let s = Script::start(|_| None).await;
    let (c, events) = client(
        &s.addr,
        None,
        RetryPolicy {
            post_retry_statuses: StatusSet::of(&[502, 503]).unwrap(),
            ..fast(3)
        },
    );
    let e = c.create_api_key(Some("once"), None).await.unwrap_err();
    assert_eq!(
        (e.kind(), e.is_retryable()),
        (ErrorKind::Transport, false),
        "{e}"
    );
    assert_eq!(s.requests().len(), 1, "{:?}", s.requests());
    assert!(s.requests()[0].starts_with("POST /api/v1/keys"));
    assert!(events.lock().unwrap().is_empty());
    // The same failure on a GET is retried (idempotent).
    let e = c.list_api_keys().await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Transport, true));
    assert_eq!(s.requests().len(), 1 + 4);
}

#[tokio::test]
async fn retry_post_whose_connect_failed_before_sending_is_sent_again() {
    // Nothing listens on the port at first: the connection is refused, nothing was sent.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let (c, events) = client(
        &addr,
        None,
        RetryPolicy {
            initial_backoff: Duration::from_millis(400),
            max_backoff: Duration::from_millis(400),
            ..fast(3)
        },
    );
    let call = tokio::spawn(async move { c.create_api_key(Some("late"), None).await });
    tokio::time::sleep(Duration::from_millis(150)).await;
    let s = Script::on(TcpListener::bind(&addr).await.unwrap(), |_| {
        Some(answer("201 Created", "", KEY_CREATED))
    });
    let created = call.await.unwrap().unwrap();
    assert_eq!(created.id, "k1");
    assert_eq!(s.requests().len(), 1, "sent exactly once");
    let events = events.lock().unwrap().clone();
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].cause.kind_code(), "transport");
    assert!(events[0].cause.retryable);
    // With retries off the same refusal is final and says it is not retried.
    let dead = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let (off, _) = client(&dead.to_string(), None, RetryPolicy::none());
    let e = off.create_api_key(None, None).await.unwrap_err();
    assert_eq!((e.kind(), e.is_retryable()), (ErrorKind::Transport, false));
}

#[tokio::test]
async fn retry_after_http_date_is_counted_on_the_server_clock_and_capped() {
    // An HTTP-date one second after the answer's own `Date` (decades away from ours).
    let s = Script::start(|n| {
        Some(if n == 0 {
            answer(
                "503 Service Unavailable",
                "date: Sun, 06 Nov 2033 08:49:37 GMT\r\nretry-after: Sun, 06 Nov 2033 08:49:38 GMT\r\n",
                r#"{"code": "BUSY", "message": "busy"}"#,
            )
        } else {
            answer("200 OK", "", r#"{"success": true, "data": []}"#)
        })
    })
    .await;
    let (c, events) = client(&s.addr, None, fast(3));
    let start = Instant::now();
    c.list_api_keys().await.unwrap();
    assert!(start.elapsed() >= Duration::from_millis(1000));
    let ev = events.lock().unwrap()[0].clone();
    assert_eq!((ev.delay_ms, ev.cause.retry_after_ms), (1000, Some(1000)));

    // Retry-After: 3600 waits 60 s at most; the error keeps what the server asked.
    let s = Script::start(|_| {
        Some(answer(
            "429 Too Many Requests",
            "retry-after: 3600\r\n",
            r#"{"code": "SLOW_DOWN", "message": "later"}"#,
        ))
    })
    .await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let c = Client::builder()
        .domain(&s.addr)
        .on_retry(move |e| {
            let _ = tx.send(e.clone());
        })
        .ignore_env()
        .build()
        .unwrap();
    let call = tokio::spawn(async move { c.list_api_keys().await });
    let ev = rx.recv().await.unwrap();
    assert_eq!(ev.delay_ms, 60_000);
    assert_eq!(ev.cause.retry_after_ms, Some(3_600_000));
    assert_eq!(ev.cause.status, Some(429));
    call.abort();
    let _ = call.await;
    assert_eq!(s.requests().len(), 1);
}

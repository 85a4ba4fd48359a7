//! The accept loop of both listeners: HTTP/1.1 over each connection, with the limits that let
//! the mock survive its users (SPEC §4) and the `drop_next` fault (close the connection
//! without an answer) applied before a request reaches the router.
//!
//! - **header read timeout**: a request head must arrive whole within it, counted from the
//!   moment the server waits for one (a new connection, or the end of the previous answer on
//!   a kept-alive one); a body must arrive within it too (the routers' body timeout);
//! - **idle timeout**: a connection on which nothing was read or written for this long while
//!   no request is being handled is closed (a client that stops reading an answer);
//! - **connection cap**: past it, a new connection gets `503` with `Retry-After: 1` and
//!   `Connection: close`, and is closed.

use crate::App;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio::time::Instant;
use tower::ServiceExt;

/// The limits of one listener.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Limits {
    pub header_read_timeout: Duration,
    pub idle_timeout: Duration,
    pub max_connections: usize,
}

/// What a listener answers past its connection cap.
#[derive(Clone, Copy)]
pub(crate) enum Overload {
    /// The lifecycle API: a JSON `ErrorResponse`.
    Api,
    /// The gateway: `text/plain` `OpenSandbox Ingress: ...`.
    Gateway,
}

impl Overload {
    fn response(self, max: usize) -> Vec<u8> {
        let (ctype, body) = match self {
            Overload::Api => (
                "application/json",
                format!(
                    "{{\"code\":\"MOCK::TOO_MANY_CONNECTIONS\",\"message\":\"the mock serves at most {max} connections at once; retry later\"}}"
                ),
            ),
            Overload::Gateway => (
                "text/plain; charset=utf-8",
                format!("OpenSandbox Ingress: too many connections (at most {max}); retry later\n"),
            ),
        };
        format!(
            "HTTP/1.1 503 Service Unavailable\r\ncontent-type: {ctype}\r\nretry-after: 1\r\nconnection: close\r\nx-request-id: {}\r\ncontent-length: {}\r\n\r\n{body}",
            crate::state::uuid(),
            body.len()
        )
        .into_bytes()
    }
}

/// A connection counted against the cap while it lives.
struct Slot(Arc<AtomicUsize>);

impl Drop for Slot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

fn take_slot(count: &Arc<AtomicUsize>, max: usize) -> Option<Slot> {
    count
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            (n < max).then_some(n + 1)
        })
        .ok()
        .map(|_| Slot(count.clone()))
}

/// Serves `router` on `listener` until `shutdown` turns true; then closes the listener and
/// every connection and reports on `closed`. `faults` is the app whose `drop_next` fault
/// applies (the API listener only).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    faults: Option<Arc<App>>,
    limits: Limits,
    overload: Overload,
    mut shutdown: watch::Receiver<bool>,
    closed: std::sync::mpsc::Sender<()>,
) {
    let mut conns = JoinSet::new();
    let active = Arc::new(AtomicUsize::new(0));
    let rejecting = Arc::new(AtomicUsize::new(0));
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                match take_slot(&active, limits.max_connections) {
                    Some(slot) => {
                        let router = router.clone();
                        let faults = faults.clone();
                        conns.spawn(async move {
                            connection(stream, router, faults, limits).await;
                            drop(slot);
                        });
                    }
                    None => {
                        // Answer the overload, but never hold more rejected connections than
                        // served ones; past that, close at once.
                        if let Some(slot) = take_slot(&rejecting, limits.max_connections) {
                            let bytes = overload.response(limits.max_connections);
                            conns.spawn(async move {
                                reject(stream, bytes).await;
                                drop(slot);
                            });
                        }
                    }
                }
                // Reap finished connections so the set does not grow without bound.
                while conns.try_join_next().is_some() {}
            }
            _ = shutdown.changed() => break,
        }
    }
    drop(listener);
    conns.shutdown().await;
    let _ = closed.send(());
}

/// Writes the overload answer, then drains what the client sent for a moment so it reads
/// the answer instead of a reset, and closes.
async fn reject(mut stream: TcpStream, bytes: Vec<u8>) {
    let _ = tokio::time::timeout(Duration::from_secs(1), async {
        let _ = stream.write_all(&bytes).await;
        let _ = stream.shutdown().await;
        let mut sink = [0u8; 4096];
        let mut drained = 0usize;
        while drained < 64 * 1024 {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(n) => drained += n,
            }
        }
    })
    .await;
}

async fn connection(stream: TcpStream, router: Router, faults: Option<Arc<App>>, limits: Limits) {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let busy = Arc::new(AtomicUsize::new(0));
    let io = Watched {
        inner: stream,
        start,
        last: last.clone(),
    };
    let busy_svc = busy.clone();
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let router = router.clone();
        let faults = faults.clone();
        let guard = Busy::new(busy_svc.clone());
        async move {
            let _guard = guard;
            if let Some(app) = &faults {
                if take_drop(app, &req) {
                    return Err(io::Error::other("connection dropped by an injected fault"));
                }
            }
            router
                .oneshot(req.map(Body::new))
                .await
                .map_err(|e| match e {})
        }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(io), svc);
    tokio::select! {
        _ = conn => {}
        _ = idle(start, last, busy, limits.idle_timeout) => {}
    }
}

/// Resolves when the connection has been idle (no byte read or written, no request being
/// handled) for `limit`.
async fn idle(start: Instant, last: Arc<AtomicU64>, busy: Arc<AtomicUsize>, limit: Duration) {
    loop {
        let last_at = start + Duration::from_millis(last.load(Ordering::Acquire));
        let deadline = last_at + limit;
        if Instant::now() >= deadline {
            if busy.load(Ordering::Acquire) == 0 {
                return;
            }
            // A handler is working (injected latency, a slow body): look again later.
            tokio::time::sleep(limit).await;
            continue;
        }
        tokio::time::sleep_until(deadline).await;
    }
}

/// Counts a request being handled while it lives.
struct Busy(Arc<AtomicUsize>);

impl Busy {
    fn new(n: Arc<AtomicUsize>) -> Self {
        n.fetch_add(1, Ordering::AcqRel);
        Busy(n)
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A stream that remembers when a byte last moved through it.
struct Watched {
    inner: TcpStream,
    start: Instant,
    last: Arc<AtomicU64>,
}

impl Watched {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last.store(ms, Ordering::Release);
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let r = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(r, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.touch();
        }
        r
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

fn take_drop(app: &App, req: &Request<Incoming>) -> bool {
    if req.uri().path().starts_with("/_mock") {
        return false;
    }
    let mut d = app.store.lock();
    if d.faults.drop_next == 0 {
        return false;
    }
    d.faults.drop_next -= 1;
    d.log_request(crate::state::RequestRecord {
        method: req.method().to_string(),
        path: req.uri().path().to_owned(),
        status: 0,
        user_agent: req
            .headers()
            .get("user-agent")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned),
    });
    true
}

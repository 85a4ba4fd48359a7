//! `sandgate authz serve`: a small HTTP authorizer for nginx `auth_request`, Envoy
//! `ext_authz` (HTTP service) and Traefik `forwardAuth` (SPEC §6), over core's gateway check.
//!
//! Endpoints: `/nginx`, `/envoy/...` (Envoy's `path_prefix` is `/envoy`), `/traefik`, and
//! `/healthz`. Every decision is `sandgate::gateway`; this file is the HTTP server around it:
//! header-read and idle timeouts, a connection cap, an access log without secrets, and a
//! graceful stop on SIGTERM or SIGINT.

use crate::remote::ServerArgs;
use crate::{CliError, KeysArgs};
use bytes::Bytes;
use clap::{ArgGroup, Args, Subcommand};
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use sandgate::gateway::authz::{self, Protocol};
use sandgate::gateway::{
    FilePolicy, Gateway, PlatformPolicy, PolicySource, RouteMode, SignatureOnly, Verdict,
};
use std::convert::Infallible;
use std::io::Write;
use std::net::SocketAddr;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

#[derive(Args)]
pub struct AuthzArgs {
    #[command(subcommand)]
    command: AuthzCommand,
}

#[derive(Subcommand)]
enum AuthzCommand {
    /// Answer nginx auth_request, Envoy ext_authz and Traefik forwardAuth until SIGTERM/SIGINT.
    Serve(ServeArgs),
}

#[derive(Args)]
#[command(group(ArgGroup::new("policy_source").required(true).args(["policy", "platform", "signature_only"])))]
pub struct ServeArgs {
    #[command(flatten)]
    keys: KeysArgs,
    /// Address to listen on (port 0: a free port, printed on the ready line).
    #[arg(long, default_value = "127.0.0.1:9000")]
    listen: SocketAddr,
    /// Where the route travels: header, wildcard or uri (SPEC 1.4).
    #[arg(long, default_value = "header")]
    route_mode: RouteMode,
    /// Policy file (JSON or TOML), reloaded when it changes.
    #[arg(long, value_name = "PATH")]
    policy: Option<std::path::PathBuf>,
    /// Learn each sandbox's policy from the platform API (GetEndpoint), cached.
    #[arg(long)]
    platform: bool,
    /// No policy: every sandbox needs a valid signed route; the access-token header grants nothing.
    #[arg(long)]
    signature_only: bool,
    #[command(flatten)]
    server: ServerArgs,
    /// How long a platform answer is used (`30s`).
    #[arg(long, value_parser = humantime::parse_duration, default_value = "30s")]
    policy_ttl: Duration,
    /// A request head must arrive within this; also bounds a kept-alive connection's wait.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "10s")]
    header_read_timeout: Duration,
    /// A connection with no byte read or written for this long is closed.
    #[arg(long, value_parser = humantime::parse_duration, default_value = "60s")]
    idle_timeout: Duration,
    /// Connections served at once; past it a connection gets 503 and is closed.
    #[arg(long, default_value_t = 4096)]
    max_connections: usize,
    /// Do not write the access log (one line per decision on stderr).
    #[arg(long)]
    no_access_log: bool,
    /// For tests: a fixed "now" in Unix seconds instead of the system clock.
    #[arg(long, value_name = "UNIX_SECONDS")]
    now: Option<u64>,
}

pub fn run(a: AuthzArgs) -> Result<ExitCode, CliError> {
    match a.command {
        AuthzCommand::Serve(s) => serve(s),
    }
}

fn serve(a: ServeArgs) -> Result<ExitCode, CliError> {
    let keys = a.keys.load()?;
    for (name, t) in [
        ("--header-read-timeout", a.header_read_timeout),
        ("--idle-timeout", a.idle_timeout),
    ] {
        if t.is_zero() || t > Duration::from_secs(3600) {
            return Err(CliError::Usage(format!(
                "{name} must be more than zero and at most one hour"
            )));
        }
    }
    if a.max_connections == 0 || a.max_connections > 1_000_000 {
        return Err(CliError::Usage(
            "--max-connections must be 1..=1000000".into(),
        ));
    }
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("sandgate-authz")
        .build()
        .map_err(|e| CliError::Failed(format!("cannot start the runtime: {e}")))?;
    let (policy, kind): (Arc<dyn PolicySource>, &str) = if let Some(path) = &a.policy {
        (Arc::new(FilePolicy::open(path)?), "file")
    } else if a.platform {
        let timeout = a.server.timeout.unwrap_or(Duration::from_secs(2));
        if timeout >= a.idle_timeout {
            return Err(CliError::Usage(
                "--timeout (the platform's) must be shorter than --idle-timeout".into(),
            ));
        }
        let client = a
            .server
            .builder()
            .timeout(timeout)
            .retry(sandgate::RetryPolicy::none())
            .build()?;
        let p = PlatformPolicy::builder(client).ttl(a.policy_ttl).build()?;
        (Arc::new(p), "platform")
    } else {
        (Arc::new(SignatureOnly), "signature_only")
    };
    let mut gateway = Gateway::with_policy(a.route_mode, keys.clone(), policy);
    if let Some(n) = a.now {
        gateway = gateway.with_clock(move || n);
    }
    let log = (!a.no_access_log).then(AccessLog::start);
    let state = Arc::new(State { gateway, log });
    let limits = Limits {
        header_read_timeout: a.header_read_timeout,
        idle_timeout: a.idle_timeout,
        max_connections: a.max_connections,
    };
    rt.block_on(async move {
        let listener = TcpListener::bind(a.listen)
            .await
            .map_err(|e| CliError::Usage(format!("cannot listen on {}: {e}", a.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| CliError::Failed(format!("cannot read the bound address: {e}")))?;
        let signals = crate::Signals::install()?;
        // SIGHUP reloads the signing keys from where they came from (a rotation without a
        // restart): a bad set keeps the last good one and logs one line.
        let mut hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup())
            .map_err(|e| CliError::Failed(format!("cannot listen for SIGHUP: {e}")))?;
        let verifier = state.gateway.verifier().clone();
        let source = a.keys;
        tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                match source.load() {
                    Ok(new) => {
                        let ids: String = new.key_ids().iter().collect();
                        let active = new.active_key_id().map_or('-', |c| c);
                        verifier.replace_keys(new);
                        eprintln!(
                            "sandgate authz: signing keys reloaded: ids {ids}, active {active}"
                        );
                    }
                    Err(e) => eprintln!(
                        "sandgate authz: signing keys not reloaded, the last good set stays: {}",
                        match e {
                            CliError::Usage(m) | CliError::Failed(m) => crate::one_line(&m),
                        }
                    ),
                }
            }
        });
        let ids: Vec<String> = keys.key_ids().iter().map(char::to_string).collect();
        println!(
            "{}",
            serde_json::json!({
                "listen": format!("http://{addr}"),
                "route_mode": a.route_mode.as_str(),
                "policy": kind,
                "key_ids": ids,
            })
        );
        let _ = std::io::stdout().flush();
        accept_loop(listener, state, limits, signals).await
    })?;
    eprintln!("sandgate authz: stopped");
    Ok(ExitCode::SUCCESS)
}

struct State {
    gateway: Gateway,
    log: Option<AccessLog>,
}

#[derive(Clone, Copy)]
struct Limits {
    header_read_timeout: Duration,
    idle_timeout: Duration,
    max_connections: usize,
}

const OVERLOAD: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: text/plain; charset=utf-8\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 45\r\n\r\nsandgate authz: too many connections; retry\n";

async fn accept_loop(
    listener: TcpListener,
    state: Arc<State>,
    limits: Limits,
    mut signals: crate::Signals,
) -> Result<(), CliError> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    let mut conns = tokio::task::JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((mut stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                match slots.clone().try_acquire_owned() {
                    Ok(permit) => {
                        let state = state.clone();
                        let stop = stop_rx.clone();
                        conns.spawn(async move {
                            connection(stream, state, limits, stop).await;
                            drop(permit);
                        });
                    }
                    Err(_) => {
                        conns.spawn(async move {
                            let _ = tokio::time::timeout(Duration::from_secs(1), async {
                                let _ = stream.write_all(OVERLOAD).await;
                                let _ = stream.shutdown().await;
                            }).await;
                        });
                    }
                }
                while conns.try_join_next().is_some() {}
            }
            _ = signals.recv() => break,
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    // In-flight requests finish; then every connection closes (at most ten seconds).
    let _ = tokio::time::timeout(Duration::from_secs(10), async {
        while conns.join_next().await.is_some() {}
    })
    .await;
    conns.shutdown().await;
    Ok(())
}

async fn connection(
    stream: TcpStream,
    state: Arc<State>,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let start = Instant::now();
    let last = Arc::new(AtomicU64::new(0));
    let io = Watched {
        inner: stream,
        start,
        last: last.clone(),
    };
    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
        let state = state.clone();
        async move { Ok::<_, Infallible>(handle(&state, req).await) }
    });
    let conn = hyper::server::conn::http1::Builder::new()
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout)
        .serve_connection(TokioIo::new(io), svc);
    tokio::pin!(conn);
    tokio::select! {
        _ = conn.as_mut() => return,
        _ = idle(start, last, limits.idle_timeout) => return,
        _ = stop.changed() => {}
    }
    conn.as_mut().graceful_shutdown();
    let _ = conn.await;
}

/// Resolves when no byte was read or written for `limit`.
async fn idle(start: Instant, last: Arc<AtomicU64>, limit: Duration) {
    loop {
        let last_at = start + Duration::from_millis(last.load(Ordering::Acquire));
        let deadline = last_at + limit;
        if Instant::now() >= deadline {
            return;
        }
        tokio::time::sleep_until(deadline.into()).await;
    }
}

fn text(status: StatusCode, body: &'static str) -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(body.as_bytes())));
    *r.status_mut() = status;
    r.headers_mut().insert(
        "content-type",
        hyper::header::HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    r
}

async fn handle(state: &State, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let started = Instant::now();
    let path = req.uri().path();
    if path == "/healthz" {
        return text(StatusCode::OK, "ok\n");
    }
    let Some(protocol) = Protocol::for_path(path) else {
        return text(
            StatusCode::NOT_FOUND,
            "sandgate authz: unknown endpoint; use /nginx, /envoy/..., /traefik or /healthz\n",
        );
    };
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path(), |pq| pq.as_str());
    let (answer, verdict, method) =
        match authz::original(protocol, req.method().as_str(), target, req.headers()) {
            Ok(original) => {
                let verdict = state.gateway.check(&original.parts).await;
                (
                    authz::answer(protocol, &verdict),
                    Some(verdict),
                    original.method,
                )
            }
            Err(missing) => (authz::misconfigured(missing), None, None),
        };
    if let Some(log) = &state.log {
        log.line(
            protocol,
            method,
            &answer,
            verdict.as_ref(),
            started.elapsed(),
        );
    }
    let mut resp = Response::new(Full::new(Bytes::from(answer.body)));
    *resp.status_mut() = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::FORBIDDEN);
    for (k, v) in answer.headers {
        if let Ok(v) = hyper::header::HeaderValue::from_str(&v) {
            resp.headers_mut()
                .append(hyper::header::HeaderName::from_static(k), v);
        }
    }
    resp
}

/// The access log: one line per decision, written by a thread of its own so a slow stderr
/// never holds a request; lines past a full queue are counted and reported, not kept. A line
/// names the sandbox, port, upstream path (no query) and verdict — never a token, a
/// signature or a header value.
struct AccessLog {
    tx: SyncSender<String>,
    dropped: Arc<AtomicUsize>,
}

impl AccessLog {
    fn start() -> Self {
        let (tx, rx) = std::sync::mpsc::sync_channel::<String>(16_384);
        let dropped = Arc::new(AtomicUsize::new(0));
        let d = dropped.clone();
        std::thread::Builder::new()
            .name("sandgate-authz-log".into())
            .spawn(move || write_log(rx, d))
            .expect("cannot start the access log thread");
        AccessLog { tx, dropped }
    }

    fn line(
        &self,
        protocol: Protocol,
        method: Option<&str>,
        answer: &authz::Answer,
        verdict: Option<&Verdict>,
        took: Duration,
    ) {
        let method = method
            .filter(|m| m.len() <= 16 && m.bytes().all(|b| b.is_ascii_alphabetic()))
            .unwrap_or("-");
        let ts = humantime::format_rfc3339_millis(std::time::SystemTime::now());
        let what = match verdict {
            Some(Verdict::Allow(a)) => format!(
                "allow grant={} sandbox={} port={} path={}",
                a.grant.code(),
                sanitize(&a.sandbox_id),
                a.port,
                sanitize(&a.path)
            ),
            Some(Verdict::Deny(r)) => format!("deny reason={}", r.reason_code()),
            None => "error reason=proxy_misconfigured".to_owned(),
        };
        let line = format!(
            "{ts} {} {method} {} {what} us={}\n",
            protocol.as_str(),
            answer.status,
            took.as_micros()
        );
        if let Err(TrySendError::Full(_)) = self.tx.try_send(line) {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Printable ASCII only, at most 256 characters (ids and paths are the client's text).
fn sanitize(s: &str) -> String {
    s.chars()
        .take(256)
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect()
}

fn write_log(rx: Receiver<String>, dropped: Arc<AtomicUsize>) {
    // Not `stderr().lock()`: a lock held across `recv` would block every other line this
    // process writes to stderr (a key reload, a policy reload) until the next request.
    let mut out = std::io::BufWriter::with_capacity(64 * 1024, std::io::stderr());
    while let Ok(first) = rx.recv() {
        let _ = out.write_all(first.as_bytes());
        while let Ok(more) = rx.try_recv() {
            let _ = out.write_all(more.as_bytes());
        }
        let n = dropped.swap(0, Ordering::Relaxed);
        if n > 0 {
            let _ = writeln!(
                out,
                "sandgate authz: {n} access log lines dropped (stderr too slow)"
            );
        }
        let _ = out.flush();
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
    ) -> Poll<std::io::Result<()>> {
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
    ) -> Poll<std::io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.touch();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

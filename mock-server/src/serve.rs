//! The accept loop: HTTP/1.1 over each connection, with the `drop_next` fault (close the
//! connection without an answer) applied before a request reaches the router.

use crate::App;
use axum::body::Body;
use axum::Router;
use hyper::body::Incoming;
use hyper::Request;
use hyper_util::rt::TokioIo;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tower::ServiceExt;

/// Serves `router` on `listener` until `shutdown` turns true; then closes the listener and
/// every connection and reports on `closed`. `faults` is the app whose `drop_next` fault
/// applies (the API listener only).
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    faults: Option<Arc<App>>,
    mut shutdown: watch::Receiver<bool>,
    closed: std::sync::mpsc::Sender<()>,
) {
    let mut conns = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else {
                    // Out of file descriptors or similar: back off instead of spinning.
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                };
                let _ = stream.set_nodelay(true);
                let router = router.clone();
                let faults = faults.clone();
                conns.spawn(async move {
                    let svc = hyper::service::service_fn(move |req: Request<Incoming>| {
                        let router = router.clone();
                        let faults = faults.clone();
                        async move {
                            if let Some(app) = &faults {
                                if take_drop(app, &req) {
                                    return Err(std::io::Error::other("connection dropped by an injected fault"));
                                }
                            }
                            router.oneshot(req.map(Body::new)).await.map_err(|e| match e {})
                        }
                    });
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(TokioIo::new(stream), svc)
                        .await;
                });
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

fn take_drop(app: &App, req: &Request<Incoming>) -> bool {
    if req.uri().path().starts_with("/_mock") {
        return false;
    }
    let mut d = app.store.lock();
    if d.faults.drop_next == 0 {
        return false;
    }
    d.faults.drop_next -= 1;
    if d.requests.len() < crate::state::MAX_LOGGED_REQUESTS {
        d.requests.push(crate::state::RequestRecord {
            method: req.method().to_string(),
            path: req.uri().path().to_owned(),
            status: 0,
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        });
    }
    true
}

//! A `tower` layer for Rust HTTP servers (axum, hyper, tonic's HTTP side): it checks every
//! request, answers refusals itself, and hands allowed requests on with the credential
//! headers removed, the uri-mode prefix taken off the path, and the [`Allowed`] route in the
//! request's extensions.

use super::{is_stripped_header, Allowed, Gateway, Refusal, RequestParts, Verdict};
use crate::error::{Denial, DenyReason};
use http::header::{HeaderName, HeaderValue};
use http::{Request, Response, StatusCode, Uri};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

/// The layer: wraps a service in a [`GatewayService`].
///
/// ```
/// use sandgate::gateway::{Allowed, Gateway, GatewayLayer, RouteMode};
/// use sandgate::SigningKeys;
/// let gateway = Gateway::signature_only(RouteMode::Header, SigningKeys::empty());
/// let layer = GatewayLayer::new(gateway);
/// // axum: Router::new().fallback(handler).layer(layer); in the handler,
/// // `Extension(route): Extension<Allowed>` is the verified route.
/// # let _ = layer;
/// ```
#[derive(Clone, Debug)]
pub struct GatewayLayer {
    gateway: Arc<Gateway>,
}

impl GatewayLayer {
    /// A layer checking requests with `gateway`.
    pub fn new(gateway: Gateway) -> Self {
        GatewayLayer {
            gateway: Arc::new(gateway),
        }
    }

    /// The gateway.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }
}

impl<S> tower_layer::Layer<S> for GatewayLayer {
    type Service = GatewayService<S>;
    fn layer(&self, inner: S) -> GatewayService<S> {
        GatewayService {
            inner,
            gateway: self.gateway.clone(),
        }
    }
}

/// The service the layer makes.
#[derive(Clone, Debug)]
pub struct GatewayService<S> {
    inner: S,
    gateway: Arc<Gateway>,
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<S, B, ResBody> tower_service::Service<Request<B>> for GatewayService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<ResBody>> + Clone + Send + 'static,
    S::Future: Send + 'static,
    B: Send + 'static,
    ResBody: From<String> + Send + 'static,
{
    type Response = Response<ResBody>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<ResBody>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, mut req: Request<B>) -> Self::Future {
        // The clone is the one that was polled ready; keep it for this call.
        let clone = self.inner.clone();
        let mut inner = std::mem::replace(&mut self.inner, clone);
        let gateway = self.gateway.clone();
        Box::pin(async move {
            let verdict = {
                let target = req
                    .uri()
                    .path_and_query()
                    .map_or_else(|| req.uri().path(), |pq| pq.as_str());
                let parts = RequestParts {
                    target: Some(target),
                    headers: req.headers(),
                    host_header: "host",
                    authority: req.uri().authority().map(|a| a.as_str()),
                };
                gateway.check(&parts).await
            };
            match verdict {
                Verdict::Allow(allowed) => {
                    if prepare(&mut req, &allowed) {
                        req.extensions_mut().insert(allowed);
                        return inner.call(req).await;
                    }
                    Ok(refuse(Refusal::denied(Denial::new(
                        DenyReason::Malformed,
                        "the upstream path is not a valid request target",
                    ))))
                }
                Verdict::Deny(r) => Ok(refuse(r)),
            }
        })
    }
}

/// The answer to a refused request.
fn refuse<ResBody: From<String>>(r: Refusal) -> Response<ResBody> {
    let mut resp = Response::new(ResBody::from(r.body()));
    *resp.status_mut() = StatusCode::from_u16(r.status()).unwrap_or(StatusCode::FORBIDDEN);
    for (k, v) in r.headers() {
        resp.headers_mut()
            .insert(HeaderName::from_static(k), HeaderValue::from_static(v));
    }
    resp
}
/// Removes the credential headers and puts the upstream path and query in the URI; `false`
/// when the upstream target is not a valid URI (the request is then refused, never forwarded
/// with its original path).
fn prepare<B>(req: &mut Request<B>, allowed: &Allowed) -> bool {
    let names: Vec<HeaderName> = req
        .headers()
        .keys()
        .filter(|k| is_stripped_header(k.as_str()))
        .cloned()
        .collect();
    for n in names {
        req.headers_mut().remove(n);
    }
    let target = allowed.upstream_target();
    let current = req.uri().path_and_query().map(|pq| pq.as_str());
    if current == Some(target.as_str()) {
        return true;
    }
    let mut parts = req.uri().clone().into_parts();
    let Ok(pq) = target.parse() else {
        return false;
    };
    parts.path_and_query = Some(pq);
    match Uri::from_parts(parts) {
        Ok(uri) => {
            *req.uri_mut() = uri;
            true
        }
        Err(_) => false,
    }
}

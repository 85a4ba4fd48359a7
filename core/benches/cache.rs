//! The endpoint cache's hit path (SPEC §2.1): `Client::endpoint` for a signed endpoint already
//! fetched, polled to completion without a runtime round trip (a hit never waits), and the
//! synchronous `Client::cached_endpoint`. Target: under 1 µs.

use criterion::{criterion_group, criterion_main, Criterion};
use sandgate::client::{Client, CreateSandbox, EndpointMode};
use sandgate::surface::Expiry;
use sandgate_mock::{MockConfig, MockServer};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};

fn noop_waker() -> Waker {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: every function of the vtable ignores the (null) data pointer.
    unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) }
}

/// Polls a future that must complete at once (a cache hit).
fn now_or_never<F: Future>(f: F) -> F::Output {
    let waker = noop_waker();
    let mut cx = Context::from_waker(&waker);
    match pin!(f).as_mut().poll(&mut cx) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a cache hit must not wait"),
    }
}

fn cache_hit(c: &mut Criterion) {
    let mock = MockServer::start(MockConfig::default()).expect("mock");
    let client = Client::builder()
        .domain(mock.domain())
        .api_key(mock.admin_key().expose())
        .ignore_env()
        .build()
        .expect("client");
    let id = sandgate::runtime::block_on(client.create_sandbox(&CreateSandbox::new("bench")))
        .expect("sandbox")
        .id;
    let mode = EndpointMode::Signed(Expiry::Ttl(3600));
    sandgate::runtime::block_on(client.endpoint(&id, 8080, mode)).expect("endpoint");
    let requests = mock.requests().len();
    c.bench_function("endpoint cache hit: Client::endpoint (signed, ttl)", |b| {
        b.iter(|| now_or_never(client.endpoint(black_box(&id), 8080, mode)).expect("hit"))
    });
    c.bench_function("endpoint cache hit: Client::cached_endpoint", |b| {
        b.iter(|| {
            client
                .cached_endpoint(black_box(&id), 8080, mode)
                .expect("hit")
        })
    });
    assert_eq!(mock.requests().len(), requests, "a hit sent a request");
}

criterion_group!(benches, cache_hit);
criterion_main!(benches);

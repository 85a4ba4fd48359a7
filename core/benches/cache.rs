//! The endpoint cache's hit path (SPEC §2.1): `Client::endpoint` for a signed endpoint already
//! fetched, polled to completion without a runtime round trip (a hit never waits), and the
//! synchronous `Client::cached_endpoint`. Target: under 1 µs.
//!
//! `cargo bench -p sandgate --bench cache` runs criterion and then prints the line
//! `cache hit: ...`; `-- --test` runs everything once (smoke mode).

use criterion::Criterion;
use sandgate::client::{Client, CreateSandbox, EndpointMode};
use sandgate::surface::Expiry;
use sandgate_mock::{MockConfig, MockServer};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Instant;

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

struct Fixture {
    // Kept alive while the benchmark runs.
    mock: MockServer,
    client: Client,
    id: String,
}

const MODE: EndpointMode = EndpointMode::Signed(Expiry::Ttl(3600));

fn fixture() -> Fixture {
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
    sandgate::runtime::block_on(client.endpoint(&id, 8080, MODE)).expect("endpoint");
    Fixture { mock, client, id }
}

fn hit(f: &Fixture) {
    black_box(now_or_never(f.client.endpoint(black_box(&f.id), 8080, MODE)).expect("hit"));
}

fn peek(f: &Fixture) {
    black_box(
        f.client
            .cached_endpoint(black_box(&f.id), 8080, MODE)
            .expect("hit"),
    );
}

/// Nanoseconds per call: the best of `rounds` runs of `n` calls.
fn ns_per_call(n: u32, rounds: u32, mut f: impl FnMut()) -> f64 {
    (0..rounds)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / f64::from(n)
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let f = fixture();
    let requests = f.mock.requests().len();
    let mut c = Criterion::default().configure_from_args();
    c.bench_function("endpoint cache hit: Client::endpoint (signed, ttl)", |b| {
        b.iter(|| hit(&f))
    });
    c.bench_function("endpoint cache hit: Client::cached_endpoint", |b| {
        b.iter(|| peek(&f))
    });
    c.final_summary();
    let (n, rounds) = if smoke { (1_000, 2) } else { (200_000, 7) };
    let endpoint = ns_per_call(n, rounds, || hit(&f));
    let cached = ns_per_call(n, rounds, || peek(&f));
    assert_eq!(f.mock.requests().len(), requests, "a hit sent a request");
    println!(
        "cache hit: endpoint {endpoint:.1} ns, cached_endpoint {cached:.1} ns (target < 1000)"
    );
}

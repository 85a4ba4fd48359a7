//! Micro-benchmark for `bench/run`: nanoseconds per sign and verify next to a bare SHA-256 of
//! the same signing input, resident memory before and after many verifies, and the cost of an
//! endpoint-cache hit (`Client::endpoint` for a signed endpoint already fetched from an
//! in-process mock, polled once: a hit never waits). Prints one JSON object. Usage: `cargo run --release -p sandgate --example microbench -- [ITERS] [MEMORY_ITERS]`.

use sandgate::client::{Client, CreateSandbox, EndpointMode};
use sandgate::route::signing_input;
use sandgate::surface::Expiry;
use sandgate::{RouteSigner, RouteVerifier, SigningKeys};
use sha2::{Digest, Sha256};
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::task::{Context, Poll, RawWaker, RawWakerVTable, Waker};
use std::time::Instant;

/// Polls a future that must complete at once (a cache hit) with a waker that does nothing.
fn now_or_never<F: Future>(f: F) -> F::Output {
    fn clone(_: *const ()) -> RawWaker {
        RawWaker::new(std::ptr::null(), &VTABLE)
    }
    fn noop(_: *const ()) {}
    static VTABLE: RawWakerVTable = RawWakerVTable::new(clone, noop, noop, noop);
    // SAFETY: every function of the vtable ignores the (null) data pointer.
    let waker = unsafe { Waker::from_raw(RawWaker::new(std::ptr::null(), &VTABLE)) };
    match pin!(f).as_mut().poll(&mut Context::from_waker(&waker)) {
        Poll::Ready(v) => v,
        Poll::Pending => panic!("a cache hit must not wait"),
    }
}

/// Nanoseconds per endpoint-cache hit, against an in-process mock.
fn cache_hit_ns(iters: u64) -> f64 {
    let mock = sandgate_mock::MockServer::start(Default::default()).expect("mock");
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
    let sent = mock.requests().len();
    let ns = ns_per_call(iters, || {
        black_box(now_or_never(client.endpoint(black_box(&id), 8080, mode)).is_ok());
    });
    assert_eq!(mock.requests().len(), sent, "a cache hit sent a request");
    ns
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Best of five rounds of `n` calls, in nanoseconds per call.
fn ns_per_call(n: u64, mut f: impl FnMut()) -> f64 {
    (0..5)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..n {
                f();
            }
            t.elapsed().as_nanos() as f64 / n as f64
        })
        .fold(f64::INFINITY, f64::min)
}

fn main() {
    let arg = |i: usize, default: u64| {
        std::env::args()
            .nth(i)
            .and_then(|a| a.parse().ok())
            .unwrap_or(default)
    };
    let (iters, memory_iters) = (arg(1, 200_000), arg(2, 1_000_000));
    let secret = [7u8; 32];
    let keys = SigningKeys::from_pairs([('a', secret.to_vec())], Some('a')).expect("keys");
    let signer = RouteSigner::new(&keys, None).expect("signer");
    let verifier = RouteVerifier::new(keys);
    let (id, port, expires) = ("sbx-0a1b2c3d4e5f", 8080u16, 2_000_000_000u64);
    let token = signer.sign(id, port, expires).expect("sign").token();
    let inner = signing_input(&secret, id, port, "x2qxvk");
    let now = 1_900_000_000;

    let verify = ns_per_call(iters, || {
        black_box(verifier.verify_at(black_box(&token), now).is_ok());
    });
    let sign = ns_per_call(iters, || {
        black_box(
            signer
                .sign(black_box(id), port, expires)
                .map(|r| r.token())
                .is_ok(),
        );
    });
    let floor = ns_per_call(iters, || {
        black_box(Sha256::digest(black_box(&inner)));
    });
    let before = rss_kib();
    let mut ok = 0u64;
    for _ in 0..memory_iters {
        ok += u64::from(verifier.verify_at(black_box(&token), now).is_ok());
    }
    let after = rss_kib();
    assert_eq!(ok, memory_iters);
    let cache_hit = cache_hit_ns(iters);
    println!(
        "{{\"language\":\"rust\",\"verify_ns\":{verify:.1},\"sign_ns\":{sign:.1},\"sha256_ns\":{floor:.1},\
\"rss_before_kib\":{before},\"rss_after_kib\":{after},\"memory_verifies\":{memory_iters},\
\"endpoint_cache_hit_ns\":{cache_hit:.1}}}"
    );
}

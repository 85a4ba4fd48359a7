//! Signing, verification and API-key benchmarks, next to a bare SHA-256 of the same bytes.
//!
//! `cargo bench -p sandgate --bench route` runs criterion and then prints the ratio
//! verify / bare hash (target ≤ 1.3). `-- --test` runs everything once (smoke mode).

use criterion::{black_box, Criterion};
use sandgate::route::signing_input;
use sandgate::{hash_api_key, verify_api_key, RouteSigner, RouteVerifier, SigningKeys};
use sha2::{Digest, Sha256};
use std::time::Instant;

const NOW: u64 = 1_900_000_000;

struct Fixture {
    signer: RouteSigner,
    verifier: RouteVerifier,
    token: String,
    host: String,
    path: String,
    inner: Vec<u8>,
}

fn fixture() -> Fixture {
    let secret = [7u8; 32];
    let keys = SigningKeys::from_pairs([('a', secret.to_vec())], Some('a')).unwrap();
    let signer = RouteSigner::new(&keys, None).unwrap();
    let route = signer
        .sign("sbx-0a1b2c3d4e5f", 8080, 2_000_000_000)
        .unwrap();
    Fixture {
        token: route.token(),
        host: route.host("sandbox.example.com"),
        path: format!("{}/ping?x=1", route.uri_prefix()),
        inner: signing_input(&secret, "sbx-0a1b2c3d4e5f", 8080, route.expires_b36()),
        verifier: RouteVerifier::new(keys),
        signer,
    }
}

fn benches(c: &mut Criterion, f: &Fixture) {
    c.bench_function("sign", |b| {
        b.iter(|| {
            f.signer
                .sign(black_box("sbx-0a1b2c3d4e5f"), 8080, 2_000_000_000)
        })
    });
    c.bench_function("verify_token", |b| {
        b.iter(|| f.verifier.verify_at(black_box(&f.token), NOW).is_ok())
    });
    c.bench_function("verify_host", |b| {
        b.iter(|| f.verifier.verify_host(black_box(&f.host), NOW).is_ok())
    });
    c.bench_function("verify_path", |b| {
        b.iter(|| f.verifier.verify_path(black_box(&f.path), NOW).is_ok())
    });
    c.bench_function("sha256_inner", |b| {
        b.iter(|| Sha256::digest(black_box(&f.inner)))
    });
    let key = "osk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    let hash = hash_api_key(key);
    c.bench_function("api_key_hash", |b| b.iter(|| hash_api_key(black_box(key))));
    c.bench_function("api_key_verify", |b| {
        b.iter(|| verify_api_key(black_box(key), &hash))
    });
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
    let mut c = Criterion::default().configure_from_args();
    benches(&mut c, &f);
    c.final_summary();

    let (n, rounds) = if smoke { (1_000, 2) } else { (200_000, 7) };
    let verify = ns_per_call(n, rounds, || {
        black_box(f.verifier.verify_at(black_box(&f.token), NOW).is_ok());
    });
    let sign = ns_per_call(n, rounds, || {
        black_box(
            f.signer
                .sign(black_box("sbx-0a1b2c3d4e5f"), 8080, 2_000_000_000)
                .is_ok(),
        );
    });
    let bare = ns_per_call(n, rounds, || {
        black_box(Sha256::digest(black_box(&f.inner)));
    });
    println!(
        "ratio: verify {verify:.1} ns, sign {sign:.1} ns, bare SHA-256 {bare:.1} ns; \
         verify/bare = {:.3} (target <= 1.3), sign/bare = {:.3}",
        verify / bare,
        sign / bare
    );
}

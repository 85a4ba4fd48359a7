//! `RouteVerifier::replace_keys`: a live, atomic swap of the key set, shared by clones.

use sandgate::{RouteSigner, RouteVerifier, SigningKeys};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

const A: &str = "a=bXktdGVzdC1zZWNyZXQ=";
const AB: &str = "a=bXktdGVzdC1zZWNyZXQ=,b=c2Vjb25kLXNlY3JldA==";
const B: &str = "b=c2Vjb25kLXNlY3JldA==";
const NOW: u64 = 1_900_000_000;

fn token(flag: &str, id: char) -> String {
    let keys = SigningKeys::from_flag(flag).unwrap();
    RouteSigner::new(&keys, Some(id))
        .unwrap()
        .sign("sbx-001", 8080, 2_000_000_000)
        .unwrap()
        .token()
}

fn reason(v: &RouteVerifier, token: &str) -> &'static str {
    match v.verify_at(token, NOW) {
        Ok(_) => "allowed",
        Err(d) => d.reason().code(),
    }
}

#[test]
fn a_swap_is_seen_by_every_clone_and_returns_the_old_set() {
    let (a, b) = (token(A, 'a'), token(AB, 'b'));
    let verifier = RouteVerifier::new(SigningKeys::from_flag(A).unwrap());
    let worker = verifier.clone();
    assert!(worker.shares_keys_with(&verifier));
    assert_eq!(
        (reason(&worker, &a), reason(&worker, &b)),
        ("allowed", "unknown_key")
    );

    let old = worker.replace_keys(SigningKeys::from_flag(AB).unwrap());
    assert_eq!(old.key_ids(), &['a']);
    assert_eq!(verifier.keys().key_ids(), &['a', 'b']);
    assert_eq!(
        (reason(&verifier, &a), reason(&verifier, &b)),
        ("allowed", "allowed")
    );

    verifier.replace_keys(SigningKeys::from_flag(B).unwrap());
    assert_eq!(
        (reason(&worker, &a), reason(&worker, &b)),
        ("unknown_key", "allowed")
    );

    // An independent verifier is built from a snapshot and does not follow later swaps.
    let detached = RouteVerifier::new(verifier.keys());
    assert!(!detached.shares_keys_with(&verifier));
    verifier.replace_keys(SigningKeys::empty());
    assert_eq!(reason(&verifier, &b), "not_configured");
    assert_eq!(reason(&detached, &b), "allowed");
}

/// Threads verifying while another thread swaps back and forth never see a torn set: every
/// answer is one the old or the new set gives, and both are seen.
#[test]
fn concurrent_verification_during_swaps_sees_whole_sets() {
    let (a, b) = (token(A, 'a'), token(AB, 'b'));
    let verifier = RouteVerifier::new(SigningKeys::from_flag(A).unwrap());
    let (only_a, only_b) = (
        SigningKeys::from_flag(A).unwrap(),
        SigningKeys::from_flag(B).unwrap(),
    );
    let stop = AtomicBool::new(false);
    let seen_a = AtomicUsize::new(0);
    let seen_b = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for _ in 0..3 {
            let v = verifier.clone();
            let (a, b, stop, seen_a, seen_b) = (&a, &b, &stop, &seen_a, &seen_b);
            s.spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    // Each answer comes from one load and must fit one whole set.
                    let (x, y) = (reason(&v, a), reason(&v, b));
                    assert!(matches!(x, "allowed" | "unknown_key"), "{x}");
                    assert!(matches!(y, "allowed" | "unknown_key"), "{y}");
                    if x == "allowed" {
                        seen_a.fetch_add(1, Ordering::Relaxed);
                    }
                    if y == "allowed" {
                        seen_b.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
        // Swap until the workers have seen both sets (bounded, so a stuck scheduler fails
        // the assertion below instead of hanging).
        let mut swaps = 0u32;
        while swaps < 2_000
            || (swaps < 2_000_000
                && (seen_a.load(Ordering::Relaxed) == 0 || seen_b.load(Ordering::Relaxed) == 0))
        {
            let next = if swaps % 2 == 0 { &only_b } else { &only_a };
            verifier.replace_keys(next.clone());
            swaps += 1;
            if swaps % 64 == 0 {
                std::thread::yield_now();
            }
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert!(seen_a.load(Ordering::Relaxed) > 0 && seen_b.load(Ordering::Relaxed) > 0);
}

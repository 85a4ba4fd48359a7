//! Verifying a valid token must not allocate, before and after a live key swap. Allocations are counted per thread, so the test
//! harness's own threads (which may allocate at any time) cannot disturb the count.

use sandgate::{AccessRequest, RouteSigner, RouteVerifier, SandboxPolicy, SigningKeys};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

struct Counting;

thread_local! {
    // Const-initialised and without a destructor: reading it never allocates.
    static ALLOCATIONS: Cell<usize> = const { Cell::new(0) };
}

fn count() {
    // `try_with` fails only while the thread is being torn down; nothing is counted then.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
}

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count();
        System.alloc(layout)
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        System.dealloc(ptr, layout)
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count();
        System.realloc(ptr, layout, new_size)
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations_during(f: impl FnOnce()) -> usize {
    let before = ALLOCATIONS.with(Cell::get);
    f();
    ALLOCATIONS.with(Cell::get) - before
}

#[test]
fn verifying_does_not_allocate() {
    let keys = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
    let route = RouteSigner::new(&keys, Some('a'))
        .unwrap()
        .sign("sbx-001", 8080, 2_000_000_000)
        .unwrap();
    let token = route.token();
    let host = route.host("example.com");
    let path = format!("{}/ping?x=1", route.uri_prefix());
    let tampered = token.replace("0ff8", "1ff8");
    let verifier = RouteVerifier::new(keys);
    let now = 1_900_000_000;
    let policy = SandboxPolicy::Secure {
        access_token: "tok",
    };
    // Sanity: the counter sees allocations.
    assert!(allocations_during(|| drop(std::hint::black_box(vec![1u8; 16]))) > 0);
    // A thread's first load of the (swappable) key set may register the thread with
    // arc-swap's debt list: at most one allocation per thread, ever (see the last test).
    assert!(verifier.verify_at(&token, now).is_ok());
    let n = allocations_during(|| {
        for _ in 0..100 {
            assert!(verifier.verify_at(&token, now).is_ok());
            assert!(verifier.verify_host(&host, now).is_ok());
            assert!(verifier.verify_path(&path, now).is_ok());
            let req = AccessRequest {
                ingress_to: Some(&token),
                path: Some("/ping"),
                ..Default::default()
            };
            assert!(verifier.decide(&req, |_| Some(policy), now).is_ok());
            let req = AccessRequest {
                path: Some(&path),
                ..Default::default()
            };
            assert!(verifier.decide(&req, |_| Some(policy), now).is_ok());
            assert!(verifier.verify_at(&tampered, now).is_err());
        }
    });
    assert_eq!(n, 0, "verification allocated {n} times");
}

/// After a live key rotation (`replace_keys`, seen through a clone) verification still does
/// not allocate, for tokens of the new key and of a key both sets hold, and for a key the new
/// set dropped.
#[test]
fn verifying_after_a_key_swap_does_not_allocate() {
    let old = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
    let new = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=,b=c2Vjb25kLXNlY3JldA==").unwrap();
    let newest = SigningKeys::from_flag("b=c2Vjb25kLXNlY3JldA==").unwrap();
    let sign = |keys: &SigningKeys, id| {
        RouteSigner::new(keys, Some(id))
            .unwrap()
            .sign("sbx-001", 8080, 2_000_000_000)
            .unwrap()
            .token()
    };
    let (a_token, b_token) = (sign(&old, 'a'), sign(&new, 'b'));
    let now = 1_900_000_000;
    let verifier = RouteVerifier::new(old);
    let worker = verifier.clone();
    // A thread's first load registers it with arc-swap's debt list (at most one allocation
    // per thread, ever); verification itself must add none.
    assert!(worker.verify_at(&a_token, now).is_ok());
    assert!(worker.verify_at(&b_token, now).is_err());
    verifier.replace_keys(new);
    let n = allocations_during(|| {
        for _ in 0..100 {
            assert!(worker.verify_at(&a_token, now).is_ok());
            assert!(worker.verify_at(&b_token, now).is_ok());
        }
    });
    assert_eq!(n, 0, "verification after a swap allocated {n} times");
    verifier.replace_keys(newest);
    let n = allocations_during(|| {
        for _ in 0..100 {
            let denied = worker.verify_at(&a_token, now).unwrap_err();
            assert_eq!(denied.reason().code(), "unknown_key");
            assert!(worker.verify_at(&b_token, now).is_ok());
        }
    });
    assert_eq!(n, 0, "verification after a second swap allocated {n} times");
}

/// How many allocations the first verification on a fresh thread costs: arc-swap's one-time
/// registration of the thread, and nothing per call.
#[test]
fn a_threads_first_verification_allocates_at_most_once() {
    let keys = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
    let token = RouteSigner::new(&keys, Some('a'))
        .unwrap()
        .sign("sbx-001", 8080, 2_000_000_000)
        .unwrap()
        .token();
    let verifier = RouteVerifier::new(keys);
    let first = std::thread::scope(|s| {
        s.spawn(|| allocations_during(|| assert!(verifier.verify_at(&token, 1).is_ok())))
            .join()
            .unwrap()
    });
    assert!(
        first <= 1,
        "first verification on a thread allocated {first} times"
    );
}

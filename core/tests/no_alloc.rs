//! Verifying a valid token must not allocate. Allocations are counted per thread, so the test
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

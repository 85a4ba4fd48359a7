#![no_main]
//! Path parsing: never panics; the upstream path starts with '/'; legacy parsing never signs.

use libfuzzer_sys::fuzz_target;
use sandgate::route::parse_path;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for signed in [false, true] {
        if let Ok(p) = parse_path(s, signed) {
            assert!(p.path().starts_with('/'));
            assert!(signed || p.route.signed.is_none());
            assert!(!p.route.sandbox_id.is_empty());
        }
    }
});

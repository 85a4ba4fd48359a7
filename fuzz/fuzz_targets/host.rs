#![no_main]
//! Host parsing: never panics; a parsed route's id is inside the first label.

use libfuzzer_sys::fuzz_target;
use sandgate::route::{host_label, parse_host};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(r) = parse_host(s) {
        assert!(host_label(s).starts_with(r.sandbox_id));
        assert!(!r.sandbox_id.contains('.'));
    }
});

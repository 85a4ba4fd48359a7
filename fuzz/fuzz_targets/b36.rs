#![no_main]
//! b36 decoding: never panics; anything accepted re-encodes to exactly itself.

use libfuzzer_sys::fuzz_target;
use sandgate::route::{decode_expires_b36, encode_expires_b36};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(v) = decode_expires_b36(s) {
        assert_eq!(encode_expires_b36(v).as_str(), s);
    }
});

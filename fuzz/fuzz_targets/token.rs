#![no_main]
//! Token parsing and verification: never panics; whatever parses re-renders to itself.

use libfuzzer_sys::fuzz_target;
use sandgate::route::parse_token;
use sandgate::{RouteVerifier, SigningKeys};

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    if let Ok(r) = parse_token(s) {
        let rendered = match r.signed {
            Some(p) => format!("{}-{}-{}-{}", r.sandbox_id, r.port, p.expires_b36, p.signature),
            None => format!("{}-{}", r.sandbox_id, r.port),
        };
        assert_eq!(rendered, s);
    }
    let keys = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=").unwrap();
    let _ = RouteVerifier::new(keys).verify_at(s, 0);
});

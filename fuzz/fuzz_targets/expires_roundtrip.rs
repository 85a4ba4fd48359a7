#![no_main]
//! API-key expiry (SPEC §3.2): rendering then parsing is a round trip, every accepted expiry is
//! one instant no later than 9999-12-31T23:59:59Z, and anything else is refused and fails closed.

use libfuzzer_sys::fuzz_target;
use sandgate::keys::{
    format_expires_at, format_rfc3339, is_expired, parse_expires_at, MAX_EXPIRES_AT,
};
use sandgate::ErrorKind;

const MILLIS_FROM: u64 = 1_000_000_000_000;

fn check_instant(t: u64, now: u64) {
    let text = format_rfc3339(t);
    let back = parse_expires_at(&text)
        .unwrap_or_else(|e| panic!("{t} rendered as {text:?} does not parse: {e}"));
    assert_eq!(back, t.min(MAX_EXPIRES_AT), "{t} -> {text}");
    assert!(!text.bytes().all(|c| c.is_ascii_digit()), "{text}");
    match format_expires_at(t) {
        Ok(s) => {
            assert!(t <= MAX_EXPIRES_AT);
            assert_eq!(s, text);
        }
        Err(e) => {
            assert!(t > MAX_EXPIRES_AT);
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
        }
    }
    assert_eq!(is_expired(Some(&text), now), now > back);
    // The same instant written as decimal epoch seconds or milliseconds.
    let decimal = t.to_string();
    let want = if t >= MILLIS_FROM { t / 1000 } else { t };
    match parse_expires_at(&decimal) {
        Ok(x) => assert_eq!(x, want, "{decimal}"),
        Err(_) => assert!(want > MAX_EXPIRES_AT, "{decimal}"),
    }
}

fn check_text(s: &str, now: u64) {
    match parse_expires_at(s) {
        Ok(x) => {
            assert!(x <= MAX_EXPIRES_AT, "{s:?} -> {x}");
            let rendered = format_expires_at(x).expect("an accepted expiry renders");
            assert_eq!(parse_expires_at(&rendered).unwrap(), x, "{s:?} -> {rendered}");
            assert_eq!(is_expired(Some(s), now), now > x);
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidArgument);
            assert!(is_expired(Some(s), now), "unparseable {s:?} must fail closed");
        }
    }
}

fuzz_target!(|data: &[u8]| {
    // Bytes 0..8 are the instant, 8..16 "now" (zero-padded), the rest is text.
    let mut head = [0u8; 16];
    let n = data.len().min(16);
    head[..n].copy_from_slice(&data[..n]);
    let t = u64::from_le_bytes(head[..8].try_into().unwrap());
    let now = u64::from_le_bytes(head[8..].try_into().unwrap());
    check_instant(t, now);
    check_instant(t % (MAX_EXPIRES_AT + 2), now % (MAX_EXPIRES_AT + 2));
    if let Ok(s) = std::str::from_utf8(data.get(16..).unwrap_or_default()) {
        check_text(s, now % (MAX_EXPIRES_AT + 2));
    }
});

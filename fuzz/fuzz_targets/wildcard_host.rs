#![no_main]
//! Wildcard host rendering: never panics; a host is only rendered from a DNS-name base domain,
//! so it never carries whitespace, control characters or a path.

use libfuzzer_sys::fuzz_target;
use sandgate::route::wildcard_host;
use sandgate::ErrorKind;

fuzz_target!(|input: (&str, &str)| {
    let (token, base) = input;
    match wildcard_host(token, base) {
        Ok(host) => {
            let rest = host
                .strip_prefix(token)
                .and_then(|r| r.strip_prefix('.'))
                .expect("the host is {token}.{base}");
            assert!(base.ends_with(rest), "{base:?} -> {rest:?}");
            assert!(
                rest.bytes()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b':')),
                "{host:?}"
            );
            assert!(!host.chars().any(|c| c.is_control() || c.is_whitespace()));
            assert!(!rest.contains("..") && !rest.starts_with('.') && !rest.ends_with('.'));
        }
        Err(e) => assert_eq!(e.kind(), ErrorKind::InvalidArgument),
    }
});

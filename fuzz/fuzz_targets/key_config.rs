#![no_main]
//! Key-config parsing (flag string and TOML): never panics; errors never echo the input.

use libfuzzer_sys::fuzz_target;
use sandgate::SigningKeys;

fuzz_target!(|data: &[u8]| {
    let Ok(s) = std::str::from_utf8(data) else { return };
    for result in [SigningKeys::from_flag(s), SigningKeys::from_toml(s)] {
        match result {
            Ok(keys) => assert!(keys.len() <= 36),
            Err(e) => assert_eq!(e.kind(), sandgate::ErrorKind::InvalidConfig),
        }
    }
});

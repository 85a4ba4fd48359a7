//! `expires_b36`: Unix seconds in lowercase base 36 (SPEC §1.1).

use crate::error::{Error, Result};
use std::fmt;

/// Longest valid `expires_b36` (`u64::MAX` is `3w5e11264sgsf`).
pub const MAX_B36_LEN: usize = 13;

const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";

/// An encoded `expires_b36`, held on the stack.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct ExpiresB36 {
    buf: [u8; MAX_B36_LEN],
    len: u8,
}

impl ExpiresB36 {
    /// The encoded text.
    pub fn as_str(&self) -> &str {
        // Only ASCII digits and lowercase letters are ever written.
        std::str::from_utf8(&self.buf[MAX_B36_LEN - self.len as usize..]).unwrap_or("")
    }
}

impl fmt::Display for ExpiresB36 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for ExpiresB36 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.as_str())
    }
}

/// Encodes `expires` (Unix seconds) as lowercase base 36 with no leading zeros.
pub fn encode_expires_b36(expires: u64) -> ExpiresB36 {
    let mut buf = [0u8; MAX_B36_LEN];
    let mut i = MAX_B36_LEN;
    let mut v = expires;
    loop {
        i -= 1;
        buf[i] = DIGITS[(v % 36) as usize];
        v /= 36;
        if v == 0 {
            break;
        }
    }
    ExpiresB36 {
        buf,
        len: (MAX_B36_LEN - i) as u8,
    }
}

/// Decodes `expires_b36`, or explains why it is not one; never allocates.
pub(crate) fn decode_b36_static(s: &str) -> std::result::Result<u64, &'static str> {
    let bytes = s.as_bytes();
    if bytes.is_empty() {
        return Err("expires_b36 is empty");
    }
    if bytes.len() > MAX_B36_LEN {
        return Err("expires_b36 is longer than 13 characters");
    }
    if bytes.len() > 1 && bytes[0] == b'0' {
        return Err("expires_b36 has a leading zero");
    }
    let mut v: u64 = 0;
    for &c in bytes {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'z' => c - b'a' + 10,
            _ => return Err("expires_b36 has a character outside [0-9a-z]"),
        };
        // Up to 12 digits cannot overflow (36^12 < 2^64); only a 13th needs checking.
        v = if bytes.len() < MAX_B36_LEN {
            v * 36 + u64::from(d)
        } else {
            v.checked_mul(36)
                .and_then(|v| v.checked_add(u64::from(d)))
                .ok_or("expires_b36 is above 2^64-1")?
        };
    }
    Ok(v)
}

/// Decodes `expires_b36` to Unix seconds, applying every rejection rule of SPEC §1.1.
pub fn decode_expires_b36(s: &str) -> Result<u64> {
    decode_b36_static(s).map_err(Error::invalid_argument)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_facts() {
        for (v, s) in [
            (0u64, "0"),
            (35, "z"),
            (36, "10"),
            (2_000_000_000, "x2qxvk"),
            (u64::MAX, "3w5e11264sgsf"),
        ] {
            assert_eq!(encode_expires_b36(v).as_str(), s);
            assert_eq!(decode_expires_b36(s).unwrap(), v);
        }
    }

    #[test]
    fn rejections_name_the_rule() {
        let e = decode_expires_b36("3w5e11264sgsg").unwrap_err();
        assert!(e.message().contains("2^64-1"), "{e}");
        let e = decode_expires_b36("01").unwrap_err();
        assert!(e.message().contains("leading zero"), "{e}");
        let e = decode_expires_b36("X").unwrap_err();
        assert!(e.message().contains("outside"), "{e}");
    }
}

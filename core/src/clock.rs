//! The one place that reads the system clock, and the rule for an optional "now".

/// The system clock as Unix seconds (0 if the clock is before 1970).
pub fn now_unix() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The system clock as Unix milliseconds (0 if the clock is before 1970).
pub fn now_unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// `now` when the caller gave one, else the system clock: the default of every operation that
/// takes an optional "now" in every language.
pub fn now_or_system(now: Option<u64>) -> u64 {
    now.unwrap_or_else(now_unix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_now_wins() {
        assert_eq!(now_or_system(Some(7)), 7);
        assert!(now_or_system(None) > 1_700_000_000);
    }
}

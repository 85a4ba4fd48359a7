//! The mock's in-memory state: sandboxes, keys, the controllable clock, faults and the
//! request log.

use sandgate::SecretString;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, MutexGuard};

/// A role of a user principal (SPEC §3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Role {
    /// List, get, get endpoint.
    ReadOnly,
    /// Also create, delete, renew.
    Operator,
    /// Everything, no owner scope.
    ServiceAdmin,
}

impl Role {
    /// Parses `read_only`, `operator`, `service_admin`.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "read_only" => Some(Role::ReadOnly),
            "operator" => Some(Role::Operator),
            "service_admin" => Some(Role::ServiceAdmin),
            _ => None,
        }
    }
    /// The role's name.
    pub fn name(self) -> &'static str {
        match self {
            Role::ReadOnly => "read_only",
            Role::Operator => "operator",
            Role::ServiceAdmin => "service_admin",
        }
    }
}

pub(crate) struct SandboxRec {
    pub id: String,
    pub image: String,
    pub access_token: Option<SecretString>,
    pub metadata: BTreeMap<String, String>,
    pub created_at: u64,
    pub expires_at: u64,
}

pub(crate) struct KeyRec {
    pub id: String,
    pub name: String,
    pub prefix: String,
    pub hash: String,
    pub owner: String,
    pub team: Option<String>,
    pub roles: Vec<Role>,
    pub created_at: u64,
    pub expires_at: Option<String>,
    pub revoked: bool,
}

/// Faults to inject into API requests (never into `/_mock/` routes).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// Fail this many of the next requests with `status`.
    pub fail_next: u32,
    /// Status of injected failures: 400..=599, or 0 for the default 503.
    pub status: u16,
    /// `Retry-After` seconds sent with injected failures.
    pub retry_after: Option<u64>,
    /// Delay added before every API request is handled, in milliseconds.
    pub latency_ms: u64,
    /// Close the connection without a response for this many of the next requests.
    pub drop_next: u32,
    /// Answer this many of the next requests with 200 and a body that is not JSON.
    pub corrupt_next: u32,
}

impl Faults {
    /// Largest accepted `fail_next`, `drop_next` and `corrupt_next`.
    pub const MAX_COUNT: u32 = 1_000_000;
    /// Largest accepted `retry_after`, in seconds.
    pub const MAX_RETRY_AFTER: u64 = 3600;
    /// Largest accepted `latency_ms` (ten minutes).
    pub const MAX_LATENCY_MS: u64 = 600_000;

    /// The status injected failures answer with: `status`, or 503 when it is 0 (unset).
    pub fn failure_status(&self) -> u16 {
        if self.status == 0 {
            503
        } else {
            self.status
        }
    }

    /// Checks every field: counts up to [`MAX_COUNT`](Self::MAX_COUNT), `status` 0 (unset)
    /// or an error status 400..=599, `retry_after` and `latency_ms` within their limits.
    pub fn validate(&self) -> Result<(), sandgate::Error> {
        let bad = |m: String| Err(sandgate::Error::invalid_argument(m));
        for (name, n) in [
            ("fail_next", self.fail_next),
            ("drop_next", self.drop_next),
            ("corrupt_next", self.corrupt_next),
        ] {
            if n > Self::MAX_COUNT {
                return bad(format!("{name} must be at most {}", Self::MAX_COUNT));
            }
        }
        if self.status != 0 && !(400..=599).contains(&self.status) {
            return bad(format!(
                "status must be an error status (400..599), got {}",
                self.status
            ));
        }
        if self.retry_after.is_some_and(|r| r > Self::MAX_RETRY_AFTER) {
            return bad(format!(
                "retry_after must be at most {} seconds",
                Self::MAX_RETRY_AFTER
            ));
        }
        if self.latency_ms > Self::MAX_LATENCY_MS {
            return bad(format!(
                "latency_ms must be at most {}",
                Self::MAX_LATENCY_MS
            ));
        }
        Ok(())
    }
}

/// One API request the mock received.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// Method.
    pub method: String,
    /// Path (no query).
    pub path: String,
    /// Status answered (0 when the connection was dropped).
    pub status: u16,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub sandboxes: BTreeMap<String, SandboxRec>,
    pub keys: BTreeMap<String, KeyRec>,
    pub key_ids_by_hash: HashMap<String, String>,
    pub clock_offset: i64,
    pub faults: Faults,
    pub requests: Vec<RequestRecord>,
}

pub(crate) const MAX_LOGGED_REQUESTS: usize = 10_000;

#[derive(Default)]
pub(crate) struct Store(Mutex<Data>);

impl Store {
    pub fn lock(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// "Now" on the mock clock: the system clock plus the offset set through `/_mock/clock`.
    pub fn now(&self) -> u64 {
        let offset = self.lock().clock_offset;
        sandgate::clock::now_unix().saturating_add_signed(offset)
    }
}

/// `n` random characters of `[a-z0-9]`.
pub(crate) fn random_id(n: usize) -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    let mut bytes = vec![0u8; n];
    // The OS random source does not fail on supported platforms; zeros still give an id.
    let _ = getrandom::getrandom(&mut bytes);
    bytes
        .iter()
        .map(|b| char::from(ALPHABET[usize::from(*b) % ALPHABET.len()]))
        .collect()
}

//! The mock's in-memory state: sandboxes, keys, the controllable clock, faults and the
//! request log.

use sandgate::SecretString;
use std::collections::{BTreeMap, HashMap, VecDeque};
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

/// A sandbox's lifecycle state, as the spec names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SandboxState {
    Running,
    Paused,
}

impl SandboxState {
    pub fn name(self) -> &'static str {
        match self {
            SandboxState::Running => "Running",
            SandboxState::Paused => "Paused",
        }
    }
}

pub(crate) struct SandboxRec {
    pub id: String,
    /// Creation order, for stable listing.
    pub seq: u64,
    /// Image URI (image-created sandboxes).
    pub image: Option<String>,
    /// Snapshot restored from (snapshot-created sandboxes).
    pub snapshot_id: Option<String>,
    pub entrypoint: Vec<String>,
    pub platform: Option<serde_json::Value>,
    pub extensions: BTreeMap<String, String>,
    pub access_token: Option<SecretString>,
    pub metadata: BTreeMap<String, String>,
    pub state: SandboxState,
    pub reason: &'static str,
    pub message: &'static str,
    pub last_transition_at: u64,
    pub created_at: u64,
    /// `None`: manual cleanup (created without a timeout).
    pub expires_at: Option<u64>,
    /// Lifecycle lines for the diagnostics API, newest last, bounded.
    pub events: VecDeque<String>,
}

impl SandboxRec {
    /// Records a state change and its diagnostics line.
    pub fn transition(
        &mut self,
        state: SandboxState,
        reason: &'static str,
        message: &'static str,
        now: u64,
    ) {
        self.state = state;
        self.reason = reason;
        self.message = message;
        self.last_transition_at = now;
        self.event(now, &format!("{} {reason}: {message}", state.name()));
    }

    /// Appends a diagnostics line, dropping the oldest past [`MAX_EVENTS`].
    pub fn event(&mut self, now: u64, line: &str) {
        if self.events.len() >= MAX_EVENTS {
            self.events.pop_front();
        }
        self.events
            .push_back(format!("{} {line}", sandgate::keys::format_rfc3339(now)));
    }
}

/// A snapshot of a sandbox.
pub(crate) struct SnapshotRec {
    pub id: String,
    pub seq: u64,
    pub sandbox_id: String,
    pub name: Option<String>,
    /// The owner of the source sandbox (`access.owner`), for scoping.
    pub owner: Option<String>,
    pub entrypoint: Vec<String>,
    pub created_at: u64,
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

/// One API request the mock received. It is logged when it arrives, so a request whose
/// client gave up waiting is still there (with status 0).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RequestRecord {
    /// Method.
    pub method: String,
    /// Path (no query).
    pub path: String,
    /// Status answered; 0 while no answer was sent (the connection was dropped, the client
    /// gave up, or the request is still being handled).
    pub status: u16,
    /// The `User-Agent` header, if any.
    pub user_agent: Option<String>,
}

#[derive(Default)]
pub(crate) struct Data {
    pub sandboxes: HashMap<String, SandboxRec>,
    pub snapshots: HashMap<String, SnapshotRec>,
    pub next_seq: u64,
    pub keys: BTreeMap<String, KeyRec>,
    pub key_ids_by_hash: HashMap<String, String>,
    pub clock_offset: i64,
    /// A stopped clock: "now" is this until the clock is set again.
    pub frozen_at: Option<u64>,
    pub faults: Faults,
    /// The newest [`MAX_LOGGED_REQUESTS`] requests, with their log sequence numbers.
    pub requests: VecDeque<(u64, RequestRecord)>,
    pub next_request: u64,
    /// Accepted `POST /metrics/events` bodies, newest last, bounded.
    pub metrics_events: VecDeque<serde_json::Value>,
}

/// Requests kept in the log (the newest).
pub(crate) const MAX_LOGGED_REQUESTS: usize = 10_000;
/// Sandboxes a mock holds at once; a create past it answers 429.
pub(crate) const MAX_SANDBOXES: usize = 10_000;
/// Snapshots a mock holds at once.
pub(crate) const MAX_SNAPSHOTS: usize = 10_000;
/// API keys a mock holds at once (revoked ones count).
pub(crate) const MAX_KEYS: usize = 10_000;
/// Diagnostics lines kept per sandbox.
pub(crate) const MAX_EVENTS: usize = 64;
/// Metrics events kept.
pub(crate) const MAX_METRICS_EVENTS: usize = 1_000;

impl Data {
    /// Logs a request on receipt and returns its sequence number for [`complete`](Self::complete).
    pub fn log_request(&mut self, rec: RequestRecord) -> u64 {
        let seq = self.next_request;
        self.next_request += 1;
        if self.requests.len() >= MAX_LOGGED_REQUESTS {
            self.requests.pop_front();
        }
        self.requests.push_back((seq, rec));
        seq
    }

    /// Records the status answered to the logged request `seq` (if it is still in the log).
    pub fn complete(&mut self, seq: u64, status: u16) {
        if let Some((_, r)) = self.requests.iter_mut().rev().find(|(s, _)| *s == seq) {
            r.status = status;
        }
    }

    /// Forgets sandboxes whose `expiresAt` has come (by the mock clock).
    pub fn purge_expired(&mut self, now: u64) {
        self.sandboxes
            .retain(|_, s| s.expires_at.map_or(true, |e| now < e));
    }

    pub fn next_seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }
}

#[derive(Default)]
pub(crate) struct Store(Mutex<Data>);

impl Store {
    pub fn lock(&self) -> MutexGuard<'_, Data> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// "Now" on the mock clock: the system clock plus the offset set through `/_mock/clock`.
    pub fn now(&self) -> u64 {
        let d = self.lock();
        match d.frozen_at {
            Some(f) => f,
            None => sandgate::clock::now_unix().saturating_add_signed(d.clock_offset),
        }
    }
}

/// A random (version 4) UUID, as upstream's sandbox ids and request ids are.
pub(crate) fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
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

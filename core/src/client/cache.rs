//! The endpoint cache of SPEC §2.1: LRU-bounded, keyed by (sandbox, port, mode), one request
//! for concurrent misses (single flight), invalidated by delete and pause, and never
//! repopulated by a fetch that began before an invalidation: an invalidation retires the
//! sandbox's flights (each flight is its own generation), and only the flight still
//! registered for its key may store its result. The
//! freshness rule is the pure function [`decide`], which the shared case table
//! `sdk-tests/cases/cache.json` drives in every language.

use super::config::EndpointCacheConfig;
use super::model::{Endpoint, EndpointMode};
use crate::error::Result;
use lru::LruCache;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;
use tokio::sync::OnceCell;

/// Whether a cached entry is still served, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Freshness {
    /// `now_ms < until_ms` (and the cache is on).
    pub fresh: bool,
    /// The first millisecond the entry is no longer served: `expires * 1000 - margin` for a
    /// signed entry (on the server's clock), `fetched_at + ttl` for an unsigned one.
    pub until_ms: u64,
}

/// The freshness rule (SPEC §2.1). `signed_expires` is the expiry (Unix seconds) of a signed
/// entry, `None` for a direct or server-proxy one. For a signed entry `now_ms` is the server's
/// clock in Unix milliseconds; for an unsigned one `now_ms` and `fetched_at_ms` are read from
/// the same clock (the client uses a monotonic one).
pub fn decide(
    config: &EndpointCacheConfig,
    signed_expires: Option<u64>,
    fetched_at_ms: u64,
    now_ms: u64,
) -> Freshness {
    let until_ms = match signed_expires {
        Some(e) => e.saturating_mul(1000).saturating_sub(millis(config.margin)),
        None => fetched_at_ms.saturating_add(millis(config.ttl)),
    };
    Freshness {
        fresh: config.enabled && now_ms < until_ms,
        until_ms,
    }
}

fn millis(d: std::time::Duration) -> u64 {
    u64::try_from(d.as_millis()).unwrap_or(u64::MAX)
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct Key {
    sandbox: String,
    port: u16,
    mode: EndpointMode,
}

struct Entry {
    endpoint: Endpoint,
    /// Fresh while `now < until_ms`, on the server's clock for a signed entry and on the
    /// cache's monotonic clock otherwise.
    until_ms: u64,
    signed: bool,
}

/// One fetch that every concurrent miss for its key waits on.
pub(crate) struct Flight {
    cell: OnceCell<Result<Endpoint>>,
}

impl Flight {
    /// The fetch's result: the first caller runs `fetch`, the others wait for it (if the one
    /// running it is cancelled, the next waiter runs it).
    pub async fn run<F>(&self, fetch: impl FnOnce() -> F) -> Result<Endpoint>
    where
        F: std::future::Future<Output = Result<Endpoint>>,
    {
        self.cell.get_or_init(fetch).await.clone()
    }
}

struct State {
    entries: LruCache<Key, Entry>,
    /// The flight registered for each key being fetched; an invalidation retires them.
    flights: HashMap<Key, Arc<Flight>>,
}

pub(crate) struct EndpointCache {
    config: EndpointCacheConfig,
    epoch: Instant,
    state: Mutex<State>,
}

/// What a lookup found: a fresh endpoint, or the flight to wait on.
pub(crate) enum Lookup {
    Hit(Endpoint),
    Miss(Arc<Flight>),
}

impl EndpointCache {
    pub fn new(config: EndpointCacheConfig) -> Self {
        let cap = NonZeroUsize::new(config.max_entries).unwrap_or(NonZeroUsize::MIN);
        EndpointCache {
            config,
            epoch: Instant::now(),
            state: Mutex::new(State {
                entries: LruCache::new(cap),
                flights: HashMap::new(),
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.config.enabled
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn mono_ms(&self) -> u64 {
        u64::try_from(self.epoch.elapsed().as_millis()).unwrap_or(u64::MAX)
    }

    fn key(sandbox: &str, port: u16, mode: EndpointMode) -> Key {
        Key {
            sandbox: sandbox.to_owned(),
            port,
            mode,
        }
    }

    /// A fresh cached endpoint, if there is one (a stale one is dropped). `server_now_ms`
    /// reads the server's clock.
    pub fn get(
        &self,
        sandbox: &str,
        port: u16,
        mode: EndpointMode,
        server_now_ms: impl Fn() -> u64,
    ) -> Option<Endpoint> {
        let key = Self::key(sandbox, port, mode);
        let mut st = self.lock();
        self.fresh(&mut st, &key, &server_now_ms)
    }

    fn fresh(
        &self,
        st: &mut State,
        key: &Key,
        server_now_ms: &impl Fn() -> u64,
    ) -> Option<Endpoint> {
        let e = st.entries.get(key)?;
        let now = if e.signed {
            server_now_ms()
        } else {
            self.mono_ms()
        };
        if now < e.until_ms {
            return Some(e.endpoint.clone());
        }
        st.entries.pop(key);
        None
    }

    /// A fresh entry, or the flight for this key (joined when one is running, else started).
    pub fn lookup(
        &self,
        sandbox: &str,
        port: u16,
        mode: EndpointMode,
        server_now_ms: impl Fn() -> u64,
    ) -> Lookup {
        let key = Self::key(sandbox, port, mode);
        let mut st = self.lock();
        if let Some(e) = self.fresh(&mut st, &key, &server_now_ms) {
            return Lookup::Hit(e);
        }
        let flight = st
            .flights
            .entry(key)
            .or_insert_with(|| {
                Arc::new(Flight {
                    cell: OnceCell::new(),
                })
            })
            .clone();
        Lookup::Miss(flight)
    }

    /// Ends `flight` for its key (once, whoever calls first) and keeps a successful result,
    /// unless the flight was retired by an invalidation since it began.
    pub fn finish(
        &self,
        sandbox: &str,
        port: u16,
        mode: EndpointMode,
        flight: &Arc<Flight>,
        result: &Result<Endpoint>,
    ) {
        let key = Self::key(sandbox, port, mode);
        let mut st = self.lock();
        match st.flights.get(&key) {
            Some(f) if Arc::ptr_eq(f, flight) => {
                st.flights.remove(&key);
            }
            _ => return,
        }
        let Ok(endpoint) = result else { return };
        let signed = endpoint.route.as_ref().and_then(|r| r.expires);
        let fetched_at = self.mono_ms();
        let until_ms = decide(&self.config, signed, fetched_at, 0).until_ms;
        st.entries.put(
            key,
            Entry {
                endpoint: endpoint.clone(),
                until_ms,
                signed: signed.is_some(),
            },
        );
    }

    /// Forgets every entry of `sandbox` and retires every fetch for it in flight: their
    /// waiters still get their result, but it is not stored, and a later miss starts a new
    /// fetch instead of joining one that began before now.
    pub fn invalidate(&self, sandbox: &str) {
        let mut st = self.lock();
        let stale: Vec<Key> = st
            .entries
            .iter()
            .filter(|(k, _)| k.sandbox == sandbox)
            .map(|(k, _)| k.clone())
            .collect();
        for k in stale {
            st.entries.pop(&k);
        }
        st.flights.retain(|k, _| k.sandbox != sandbox);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn freshness_rule() {
        let c = EndpointCacheConfig::default();
        // Signed: until expires - 30 s, on the server clock.
        let f = decide(&c, Some(1000), 0, 969_999);
        assert_eq!(
            f,
            Freshness {
                fresh: true,
                until_ms: 970_000
            }
        );
        assert!(!decide(&c, Some(1000), 0, 970_000).fresh);
        // Unsigned: ttl after the fetch.
        assert!(decide(&c, None, 5, 600_004).fresh);
        assert!(!decide(&c, None, 5, 600_005).fresh);
        let off = EndpointCacheConfig::off();
        assert!(!decide(&off, None, 0, 0).fresh);
        let tiny = EndpointCacheConfig {
            margin: Duration::from_secs(40),
            ..c
        };
        assert_eq!(decide(&tiny, Some(10), 0, 0).until_ms, 0);
    }
}

//! The platform API as a policy source: GetEndpoint (unsigned) tells whether a sandbox
//! requires secure access — its `OpenSandbox-Secure-Access` header is the access token — and
//! 404 means the sandbox does not exist. Answers are kept in a small TTL cache, here and
//! nowhere else, so it can be swapped for the client's own cache later.

use super::policy::{Lookup, PolicyAnswer, PolicySource};
use crate::client::Client;
use crate::error::{Error, ErrorKind, Result};
use crate::route::SECURE_ACCESS_HEADER;
use crate::secret::SecretString;
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::OnceCell;

type LogFn = dyn Fn(&str) + Send + Sync;

/// How a [`PlatformPolicy`] caches.
pub struct PlatformPolicyBuilder {
    client: Client,
    ttl: Duration,
    unknown_ttl: Duration,
    max_stale: Duration,
    capacity: usize,
    log: Box<LogFn>,
}

impl PlatformPolicyBuilder {
    /// How long an answer is used before the platform is asked again (default 30 s).
    pub fn ttl(mut self, ttl: Duration) -> Self {
        self.ttl = ttl;
        self
    }

    /// How long "no such sandbox" is remembered (default 2 s, so a new sandbox is reachable
    /// soon after it is created).
    pub fn unknown_ttl(mut self, ttl: Duration) -> Self {
        self.unknown_ttl = ttl;
        self
    }

    /// While the platform cannot be reached, an expired answer is still used for this long
    /// past its expiry (default 5 minutes); sandboxes with no such answer get 503.
    pub fn max_stale(mut self, d: Duration) -> Self {
        self.max_stale = d;
        self
    }

    /// Most sandboxes remembered (default 10 000; at least 1).
    pub fn capacity(mut self, n: usize) -> Self {
        self.capacity = n.max(1);
        self
    }

    /// Where the one line about an unreachable platform goes (default: stderr).
    pub fn logger(mut self, log: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.log = Box::new(log);
        self
    }

    /// The policy source.
    pub fn build(self) -> Result<PlatformPolicy> {
        if self.ttl.is_zero() || self.ttl > Duration::from_secs(86_400) {
            return Err(Error::invalid_config(
                "the policy cache ttl must be more than zero and at most one day",
            ));
        }
        Ok(PlatformPolicy {
            inner: Arc::new(Inner {
                client: self.client,
                ttl: self.ttl,
                unknown_ttl: self.unknown_ttl.min(self.ttl),
                max_stale: self.max_stale,
                capacity: self.capacity,
                cache: Mutex::new(HashMap::new()),
                down: Mutex::new(false),
                log: self.log,
            }),
        })
    }
}

/// Which sandboxes require secure access, learnt from the platform through the client.
#[derive(Clone)]
pub struct PlatformPolicy {
    inner: Arc<Inner>,
}

impl fmt::Debug for PlatformPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformPolicy")
            .field("base_url", &self.inner.client.base_url())
            .field("ttl", &self.inner.ttl)
            .field("cached", &self.cached())
            .finish()
    }
}

struct Inner {
    client: Client,
    ttl: Duration,
    unknown_ttl: Duration,
    max_stale: Duration,
    capacity: usize,
    cache: Mutex<HashMap<String, Entry>>,
    /// Whether the last call failed (so the outage is logged once, and its end too).
    down: Mutex<bool>,
    log: Box<LogFn>,
}

#[derive(Default)]
struct Entry {
    answer: Option<(PolicyAnswer, Instant)>,
    inflight: Option<Arc<OnceCell<Option<PolicyAnswer>>>>,
}

impl PlatformPolicy {
    /// A policy source asking the platform `client` points at (its API key needs read access
    /// to endpoints). The client's own timeout and retries apply to each call: keep them
    /// short, since a request waits for the answer.
    pub fn builder(client: Client) -> PlatformPolicyBuilder {
        PlatformPolicyBuilder {
            client,
            ttl: Duration::from_secs(30),
            unknown_ttl: Duration::from_secs(2),
            max_stale: Duration::from_secs(300),
            capacity: 10_000,
            log: Box::new(|line| eprintln!("{line}")),
        }
    }

    /// How many sandboxes are remembered.
    pub fn cached(&self) -> usize {
        self.inner.lock().len()
    }

    /// Forgets every answer.
    pub fn clear(&self) {
        self.inner.lock().clear();
    }
}

impl Inner {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Entry>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn fresh(&self, answer: &PolicyAnswer, at: Instant, now: Instant) -> bool {
        let ttl = if *answer == PolicyAnswer::Unknown {
            self.unknown_ttl
        } else {
            self.ttl
        };
        now.saturating_duration_since(at) < ttl
    }

    /// One GetEndpoint call: `None` when the platform could not answer.
    async fn ask(&self, sandbox_id: &str, port: u16) -> Option<PolicyAnswer> {
        // Past the client's endpoint cache: this source keeps its own, with its own TTLs, and
        // `clear` must reach the platform again.
        let result = self
            .client
            .fetch_endpoint(sandbox_id, port, crate::client::EndpointMode::Direct)
            .await;
        let answer = match result {
            Ok(ep) => Some(
                match ep
                    .headers
                    .iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(SECURE_ACCESS_HEADER))
                    .map(|(_, v)| v.trim())
                    .filter(|v| !v.is_empty())
                {
                    Some(t) => PolicyAnswer::Secure(SecretString::new(t.to_owned())),
                    None => PolicyAnswer::Open,
                },
            ),
            Err(e) if e.kind() == ErrorKind::Api && e.status() == Some(404) => {
                Some(PolicyAnswer::Unknown)
            }
            Err(e) => {
                let mut down = self.down.lock().unwrap_or_else(|p| p.into_inner());
                if !*down {
                    *down = true;
                    (self.log)(&format!(
                        "sandgate: the platform cannot answer ({}); unknown sandboxes get 503 until it does",
                        e.kind().code()
                    ));
                }
                return None;
            }
        };
        let mut down = self.down.lock().unwrap_or_else(|p| p.into_inner());
        if *down {
            *down = false;
            (self.log)("sandgate: the platform answers again");
        }
        answer
    }

    async fn fetch(&self, sandbox_id: String, port: u16) -> PolicyAnswer {
        let cell = {
            let mut map = self.lock();
            if !map.contains_key(&sandbox_id) && map.len() >= self.capacity {
                self.evict(&mut map);
            }
            let e = map.entry(sandbox_id.clone()).or_default();
            if let Some((a, at)) = &e.answer {
                if self.fresh(a, *at, Instant::now()) {
                    return a.clone();
                }
            }
            e.inflight
                .get_or_insert_with(|| Arc::new(OnceCell::new()))
                .clone()
        };
        let got = cell
            .get_or_init(|| self.ask(&sandbox_id, port))
            .await
            .clone();
        let mut map = self.lock();
        let e = map.entry(sandbox_id).or_default();
        if e.inflight.as_ref().is_some_and(|c| Arc::ptr_eq(c, &cell)) {
            e.inflight = None;
            if let Some(a) = &got {
                e.answer = Some((a.clone(), Instant::now()));
            }
        }
        match got {
            Some(a) => a,
            None => match &e.answer {
                // The platform is down: a recent enough answer still holds.
                Some((a, at))
                    if *a != PolicyAnswer::Unknown
                        && Instant::now().saturating_duration_since(*at)
                            < self.ttl + self.max_stale =>
                {
                    a.clone()
                }
                _ => PolicyAnswer::Unavailable,
            },
        }
    }

    /// Makes room: drops expired answers, else the oldest one.
    fn evict(&self, map: &mut HashMap<String, Entry>) {
        let now = Instant::now();
        map.retain(|_, e| {
            e.inflight.is_some()
                || e.answer.as_ref().is_some_and(|(a, at)| {
                    self.fresh(a, *at, now)
                        || (*a != PolicyAnswer::Unknown
                            && now.saturating_duration_since(*at) < self.ttl + self.max_stale)
                })
        });
        if map.len() >= self.capacity {
            let oldest = map
                .iter()
                .filter(|(_, e)| e.inflight.is_none())
                .min_by_key(|(_, e)| e.answer.as_ref().map(|(_, at)| *at))
                .map(|(k, _)| k.clone());
            if let Some(k) = oldest {
                map.remove(&k);
            }
        }
    }
}

impl PolicySource for PlatformPolicy {
    fn lookup(&self, sandbox_id: &str, port: u16) -> Lookup<'_> {
        {
            let map = self.inner.lock();
            if let Some(Entry {
                answer: Some((a, at)),
                ..
            }) = map.get(sandbox_id)
            {
                if self.inner.fresh(a, *at, Instant::now()) {
                    return Lookup::Ready(a.clone());
                }
            }
        }
        let id = sandbox_id.to_owned();
        Lookup::Pending(Box::pin(self.inner.fetch(id, port)))
    }
}

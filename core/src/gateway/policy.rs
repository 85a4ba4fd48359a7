//! Policy sources: which sandboxes require secure access, and their access tokens.

use crate::error::{Error, Result};
use crate::secret::SecretString;
use serde::Deserialize;
use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

/// What a policy source says about one sandbox.
#[derive(Clone, PartialEq, Eq)]
pub enum PolicyAnswer {
    /// The sandbox does not require secure access.
    Open,
    /// The sandbox requires a valid signed route or this access token in
    /// `OpenSandbox-Secure-Access`.
    Secure(SecretString),
    /// The sandbox requires a valid signed route; no access token is known, so the
    /// `OpenSandbox-Secure-Access` header grants nothing.
    SignatureOnly,
    /// No such sandbox (404 `unknown_sandbox`).
    Unknown,
    /// The source cannot answer now (503 `policy_unavailable`, `Retry-After: 1`).
    Unavailable,
}

impl fmt::Debug for PolicyAnswer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            PolicyAnswer::Open => "Open",
            PolicyAnswer::Secure(_) => "Secure(***)",
            PolicyAnswer::SignatureOnly => "SignatureOnly",
            PolicyAnswer::Unknown => "Unknown",
            PolicyAnswer::Unavailable => "Unavailable",
        })
    }
}

/// A policy answer still on its way.
pub type PolicyFuture<'a> = Pin<Box<dyn Future<Output = PolicyAnswer> + Send + 'a>>;

/// A policy source's answer: known now, or to wait for.
pub enum Lookup<'a> {
    /// Known without waiting (a file, memory, a cache hit).
    Ready(PolicyAnswer),
    /// To wait for (a call to the platform).
    Pending(PolicyFuture<'a>),
}

/// Where a gateway learns which sandboxes require secure access.
pub trait PolicySource: Send + Sync + 'static {
    /// The policy of `sandbox_id`, asked for a request to `port`.
    fn lookup(&self, sandbox_id: &str, port: u16) -> Lookup<'_>;
}

/// Signature-only: every sandbox requires a valid signed route; no policy is kept.
#[derive(Clone, Copy, Debug, Default)]
pub struct SignatureOnly;

impl PolicySource for SignatureOnly {
    fn lookup(&self, _: &str, _: u16) -> Lookup<'_> {
        Lookup::Ready(PolicyAnswer::SignatureOnly)
    }
}

/// What a policy table answers for a sandbox it does not list.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnknownDefault {
    /// 404 `unknown_sandbox` (the default).
    #[default]
    Unknown,
    /// Secure, signed routes only.
    SignatureOnly,
}

/// A fixed policy: listed sandboxes, and what the others get.
///
/// The file form (JSON or TOML; unknown fields are errors):
///
/// ```toml
/// default = "unknown"          # or "signature_only": unlisted sandboxes need a signed route
/// [sandboxes."sbx-001"]
/// secure = true
/// access_token = "..."         # required when secure; a signed route is accepted too
/// [sandboxes."sbx-002"]
/// secure = false
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct PolicyTable {
    sandboxes: HashMap<String, PolicyAnswer>,
    default: UnknownDefault,
}

impl fmt::Debug for PolicyTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PolicyTable")
            .field("sandboxes", &self.sandboxes.len())
            .field("default", &self.default)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileForm {
    #[serde(default)]
    default: UnknownDefault,
    #[serde(default)]
    sandboxes: HashMap<String, EntryForm>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EntryForm {
    secure: bool,
    #[serde(default)]
    access_token: Option<String>,
}

/// Largest policy file read (8 MiB).
pub const MAX_POLICY_BYTES: u64 = 8 << 20;

impl PolicyTable {
    /// An empty table: every sandbox is unknown.
    pub fn new() -> Self {
        Self::default()
    }

    /// Lists a sandbox that does not require secure access.
    pub fn open(mut self, sandbox_id: impl Into<String>) -> Self {
        self.sandboxes.insert(sandbox_id.into(), PolicyAnswer::Open);
        self
    }

    /// Lists a sandbox that requires secure access, with its access token.
    pub fn secure(
        mut self,
        sandbox_id: impl Into<String>,
        access_token: impl Into<SecretString>,
    ) -> Self {
        self.sandboxes
            .insert(sandbox_id.into(), PolicyAnswer::Secure(access_token.into()));
        self
    }

    /// What unlisted sandboxes get.
    pub fn with_default(mut self, default: UnknownDefault) -> Self {
        self.default = default;
        self
    }

    /// How many sandboxes are listed.
    pub fn len(&self) -> usize {
        self.sandboxes.len()
    }

    /// No sandbox is listed.
    pub fn is_empty(&self) -> bool {
        self.sandboxes.is_empty()
    }

    /// The answer for `sandbox_id`.
    pub fn get(&self, sandbox_id: &str) -> PolicyAnswer {
        match self.sandboxes.get(sandbox_id) {
            Some(a) => a.clone(),
            None => match self.default {
                UnknownDefault::Unknown => PolicyAnswer::Unknown,
                UnknownDefault::SignatureOnly => PolicyAnswer::SignatureOnly,
            },
        }
    }

    /// Parses the JSON form. Errors give a position, never the file's text.
    pub fn from_json(text: &str) -> Result<Self> {
        let form: FileForm = serde_json::from_str(text).map_err(|e| {
            let what = match e.classify() {
                serde_json::error::Category::Syntax | serde_json::error::Category::Eof => {
                    "is not valid JSON"
                }
                _ => "does not have the policy's shape (a wrong type, a missing or unknown field)",
            };
            Error::invalid_config(format!(
                "policy {what} at line {} column {}",
                e.line(),
                e.column()
            ))
        })?;
        Self::from_form(form)
    }

    /// Parses the TOML form. Errors give a position, never the file's text.
    pub fn from_toml(text: &str) -> Result<Self> {
        let form: FileForm = toml::from_str(text).map_err(|e| {
            let at = match e.span() {
                Some(span) => {
                    let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
                    format!(" at line {line}")
                }
                None => String::new(),
            };
            Error::invalid_config(format!(
                "policy is not valid TOML of the policy's shape (a syntax error, a wrong type, a missing or unknown field){at}"
            ))
        })?;
        Self::from_form(form)
    }

    /// Parses `text` as JSON when it starts with `{`, else as TOML.
    pub fn parse(text: &str) -> Result<Self> {
        if text.trim_start().starts_with('{') {
            Self::from_json(text)
        } else {
            Self::from_toml(text)
        }
    }

    /// Reads and parses a policy file (a regular file of at most 8 MiB): JSON when its name
    /// ends in `.json`, TOML when it ends in `.toml`, else by its first character.
    pub fn from_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let text = read_policy(path)?;
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("");
        let parsed = match ext.to_ascii_lowercase().as_str() {
            "json" => Self::from_json(&text),
            "toml" => Self::from_toml(&text),
            _ => Self::parse(&text),
        };
        parsed.map_err(|e| {
            Error::invalid_config(format!("policy file {}: {}", path.display(), e.message()))
        })
    }

    fn from_form(form: FileForm) -> Result<Self> {
        let mut sandboxes = HashMap::with_capacity(form.sandboxes.len());
        for (id, e) in form.sandboxes {
            if id.is_empty() || id.len() > 256 || id.contains(|c: char| c.is_control()) {
                return Err(Error::invalid_config(
                    "policy: a sandbox id is empty, longer than 256 bytes or has control characters",
                ));
            }
            let answer = match (e.secure, e.access_token) {
                (false, None) => PolicyAnswer::Open,
                (false, Some(_)) => {
                    return Err(Error::invalid_config(format!(
                        "policy: sandbox {id:?} is not secure but has an access_token (set secure = true, or remove the token)"
                    )))
                }
                (true, Some(t)) if !t.trim().is_empty() && t.trim() == t => {
                    PolicyAnswer::Secure(SecretString::new(t))
                }
                (true, Some(_)) => {
                    return Err(Error::invalid_config(format!(
                        "policy: sandbox {id:?} has a blank access_token or one with surrounding spaces"
                    )))
                }
                (true, None) => {
                    return Err(Error::invalid_config(format!(
                        "policy: secure sandbox {id:?} needs an access_token"
                    )))
                }
            };
            sandboxes.insert(id, answer);
        }
        Ok(PolicyTable {
            sandboxes,
            default: form.default,
        })
    }
}

impl PolicySource for PolicyTable {
    fn lookup(&self, sandbox_id: &str, _: u16) -> Lookup<'_> {
        Lookup::Ready(self.get(sandbox_id))
    }
}

fn read_policy(path: &Path) -> Result<String> {
    let meta = std::fs::metadata(path).map_err(|e| {
        Error::invalid_config(format!("policy file {}: {}", path.display(), e.kind()))
    })?;
    if !meta.is_file() {
        return Err(Error::invalid_config(format!(
            "policy file {} is not a regular file",
            path.display()
        )));
    }
    if meta.len() > MAX_POLICY_BYTES {
        return Err(Error::invalid_config(format!(
            "policy file {} is larger than {} bytes",
            path.display(),
            MAX_POLICY_BYTES
        )));
    }
    let bytes = std::fs::read(path).map_err(|e| {
        Error::invalid_config(format!("policy file {}: {}", path.display(), e.kind()))
    })?;
    String::from_utf8(bytes)
        .map_err(|_| Error::invalid_config(format!("policy file {} is not UTF-8", path.display())))
}

type LogFn = dyn Fn(&str) + Send + Sync;

/// A policy file, reloaded when it changes.
///
/// At most once per check interval (default one second) a lookup looks at the file's
/// modification time and size; when they changed, the file is read again. A file that no
/// longer parses keeps the last good policy and logs one line (the file's path and what is
/// wrong, never its contents) once per bad version.
pub struct FilePolicy {
    path: PathBuf,
    current: RwLock<Arc<PolicyTable>>,
    seen: Mutex<Option<(SystemTime, u64)>>,
    next_check_ms: AtomicU64,
    started: Instant,
    interval: Duration,
    log: Box<LogFn>,
}

impl fmt::Debug for FilePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePolicy")
            .field("path", &self.path)
            .field("interval", &self.interval)
            .finish_non_exhaustive()
    }
}

fn stamp(path: &Path) -> Option<(SystemTime, u64)> {
    let m = std::fs::metadata(path).ok()?;
    Some((m.modified().ok()?, m.len()))
}

impl FilePolicy {
    /// Loads `path` (it must be valid now); reload failures later go to stderr.
    pub fn open(path: impl Into<PathBuf>) -> Result<Self> {
        let path = path.into();
        let seen = stamp(&path);
        let table = PolicyTable::from_file(&path)?;
        Ok(FilePolicy {
            path,
            current: RwLock::new(Arc::new(table)),
            seen: Mutex::new(seen),
            next_check_ms: AtomicU64::new(0),
            started: Instant::now(),
            interval: Duration::from_secs(1),
            log: Box::new(|line| eprintln!("{line}")),
        })
    }

    /// How often the file is looked at (at least 10 ms).
    pub fn with_interval(mut self, interval: Duration) -> Self {
        self.interval = interval.max(Duration::from_millis(10));
        self
    }

    /// Where the one line about a bad file goes (default: stderr).
    pub fn with_logger(mut self, log: impl Fn(&str) + Send + Sync + 'static) -> Self {
        self.log = Box::new(log);
        self
    }

    /// The policy in force.
    pub fn table(&self) -> Arc<PolicyTable> {
        self.refresh();
        self.current
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Looks at the file now (when the interval has passed); returns whether a new policy
    /// was loaded.
    pub fn refresh(&self) -> bool {
        let now_ms = u64::try_from(self.started.elapsed().as_millis()).unwrap_or(u64::MAX);
        let due = self.next_check_ms.load(Ordering::Acquire);
        if now_ms < due {
            return false;
        }
        let next = now_ms.saturating_add(self.interval.as_millis() as u64);
        if self
            .next_check_ms
            .compare_exchange(due, next, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false; // another thread is looking
        }
        self.reload_if_changed()
    }

    fn reload_if_changed(&self) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        let now = stamp(&self.path);
        if now == *seen {
            return false;
        }
        *seen = now;
        match PolicyTable::from_file(&self.path) {
            Ok(t) => {
                *self.current.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(t);
                true
            }
            Err(e) => {
                (self.log)(&format!(
                    "sandgate: {}; keeping the last good policy",
                    e.message()
                ));
                false
            }
        }
    }
}

impl PolicySource for FilePolicy {
    fn lookup(&self, sandbox_id: &str, _: u16) -> Lookup<'_> {
        self.refresh();
        let t = self.current.read().unwrap_or_else(|p| p.into_inner());
        Lookup::Ready(t.get(sandbox_id))
    }
}

impl<P: PolicySource> PolicySource for Arc<P> {
    fn lookup(&self, sandbox_id: &str, port: u16) -> Lookup<'_> {
        (**self).lookup(sandbox_id, port)
    }
}

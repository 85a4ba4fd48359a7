//! The HTTP client: one options struct, construction, the result structs, and every operation
//! as a call that completes through a callback.

use crate::abi::{
    boxed_array, boxed_out, entry, flag, free_box, free_owned, guard, handle, optional, out_ptr,
    owned, pairs_in, sandgate_error_free, Codes, SandgateError, SandgatePair, SandgateStr,
    SandgateStrPair, SandgateString,
};
use crate::routes::{SandgateExpiry, SandgateRoute};
use crate::task::{start, IntoFfi, SandgateCallback, SandgateCancel};
use sandgate::client::{
    ApiKeyInfo, CreateSandbox, CreatedApiKey, Endpoint, Sandbox, SandboxRenewal,
};
use sandgate::route::check_port;
use sandgate::surface::{
    self, CacheOptions, ClientOptions, EndpointKind, EndpointMode, EndpointView, OnRetry,
    RetryEvent, RetryOptions, RetryQuery,
};
use sandgate::{Client, Error, SecretString};
use std::collections::BTreeMap;
use std::ffi::{c_char, c_void};
use std::ptr;
use std::sync::Arc;

/// Retry options: the mirror of core's `RetryOptions`. A value is used only when its `has_`
/// flag is 1; a zeroed struct keeps every default.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateRetryOptions {
    /// 1 when `max_retries` is set, else 0.
    pub has_max_retries: u8,
    /// Retries after the first attempt (0 turns retrying off).
    pub max_retries: u32,
    /// 1 when `initial_backoff_ms` is set, else 0.
    pub has_initial_backoff_ms: u8,
    /// Delay before the first retry, in milliseconds.
    pub initial_backoff_ms: u64,
    /// 1 when `max_backoff_ms` is set, else 0.
    pub has_max_backoff_ms: u8,
    /// Longest delay between attempts, in milliseconds.
    pub max_backoff_ms: u64,
    /// 1 when `multiplier` is set, else 0.
    pub has_multiplier: u8,
    /// Growth factor of the jitter's upper bound (1..=100).
    pub multiplier: f64,
    /// 1 when `retry_statuses` is set (possibly empty: never retry on a status), else 0.
    pub has_retry_statuses: u8,
    /// Statuses on which idempotent requests are retried (`retry_statuses_len` of them).
    pub retry_statuses: *const u16,
    /// Number of `retry_statuses`.
    pub retry_statuses_len: usize,
    /// 1 when `post_retry_statuses` is set, else 0.
    pub has_post_retry_statuses: u8,
    /// Statuses on which POST requests are retried: an opt-in (`post_retry_statuses_len`).
    pub post_retry_statuses: *const u16,
    /// Number of `post_retry_statuses`.
    pub post_retry_statuses_len: usize,
    /// 1 when `attempt_timeout_ms` is set, else 0.
    pub has_attempt_timeout_ms: u8,
    /// Timeout of one attempt, in milliseconds.
    pub attempt_timeout_ms: u64,
    /// 1 when `deadline_ms` is set, else 0.
    pub has_deadline_ms: u8,
    /// Time allowed for all attempts and waits together, in milliseconds.
    pub deadline_ms: u64,
}

/// `len` borrowed statuses at `ptr` when `has` is 1.
unsafe fn statuses(
    has: u8,
    ptr: *const u16,
    len: usize,
    what: &str,
) -> Result<Option<Vec<u16>>, Error> {
    if !flag(has, &format!("has_{what}"))? {
        return Ok(None);
    }
    if len == 0 {
        return Ok(Some(Vec::new()));
    }
    if ptr.is_null() {
        return Err(Error::invalid_argument(format!(
            "{what} must not be NULL when {what}_len is not 0"
        )));
    }
    if len > isize::MAX as usize / 2 {
        return Err(Error::invalid_argument(format!("{what}_len is too large")));
    }
    Ok(Some(std::slice::from_raw_parts(ptr, len).to_vec()))
}

impl SandgateRetryOptions {
    pub(crate) unsafe fn get(&self) -> Result<RetryOptions, Error> {
        Ok(RetryOptions {
            max_retries: optional(self.has_max_retries, self.max_retries, "has_max_retries")?,
            initial_backoff_ms: optional(
                self.has_initial_backoff_ms,
                self.initial_backoff_ms,
                "has_initial_backoff_ms",
            )?,
            max_backoff_ms: optional(
                self.has_max_backoff_ms,
                self.max_backoff_ms,
                "has_max_backoff_ms",
            )?,
            multiplier: optional(self.has_multiplier, self.multiplier, "has_multiplier")?,
            retry_statuses: statuses(
                self.has_retry_statuses,
                self.retry_statuses,
                self.retry_statuses_len,
                "retry_statuses",
            )?,
            post_retry_statuses: statuses(
                self.has_post_retry_statuses,
                self.post_retry_statuses,
                self.post_retry_statuses_len,
                "post_retry_statuses",
            )?,
            attempt_timeout_ms: optional(
                self.has_attempt_timeout_ms,
                self.attempt_timeout_ms,
                "has_attempt_timeout_ms",
            )?,
            deadline_ms: optional(self.has_deadline_ms, self.deadline_ms, "has_deadline_ms")?,
        })
    }
}

/// Endpoint cache options: the mirror of core's `CacheOptions`. A value is used only when its
/// `has_` flag is 1; a zeroed struct keeps every default (the cache is on).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateCacheOptions {
    /// 1 when `enabled` is set, else 0.
    pub has_enabled: u8,
    /// 1: endpoints are cached; 0: never.
    pub enabled: u8,
    /// 1 when `max_entries` is set, else 0.
    pub has_max_entries: u8,
    /// Most entries kept (least recently used first out).
    pub max_entries: u64,
    /// 1 when `ttl_ms` is set, else 0.
    pub has_ttl_ms: u8,
    /// How long a direct or server-proxy endpoint is reused, in milliseconds.
    pub ttl_ms: u64,
    /// 1 when `margin_ms` is set, else 0.
    pub has_margin_ms: u8,
    /// How long before its expiry a signed endpoint stops being reused, in milliseconds.
    pub margin_ms: u64,
}

impl SandgateCacheOptions {
    pub(crate) fn get(&self) -> Result<CacheOptions, Error> {
        let enabled = match optional(self.has_enabled, self.enabled, "has_enabled")? {
            Some(e) => Some(flag(e, "enabled")?),
            None => None,
        };
        Ok(CacheOptions {
            enabled,
            max_entries: optional(self.has_max_entries, self.max_entries, "has_max_entries")?,
            ttl_ms: optional(self.has_ttl_ms, self.ttl_ms, "has_ttl_ms")?,
            margin_ms: optional(self.has_margin_ms, self.margin_ms, "has_margin_ms")?,
        })
    }
}

/// What the `on_retry` hook is told before a retry sleeps; borrowed for the call only.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateRetryEvent {
    /// The attempt that failed, from 1; the next one is `attempt + 1`.
    pub attempt: u32,
    /// The delay before the next attempt, in milliseconds.
    pub delay_ms: u64,
    /// The failure (borrowed: do not free; copy what you keep).
    pub cause: *const SandgateError,
}

/// The `on_retry` hook: called on a sandgate runtime thread before each retry sleeps, with the
/// `on_retry_user_data` of the options and an event borrowed for the call. It must return
/// quickly and must not call back into the client it observes synchronously.
pub type SandgateRetryHook =
    Option<unsafe extern "C" fn(user_data: *mut c_void, event: *const SandgateRetryEvent)>;

/// Releases the hook's `user_data` once no client (nor any call in flight) can call it again.
pub type SandgateReleaseHook = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// The C hook held by the core client; its release runs when the last clone is dropped.
struct Hook {
    call: unsafe extern "C" fn(*mut c_void, *const SandgateRetryEvent),
    release: SandgateReleaseHook,
    user_data: *mut c_void,
}

// The caller promises (docs/c-abi.md) that the hook and its user data may be used from any
// thread.
unsafe impl Send for Hook {}
unsafe impl Sync for Hook {}

impl Drop for Hook {
    fn drop(&mut self) {
        if let Some(release) = self.release {
            let ud = self.user_data;
            crate::abi::guard_free(|| unsafe { release(ud) });
        }
    }
}

impl Hook {
    fn fire(&self, e: &RetryEvent) {
        let cause = SandgateError::from_view(&e.cause);
        let ev = SandgateRetryEvent {
            attempt: e.attempt,
            delay_ms: e.delay_ms,
            cause,
        };
        crate::abi::guard_free(|| unsafe { (self.call)(self.user_data, &ev) });
        unsafe { sandgate_error_free(cause) };
    }
}

/// Client options: the mirror of core's `ClientOptions`, borrowed for the call to
/// `sandgate_client_new`. An absent string (NULL `ptr`) or a 0 `has_` flag falls back to the
/// `OPEN_SANDBOX_*` environment and then the defaults; a zeroed struct sets nothing.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateClientOptions {
    /// Server domain (`host:port`; a scheme written here wins over `protocol`).
    pub domain: SandgateStr,
    /// `http` or `https`.
    pub protocol: SandgateStr,
    /// The API key (a secret: copied into a zeroing type, never printed).
    pub api_key: SandgateStr,
    /// Headers sent on every request (`headers_len` of them; NULL when 0).
    pub headers: *const SandgateStrPair,
    /// Number of headers.
    pub headers_len: usize,
    /// 1 when `timeout_ms` is set, else 0.
    pub has_timeout_ms: u8,
    /// Per-request timeout in milliseconds (at least 1).
    pub timeout_ms: u64,
    /// The language named in the user agent (`go`, `csharp`, ...); NULL = `c`.
    pub language: SandgateStr,
    /// Retry options.
    pub retry: SandgateRetryOptions,
    /// 1: do not read `OPEN_SANDBOX_*` environment variables.
    pub ignore_env: u8,
    /// Endpoint cache options.
    pub cache: SandgateCacheOptions,
    /// Called before each retry sleeps; NULL = no hook.
    pub on_retry: SandgateRetryHook,
    /// Handed to `on_retry` and `on_retry_release`.
    pub on_retry_user_data: *mut c_void,
    /// Called once with `on_retry_user_data` when the client and every call in flight are
    /// done with the hook (also when `sandgate_client_new` fails); NULL = nothing to release.
    pub on_retry_release: SandgateReleaseHook,
}

impl SandgateClientOptions {
    unsafe fn get(&self) -> Result<ClientOptions, Error> {
        // Owned first, so the release runs even when another option is bad.
        let hook = self.on_retry.map(|call| Hook {
            call,
            release: self.on_retry_release,
            user_data: self.on_retry_user_data,
        });
        let on_retry: Option<OnRetry> = hook.map(|h| {
            let h = Arc::new(h);
            Arc::new(move |e: &RetryEvent| h.fire(e)) as OnRetry
        });
        Ok(ClientOptions {
            domain: self.domain.opt("domain")?.map(str::to_owned),
            protocol: self.protocol.opt("protocol")?.map(str::to_owned),
            api_key: self.api_key.opt("api_key")?.map(SecretString::from),
            timeout_ms: optional(self.has_timeout_ms, self.timeout_ms, "has_timeout_ms")?,
            headers: pairs_in(self.headers, self.headers_len, "headers")?
                .into_iter()
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect(),
            language: Some(self.language.opt("language")?.unwrap_or("c").to_owned()),
            retry: self.retry.get()?,
            on_retry,
            cache: self.cache.get()?,
            ignore_env: flag(self.ignore_env, "ignore_env")?,
        })
    }
}

/// A client for one OpenSandbox server (opaque). Thread-safe; operations in flight keep what
/// they need, so it may be freed at any time with `sandgate_client_free`.
pub struct SandgateClient(Client);

/// Builds a client from `*options` (NULL = environment and defaults only), validating every
/// option (`invalid_config`); `options` is only read during the call. On success `*out` is
/// owned by the caller: free it with `sandgate_client_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_new(
    options: *const SandgateClientOptions,
    out: *mut *mut SandgateClient,
) -> *mut SandgateError {
    guard(|| {
        if out.is_null() {
            // No client will hold the hook: release its user data now, as promised.
            if let Some(o) = options.as_ref() {
                if let (Some(_), Some(release)) = (o.on_retry, o.on_retry_release) {
                    release(o.on_retry_user_data);
                }
            }
        }
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let options = match options.as_ref() {
            Some(o) => o.get()?,
            None => ClientOptions {
                language: Some("c".into()),
                ..Default::default()
            },
        };
        boxed_out(out, SandgateClient(options.build()?));
        Ok(())
    })
}

/// Writes the server root `protocol://domain` to `*out`, owned by the caller: free it with
/// `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_base_url(
    client: *const SandgateClient,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        *out = SandgateString::new(handle(client, "client")?.0.base_url());
        Ok(())
    })
}

/// Frees a client; calls in flight still complete. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_free(client: *mut SandgateClient) {
    free_box(client)
}

// ---------------------------------------------------------------- results

/// One endpoint header.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateHeader {
    /// Header name.
    pub name: SandgateString,
    /// Header value (may be a secret: the sandbox's access token).
    pub value: SandgateString,
    /// The value safe to print (`***` for `OpenSandbox-Secure-Access`).
    pub redacted_value: SandgateString,
}

/// An endpoint: the mirror of core's `EndpointView`. Allocated by sandgate, read-only for the
/// caller, freed with `sandgate_endpoint_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateEndpoint {
    /// The endpoint exactly as the server returned it (no scheme).
    pub endpoint: SandgateString,
    /// The endpoint as a URL.
    pub url: SandgateString,
    /// Headers to send on every request to this endpoint (`headers_len` of them).
    pub headers: *mut SandgateHeader,
    /// Number of headers.
    pub headers_len: usize,
    /// The signed route it carries; `route.sandbox_id.ptr` NULL when unsigned.
    pub route: SandgateRoute,
    /// The server's `OPEN-SANDBOX-ORIGIN` for this endpoint; `ptr` NULL when it sent none.
    pub origin: SandgateString,
    /// A `SandgateEndpointKind` value.
    pub kind: i32,
    /// The kind's stable code (`direct`, `server_proxy`, `signed`): static, never freed.
    pub kind_code: *const c_char,
}

/// An endpoint's kind, in the order of core's `EndpointKind::ALL` (value = index).
#[repr(i32)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SandgateEndpointKind {
    /// `direct`: the gateway's own endpoint, unsigned; never carries the API key.
    Direct = 0,
    /// `server_proxy`: through the lifecycle server; its headers carry the API key.
    ServerProxy = 1,
    /// `signed`: a signed route (OSEP-0011).
    Signed = 2,
}

static ENDPOINT_KIND_CODES: Codes = Codes::new();
static RETRY_VERDICT_CODES: Codes = Codes::new();

fn kind_index(kind: EndpointKind) -> i32 {
    EndpointKind::ALL
        .iter()
        .position(|k| *k == kind)
        .map_or(-1, |i| i as i32)
}

/// The stable code of an endpoint kind (`direct`, `server_proxy`, `signed`) by its
/// `SandgateEndpointKind` value: a static string, never freed; NULL for another number.
#[no_mangle]
pub extern "C" fn sandgate_endpoint_kind_code(kind: i32) -> *const c_char {
    entry(
        ENDPOINT_KIND_CODES.get(surface::endpoint_kind_codes),
        i64::from(kind),
    )
}

impl IntoFfi for Endpoint {
    type Ffi = SandgateEndpoint;
    fn into_ffi(self) -> *mut SandgateEndpoint {
        let view = EndpointView::from(self);
        let headers = view
            .headers
            .iter()
            .map(|(k, v)| SandgateHeader {
                name: SandgateString::new(k),
                value: SandgateString::new(v),
                redacted_value: SandgateString::new(
                    view.redacted_headers.get(k).map_or("***", String::as_str),
                ),
            })
            .collect();
        let (headers, headers_len) = boxed_array(headers);
        Box::into_raw(Box::new(SandgateEndpoint {
            endpoint: SandgateString::new(&view.endpoint),
            url: SandgateString::new(&view.url),
            headers,
            headers_len,
            route: SandgateRoute::of(view.route.as_ref()),
            origin: SandgateString::opt(view.origin.as_deref()),
            kind: kind_index(view.kind),
            kind_code: sandgate_endpoint_kind_code(kind_index(view.kind)),
        }))
    }
}

/// Frees an endpoint (header values are zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_endpoint_free(endpoint: *mut SandgateEndpoint) {
    free_owned(endpoint)
}

owned!(SandgateHeader {
    name,
    value,
    redacted_value
});
owned!(SandgateEndpoint { endpoint, url, route, origin } [headers; headers_len]);

/// A sandbox. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_sandbox_free` (or with its list).
#[repr(C)]
#[derive(Debug)]
pub struct SandgateSandbox {
    /// The sandbox id.
    pub id: SandgateString,
    /// The image URI; `ptr` NULL when unknown.
    pub image: SandgateString,
    /// Lifecycle state (for example `Running`).
    pub state: SandgateString,
    /// Metadata pairs (`metadata_len` of them), including `access.owner`.
    pub metadata: *mut SandgatePair,
    /// Number of metadata pairs.
    pub metadata_len: usize,
    /// 1 when the sandbox requires secure access, else 0.
    pub secure_access: u8,
    /// Creation time (RFC 3339); `ptr` NULL when unknown.
    pub created_at: SandgateString,
    /// Expiry time (RFC 3339); `ptr` NULL when unknown.
    pub expires_at: SandgateString,
}

fn pairs(map: &BTreeMap<String, String>) -> (*mut SandgatePair, usize) {
    boxed_array(
        map.iter()
            .map(|(k, v)| SandgatePair {
                name: SandgateString::new(k),
                value: SandgateString::new(v),
            })
            .collect(),
    )
}

fn sandbox(s: &Sandbox) -> SandgateSandbox {
    let (metadata, metadata_len) = pairs(&s.metadata);
    SandgateSandbox {
        id: SandgateString::new(&s.id),
        image: SandgateString::opt(s.image.as_deref()),
        state: SandgateString::new(&s.state),
        metadata,
        metadata_len,
        secure_access: u8::from(s.secure_access),
        created_at: SandgateString::opt(s.created_at.as_deref()),
        expires_at: SandgateString::opt(s.expires_at.as_deref()),
    }
}

owned!(SandgateSandbox { id, image, state, created_at, expires_at } [metadata; metadata_len]);

impl IntoFfi for Sandbox {
    type Ffi = SandgateSandbox;
    fn into_ffi(self) -> *mut SandgateSandbox {
        Box::into_raw(Box::new(sandbox(&self)))
    }
}

/// Frees a sandbox. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sandbox_free(sandbox: *mut SandgateSandbox) {
    free_owned(sandbox)
}

/// A list of sandboxes. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_sandbox_list_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateSandboxList {
    /// The sandboxes (`len` of them; NULL when empty).
    pub items: *mut SandgateSandbox,
    /// Number of sandboxes.
    pub len: usize,
}

impl IntoFfi for Vec<Sandbox> {
    type Ffi = SandgateSandboxList;
    fn into_ffi(self) -> *mut SandgateSandboxList {
        let (items, len) = boxed_array(self.iter().map(sandbox).collect());
        Box::into_raw(Box::new(SandgateSandboxList { items, len }))
    }
}

/// Frees a list of sandboxes and every sandbox in it. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sandbox_list_free(list: *mut SandgateSandboxList) {
    free_owned(list)
}

owned!(SandgateSandboxList {} [items; len]);

/// A sandbox's new expiry. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_sandbox_renewal_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateSandboxRenewal {
    /// The new expiry exactly as the server returned it (RFC 3339).
    pub expires_at: SandgateString,
    /// The same instant in Unix seconds.
    pub expires: u64,
}

impl IntoFfi for SandboxRenewal {
    type Ffi = SandgateSandboxRenewal;
    fn into_ffi(self) -> *mut SandgateSandboxRenewal {
        Box::into_raw(Box::new(SandgateSandboxRenewal {
            expires_at: SandgateString::new(&self.expires_at),
            expires: self.expires,
        }))
    }
}

/// Frees a sandbox renewal. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sandbox_renewal_free(renewal: *mut SandgateSandboxRenewal) {
    free_owned(renewal)
}

owned!(SandgateSandboxRenewal { expires_at });

/// A key just minted: the raw key is here, and only here, once. Allocated by sandgate,
/// read-only for the caller, freed (and the key zeroed) with `sandgate_created_api_key_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateCreatedApiKey {
    /// The key id.
    pub id: SandgateString,
    /// The key's name.
    pub name: SandgateString,
    /// Display prefix (first 12 characters of the key).
    pub prefix: SandgateString,
    /// The raw key (a secret): show it once, never log it.
    pub key: SandgateString,
    /// Expiry (RFC 3339); `ptr` NULL when the key never expires.
    pub expires_at: SandgateString,
}

impl IntoFfi for CreatedApiKey {
    type Ffi = SandgateCreatedApiKey;
    fn into_ffi(self) -> *mut SandgateCreatedApiKey {
        Box::into_raw(Box::new(SandgateCreatedApiKey {
            id: SandgateString::new(&self.id),
            name: SandgateString::new(&self.name),
            prefix: SandgateString::new(&self.prefix),
            key: SandgateString::new(self.key.expose()),
            expires_at: SandgateString::opt(self.expires_at.as_deref()),
        }))
    }
}

/// Frees a created key, zeroing the raw key. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_created_api_key_free(key: *mut SandgateCreatedApiKey) {
    free_owned(key)
}

owned!(SandgateCreatedApiKey {
    id,
    name,
    prefix,
    key,
    expires_at
});

/// A key as listed (never its secret or hash).
#[repr(C)]
#[derive(Debug)]
pub struct SandgateApiKeyInfo {
    /// The key id.
    pub id: SandgateString,
    /// The key's name.
    pub name: SandgateString,
    /// Display prefix.
    pub prefix: SandgateString,
    /// Creation time (RFC 3339); `ptr` NULL when unknown.
    pub created_at: SandgateString,
    /// Expiry (RFC 3339); `ptr` NULL when none.
    pub expires_at: SandgateString,
    /// 1 when revoked, else 0.
    pub revoked: u8,
}

/// A list of keys. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_api_key_list_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateApiKeyList {
    /// The keys (`len` of them; NULL when empty).
    pub items: *mut SandgateApiKeyInfo,
    /// Number of keys.
    pub len: usize,
}

impl IntoFfi for Vec<ApiKeyInfo> {
    type Ffi = SandgateApiKeyList;
    fn into_ffi(self) -> *mut SandgateApiKeyList {
        let items = self
            .iter()
            .map(|k| SandgateApiKeyInfo {
                id: SandgateString::new(&k.id),
                name: SandgateString::new(&k.name),
                prefix: SandgateString::new(&k.prefix),
                created_at: SandgateString::opt(k.created_at.as_deref()),
                expires_at: SandgateString::opt(k.expires_at.as_deref()),
                revoked: u8::from(k.revoked),
            })
            .collect();
        let (items, len) = boxed_array(items);
        Box::into_raw(Box::new(SandgateApiKeyList { items, len }))
    }
}

/// Frees a list of keys. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_api_key_list_free(list: *mut SandgateApiKeyList) {
    free_owned(list)
}

owned!(SandgateApiKeyInfo {
    id,
    name,
    prefix,
    created_at,
    expires_at
});
owned!(SandgateApiKeyList {} [items; len]);

// ---------------------------------------------------------------- operations
//
// Each operation copies and checks its inputs, then starts on the shared runtime; see
// `task::start` for the callback and cancellation contract (docs/c-abi.md, "Async calls").

unsafe fn client_of(client: *const SandgateClient) -> Result<Client, Error> {
    Ok(handle(client, "client")?.0.clone())
}

/// GetEndpoint: the unsigned endpoint of `port` of a sandbox. The callback's `result` is a
/// `SandgateEndpoint *` to free with `sandgate_endpoint_free`; `*out_cancel` (if not NULL)
/// receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        let port = check_port(port)?;
        Ok(async move { c.get_endpoint(&id, port).await })
    })
}

/// GetSignedEndpoint: an endpoint whose signed route expires per `expiry` (an instant in the
/// future, or a TTL of at least one second). The callback's `result` is a `SandgateEndpoint *`
/// to free with `sandgate_endpoint_free`; `*out_cancel` (if not NULL) receives a cancel handle
/// to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_signed_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    expiry: SandgateExpiry,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        let port = check_port(port)?;
        let expiry = expiry.get()?;
        Ok(async move { c.endpoint(&id, port, EndpointMode::Signed(expiry)).await })
    })
}

/// Mints an API key for the calling user; `name` is optional (NULL `ptr` = server default),
/// `expires_at` Unix seconds in the future when `has_expires_at` is 1. The callback's `result`
/// is a `SandgateCreatedApiKey *` to free with `sandgate_created_api_key_free`; `*out_cancel`
/// (if not NULL) receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_api_key(
    client: *const SandgateClient,
    name: SandgateStr,
    has_expires_at: u8,
    expires_at: u64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let name = name.opt("name")?.map(str::to_owned);
        let expires_at = optional(has_expires_at, expires_at, "has_expires_at")?;
        Ok(async move { c.create_api_key(name.as_deref(), expires_at).await })
    })
}

/// Lists the calling user's keys. The callback's `result` is a `SandgateApiKeyList *` to free
/// with `sandgate_api_key_list_free`; `*out_cancel` (if not NULL) receives a cancel handle to
/// free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_api_keys(
    client: *const SandgateClient,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        Ok(async move { c.list_api_keys().await })
    })
}

/// Revokes one of the calling user's keys. The callback's `result` is NULL (success is `error`
/// NULL); `*out_cancel` (if not NULL) receives a cancel handle to free with
/// `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_revoke_api_key(
    client: *const SandgateClient,
    key_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = key_id.get("key_id")?.to_owned();
        Ok(async move { c.revoke_api_key(&id).await })
    })
}

/// Creates a sandbox from `image`, `secure_access` (0/1), `metadata_len` metadata pairs and a
/// lifetime `timeout_seconds` when `has_timeout` is 1. The callback's `result` is a
/// `SandgateSandbox *` to free with `sandgate_sandbox_free`; `*out_cancel` (if not NULL)
/// receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_sandbox(
    client: *const SandgateClient,
    image: SandgateStr,
    secure_access: u8,
    metadata: *const SandgateStrPair,
    metadata_len: usize,
    has_timeout: u8,
    timeout_seconds: u64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let mut req = CreateSandbox::new(image.get("image")?);
        req.secure_access = flag(secure_access, "secure_access")?;
        req.timeout = optional(has_timeout, timeout_seconds, "has_timeout")?;
        for (k, v) in pairs_in(metadata, metadata_len, "metadata")? {
            req.metadata.insert(k.to_owned(), v.to_owned());
        }
        Ok(async move { c.create_sandbox(&req).await })
    })
}

/// Gets a sandbox. The callback's `result` is a `SandgateSandbox *` to free with
/// `sandgate_sandbox_free`; `*out_cancel` (if not NULL) receives a cancel handle to free with
/// `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        Ok(async move { c.get_sandbox(&id).await })
    })
}

/// Lists the sandboxes the caller may see. The callback's `result` is a `SandgateSandboxList *`
/// to free with `sandgate_sandbox_list_free`; `*out_cancel` (if not NULL) receives a cancel
/// handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_sandboxes(
    client: *const SandgateClient,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        Ok(async move { c.list_sandboxes().await })
    })
}

/// Deletes a sandbox. The callback's `result` is NULL (success is `error` NULL); `*out_cancel`
/// (if not NULL) receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_delete_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        Ok(async move { c.delete_sandbox(&id).await })
    })
}

/// RenewSandboxExpiration: the sandbox expires per `expiry` from now on (an instant in the
/// future, or a TTL of at least one second). The callback's `result` is a
/// `SandgateSandboxRenewal *` to free with `sandgate_sandbox_renewal_free`; `*out_cancel` (if
/// not NULL) receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_renew_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    expiry: SandgateExpiry,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        let expiry = expiry.get()?;
        Ok(async move { surface::renew_sandbox(&c, &id, expiry).await })
    })
}

/// The endpoint of `port` of a sandbox in one explicit mode: `server_proxy` 1 for a
/// server-proxy endpoint (its headers carry the API key), else a signed one when `expiry` sets
/// an instant or a TTL (counted on the server's clock), else the direct one. The callback's
/// `result` is a `SandgateEndpoint *` to free with `sandgate_endpoint_free`; `*out_cancel` (if
/// not NULL) receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    server_proxy: u8,
    expiry: SandgateExpiry,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        let port = check_port(port)?;
        let mode = EndpointMode::from_options(
            flag(server_proxy, "server_proxy")?,
            optional(expiry.has_expires, expiry.expires, "has_expires")?,
            optional(expiry.has_ttl, expiry.ttl_seconds, "has_ttl")?,
        )?;
        Ok(async move { c.endpoint(&id, port, mode).await })
    })
}

/// Pauses a sandbox (and forgets its cached endpoints). The callback's `result` is NULL
/// (success is `error` NULL); `*out_cancel` (if not NULL) receives a cancel handle to free
/// with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_pause_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        Ok(async move { c.pause_sandbox(&id).await })
    })
}

/// Resumes a paused sandbox (and forgets its cached endpoints). The callback's `result` is
/// NULL (success is `error` NULL); `*out_cancel` (if not NULL) receives a cancel handle to
/// free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_resume_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    start(callback, user_data, out_cancel, || {
        let c = client_of(client)?;
        let id = sandbox_id.get("sandbox_id")?.to_owned();
        Ok(async move { c.resume_sandbox(&id).await })
    })
}

/// Writes a URL for `path` (empty, or starting with `/`) that carries everything a request to
/// the endpoint needs — `url`, `kind` (a `SandgateEndpointKind` value) and `headers_len`
/// headers as an endpoint holds them — to `*out`, owned by the caller: free it with
/// `sandgate_string_free`. An endpoint whose headers cannot travel in a URL (header route
/// mode, a server-proxy endpoint) is an `invalid_argument` error naming the header.
#[no_mangle]
pub unsafe extern "C" fn sandgate_shareable_url(
    url: SandgateStr,
    kind: i32,
    headers: *const SandgateStrPair,
    headers_len: usize,
    path: SandgateStr,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let kind = usize::try_from(kind)
            .ok()
            .and_then(|i| EndpointKind::ALL.get(i).copied())
            .ok_or_else(|| Error::invalid_argument(format!("kind must be 0..2, got {kind}")))?;
        let headers: BTreeMap<String, String> = pairs_in(headers, headers_len, "headers")?
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v.to_owned()))
            .collect();
        let u =
            sandgate::client::shareable_url(url.get("url")?, kind, &headers, path.get("path")?)?;
        *out = SandgateString::new(&u);
        Ok(())
    })
}

/// One failed attempt as flat values, for `sandgate_retry_decision` (a row of `retry.json`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateRetryQuery {
    /// The request method (`GET`, `POST`, ...).
    pub method: SandgateStr,
    /// How it failed: `status`, `pre_send`, `post_send` or `timeout`.
    pub outcome: SandgateStr,
    /// 1 when `status` is set (outcome `status`), else 0.
    pub has_status: u8,
    /// The status.
    pub status: u16,
    /// The attempt's number, from 1.
    pub attempt: u32,
    /// 1 when `prev_delay_ms` is set (not the first attempt), else 0.
    pub has_prev_delay_ms: u8,
    /// The delay slept before this attempt, in milliseconds.
    pub prev_delay_ms: u64,
    /// The answer's `Retry-After` value as sent; NULL `ptr` when none.
    pub retry_after: SandgateStr,
    /// 1 when `now` is set, else 0 (the system clock).
    pub has_now: u8,
    /// Unix seconds an HTTP-date `Retry-After` is counted from.
    pub now: u64,
    /// Milliseconds since the first attempt started.
    pub elapsed_ms: u64,
}

/// The retry decision: plain values written to the caller's struct, nothing to free.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateRetryDecision {
    /// 1 when the attempt is retried, else 0.
    pub retry: u8,
    /// The verdict's stable code (`retry`, `not_retryable`, `exhausted`, `deadline`): static,
    /// never freed.
    pub verdict: *const c_char,
    /// The least delay before the next attempt, in milliseconds (0 when not retried).
    pub min_delay_ms: u64,
    /// The most delay before the next attempt, in milliseconds (0 when not retried).
    pub max_delay_ms: u64,
    /// 1 when the error of this attempt reports itself retryable, else 0.
    pub retryable: u8,
}

/// The client's retry rule (SPEC §2.1) for one failed attempt under `*options` (NULL = the
/// defaults), written to `*out`: the function the shared table `retry.json` runs. A bad
/// policy is `invalid_config`, a bad attempt `invalid_argument`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_retry_decision(
    options: *const SandgateRetryOptions,
    query: *const SandgateRetryQuery,
    out: *mut SandgateRetryDecision,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(
            out,
            "out",
            SandgateRetryDecision {
                retry: 0,
                verdict: ptr::null(),
                min_delay_ms: 0,
                max_delay_ms: 0,
                retryable: 0,
            },
        )?;
        let options = match options.as_ref() {
            Some(o) => o.get()?,
            None => RetryOptions::default(),
        };
        let q = handle(query, "query")?;
        let d = surface::retry_decision(
            &options,
            &RetryQuery {
                method: q.method.get("method")?,
                outcome: q.outcome.get("outcome")?,
                status: optional(q.has_status, q.status, "has_status")?,
                attempt: q.attempt,
                prev_delay_ms: optional(q.has_prev_delay_ms, q.prev_delay_ms, "has_prev_delay_ms")?,
                retry_after: q.retry_after.opt("retry_after")?,
                now: optional(q.has_now, q.now, "has_now")?,
                elapsed_ms: q.elapsed_ms,
            },
        )?;
        let codes = RETRY_VERDICT_CODES.get(surface::retry_verdict_codes);
        let i = surface::retry_verdict_codes()
            .iter()
            .position(|c| *c == d.verdict_code())
            .map_or(-1, |i| i as i64);
        *out = SandgateRetryDecision {
            retry: u8::from(d.retry),
            verdict: entry(codes, i),
            min_delay_ms: d.min_delay_ms,
            max_delay_ms: d.max_delay_ms,
            retryable: u8::from(d.retryable),
        };
        Ok(())
    })
}

/// The endpoint cache's freshness rule: plain values written to the caller's struct.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SandgateFreshness {
    /// 1 when the entry is served from the cache, else 0.
    pub fresh: u8,
    /// Until when (milliseconds, on the clock of `now_ms`) the entry is served.
    pub until_ms: u64,
}

/// The endpoint cache's freshness rule (SPEC §2.1) under `*options` (NULL = the defaults): an
/// entry signed until `signed_expires` (Unix seconds, when `has_signed_expires` is 1; else a
/// direct or server-proxy entry) fetched at `fetched_at_ms` and looked up at `now_ms`, written
/// to `*out`: the function the shared table `cache.json` runs. Bad options are
/// `invalid_config`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_cache_decision(
    options: *const SandgateCacheOptions,
    has_signed_expires: u8,
    signed_expires: u64,
    fetched_at_ms: u64,
    now_ms: u64,
    out: *mut SandgateFreshness,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(
            out,
            "out",
            SandgateFreshness {
                fresh: 0,
                until_ms: 0,
            },
        )?;
        let options = match options.as_ref() {
            Some(o) => o.get()?,
            None => CacheOptions::default(),
        };
        let signed = optional(has_signed_expires, signed_expires, "has_signed_expires")?;
        let f = surface::cache_decision(&options, signed, fetched_at_ms, now_ms)?;
        *out = SandgateFreshness {
            fresh: u8::from(f.fresh),
            until_ms: f.until_ms,
        };
        Ok(())
    })
}

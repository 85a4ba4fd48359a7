//! The HTTP client: one options struct, construction, the result structs, and every operation
//! as a call that completes through a callback.

use crate::abi::{
    boxed_array, boxed_out, flag, free_box, free_owned, guard, handle, optional, out_ptr, owned,
    pairs_in, SandgateError, SandgatePair, SandgateStr, SandgateStrPair, SandgateString,
};
use crate::routes::{SandgateExpiry, SandgateRoute};
use crate::task::{start, IntoFfi, SandgateCallback, SandgateCancel};
use sandgate::client::{
    ApiKeyInfo, CreateSandbox, CreatedApiKey, Endpoint, Sandbox, SandboxRenewal,
};
use sandgate::route::check_port;
use sandgate::surface::{self, ClientOptions, EndpointView, Expiry, RetryOptions};
use sandgate::{Client, Error, SecretString};
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::ptr;
use std::time::Duration;

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
}

impl SandgateClientOptions {
    unsafe fn get(&self) -> Result<ClientOptions, Error> {
        let r = &self.retry;
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
            retry: RetryOptions {
                max_retries: optional(r.has_max_retries, r.max_retries, "has_max_retries")?,
                initial_backoff_ms: optional(
                    r.has_initial_backoff_ms,
                    r.initial_backoff_ms,
                    "has_initial_backoff_ms",
                )?,
                max_backoff_ms: optional(
                    r.has_max_backoff_ms,
                    r.max_backoff_ms,
                    "has_max_backoff_ms",
                )?,
                ..Default::default()
            },
            ignore_env: flag(self.ignore_env, "ignore_env")?,
            ..Default::default()
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
owned!(SandgateEndpoint { endpoint, url, route } [headers; headers_len]);

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
        Ok(async move {
            match expiry {
                Expiry::At(e) => c.get_signed_endpoint(&id, port, e).await,
                Expiry::Ttl(t) => {
                    c.get_signed_endpoint_for(&id, port, Duration::from_secs(t))
                        .await
                }
            }
        })
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

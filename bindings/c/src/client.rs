//! The HTTP client: options, construction, and every operation as a blocking call and as an
//! `_async` call completing through a callback.

use crate::abi::{
    boxed_array, flag, guard, guard_free, handle, out_ptr, unbox_array, SandgateError,
    SandgatePair, SandgateStr, SandgateStrPair, SandgateString,
};
use crate::routes::SandgateRoute;
use crate::task::{
    run_async, run_sync, run_sync_unit, IntoFfi, Op, SandgateCallback, SandgateCancel,
};
use sandgate::client::{
    ApiKeyInfo, Client, ClientBuilder, CreateSandbox, CreatedApiKey, Endpoint, RetryPolicy, Sandbox,
};
use sandgate::route::check_port;
use sandgate::Error;
use std::collections::BTreeMap;
use std::ffi::c_void;
use std::ptr;
use std::time::Duration;

/// Client options (opaque): unset options come from `OPEN_SANDBOX_*` env, then defaults. Not
/// safe to change from two threads at once. Free with `sandgate_client_options_free`.
pub struct SandgateClientOptions(ClientBuilder);

/// A client for one OpenSandbox server (opaque). Thread-safe; operations in flight keep what
/// they need, so it may be freed at any time with `sandgate_client_free`.
pub struct SandgateClient(Client);

/// New client options with nothing set (user agent language `c`). Never fails; the caller
/// owns the result: free it with `sandgate_client_options_free`.
#[no_mangle]
pub extern "C" fn sandgate_client_options_new() -> *mut SandgateClientOptions {
    Box::into_raw(Box::new(SandgateClientOptions(
        ClientBuilder::default().language("c"),
    )))
}

/// Frees client options. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_free(options: *mut SandgateClientOptions) {
    guard_free(|| {
        if !options.is_null() {
            drop(Box::from_raw(options));
        }
    })
}

unsafe fn set(
    func: &str,
    options: *mut SandgateClientOptions,
    f: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Error>,
) -> *mut SandgateError {
    guard(func, || {
        let o = options
            .as_mut()
            .ok_or_else(|| Error::invalid_argument("options must not be NULL"))?;
        // Work on a copy: a rejected value leaves the options as they were.
        o.0 = f(o.0.clone())?;
        Ok(())
    })
}

/// Sets the server domain (`host:port`; a scheme written here wins over the protocol).
/// Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_domain(
    options: *mut SandgateClientOptions,
    domain: SandgateStr,
) -> *mut SandgateError {
    set("sandgate_client_options_domain", options, |b| {
        Ok(b.domain(domain.get("domain")?))
    })
}

/// Sets the protocol (`http` or `https`). Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_protocol(
    options: *mut SandgateClientOptions,
    protocol: SandgateStr,
) -> *mut SandgateError {
    set("sandgate_client_options_protocol", options, |b| {
        Ok(b.protocol(protocol.get("protocol")?))
    })
}

/// Sets the API key (a secret: copied, never printed). Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_api_key(
    options: *mut SandgateClientOptions,
    api_key: SandgateStr,
) -> *mut SandgateError {
    set("sandgate_client_options_api_key", options, |b| {
        Ok(b.api_key(api_key.get("api_key")?))
    })
}

/// Sets the per-request timeout in milliseconds (0 is rejected when the client is built).
/// Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_timeout_ms(
    options: *mut SandgateClientOptions,
    timeout_ms: u64,
) -> *mut SandgateError {
    set("sandgate_client_options_timeout_ms", options, |b| {
        Ok(b.timeout(Duration::from_millis(timeout_ms)))
    })
}

/// Adds a header sent on every request (for example `X-OpenSandbox-User`). Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_header(
    options: *mut SandgateClientOptions,
    name: SandgateStr,
    value: SandgateStr,
) -> *mut SandgateError {
    set("sandgate_client_options_header", options, |b| {
        Ok(b.header(name.get("name")?, value.get("value")?))
    })
}

/// Turns retries of idempotent requests on (1, the default policy) or off (0). Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_retries(
    options: *mut SandgateClientOptions,
    enabled: u8,
) -> *mut SandgateError {
    set("sandgate_client_options_retries", options, |b| {
        Ok(b.retry(if flag(enabled, "enabled")? {
            RetryPolicy::default()
        } else {
            RetryPolicy::none()
        }))
    })
}

/// Sets the language named in the user agent (for example `go`, `csharp`). Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_language(
    options: *mut SandgateClientOptions,
    language: SandgateStr,
) -> *mut SandgateError {
    set("sandgate_client_options_language", options, |b| {
        Ok(b.language(language.get("language")?))
    })
}

/// With 1, `OPEN_SANDBOX_*` environment variables are not read. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_options_ignore_env(
    options: *mut SandgateClientOptions,
    ignore: u8,
) -> *mut SandgateError {
    set("sandgate_client_options_ignore_env", options, |b| {
        Ok(if flag(ignore, "ignore")? {
            b.ignore_env()
        } else {
            b
        })
    })
}

/// Builds a client from `options` (NULL = environment and defaults only), validating every
/// option; `options` stays owned by the caller. On success `*out` is owned by the caller: free
/// it with `sandgate_client_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_new(
    options: *const SandgateClientOptions,
    out: *mut *mut SandgateClient,
) -> *mut SandgateError {
    guard("sandgate_client_new", || {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let builder = match options.as_ref() {
            Some(o) => o.0.clone(),
            None => ClientBuilder::default().language("c"),
        };
        *out = Box::into_raw(Box::new(SandgateClient(builder.build()?)));
        Ok(())
    })
}

/// Builds a client from `OPEN_SANDBOX_DOMAIN`, `OPEN_SANDBOX_API_KEY`, `OPEN_SANDBOX_PROTOCOL`
/// and defaults. On success `*out` is owned by the caller: free it with `sandgate_client_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_from_env(
    out: *mut *mut SandgateClient,
) -> *mut SandgateError {
    sandgate_client_new(ptr::null(), out)
}

/// Writes the server root `protocol://domain` to `*out`, owned by the caller: free it with
/// `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_base_url(
    client: *const SandgateClient,
    out: *mut SandgateString,
) -> *mut SandgateError {
    guard("sandgate_client_base_url", || {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        *out = SandgateString::new(handle(client, "client")?.0.base_url());
        Ok(())
    })
}

/// Frees a client; calls in flight still complete. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_free(client: *mut SandgateClient) {
    guard_free(|| {
        if !client.is_null() {
            drop(Box::from_raw(client));
        }
    })
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

/// An endpoint. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_endpoint_free`.
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
        let redacted = self.redacted_headers();
        let headers = self
            .headers
            .iter()
            .map(|(k, v)| SandgateHeader {
                name: SandgateString::new(k),
                value: SandgateString::new(v),
                redacted_value: SandgateString::new(redacted.get(k).map_or("***", String::as_str)),
            })
            .collect();
        let (headers, headers_len) = boxed_array(headers);
        Box::into_raw(Box::new(SandgateEndpoint {
            endpoint: SandgateString::new(&self.endpoint),
            url: SandgateString::new(&self.url),
            headers,
            headers_len,
            route: SandgateRoute::of(self.route.as_ref()),
        }))
    }
}

/// Frees an endpoint (header values are zeroed). NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_endpoint_free(endpoint: *mut SandgateEndpoint) {
    guard_free(|| {
        if endpoint.is_null() {
            return;
        }
        let mut e = Box::from_raw(endpoint);
        e.endpoint.release();
        e.url.release();
        for mut h in unbox_array(e.headers, e.headers_len) {
            h.name.release();
            h.value.release();
            h.redacted_value.release();
        }
        e.route.release();
    })
}

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

unsafe fn release_pairs(ptr: *mut SandgatePair, len: usize) {
    for mut p in unbox_array(ptr, len) {
        p.name.release();
        p.value.release();
    }
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

unsafe fn release_sandbox(s: &mut SandgateSandbox) {
    s.id.release();
    s.image.release();
    s.state.release();
    release_pairs(s.metadata, s.metadata_len);
    s.metadata = ptr::null_mut();
    s.metadata_len = 0;
    s.created_at.release();
    s.expires_at.release();
}

impl IntoFfi for Sandbox {
    type Ffi = SandgateSandbox;
    fn into_ffi(self) -> *mut SandgateSandbox {
        Box::into_raw(Box::new(sandbox(&self)))
    }
}

/// Frees a sandbox. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_sandbox_free(sandbox: *mut SandgateSandbox) {
    guard_free(|| {
        if !sandbox.is_null() {
            release_sandbox(&mut Box::from_raw(sandbox));
        }
    })
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
    guard_free(|| {
        if list.is_null() {
            return;
        }
        let l = Box::from_raw(list);
        for mut s in unbox_array(l.items, l.len) {
            release_sandbox(&mut s);
        }
    })
}

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
    guard_free(|| {
        if key.is_null() {
            return;
        }
        let mut k = Box::from_raw(key);
        k.id.release();
        k.name.release();
        k.prefix.release();
        k.key.release();
        k.expires_at.release();
    })
}

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
    guard_free(|| {
        if list.is_null() {
            return;
        }
        let l = Box::from_raw(list);
        for mut k in unbox_array(l.items, l.len) {
            k.id.release();
            k.name.release();
            k.prefix.release();
            k.created_at.release();
            k.expires_at.release();
        }
    })
}

// ---------------------------------------------------------------- operations

unsafe fn client_of(client: *const SandgateClient) -> Result<Client, Error> {
    Ok(handle(client, "client")?.0.clone())
}

fn opt_u64(has: u8, value: u64, what: &str) -> Result<Option<u64>, Error> {
    Ok(flag(has, what)?.then_some(value))
}

unsafe fn get_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
) -> Result<Op<Endpoint>, Error> {
    let c = client_of(client)?;
    let id = sandbox_id.get("sandbox_id")?.to_owned();
    let port = check_port(port)?;
    Ok(Box::pin(async move { c.get_endpoint(&id, port).await }))
}

unsafe fn get_signed_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    expires: u64,
) -> Result<Op<Endpoint>, Error> {
    let c = client_of(client)?;
    let id = sandbox_id.get("sandbox_id")?.to_owned();
    let port = check_port(port)?;
    Ok(Box::pin(async move {
        c.get_signed_endpoint(&id, port, expires).await
    }))
}

unsafe fn get_signed_endpoint_for(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    ttl_seconds: u64,
) -> Result<Op<Endpoint>, Error> {
    let c = client_of(client)?;
    let id = sandbox_id.get("sandbox_id")?.to_owned();
    let port = check_port(port)?;
    let ttl = Duration::from_secs(ttl_seconds);
    Ok(Box::pin(async move {
        c.get_signed_endpoint_for(&id, port, ttl).await
    }))
}

unsafe fn create_api_key(
    client: *const SandgateClient,
    name: SandgateStr,
    has_expires_at: u8,
    expires_at: u64,
) -> Result<Op<CreatedApiKey>, Error> {
    let c = client_of(client)?;
    let name = name.opt("name")?.map(str::to_owned);
    let expires_at = opt_u64(has_expires_at, expires_at, "has_expires_at")?;
    Ok(Box::pin(async move {
        c.create_api_key(name.as_deref(), expires_at).await
    }))
}

unsafe fn list_api_keys(client: *const SandgateClient) -> Result<Op<Vec<ApiKeyInfo>>, Error> {
    let c = client_of(client)?;
    Ok(Box::pin(async move { c.list_api_keys().await }))
}

unsafe fn revoke_api_key(
    client: *const SandgateClient,
    key_id: SandgateStr,
) -> Result<Op<()>, Error> {
    let c = client_of(client)?;
    let id = key_id.get("key_id")?.to_owned();
    Ok(Box::pin(async move { c.revoke_api_key(&id).await }))
}

unsafe fn create_sandbox(
    client: *const SandgateClient,
    image: SandgateStr,
    secure_access: u8,
    metadata: *const SandgateStrPair,
    metadata_len: usize,
    has_timeout: u8,
    timeout_seconds: u64,
) -> Result<Op<Sandbox>, Error> {
    let c = client_of(client)?;
    let mut req = CreateSandbox::new(image.get("image")?);
    req.secure_access = flag(secure_access, "secure_access")?;
    req.timeout = opt_u64(has_timeout, timeout_seconds, "has_timeout")?;
    if metadata_len > 0 {
        if metadata.is_null() {
            return Err(Error::invalid_argument(
                "metadata must not be NULL when metadata_len is not 0",
            ));
        }
        if metadata_len > isize::MAX as usize / std::mem::size_of::<SandgateStrPair>() {
            return Err(Error::invalid_argument("metadata_len is too large"));
        }
        for p in std::slice::from_raw_parts(metadata, metadata_len) {
            req.metadata.insert(
                p.name.get("metadata name")?.to_owned(),
                p.value.get("metadata value")?.to_owned(),
            );
        }
    }
    Ok(Box::pin(async move { c.create_sandbox(&req).await }))
}

unsafe fn get_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
) -> Result<Op<Sandbox>, Error> {
    let c = client_of(client)?;
    let id = sandbox_id.get("sandbox_id")?.to_owned();
    Ok(Box::pin(async move { c.get_sandbox(&id).await }))
}

unsafe fn list_sandboxes(client: *const SandgateClient) -> Result<Op<Vec<Sandbox>>, Error> {
    let c = client_of(client)?;
    Ok(Box::pin(async move { c.list_sandboxes().await }))
}

unsafe fn delete_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
) -> Result<Op<()>, Error> {
    let c = client_of(client)?;
    let id = sandbox_id.get("sandbox_id")?.to_owned();
    Ok(Box::pin(async move { c.delete_sandbox(&id).await }))
}

/// GetEndpoint: the unsigned endpoint of `port` of a sandbox; blocks. On success `*out` is
/// owned by the caller: free it with `sandgate_endpoint_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    out: *mut *mut SandgateEndpoint,
) -> *mut SandgateError {
    run_sync("sandgate_client_get_endpoint", out, || {
        get_endpoint(client, sandbox_id, port)
    })
}

/// GetEndpoint without blocking: the callback's `result` is a `SandgateEndpoint *` to free
/// with `sandgate_endpoint_free`. `*out_cancel` (if not NULL) receives a cancel handle to free
/// with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_endpoint_async(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_get_endpoint_async",
        callback,
        user_data,
        out_cancel,
        || get_endpoint(client, sandbox_id, port),
    )
}

/// GetSignedEndpoint: an endpoint whose signed route expires at `expires` (Unix seconds, in
/// the future); blocks. On success `*out` is owned by the caller: free it with
/// `sandgate_endpoint_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_signed_endpoint(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    expires: u64,
    out: *mut *mut SandgateEndpoint,
) -> *mut SandgateError {
    run_sync("sandgate_client_get_signed_endpoint", out, || {
        get_signed_endpoint(client, sandbox_id, port, expires)
    })
}

/// GetSignedEndpoint without blocking: the callback's `result` is a `SandgateEndpoint *` to
/// free with `sandgate_endpoint_free`. `*out_cancel` (if not NULL) receives a cancel handle to
/// free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_signed_endpoint_async(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    expires: u64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_get_signed_endpoint_async",
        callback,
        user_data,
        out_cancel,
        || get_signed_endpoint(client, sandbox_id, port, expires),
    )
}

/// GetSignedEndpoint with an expiry `ttl_seconds` (at least 1) from now; blocks. On success
/// `*out` is owned by the caller: free it with `sandgate_endpoint_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_signed_endpoint_for(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    ttl_seconds: u64,
    out: *mut *mut SandgateEndpoint,
) -> *mut SandgateError {
    run_sync("sandgate_client_get_signed_endpoint_for", out, || {
        get_signed_endpoint_for(client, sandbox_id, port, ttl_seconds)
    })
}

/// `sandgate_client_get_signed_endpoint_for` without blocking: the callback's `result` is a
/// `SandgateEndpoint *` to free with `sandgate_endpoint_free`. `*out_cancel` (if not NULL)
/// receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_signed_endpoint_for_async(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    port: i64,
    ttl_seconds: u64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_get_signed_endpoint_for_async",
        callback,
        user_data,
        out_cancel,
        || get_signed_endpoint_for(client, sandbox_id, port, ttl_seconds),
    )
}

/// Mints an API key for the calling user; `name` is optional (NULL `ptr` = server default),
/// `expires_at` Unix seconds in the future when `has_expires_at` is 1; blocks. On success
/// `*out` is owned by the caller: free it with `sandgate_created_api_key_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_api_key(
    client: *const SandgateClient,
    name: SandgateStr,
    has_expires_at: u8,
    expires_at: u64,
    out: *mut *mut SandgateCreatedApiKey,
) -> *mut SandgateError {
    run_sync("sandgate_client_create_api_key", out, || {
        create_api_key(client, name, has_expires_at, expires_at)
    })
}

/// Mints an API key without blocking: the callback's `result` is a `SandgateCreatedApiKey *`
/// to free with `sandgate_created_api_key_free`. `*out_cancel` (if not NULL) receives a cancel
/// handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_api_key_async(
    client: *const SandgateClient,
    name: SandgateStr,
    has_expires_at: u8,
    expires_at: u64,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_create_api_key_async",
        callback,
        user_data,
        out_cancel,
        || create_api_key(client, name, has_expires_at, expires_at),
    )
}

/// Lists the calling user's keys; blocks. On success `*out` is owned by the caller: free it
/// with `sandgate_api_key_list_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_api_keys(
    client: *const SandgateClient,
    out: *mut *mut SandgateApiKeyList,
) -> *mut SandgateError {
    run_sync("sandgate_client_list_api_keys", out, || {
        list_api_keys(client)
    })
}

/// Lists keys without blocking: the callback's `result` is a `SandgateApiKeyList *` to free
/// with `sandgate_api_key_list_free`. `*out_cancel` (if not NULL) receives a cancel handle to
/// free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_api_keys_async(
    client: *const SandgateClient,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_list_api_keys_async",
        callback,
        user_data,
        out_cancel,
        || list_api_keys(client),
    )
}

/// Revokes one of the calling user's keys; blocks. Nothing to free on success.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_revoke_api_key(
    client: *const SandgateClient,
    key_id: SandgateStr,
) -> *mut SandgateError {
    run_sync_unit("sandgate_client_revoke_api_key", || {
        revoke_api_key(client, key_id)
    })
}

/// Revokes a key without blocking: the callback's `result` is NULL (success is `error` NULL).
/// `*out_cancel` (if not NULL) receives a cancel handle to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_revoke_api_key_async(
    client: *const SandgateClient,
    key_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_revoke_api_key_async",
        callback,
        user_data,
        out_cancel,
        || revoke_api_key(client, key_id),
    )
}

/// Creates a sandbox from `image`, `secure_access` (0/1), `metadata_len` metadata pairs and a
/// lifetime `timeout_seconds` when `has_timeout` is 1; blocks. On success `*out` is owned by
/// the caller: free it with `sandgate_sandbox_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_sandbox(
    client: *const SandgateClient,
    image: SandgateStr,
    secure_access: u8,
    metadata: *const SandgateStrPair,
    metadata_len: usize,
    has_timeout: u8,
    timeout_seconds: u64,
    out: *mut *mut SandgateSandbox,
) -> *mut SandgateError {
    run_sync("sandgate_client_create_sandbox", out, || {
        create_sandbox(
            client,
            image,
            secure_access,
            metadata,
            metadata_len,
            has_timeout,
            timeout_seconds,
        )
    })
}

/// Creates a sandbox without blocking: the callback's `result` is a `SandgateSandbox *` to free
/// with `sandgate_sandbox_free`. `*out_cancel` (if not NULL) receives a cancel handle to free
/// with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_create_sandbox_async(
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
    run_async(
        "sandgate_client_create_sandbox_async",
        callback,
        user_data,
        out_cancel,
        || {
            create_sandbox(
                client,
                image,
                secure_access,
                metadata,
                metadata_len,
                has_timeout,
                timeout_seconds,
            )
        },
    )
}

/// Gets a sandbox; blocks. On success `*out` is owned by the caller: free it with
/// `sandgate_sandbox_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    out: *mut *mut SandgateSandbox,
) -> *mut SandgateError {
    run_sync("sandgate_client_get_sandbox", out, || {
        get_sandbox(client, sandbox_id)
    })
}

/// Gets a sandbox without blocking: the callback's `result` is a `SandgateSandbox *` to free
/// with `sandgate_sandbox_free`. `*out_cancel` (if not NULL) receives a cancel handle to free
/// with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_get_sandbox_async(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_get_sandbox_async",
        callback,
        user_data,
        out_cancel,
        || get_sandbox(client, sandbox_id),
    )
}

/// Lists the sandboxes the caller may see; blocks. On success `*out` is owned by the caller:
/// free it with `sandgate_sandbox_list_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_sandboxes(
    client: *const SandgateClient,
    out: *mut *mut SandgateSandboxList,
) -> *mut SandgateError {
    run_sync("sandgate_client_list_sandboxes", out, || {
        list_sandboxes(client)
    })
}

/// Lists sandboxes without blocking: the callback's `result` is a `SandgateSandboxList *` to
/// free with `sandgate_sandbox_list_free`. `*out_cancel` (if not NULL) receives a cancel handle
/// to free with `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_list_sandboxes_async(
    client: *const SandgateClient,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_list_sandboxes_async",
        callback,
        user_data,
        out_cancel,
        || list_sandboxes(client),
    )
}

/// Deletes a sandbox; blocks. Nothing to free on success.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_delete_sandbox(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
) -> *mut SandgateError {
    run_sync_unit("sandgate_client_delete_sandbox", || {
        delete_sandbox(client, sandbox_id)
    })
}

/// Deletes a sandbox without blocking: the callback's `result` is NULL (success is `error`
/// NULL). `*out_cancel` (if not NULL) receives a cancel handle to free with
/// `sandgate_cancel_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_client_delete_sandbox_async(
    client: *const SandgateClient,
    sandbox_id: SandgateStr,
    callback: SandgateCallback,
    user_data: *mut c_void,
    out_cancel: *mut *mut SandgateCancel,
) -> *mut SandgateError {
    run_async(
        "sandgate_client_delete_sandbox_async",
        callback,
        user_data,
        out_cancel,
        || delete_sandbox(client, sandbox_id),
    )
}

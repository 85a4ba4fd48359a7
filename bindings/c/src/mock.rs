//! The embeddable mock server, for tests in every language over this ABI.

use crate::abi::{
    boxed_array, flag, free_box, free_owned, guard, handle, out_ptr, owned, SandgateError,
    SandgateStr, SandgateString,
};
use crate::routes::SandgateSigningKeys;
use sandgate::Error;
use sandgate_mock::{Faults, MockConfig, MockServer, RouteMode};
use std::ptr;
use std::sync::{Mutex, MutexGuard};

/// A running mock server (opaque). Thread-safe; free with `sandgate_mock_free` (which stops it).
pub struct SandgateMock(Mutex<MockServer>);

impl SandgateMock {
    fn lock(&self) -> MutexGuard<'_, MockServer> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Starts a mock server on free 127.0.0.1 ports, serving on sandgate's runtime. `route_mode`
/// is `header`, `wildcard` or `uri` (NULL `ptr` = `header`); `trusted_headers` (0/1) accepts
/// the `X-OpenSandbox-User/Team/Roles` headers; `endpoint_origin` (NULL `ptr` = none) is sent
/// as `OPEN-SANDBOX-ORIGIN` with every endpoint. On success `*out` is owned by the caller: free
/// it with `sandgate_mock_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_start(
    route_mode: SandgateStr,
    trusted_headers: u8,
    endpoint_origin: SandgateStr,
    out: *mut *mut SandgateMock,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let route_mode = match route_mode.opt("route_mode")? {
            Some(m) => m.parse::<RouteMode>()?,
            None => RouteMode::Header,
        };
        let mock = MockServer::start(MockConfig {
            route_mode,
            trusted_headers: flag(trusted_headers, "trusted_headers")?,
            endpoint_origin: endpoint_origin.opt("endpoint_origin")?.map(str::to_owned),
            ..Default::default()
        })?;
        *out = Box::into_raw(Box::new(SandgateMock(Mutex::new(mock))));
        Ok(())
    })
}

unsafe fn string_of(
    mock: *const SandgateMock,
    out: *mut SandgateString,
    f: impl FnOnce(&MockServer) -> String,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", SandgateString::NONE)?;
        let m = handle(mock, "mock")?;
        *out = SandgateString::new(&f(&m.lock()));
        Ok(())
    })
}

/// Writes the API base URL (`http://127.0.0.1:PORT`) to `*out`, owned by the caller: free it
/// with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_api_url(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, MockServer::api_url)
}

/// Writes the API `host:port` (a client's domain) to `*out`, owned by the caller: free it with
/// `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_domain(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, MockServer::domain)
}

/// Writes the gateway base URL to `*out`, owned by the caller: free it with
/// `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_gateway_url(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, MockServer::gateway_url)
}

/// Writes the admin key (a secret) to `*out`, owned by the caller: free it with
/// `sandgate_string_free`, which zeroes it.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_admin_key(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, |m| m.admin_key().expose().to_owned())
}

/// Writes the mock's signing keys as a flag string `a=BASE64,b=BASE64` (secrets) to `*out`,
/// owned by the caller: free it with `sandgate_string_free`, which zeroes it.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_signing_keys(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, |m| m.signing_keys().expose_flag_string())
}

/// Writes the route mode (`header`, `wildcard` or `uri`) to `*out`, owned by the caller: free
/// it with `sandgate_string_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_route_mode(
    mock: *const SandgateMock,
    out: *mut SandgateString,
) -> *mut SandgateError {
    string_of(mock, out, |m| m.route_mode().as_str().to_owned())
}

/// Replaces the signing keys the mock signs endpoints with and its gateway verifies with by a
/// copy of `keys` (the active key signs); `keys` stays owned by the caller. Links signed by a
/// key no longer in the set answer 401 `unknown_key`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_set_signing_keys(
    mock: *const SandgateMock,
    keys: *const SandgateSigningKeys,
) -> *mut SandgateError {
    guard(|| {
        let m = handle(mock, "mock")?;
        let keys = handle(keys, "keys")?;
        m.lock().set_signing_keys(keys.0.clone())
    })
}

/// Writes "now" on the mock clock (Unix seconds) to `*out`. Nothing to free.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_now(
    mock: *const SandgateMock,
    out: *mut u64,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", 0)?;
        *out = handle(mock, "mock")?.lock().now();
        Ok(())
    })
}

/// Sets the mock clock to `now` (Unix seconds); it keeps running from there.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_set_now(
    mock: *const SandgateMock,
    now: u64,
) -> *mut SandgateError {
    guard(|| {
        handle(mock, "mock")?.lock().set_now(now);
        Ok(())
    })
}

/// Moves the mock clock by `seconds` (negative goes back).
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_advance(
    mock: *const SandgateMock,
    seconds: i64,
) -> *mut SandgateError {
    guard(|| {
        handle(mock, "mock")?.lock().advance(seconds);
        Ok(())
    })
}

/// Faults to inject into the mock's API requests. Counts and durations must not be negative.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub struct SandgateFaults {
    /// Fail this many of the next requests with `status`.
    pub fail_next: i64,
    /// Status of injected failures (0 = 503).
    pub status: i64,
    /// 1 to send `Retry-After: retry_after` with injected failures, else 0.
    pub has_retry_after: u8,
    /// `Retry-After` seconds.
    pub retry_after: i64,
    /// Delay added before every API request, in milliseconds.
    pub latency_ms: i64,
    /// Close the connection without an answer for this many of the next requests.
    pub drop_next: i64,
    /// Answer this many of the next requests with 200 and a body that is not JSON.
    pub corrupt_next: i64,
}

fn num<T: TryFrom<i64>>(v: i64, what: &str) -> Result<T, Error> {
    T::try_from(v).map_err(|_| Error::invalid_argument(format!("{what} is out of range: {v}")))
}

/// Replaces the injected faults with `*faults` (read only during the call).
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_set_faults(
    mock: *const SandgateMock,
    faults: *const SandgateFaults,
) -> *mut SandgateError {
    guard(|| {
        let m = handle(mock, "mock")?;
        let f = *handle(faults, "faults")?;
        let faults = Faults {
            fail_next: num(f.fail_next, "fail_next")?,
            status: num(f.status, "status")?,
            retry_after: if flag(f.has_retry_after, "has_retry_after")? {
                Some(num(f.retry_after, "retry_after")?)
            } else {
                None
            },
            latency_ms: num(f.latency_ms, "latency_ms")?,
            drop_next: num(f.drop_next, "drop_next")?,
            corrupt_next: num(f.corrupt_next, "corrupt_next")?,
        };
        m.lock().set_faults(faults)
    })
}

/// Clears every injected fault.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_clear_faults(
    mock: *const SandgateMock,
) -> *mut SandgateError {
    guard(|| {
        handle(mock, "mock")?.lock().clear_faults();
        Ok(())
    })
}

/// Forgets every sandbox, key, fault, logged request and clock offset.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_reset(mock: *const SandgateMock) -> *mut SandgateError {
    guard(|| {
        handle(mock, "mock")?.lock().reset();
        Ok(())
    })
}

/// One API request the mock received.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateMockRequest {
    /// Method.
    pub method: SandgateString,
    /// Path (no query).
    pub path: SandgateString,
    /// Status answered (0 when the connection was dropped).
    pub status: u16,
    /// The `User-Agent` header; `ptr` NULL when absent.
    pub user_agent: SandgateString,
}

/// The requests a mock received. Allocated by sandgate, read-only for the caller, freed with
/// `sandgate_mock_request_list_free`.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateMockRequestList {
    /// The requests, oldest first (`len` of them; NULL when empty).
    pub items: *mut SandgateMockRequest,
    /// Number of requests.
    pub len: usize,
}

/// Writes the API requests received so far (not `/_mock/` ones) to `*out`, owned by the
/// caller: free it with `sandgate_mock_request_list_free`.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_requests(
    mock: *const SandgateMock,
    out: *mut *mut SandgateMockRequestList,
) -> *mut SandgateError {
    guard(|| {
        let out = out_ptr(out, "out", ptr::null_mut())?;
        let requests = handle(mock, "mock")?.lock().requests();
        let items = requests
            .iter()
            .map(|r| SandgateMockRequest {
                method: SandgateString::new(&r.method),
                path: SandgateString::new(&r.path),
                status: r.status,
                user_agent: SandgateString::opt(r.user_agent.as_deref()),
            })
            .collect();
        let (items, len) = boxed_array(items);
        *out = Box::into_raw(Box::new(SandgateMockRequestList { items, len }));
        Ok(())
    })
}

/// Frees a request list. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_request_list_free(list: *mut SandgateMockRequestList) {
    free_owned(list)
}

owned!(SandgateMockRequest {
    method,
    path,
    user_agent
});
owned!(SandgateMockRequestList {} [items; len]);

/// Stops both listeners and closes open connections; the handle stays valid (free it with
/// `sandgate_mock_free`). Stopping twice is harmless.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_stop(mock: *const SandgateMock) -> *mut SandgateError {
    guard(|| {
        handle(mock, "mock")?.lock().stop();
        Ok(())
    })
}

/// Stops and frees a mock server. NULL is ignored.
#[no_mangle]
pub unsafe extern "C" fn sandgate_mock_free(mock: *mut SandgateMock) {
    free_box(mock)
}

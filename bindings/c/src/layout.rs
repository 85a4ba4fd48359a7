//! The size, alignment and field offsets of every `#[repr(C)]` struct of this ABI, as Rust lays
//! them out, so a binding that mirrors them by hand (C#'s P/Invoke structs) can check its
//! mirrors at run time, and the C smoke test can check the header against them.

use crate::abi::*;
use crate::apikeys::*;
use crate::client::*;
use crate::hot::*;
use crate::mock::*;
use crate::routes::*;
use std::ffi::c_char;
use std::mem::{align_of, offset_of, size_of};
use std::sync::OnceLock;

/// One row of the layout table: a struct (`field` NULL) or one of its fields.
#[repr(C)]
#[derive(Debug)]
pub struct SandgateLayoutEntry {
    /// The struct's name, for example `"SandgateError"` (static, never freed).
    pub type_name: *const c_char,
    /// The field's name (static, never freed), or NULL for the row of the struct itself.
    pub field: *const c_char,
    /// The field's byte offset in the struct (0 for the struct's row).
    pub offset: usize,
    /// The field's size in bytes, or the struct's size.
    pub size: usize,
    /// The field's alignment, or the struct's alignment.
    pub align: usize,
}

struct Table(Vec<SandgateLayoutEntry>);
// The pointers are to static NUL-terminated literals.
unsafe impl Send for Table {}
unsafe impl Sync for Table {}

/// The size and alignment of the field that `field` reaches in a `T`.
fn field_of<T, F>(_: fn(&T) -> &F) -> (usize, usize) {
    (size_of::<F>(), align_of::<F>())
}

macro_rules! layouts {
    ($($t:ident { $($f:ident),* $(,)? })*) => {
        fn build() -> Vec<SandgateLayoutEntry> {
            let mut rows = Vec::new();
            $({
                // Lists every field or does not compile: a field added to the struct must be
                // added here.
                #[allow(dead_code)]
                fn exhaustive(x: $t) {
                    let $t { $($f: _),* } = x;
                }
                let name = concat!(stringify!($t), "\0").as_ptr().cast::<c_char>();
                rows.push(SandgateLayoutEntry {
                    type_name: name,
                    field: std::ptr::null(),
                    offset: 0,
                    size: size_of::<$t>(),
                    align: align_of::<$t>(),
                });
                $(
                    let (size, align) = field_of(|x: &$t| &x.$f);
                    rows.push(SandgateLayoutEntry {
                        type_name: name,
                        field: concat!(stringify!($f), "\0").as_ptr().cast::<c_char>(),
                        offset: offset_of!($t, $f),
                        size,
                        align,
                    });
                )*
            })*
            rows
        }
    };
}

layouts! {
    SandgateStr { ptr, len }
    SandgateStrPair { name, value }
    SandgateString { ptr, len }
    SandgatePair { name, value }
    SandgateError { kind, kind_code, status, reason, reason_code, message, code, request_id, display }
    SandgateExpiry { has_expires, expires, has_ttl, ttl_seconds }
    SandgateSignedRoute { token, sandbox_id, port, expires, expires_b36, signature, key_id, uri_prefix }
    SandgateVerified { port, expires, key_id, sandbox_id_offset, sandbox_id_len, status, message, display }
    SandgateSignedInto {
        token_len, expires_b36_len, signature_len, key_id_len, uri_prefix_len, expires, port,
        message_len, display_len,
    }
    SandgateRoute { sandbox_id, port, is_signed, expires, key_id }
    SandgateDecision { allowed, status, reason, reason_code, detail, grant, route, path, query, error }
    SandgateGeneratedApiKey { key, prefix, hash }
    SandgateRetryOptions {
        has_max_retries, max_retries, has_initial_backoff_ms, initial_backoff_ms,
        has_max_backoff_ms, max_backoff_ms,
    }
    SandgateClientOptions {
        domain, protocol, api_key, headers, headers_len, has_timeout_ms, timeout_ms, language,
        retry, ignore_env,
    }
    SandgateHeader { name, value, redacted_value }
    SandgateEndpoint { endpoint, url, headers, headers_len, route }
    SandgateSandbox { id, image, state, metadata, metadata_len, secure_access, created_at, expires_at }
    SandgateSandboxList { items, len }
    SandgateSandboxRenewal { expires_at, expires }
    SandgateCreatedApiKey { id, name, prefix, key, expires_at }
    SandgateApiKeyInfo { id, name, prefix, created_at, expires_at, revoked }
    SandgateApiKeyList { items, len }
    SandgateFaults {
        fail_next, status, has_retry_after, retry_after, latency_ms, drop_next, corrupt_next,
    }
    SandgateMockRequest { method, path, status, user_agent }
    SandgateMockRequestList { items, len }
    SandgateLayoutEntry { type_name, field, offset, size, align }
}

/// Row `index` (from 0) of the layout table, or NULL past its end: for each `#[repr(C)]`
/// struct one row for the struct (`field` NULL) followed by one row per field, in declaration
/// order. Static: never freed.
#[no_mangle]
pub extern "C" fn sandgate_layout(index: usize) -> *const SandgateLayoutEntry {
    static TABLE: OnceLock<Table> = OnceLock::new();
    std::panic::catch_unwind(|| {
        let table = TABLE.get_or_init(|| Table(build()));
        table
            .0
            .get(index)
            .map_or(std::ptr::null(), |r| r as *const _)
    })
    .unwrap_or(std::ptr::null())
}

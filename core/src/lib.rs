//! # sandgate
//!
//! Sandbox access control for OpenSandbox-style platforms:
//!
//! - [`route`]: OSEP-0011 signed routes — sign with [`RouteSigner`], verify with
//!   [`RouteVerifier`], and take the full gateway decision with [`RouteVerifier::decide`];
//! - [`keys`]: signing-key sets from the ingress flag string or server TOML, and show-once
//!   API keys (generate, hash, constant-time verify);
//! - [`gateway`]: the gateway check for proxies, authorizers and middleware (SPEC §6),
//!   with policy sources and, behind the `tower` feature, a `tower` layer;
//! - [`Error`]: one error type with stable kind codes, shared by every language package.
//!
//! ```
//! use sandgate::{RouteSigner, RouteVerifier, SigningKeys};
//! let keys = SigningKeys::from_flag("a=bXktdGVzdC1zZWNyZXQ=")?;
//! let route = RouteSigner::new(&keys, Some('a'))?.sign("sbx-001", 8080, 2_000_000_000)?;
//! assert_eq!(route.token(), "sbx-001-8080-x2qxvk-0ff8cd39a");
//! let token = route.token();
//! let verified = RouteVerifier::new(keys).verify_at(&token, 1_900_000_000)?;
//! assert_eq!(verified.sandbox_id, "sbx-001");
//! # Ok::<(), sandgate::Error>(())
//! ```
#![deny(missing_docs)]

#[cfg(feature = "client")]
pub mod client;
pub mod clock;
mod error;
pub mod gateway;
pub mod keys;
pub mod route;
#[cfg(feature = "client")]
pub mod runtime;
mod secret;
pub mod surface;

pub use error::{Denial, DenyReason, Error, ErrorKind, Result};
pub use keys::{generate_api_key, hash_api_key, verify_api_key, GeneratedApiKey, SigningKeys};
pub use route::{
    AccessRequest, ParsedRoute, RouteInfo, RouteSigner, RouteSource, RouteVerifier, SandboxPolicy,
    SignedRoute,
};
pub use secret::{SecretBytes, SecretString};

#[cfg(feature = "client")]
pub use client::{Client, ClientBuilder, CreateSandbox, CreatedApiKey, Endpoint, RetryPolicy};

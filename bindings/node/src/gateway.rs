//! The gateway check (`sandgate::surface::check_request`) for a Node.js middleware: options in,
//! a flat verdict out. The JS layer's middleware only applies the verdict.

use crate::routes::{RouteInfoData, SigningKeys};
use crate::{opt_seconds, IntoJs};
use napi::bindgen_prelude::{BigInt, Either};
use napi_derive::napi;
use sandgate::surface::{self, GatewayOptions, GatewayVerdict, PolicyOptions};
use sandgate::Error;
use std::collections::BTreeMap;

/// How to build a gateway (core's `GatewayOptions`, without the keys).
#[napi(object, object_to_js = false)]
pub struct GatewayOptionsData {
    /// `header`, `wildcard` or `uri` (SPEC §1.4).
    pub route_mode: String,
    /// A policy document (JSON or TOML text); with neither this nor `policyFile` the gateway
    /// is signature-only.
    pub policy: Option<String>,
    /// A policy file (JSON or TOML), re-read when it changes.
    pub policy_file: Option<String>,
    /// A fixed "now" in Unix seconds (tests); default: the system clock per request.
    pub now: Option<Either<f64, BigInt>>,
}

/// A gateway verdict (core's `GatewayVerdict`): what to forward, or exactly what to answer.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct GatewayVerdictData {
    /// Whether the request goes on to the sandbox.
    pub allowed: bool,
    /// 200 when allowed, else 400, 401, 404 or 503.
    pub status: u32,
    /// The refusal's reason code; null when allowed.
    pub reason: Option<String>,
    /// How access was granted (`open`, `signature`, `header`); null when refused.
    pub grant: Option<String>,
    /// The verified route; null when refused.
    pub route: Option<RouteInfoData>,
    /// The target to forward (path, escaping kept, and `?query`); null when refused.
    pub upstream_target: Option<String>,
    /// Request headers to remove before forwarding (compare case-insensitively).
    pub headers_to_strip: Vec<String>,
    /// The refusal's response headers (lowercase names); empty when allowed.
    pub response_headers: BTreeMap<String, String>,
    /// The refusal's `text/plain` body; empty when allowed.
    pub body: String,
    /// The refusal's message (the body without its prefix); empty when allowed.
    pub message: String,
}

impl From<GatewayVerdict> for GatewayVerdictData {
    fn from(v: GatewayVerdict) -> Self {
        GatewayVerdictData {
            allowed: v.allowed,
            status: u32::from(v.status),
            reason: v.reason.map(str::to_owned),
            grant: v.grant.map(str::to_owned),
            route: v.route.map(RouteInfoData::from),
            upstream_target: v.upstream_target,
            headers_to_strip: v.headers_to_strip.iter().map(|h| (*h).to_owned()).collect(),
            response_headers: v
                .response_headers
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            body: v.body,
            message: v.message,
        }
    }
}

/// A header value as bytes: Node gives header values as latin1 strings (one char per byte),
/// which go back to their bytes; any other string is its UTF-8.
fn value_bytes(v: String) -> Vec<u8> {
    if v.chars().all(|c| u32::from(c) <= 0xFF) {
        v.chars().map(|c| u32::from(c) as u8).collect()
    } else {
        v.into_bytes()
    }
}

/// The edge check of SPEC §1.4, §1.5 and §6.
#[napi]
pub struct Gateway {
    inner: sandgate::gateway::Gateway,
}

#[napi]
impl Gateway {
    /// A gateway that verifies routes signed with `keys` under `options`; a bad mode, policy
    /// document or file is an `invalid_config` error.
    #[napi(constructor, catch_unwind)]
    pub fn new(keys: &SigningKeys, options: GatewayOptionsData) -> napi::Result<Self> {
        let policy = PolicyOptions::from_options(options.policy, options.policy_file).js()?;
        let now = opt_seconds("now", options.now.as_ref())?;
        let inner = surface::gateway(GatewayOptions {
            route_mode: options.route_mode,
            keys: keys.inner.clone(),
            policy,
            now,
        })
        .js()?;
        Ok(Gateway { inner })
    }

    /// Checks one request: its target as received and its headers as Node's `rawHeaders`
    /// (name, value, name, value, ... in arrival order).
    #[napi(catch_unwind)]
    pub fn check(
        &self,
        target: String,
        raw_headers: Vec<String>,
    ) -> napi::Result<GatewayVerdictData> {
        if !raw_headers.len().is_multiple_of(2) {
            return Err(Error::invalid_argument(
                "headers must be name, value pairs (an even number of strings)",
            ))
            .js();
        }
        let mut pairs = Vec::with_capacity(raw_headers.len() / 2);
        let mut it = raw_headers.into_iter();
        while let (Some(name), Some(value)) = (it.next(), it.next()) {
            pairs.push((name, value_bytes(value)));
        }
        Ok(surface::check_request(&self.inner, &target, &pairs).into())
    }

    /// Replaces the keys the gateway verifies with, atomically.
    #[napi(catch_unwind)]
    pub fn replace_keys(&self, keys: &SigningKeys) {
        self.inner.replace_keys(keys.inner.clone());
    }
}

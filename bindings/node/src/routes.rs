//! Signing keys, route signing and verification: thin wrappers over `sandgate::route` and
//! `sandgate::keys`.

use crate::{port_arg, seconds_arg, seconds_js, IntoJs, Secret};
use napi::bindgen_prelude::{BigInt, ClassInstance, Either};
use napi_derive::napi;
use sandgate::keys::parse_key_id;
use sandgate::{AccessRequest, RouteInfo};

/// Text given either as a plain string or as a `Secret`.
pub(crate) type TextOrSecret<'a> = Either<String, ClassInstance<'a, Secret>>;

pub(crate) fn with_text<T>(text: &TextOrSecret<'_>, f: impl FnOnce(&str) -> T) -> T {
    match text {
        Either::A(s) => f(s),
        Either::B(secret) => {
            let secret: &Secret = secret;
            f(secret.value.expose())
        }
    }
}

/// A signing-key set (SPEC §1.6). Never prints a secret.
#[napi]
pub struct SigningKeys {
    pub(crate) inner: sandgate::SigningKeys,
}

#[napi]
impl SigningKeys {
    /// From the ingress flag string `a=BASE64,b=BASE64`.
    #[napi(factory, catch_unwind)]
    pub fn from_flag(
        #[napi(ts_arg_type = "string | Secret")] text: TextOrSecret,
    ) -> napi::Result<Self> {
        let inner = with_text(&text, sandgate::SigningKeys::from_flag).js()?;
        Ok(SigningKeys { inner })
    }

    /// From server TOML text with an `[ingress.secure_access]` table.
    #[napi(factory, catch_unwind)]
    pub fn from_toml(
        #[napi(ts_arg_type = "string | Secret")] text: TextOrSecret,
    ) -> napi::Result<Self> {
        let inner = with_text(&text, sandgate::SigningKeys::from_toml).js()?;
        Ok(SigningKeys { inner })
    }

    /// From the server's environment pair: the values of `OPENSANDBOX_SECURE_ACCESS_KEYS` and
    /// `OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY` (null = unset). Null when neither is set.
    #[napi(catch_unwind)]
    pub fn from_env(
        #[napi(ts_arg_type = "string | Secret | null")] keys: Option<TextOrSecret>,
        active_key: Option<String>,
    ) -> napi::Result<Option<SigningKeys>> {
        let parse =
            |k: Option<&str>| sandgate::SigningKeys::from_env_vars(k, active_key.as_deref());
        let inner = match &keys {
            Some(k) => with_text(k, |k| parse(Some(k))),
            None => parse(None),
        }
        .js()?;
        Ok(inner.map(|inner| SigningKeys { inner }))
    }

    /// The configured key ids, in order.
    #[napi(getter, catch_unwind)]
    pub fn key_ids(&self) -> Vec<String> {
        self.inner.key_ids().iter().map(char::to_string).collect()
    }

    /// The active key id, if the configuration names one.
    #[napi(getter, catch_unwind)]
    pub fn active_key_id(&self) -> Option<String> {
        self.inner.active_key_id().map(String::from)
    }
}

/// What a route names (SPEC §1.3).
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct RouteInfoData {
    pub sandbox_id: String,
    pub port: u32,
    /// Unix seconds: a number, or a bigint above 2^53-1. Null for an unsigned route.
    pub expires: Option<Either<f64, BigInt>>,
    pub key_id: Option<String>,
}

pub(crate) fn route_info(r: &RouteInfo) -> RouteInfoData {
    RouteInfoData {
        sandbox_id: r.sandbox_id.clone(),
        port: u32::from(r.port),
        expires: r.expires.map(seconds_js),
        key_id: r.key_id.map(String::from),
    }
}

/// Signs routes with one key.
#[napi]
pub struct RouteSigner {
    inner: sandgate::RouteSigner,
}

#[napi]
impl RouteSigner {
    /// A signer with `keyId`, or the keys' active key.
    #[napi(constructor, catch_unwind)]
    pub fn new(keys: &SigningKeys, key_id: Option<String>) -> napi::Result<Self> {
        let id = key_id.as_deref().map(parse_key_id).transpose().js()?;
        let inner = sandgate::RouteSigner::new(&keys.inner, id).js()?;
        Ok(RouteSigner { inner })
    }

    /// The key id this signer signs with.
    #[napi(getter, catch_unwind)]
    pub fn key_id(&self) -> String {
        self.inner.key_id().to_string()
    }

    /// Signs `(sandboxId, port, expires)`.
    #[napi(catch_unwind)]
    pub fn sign(
        &self,
        sandbox_id: String,
        port: f64,
        expires: Either<f64, BigInt>,
    ) -> napi::Result<SignedRouteData> {
        let port = port_arg(port).js()?;
        let expires = seconds_arg("expires", &expires).js()?;
        let r = self.inner.sign(&sandbox_id, port, expires).js()?;
        Ok(SignedRouteData {
            token: r.token(),
            sandbox_id: r.sandbox_id().to_owned(),
            port: u32::from(r.port()),
            expires: seconds_js(r.expires()),
            expires_b36: r.expires_b36().to_owned(),
            signature: r.signature().to_owned(),
            key_id: r.key_id().to_string(),
            uri_prefix: r.uri_prefix(),
            header_value: r.header_value(),
        })
    }
}

/// A signed route (SPEC §1.2), as plain data: every form is rendered by core at signing time.
#[napi(object, object_from_js = false)]
pub struct SignedRouteData {
    pub token: String,
    pub sandbox_id: String,
    pub port: u32,
    pub expires: Either<f64, BigInt>,
    #[napi(js_name = "expiresB36")]
    pub expires_b36: String,
    pub signature: String,
    pub key_id: String,
    pub uri_prefix: String,
    pub header_value: String,
}

/// The wildcard host `{token}.{baseDomain}` of a route token; a base domain that is not a DNS
/// name is an `InvalidArgument`.
#[napi(catch_unwind)]
pub fn wildcard_host(token: String, base_domain: String) -> napi::Result<String> {
    sandgate::route::wildcard_host(&token, &base_domain).js()
}

/// Where a request's route comes from (SPEC §1.4) and the access header it carried.
#[napi(object, object_to_js = false)]
pub struct AccessRequestData {
    pub ingress_to: Option<String>,
    pub host: Option<String>,
    pub path: Option<String>,
    /// `OpenSandbox-Secure-Access` as sent (an empty string counts as sent).
    pub secure_access: Option<String>,
}

/// The full access decision of SPEC §1.5.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AccessDecisionData {
    pub allowed: bool,
    pub reason: Option<String>,
    pub status: u32,
    pub detail: Option<String>,
    pub grant: Option<String>,
    pub route: Option<RouteInfoData>,
    pub path: Option<String>,
    pub query: Option<String>,
}

/// Verifies routes and takes access decisions.
#[napi]
pub struct RouteVerifier {
    inner: sandgate::RouteVerifier,
}

#[napi]
impl RouteVerifier {
    #[napi(constructor, catch_unwind)]
    pub fn new(keys: &SigningKeys) -> Self {
        RouteVerifier {
            inner: sandgate::RouteVerifier::new(keys.inner.clone()),
        }
    }

    /// Verifies a route token at `now` (default: the system clock).
    #[napi(catch_unwind)]
    pub fn verify(
        &self,
        token: String,
        now: Option<Either<f64, BigInt>>,
    ) -> napi::Result<RouteInfoData> {
        let now = match &now {
            Some(n) => seconds_arg("now", n).js()?,
            None => sandgate::now_unix(),
        };
        let route = self.inner.verify_at(&token, now).js()?;
        Ok(route_info(&route.to_info()))
    }

    /// The decision for `request` to a sandbox whose access token is `accessToken` (none for
    /// a sandbox without secure access), at `now` (default: the system clock).
    #[napi(catch_unwind)]
    pub fn decide(
        &self,
        request: AccessRequestData,
        access_token: Option<String>,
        now: Option<Either<f64, BigInt>>,
    ) -> napi::Result<AccessDecisionData> {
        let now = now
            .as_ref()
            .map(|n| seconds_arg("now", n))
            .transpose()
            .js()?;
        let req = AccessRequest {
            ingress_to: request.ingress_to.as_deref(),
            host: request.host.as_deref(),
            path: request.path.as_deref(),
            secure_access: request.secure_access.as_deref(),
            ..Default::default()
        };
        let d = self.inner.decision(&req, access_token.as_deref(), now);
        Ok(AccessDecisionData {
            allowed: d.allowed,
            reason: d.reason.map(|r| r.code().to_owned()),
            status: u32::from(d.status),
            detail: d.detail.map(str::to_owned),
            grant: d.grant.map(|g| g.code().to_owned()),
            route: d.route.as_ref().map(route_info),
            path: d.path,
            query: d.query,
        })
    }
}

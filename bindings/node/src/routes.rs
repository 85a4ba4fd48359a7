//! Signing keys, route signing and verification: conversions to and from `sandgate::surface`.

use crate::{
    error_data, opt_seconds, port_arg, seconds_arg, seconds_js, ErrorData, IntoJs, Secret,
};
use napi::bindgen_prelude::{BigInt, ClassInstance, Either};
use napi_derive::napi;
use sandgate::keys::parse_key_id;
use sandgate::surface::{self, Decision, Expiry, RouteForm, RouteView};
use sandgate::AccessRequest;

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

    /// The same keys with `keyId` as the active key (the one signers use by default).
    #[napi(catch_unwind)]
    pub fn with_active(&self, key_id: String) -> napi::Result<SigningKeys> {
        let id = parse_key_id(&key_id).js()?;
        let inner = self.inner.with_active(id).js()?;
        Ok(SigningKeys { inner })
    }
}

/// What a route names (SPEC §1.3): core's `RouteView`.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct RouteInfoData {
    /// The sandbox id.
    pub sandbox_id: String,
    /// The sandbox port.
    pub port: u32,
    /// Unix seconds: a number, or a bigint above 2^53-1. Null for an unsigned route.
    pub expires: Option<Either<f64, BigInt>>,
    /// One character. Null for an unsigned route.
    pub key_id: Option<String>,
}

impl From<RouteView> for RouteInfoData {
    fn from(r: RouteView) -> Self {
        RouteInfoData {
            sandbox_id: r.sandbox_id,
            port: u32::from(r.port),
            expires: r.expires.map(seconds_js),
            key_id: r.key_id,
        }
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

    /// Signs `(sandboxId, port)` expiring at `expires`.
    #[napi(catch_unwind)]
    pub fn sign(
        &self,
        sandbox_id: String,
        port: f64,
        expires: Either<f64, BigInt>,
    ) -> napi::Result<SignedRouteData> {
        let port = port_arg(port).js()?;
        let expiry = Expiry::At(seconds_arg("expires", &expires).js()?);
        let r = surface::sign(&self.inner, &sandbox_id, port, expiry, None).js()?;
        Ok(SignedRouteData {
            header_value: r.token.clone(),
            token: r.token,
            sandbox_id: r.sandbox_id,
            port: u32::from(r.port),
            expires: seconds_js(r.expires),
            expires_b36: r.expires_b36,
            signature: r.signature,
            key_id: r.key_id,
            uri_prefix: r.uri_prefix,
        })
    }
}

/// A signed route (SPEC §1.2): core's `SignedRouteView`, plus its header value (the token).
#[napi(object, object_from_js = false)]
pub struct SignedRouteData {
    /// The token `{sandboxId}-{port}-{expiresB36}-{signature}`.
    pub token: String,
    /// The sandbox id.
    pub sandbox_id: String,
    /// The sandbox port.
    pub port: u32,
    /// Expiry, Unix seconds: a number, or a bigint above 2^53-1.
    pub expires: Either<f64, BigInt>,
    /// Expiry in base 36.
    #[napi(js_name = "expiresB36")]
    pub expires_b36: String,
    /// The 9-character signature (8 hex digits and the key id).
    pub signature: String,
    /// The signing key id (one character).
    pub key_id: String,
    /// The uri-mode prefix `/{sandboxId}/{port}/{expiresB36}/{signature}`.
    pub uri_prefix: String,
    /// The `OpenSandbox-Ingress-To` value (the token).
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
    /// The `OpenSandbox-Ingress-To` header.
    pub ingress_to: Option<String>,
    /// The `Host` header.
    pub host: Option<String>,
    /// Path and query (the route itself in uri mode).
    pub path: Option<String>,
    /// `OpenSandbox-Secure-Access` as sent (an empty string counts as sent).
    pub secure_access: Option<String>,
}

/// The full access decision of SPEC §1.5: core's `Decision`, with its denial as an error.
#[napi(object, object_from_js = false, use_nullable = true)]
pub struct AccessDecisionData {
    /// Whether the request may pass.
    pub allowed: bool,
    /// The denial reason code (denied requests).
    pub reason: Option<String>,
    /// The HTTP status a gateway answers: 200 when allowed.
    pub status: u32,
    /// A short explanation (denied requests).
    pub detail: Option<String>,
    /// How access was granted: `open`, `header` or `signature` (allowed requests).
    pub grant: Option<String>,
    /// The route (allowed requests).
    pub route: Option<RouteInfoData>,
    /// The upstream path, starting with `/` (allowed requests).
    pub path: Option<String>,
    /// The upstream query without `?` (allowed requests that had one).
    pub query: Option<String>,
    /// The denial as core's `access_denied` error (denied requests).
    pub error: Option<ErrorData>,
}

impl From<Decision> for AccessDecisionData {
    fn from(d: Decision) -> Self {
        AccessDecisionData {
            error: d.error().as_ref().map(error_data),
            allowed: d.allowed,
            reason: d.reason_code().map(str::to_owned),
            status: u32::from(d.status),
            detail: d.detail.map(str::to_owned),
            grant: d.grant_code().map(str::to_owned),
            route: d.route.map(RouteInfoData::from),
            path: d.path,
            query: d.query,
        }
    }
}

/// Verifies routes and takes access decisions.
#[napi]
pub struct RouteVerifier {
    inner: sandgate::RouteVerifier,
}

#[napi]
impl RouteVerifier {
    /// A verifier that accepts routes signed with any of `keys`.
    #[napi(constructor, catch_unwind)]
    pub fn new(keys: &SigningKeys) -> Self {
        RouteVerifier {
            inner: sandgate::RouteVerifier::new(keys.inner.clone()),
        }
    }

    /// Replaces the keys this verifier accepts, atomically: verifications already running
    /// finish with the old set, later ones use `keys`.
    #[napi(catch_unwind)]
    pub fn replace_keys(&self, keys: &SigningKeys) {
        self.inner.replace_keys(keys.inner.clone());
    }

    /// Verifies the route in `input` read as `form` (`token`, `host` or `path`) at `now`
    /// (default: the system clock).
    #[napi(catch_unwind)]
    pub fn verify(
        &self,
        form: String,
        input: String,
        now: Option<Either<f64, BigInt>>,
    ) -> napi::Result<RouteInfoData> {
        let form = RouteForm::from_code(&form).js()?;
        let now = opt_seconds("now", now.as_ref())?;
        let route = surface::verify_owned(&self.inner, form, &input, now).js()?;
        Ok(route.into())
    }

    /// The decision for `request` to a sandbox whose access token is `accessToken` (none for
    /// a sandbox without secure access), at `now` (default: the system clock).
    #[napi(catch_unwind)]
    pub fn decide(
        &self,
        request: AccessRequestData,
        #[napi(ts_arg_type = "string | Secret | undefined | null")] access_token: Option<
            TextOrSecret,
        >,
        now: Option<Either<f64, BigInt>>,
    ) -> napi::Result<AccessDecisionData> {
        let now = opt_seconds("now", now.as_ref())?;
        let req = AccessRequest {
            ingress_to: request.ingress_to.as_deref(),
            host: request.host.as_deref(),
            path: request.path.as_deref(),
            secure_access: request.secure_access.as_deref(),
            ..Default::default()
        };
        let d = match &access_token {
            Some(t) => with_text(t, |t| surface::decide(&self.inner, &req, Some(t), now)),
            None => surface::decide(&self.inner, &req, None, now),
        };
        Ok(d.into())
    }
}

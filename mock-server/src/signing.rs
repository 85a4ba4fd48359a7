//! The mock's signing keys, replaceable while it runs (SPEC §7): what the lifecycle API signs
//! endpoints with and what the gateway verifies, and the admin route that replaces them
//! (`/_mock/signing-keys`, documented in `docs/mock-admin-api.md`).

use crate::admin::admin;
use crate::http::{json_object, ApiError};
use crate::App;
use arc_swap::{ArcSwap, ArcSwapOption};
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::routing::get;
use axum::{Json, Router};
use sandgate::{Error, RouteSigner, RouteVerifier, SigningKeys};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

/// The key set in use, the signer built from it, the verifier the gateway asks, and the set
/// the mock started with (restored by a reset).
pub(crate) struct MockKeys {
    keys: ArcSwap<SigningKeys>,
    /// `None` while the set is empty (signed endpoints answer 503).
    signer: ArcSwapOption<RouteSigner>,
    /// The gateway's verifier: its key set is swapped in place, so the gateway never restarts.
    pub verifier: RouteVerifier,
    initial: SigningKeys,
    /// Serialises replacements so keys, signer and verifier always come from one set.
    replacing: Mutex<()>,
}

/// The key the mock signs with: the set's active key, else its first key; none for an empty
/// set.
fn signer_for(keys: &SigningKeys) -> Result<Option<Arc<RouteSigner>>, Error> {
    match keys.key_ids().first().copied() {
        None => Ok(None),
        Some(first) => Ok(Some(Arc::new(RouteSigner::new(
            keys,
            keys.active_key_id().or(Some(first)),
        )?))),
    }
}

impl MockKeys {
    pub fn new(keys: SigningKeys) -> Result<Self, Error> {
        let signer = signer_for(&keys)?;
        Ok(MockKeys {
            verifier: RouteVerifier::new(keys.clone()),
            keys: ArcSwap::from_pointee(keys.clone()),
            signer: ArcSwapOption::new(signer),
            initial: keys,
            replacing: Mutex::new(()),
        })
    }

    /// The keys in use now.
    pub fn current(&self) -> SigningKeys {
        SigningKeys::clone(&self.keys.load())
    }

    /// The signer for new signed endpoints (`None` without keys).
    pub fn signer(&self) -> arc_swap::Guard<Option<Arc<RouteSigner>>> {
        self.signer.load()
    }

    /// Replaces the keys: the gateway verifies with the new set at once (links of a key the
    /// new set lacks answer 401 `unknown_key`), and new endpoints are signed with its active
    /// key (else its first). An empty set is a mock without keys: the gateway answers 503
    /// `not_configured` to signed routes and signed endpoints answer 503.
    pub fn replace(&self, keys: SigningKeys) -> Result<(), Error> {
        let signer = signer_for(&keys)?;
        let _one_at_a_time = self.replacing.lock().unwrap_or_else(|p| p.into_inner());
        self.verifier.replace_keys(keys.clone());
        self.signer.store(signer);
        self.keys.store(Arc::new(keys));
        Ok(())
    }

    /// Puts back the keys the mock started with.
    pub fn restore(&self) {
        // The initial set was accepted at start, so this cannot fail.
        let _ = self.replace(self.initial.clone());
    }
}

pub(crate) fn router() -> Router<Arc<App>> {
    Router::new().route("/signing-keys", get(show).put(replace).post(replace))
}

fn describe(keys: &SigningKeys) -> Value {
    json!({
        "key_ids": keys.key_ids().iter().map(|c| c.to_string()).collect::<Vec<_>>(),
        "active_key": keys.active_key_id().map(|c| c.to_string()),
    })
}

/// `{"key_ids": [...], "active_key": "a"|null}`: never a secret.
async fn show(State(app): State<Arc<App>>, h: HeaderMap) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    Ok(Json(describe(&app.keys.current())))
}

/// `{"keys": "a=BASE64,b=BASE64", "active_key": "b"}` replaces the signing keys (the flag
/// string of SPEC §1.6; `active_key` optional, default the first key). Answers like `GET`.
async fn replace(
    State(app): State<Arc<App>>,
    h: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Value>, ApiError> {
    admin(&app, &h)?;
    let body = json_object(body)?;
    if let Some(k) = body.as_object().and_then(|m| {
        m.keys()
            .find(|k| !["keys", "active_key"].contains(&k.as_str()))
    }) {
        // A field name is the caller's text but never a secret's place: safe to quote.
        return Err(ApiError::bad_request(format!(
            "unknown signing-keys field {k:?} (send keys and optionally active_key)"
        )));
    }
    let flag = match body.get("keys") {
        Some(Value::String(s)) => s.as_str(),
        _ => {
            return Err(ApiError::bad_request(
                "keys must be the flag string a=BASE64,b=BASE64",
            ))
        }
    };
    let bad = |e: Error| ApiError::bad_request(e.message());
    let mut keys = SigningKeys::from_flag(flag).map_err(bad)?;
    match body.get("active_key") {
        None | Some(Value::Null) => {}
        Some(Value::String(a)) => {
            let id = sandgate::keys::parse_key_id(a).map_err(|_| {
                ApiError::bad_request("active_key must be one character of [0-9a-z]")
            })?;
            keys = keys.with_active(id).map_err(bad)?;
        }
        Some(_) => return Err(ApiError::bad_request("active_key must be a string")),
    }
    app.keys.replace(keys).map_err(bad)?;
    Ok(Json(describe(&app.keys.current())))
}

//! Who is calling (SPEC §3.3): the static admin key, a minted key acting as its owner, or a
//! user from the trusted headers. There is no anonymous principal.

use crate::http::header;
use crate::state::Role;
use crate::App;
use axum::http::HeaderMap;
use sandgate::keys::{
    api_key_from_headers, check_api_key, hash_api_key, KeyRejection, StoredKeyView,
};
use subtle::ConstantTimeEq;

/// A user principal.
#[derive(Clone, Debug)]
pub(crate) struct User {
    pub id: String,
    pub team: Option<String>,
    pub roles: Vec<Role>,
}

#[derive(Clone, Debug)]
pub(crate) enum Principal {
    /// The static server key: role `service_admin`, no scope, not a user.
    Admin,
    User(User),
}

impl Principal {
    fn has(&self, allowed: &[Role]) -> bool {
        match self {
            Principal::Admin => true,
            Principal::User(u) => u.roles.iter().any(|r| allowed.contains(r)),
        }
    }
    pub fn can_read(&self) -> bool {
        self.has(&[Role::ReadOnly, Role::Operator, Role::ServiceAdmin])
    }
    pub fn can_write(&self) -> bool {
        self.has(&[Role::Operator, Role::ServiceAdmin])
    }
    /// The user whose sandboxes this principal is limited to; `None` sees everything.
    pub fn scope(&self) -> Option<&str> {
        match self {
            Principal::User(u) if !u.roles.contains(&Role::ServiceAdmin) => Some(&u.id),
            _ => None,
        }
    }
}

/// Where the request arrived: decides which headers may carry a key.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Surface {
    /// Lifecycle API: `OPEN-SANDBOX-API-KEY`, `X-API-Key`, `Authorization: ApiKey`.
    Lifecycle,
    /// Keys API: `X-API-Key`, `Authorization: ApiKey`.
    Keys,
}

pub(crate) enum AuthError {
    /// No credential at all (401 `MISSING_API_KEY`).
    Missing,
    /// A key that is not valid (401 `INVALID_API_KEY`).
    Invalid(&'static str),
    /// A malformed header (400).
    BadHeader(String),
}

impl AuthError {
    pub fn message(&self) -> String {
        match self {
            AuthError::Missing => "authentication required: send an API key".to_owned(),
            AuthError::Invalid(m) => (*m).to_owned(),
            AuthError::BadHeader(m) => m.clone(),
        }
    }
}

pub(crate) fn is_admin_key(app: &App, presented: &str) -> bool {
    bool::from(
        presented
            .as_bytes()
            .ct_eq(app.admin_key.expose().as_bytes()),
    )
}

pub(crate) fn authenticate(
    app: &App,
    h: &HeaderMap,
    surface: Surface,
) -> Result<Principal, AuthError> {
    let get = |name| header(h, name).map_err(AuthError::BadHeader);
    let open_key = match surface {
        Surface::Lifecycle => get("open-sandbox-api-key")?
            .map(str::trim)
            .filter(|k| !k.is_empty()),
        Surface::Keys => None,
    };
    let presented = open_key.or(api_key_from_headers(
        get("x-api-key")?,
        get("authorization")?,
    ));
    if let Some(key) = presented {
        if is_admin_key(app, key) {
            return Ok(Principal::Admin);
        }
        return minted(app, key).map(Principal::User);
    }
    if app.trusted_headers {
        if let Some(user) = get("x-opensandbox-user")?
            .map(str::trim)
            .filter(|u| !u.is_empty())
        {
            let team = get("x-opensandbox-team")?
                .map(str::trim)
                .filter(|t| !t.is_empty())
                .map(str::to_owned);
            let mut roles = Vec::new();
            for r in get("x-opensandbox-roles")?.unwrap_or("").split(',') {
                let r = r.trim();
                if r.is_empty() {
                    continue;
                }
                let role = Role::parse(r).ok_or_else(|| {
                    AuthError::BadHeader(format!(
                        "unknown role {r:?} in X-OpenSandbox-Roles (known: read_only, operator, service_admin)"
                    ))
                })?;
                if !roles.contains(&role) {
                    roles.push(role);
                }
            }
            return Ok(Principal::User(User {
                id: user.to_owned(),
                team,
                roles,
            }));
        }
    }
    Err(AuthError::Missing)
}

fn minted(app: &App, key: &str) -> Result<User, AuthError> {
    let hash = hash_api_key(key);
    let now = app.store.now();
    let data = app.store.lock();
    let rec = data
        .key_ids_by_hash
        .get(&hash)
        .and_then(|id| data.keys.get(id))
        .ok_or(AuthError::Invalid("API key is not valid"))?;
    let view = StoredKeyView {
        hash: &rec.hash,
        revoked: rec.revoked,
        expires_at: rec.expires_at.as_deref(),
    };
    match check_api_key(key, &view, now) {
        Ok(Ok(())) => Ok(User {
            id: rec.owner.clone(),
            team: rec.team.clone(),
            roles: rec.roles.clone(),
        }),
        Ok(Err(KeyRejection::Revoked)) => Err(AuthError::Invalid("API key has been revoked")),
        Ok(Err(KeyRejection::Expired)) => Err(AuthError::Invalid("API key has expired")),
        _ => Err(AuthError::Invalid("API key is not valid")),
    }
}

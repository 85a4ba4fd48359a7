//! Every form the upstream platform reads its signing keys from (SPEC §1.6, §7), rendered from
//! one key set so they cannot drift apart:
//!
//! | form | read by | rules |
//! |---|---|---|
//! | [`Form::ServerToml`] | the server | the `[ingress.secure_access]` TOML table |
//! | [`Form::EnvPair`] | the server | `OPENSANDBOX_SECURE_ACCESS_KEYS` / `_ACTIVE_KEY`, nothing trimmed |
//! | [`Form::IngressFlag`] | the ingress gateway | `--secure-access-keys`, padded base64 only |
//! | [`Form::K8sSecret`] | both, through the Helm chart's `existingSecret` | entries `keys` and `active-key` |
//! | [`Form::HelmValues`] | both, through the Helm chart | `server.gateway.secureAccess` |
//!
//! Every secret is written as padded standard base64 and every list without spaces or empty
//! entries, the one spelling both upstream parsers read the same way; ids are quoted wherever
//! YAML could read them as something else. [`super::check`] proves it for each form.

use super::signing::SigningKeys;
use super::{ENV_ACTIVE_KEY, ENV_KEYS};
use crate::error::{Error, Result};
use crate::secret::SecretString;
use base64::Engine;
use std::fmt::Write as _;

/// The name of the ingress gateway's flag.
pub const INGRESS_FLAG: &str = "--secure-access-keys";
/// The Secret entry holding the key list (the upstream chart's `existingSecret` contract).
pub const SECRET_KEYS_ENTRY: &str = "keys";
/// The Secret entry holding the active key id.
pub const SECRET_ACTIVE_ENTRY: &str = "active-key";
/// The default name of the rendered Kubernetes Secret.
pub const DEFAULT_SECRET_NAME: &str = "opensandbox-secure-access";

/// One upstream form of a key set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Form {
    /// The server's `[ingress.secure_access]` TOML table.
    ServerToml,
    /// The server's environment pair, as `NAME=VALUE` lines.
    EnvPair,
    /// The ingress gateway's `--secure-access-keys=...` flag.
    IngressFlag,
    /// A Kubernetes Secret (YAML, `data` base64) with entries `keys` and `active-key`.
    K8sSecret,
    /// The Helm values block `server.gateway.secureAccess`.
    HelmValues,
}

impl Form {
    /// Every form, in the order `render --out` writes them.
    pub const ALL: [Form; 5] = [
        Form::ServerToml,
        Form::EnvPair,
        Form::IngressFlag,
        Form::K8sSecret,
        Form::HelmValues,
    ];

    /// The short name: `toml`, `env`, `flag`, `secret`, `helm`.
    pub const fn code(self) -> &'static str {
        match self {
            Form::ServerToml => "toml",
            Form::EnvPair => "env",
            Form::IngressFlag => "flag",
            Form::K8sSecret => "secret",
            Form::HelmValues => "helm",
        }
    }

    /// The form named `code` ([`Form::code`]).
    pub fn from_code(code: &str) -> Option<Form> {
        Form::ALL.into_iter().find(|f| f.code() == code)
    }

    /// The file name `render --out DIR` writes this form to.
    pub const fn file_name(self) -> &'static str {
        match self {
            Form::ServerToml => "server-secure-access.toml",
            Form::EnvPair => "secure-access.env",
            Form::IngressFlag => "ingress-flag.txt",
            Form::K8sSecret => "secure-access-secret.yaml",
            Form::HelmValues => "helm-values.yaml",
        }
    }
}

/// Options of the Kubernetes forms.
#[derive(Clone, Debug)]
pub struct RenderOptions {
    /// `metadata.name` of the Secret (default [`DEFAULT_SECRET_NAME`]).
    pub secret_name: String,
    /// `metadata.namespace` of the Secret; none written when `None`.
    pub namespace: Option<String>,
    /// Helm values point at this existing Secret (`secureAccess.existingSecret`, in chart
    /// versions that have it) instead of listing the keys inline.
    pub existing_secret: Option<String>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            secret_name: DEFAULT_SECRET_NAME.to_owned(),
            namespace: None,
            existing_secret: None,
        }
    }
}

/// A Kubernetes object name: a DNS subdomain (lowercase letters, digits, `-`, `.`, at most
/// 253 characters, starting and ending with a letter or digit).
fn check_k8s_name(what: &str, name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
        && name.as_bytes()[0].is_ascii_alphanumeric()
        && name.as_bytes()[name.len() - 1].is_ascii_alphanumeric();
    if ok {
        Ok(())
    } else {
        Err(Error::invalid_argument(format!(
            "{what} must be a Kubernetes name: lowercase letters, digits, '-' and '.', at most 253 characters"
        )))
    }
}

/// The key list `a=BASE64,b=BASE64`: padded base64, no spaces, no empty entries, ids unique
/// (the set guarantees it), so both upstream parsers read the same keys.
pub(crate) fn key_list(keys: &SigningKeys) -> SecretString {
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut s = String::new();
    for (n, &id) in keys.key_ids().iter().enumerate() {
        if let Some(secret) = keys.secret(id as u8) {
            if n > 0 {
                s.push(',');
            }
            let _ = write!(s, "{id}={}", b64.encode(secret.expose()));
        }
    }
    SecretString::new(s)
}

fn active_of(keys: &SigningKeys) -> Result<char> {
    if keys.is_empty() {
        return Err(Error::invalid_argument("there are no keys to render"));
    }
    keys.active_key_id().ok_or_else(|| {
        Error::invalid_argument(
            "the keys have no active key: the server needs one (activate a key first)",
        )
    })
}

/// Renders `keys` in `form`. The text holds every secret (except Helm values that point at an
/// existing Secret): hand it only to the platform. The server forms need an active key.
pub fn render(keys: &SigningKeys, form: Form, options: &RenderOptions) -> Result<SecretString> {
    let active = active_of(keys)?;
    let b64 = base64::engine::general_purpose::STANDARD;
    let mut s = String::new();
    match form {
        Form::ServerToml => {
            s.push_str(
                "# OSEP-0011 signing keys for the OpenSandbox server's config.toml (rendered by\n\
                 # sandgate signing-keys). The server reads this table only with\n\
                 # [ingress] mode = \"gateway\".\n",
            );
            let _ = writeln!(s, "[ingress.secure_access]\nactive_key = \"{active}\"");
            for &id in keys.key_ids() {
                if let Some(secret) = keys.secret(id as u8) {
                    let _ = writeln!(
                        s,
                        "\n[[ingress.secure_access.keys]]\nkey_id = \"{id}\"\nkey = \"{}\"",
                        b64.encode(secret.expose())
                    );
                }
            }
        }
        Form::EnvPair => {
            let _ = writeln!(s, "{ENV_KEYS}={}", key_list(keys).expose());
            let _ = writeln!(s, "{ENV_ACTIVE_KEY}={active}");
        }
        Form::IngressFlag => {
            let _ = writeln!(s, "{INGRESS_FLAG}={}", key_list(keys).expose());
        }
        Form::K8sSecret => {
            check_k8s_name("the Secret name", &options.secret_name)?;
            s.push_str("apiVersion: v1\nkind: Secret\nmetadata:\n");
            let _ = writeln!(s, "  name: {}", options.secret_name);
            if let Some(ns) = &options.namespace {
                check_k8s_name("the namespace", ns)?;
                let _ = writeln!(s, "  namespace: {ns}");
            }
            s.push_str("type: Opaque\ndata:\n");
            let _ = writeln!(
                s,
                "  {SECRET_KEYS_ENTRY}: {}",
                b64.encode(key_list(keys).expose())
            );
            let _ = writeln!(
                s,
                "  {SECRET_ACTIVE_ENTRY}: {}",
                b64.encode(active.to_string())
            );
        }
        Form::HelmValues => {
            s.push_str("server:\n  gateway:\n    secureAccess:\n");
            match &options.existing_secret {
                Some(name) => {
                    check_k8s_name("the existing Secret's name", name)?;
                    let _ = writeln!(s, "      existingSecret: \"{name}\"");
                }
                None => {
                    // Ids quoted: YAML 1.1 (Helm's) would read a bare y or n as a boolean.
                    let _ = writeln!(s, "      activeKey: \"{active}\"\n      keys:");
                    for &id in keys.key_ids() {
                        if let Some(secret) = keys.secret(id as u8) {
                            let _ = writeln!(
                                s,
                                "        - key_id: \"{id}\"\n          key: \"{}\"",
                                b64.encode(secret.expose())
                            );
                        }
                    }
                }
            }
        }
    }
    Ok(SecretString::new(s))
}

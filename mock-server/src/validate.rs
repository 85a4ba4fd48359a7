//! Request validation of the lifecycle API, as upstream's `specs/sandbox-lifecycle.yml` says:
//! required fields, types, ranges. Every error names the field and what was wrong.

use crate::http::ApiError;
use serde_json::{Map, Value};
use std::collections::BTreeMap;

/// Smallest accepted `timeout` (the spec's minimum).
pub(crate) const MIN_TIMEOUT: u64 = 60;
/// Largest accepted `timeout` (the mock's `server.max_sandbox_timeout_seconds`): 30 days.
pub(crate) const MAX_TIMEOUT: u64 = 30 * 24 * 3600;
/// Default entrypoint of a snapshot restore, as upstream's server.
pub(crate) const DEFAULT_ENTRYPOINT: [&str; 3] = ["tail", "-f", "/dev/null"];

/// A validated `CreateSandboxRequest`.
pub(crate) struct NewSandbox {
    pub image: Option<String>,
    pub snapshot_id: Option<String>,
    pub entrypoint: Option<Vec<String>>,
    pub timeout: Option<u64>,
    pub secure_access: bool,
    pub metadata: BTreeMap<String, String>,
    pub extensions: BTreeMap<String, String>,
    pub platform: Option<Value>,
}

fn bad(msg: impl Into<String>) -> ApiError {
    ApiError::bad_request(msg)
}

/// A field that, when present and not null, must be an object of strings.
pub(crate) fn string_map(body: &Value, name: &str) -> Result<BTreeMap<String, String>, ApiError> {
    let mut out = BTreeMap::new();
    match body.get(name) {
        None | Some(Value::Null) => {}
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let v = v
                    .as_str()
                    .ok_or_else(|| bad(format!("{name}[{k:?}] must be a string")))?;
                out.insert(k.clone(), v.to_owned());
            }
        }
        Some(_) => return Err(bad(format!("{name} must be an object of strings"))),
    }
    Ok(out)
}

fn string_array(v: &Value, name: &str, min: usize) -> Result<Vec<String>, ApiError> {
    let items = v
        .as_array()
        .ok_or_else(|| bad(format!("{name} must be an array of strings")))?;
    if items.len() < min {
        return Err(bad(format!("{name} must have at least {min} item(s)")));
    }
    items
        .iter()
        .map(|i| {
            i.as_str()
                .map(str::to_owned)
                .ok_or_else(|| bad(format!("{name} must be an array of strings")))
        })
        .collect()
}

fn only_keys(m: &Map<String, Value>, name: &str, allowed: &[&str]) -> Result<(), ApiError> {
    match m.keys().find(|k| !allowed.contains(&k.as_str())) {
        Some(k) => Err(bad(format!(
            "{name} has an unknown field {k:?} (allowed: {})",
            allowed.join(", ")
        ))),
        None => Ok(()),
    }
}

fn object<'a>(v: &'a Value, name: &str) -> Result<&'a Map<String, Value>, ApiError> {
    v.as_object()
        .ok_or_else(|| bad(format!("{name} must be an object")))
}

fn optional_type(body: &Value, name: &str, want: &str) -> Result<(), ApiError> {
    let ok = match body.get(name) {
        None | Some(Value::Null) => true,
        Some(v) => match want {
            "object" => v.is_object(),
            "array" => v.is_array(),
            _ => true,
        },
    };
    if ok {
        Ok(())
    } else {
        Err(bad(format!("{name} must be an {want}")))
    }
}

/// Validates a `CreateSandboxRequest` body.
pub(crate) fn create_request(body: &Value) -> Result<NewSandbox, ApiError> {
    let extensions = string_map(body, "extensions")?;
    if extensions.contains_key("poolRef") || extensions.contains_key("extensions.poolRef") {
        return Err(bad(
            "pool mode (extensions.poolRef) is not supported by the mock",
        ));
    }
    if let Some(v) = extensions.get("access.renew.extend.seconds") {
        let ok = !v.is_empty()
            && v.bytes().all(|c| c.is_ascii_digit())
            && v.parse::<u64>().is_ok_and(|n| (300..=86_400).contains(&n));
        if !ok {
            return Err(bad(
                "extensions[\"access.renew.extend.seconds\"] must be a decimal integer from 300 to 86400",
            ));
        }
    }
    let image = match body.get("image") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let m = object(v, "image")?;
            only_keys(m, "image", &["uri", "auth"])?;
            let uri = m
                .get("uri")
                .and_then(Value::as_str)
                .map(str::trim)
                .filter(|u| !u.is_empty())
                .ok_or_else(|| bad("image.uri is required and must be a non-empty string"))?;
            if let Some(auth) = m.get("auth").filter(|a| !a.is_null()) {
                let a = object(auth, "image.auth")?;
                only_keys(a, "image.auth", &["username", "password"])?;
                if a.values().any(|v| !v.is_string()) {
                    return Err(bad("image.auth.username and password must be strings"));
                }
            }
            Some(uri.to_owned())
        }
    };
    let snapshot_id = match body.get("snapshotId") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if !s.trim().is_empty() => Some(s.clone()),
        Some(_) => return Err(bad("snapshotId must be a non-empty string")),
    };
    match (&image, &snapshot_id) {
        (Some(_), Some(_)) => {
            return Err(bad("image and snapshotId are mutually exclusive: send one"))
        }
        (None, None) => {
            return Err(bad(
                "exactly one startup source is required: image.uri or snapshotId",
            ))
        }
        _ => {}
    }
    let entrypoint = match body.get("entrypoint") {
        None | Some(Value::Null) => None,
        Some(v) => Some(string_array(v, "entrypoint", 1)?),
    };
    if image.is_some() && entrypoint.is_none() {
        return Err(bad("entrypoint is required when image is given"));
    }
    match body.get("resourceLimits") {
        None | Some(Value::Null) => return Err(bad(
            "resourceLimits is required (for example {\"cpu\": \"500m\", \"memory\": \"512Mi\"})",
        )),
        Some(_) => {
            string_map(body, "resourceLimits")?;
        }
    }
    string_map(body, "resourceRequests")?;
    string_map(body, "env")?;
    let timeout = match body.get("timeout") {
        None | Some(Value::Null) => None,
        Some(v) => Some(
            v.as_u64()
                .filter(|t| (MIN_TIMEOUT..=MAX_TIMEOUT).contains(t))
                .ok_or_else(|| {
                    bad(format!(
                        "timeout must be an integer number of seconds from {MIN_TIMEOUT} to {MAX_TIMEOUT}, or null for manual cleanup"
                    ))
                })?,
        ),
    };
    let secure_access = match body.get("secureAccess") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(bad("secureAccess must be a boolean")),
    };
    let platform = match body.get("platform") {
        None | Some(Value::Null) => None,
        Some(v) => {
            let m = object(v, "platform")?;
            only_keys(m, "platform", &["os", "arch"])?;
            let os = m.get("os").and_then(Value::as_str);
            let arch = m.get("arch").and_then(Value::as_str);
            if !matches!(os, Some("linux" | "windows")) || !matches!(arch, Some("amd64" | "arm64"))
            {
                return Err(bad(
                    "platform needs os (linux or windows) and arch (amd64 or arm64)",
                ));
            }
            Some(v.clone())
        }
    };
    for (name, want) in [
        ("networkPolicy", "object"),
        ("credentialProxy", "object"),
        ("lifecycle", "object"),
        ("volumes", "array"),
    ] {
        optional_type(body, name, want)?;
    }
    if let Some(Value::Object(np)) = body.get("networkPolicy") {
        if let Some(a) = np.get("defaultAction").filter(|a| !a.is_null()) {
            if !matches!(a.as_str(), Some("allow" | "deny")) {
                return Err(bad("networkPolicy.defaultAction must be allow or deny"));
            }
        }
    }
    let mut metadata = string_map(body, "metadata")?;
    // The owner is always set by the server, never taken from the body.
    metadata.remove("access.owner");
    Ok(NewSandbox {
        image,
        snapshot_id,
        entrypoint,
        timeout,
        secure_access,
        metadata,
        extensions,
        platform,
    })
}

/// A metadata key as upstream accepts it (Kubernetes label key): an optional DNS-subdomain
/// prefix and `/`, then a name of 1..=63 characters `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`;
/// the `opensandbox.io/` prefix is reserved.
pub(crate) fn metadata_key(key: &str) -> Result<(), ApiError> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(p) = prefix {
        if p.eq_ignore_ascii_case("opensandbox.io")
            || p.to_ascii_lowercase().ends_with(".opensandbox.io")
        {
            return Err(bad(format!(
                "metadata key {key:?} uses the reserved opensandbox.io/ prefix"
            )));
        }
        let label_ok = |l: &str| {
            !l.is_empty()
                && l.len() <= 63
                && l.bytes()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
                && !l.starts_with('-')
                && !l.ends_with('-')
        };
        if p.is_empty() || p.len() > 253 || !p.split('.').all(label_ok) {
            return Err(bad(format!(
                "metadata key {key:?} has a prefix that is not a DNS subdomain"
            )));
        }
    }
    if !label_value(name) || name.is_empty() {
        return Err(bad(format!(
            "metadata key {key:?} must be a label name: 1-63 characters, alphanumeric at both ends, '-', '_' or '.' inside"
        )));
    }
    Ok(())
}

/// `[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?`, at most 63 characters.
pub(crate) fn label_value(v: &str) -> bool {
    let b = v.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
}

/// A positive page number or size from the query (`name` for the message).
pub(crate) fn positive(v: &str, name: &str, max: u64) -> Result<u64, ApiError> {
    v.parse::<u64>()
        .ok()
        .filter(|n| (1..=max).contains(n) && v.bytes().all(|c| c.is_ascii_digit()))
        .ok_or_else(|| bad(format!("{name} must be an integer from 1 to {max}")))
}

/// A port path segment: decimal 1..=65535, no sign, no leading zero.
pub(crate) fn port(text: &str) -> Result<u16, ApiError> {
    text.parse::<u16>()
        .ok()
        .filter(|p| *p > 0 && text.bytes().all(|c| c.is_ascii_digit()) && !text.starts_with('0'))
        .ok_or_else(|| bad(format!("port must be decimal 1..65535, not {text:?}")))
}

/// Parses a boolean query value like the platform (pydantic): `true/1/yes/on/y/t` and
/// `false/0/no/off/n/f`, any capitalisation; anything else is `None`.
pub(crate) fn pydantic_bool(v: &str) -> Option<bool> {
    match v.to_ascii_lowercase().as_str() {
        "true" | "1" | "yes" | "on" | "y" | "t" => Some(true),
        "false" | "0" | "no" | "off" | "n" | "f" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bools_like_pydantic() {
        for t in ["true", "TRUE", "1", "yes", "On", "y", "T"] {
            assert_eq!(pydantic_bool(t), Some(true), "{t}");
        }
        for f in ["false", "0", "No", "off", "N", "f"] {
            assert_eq!(pydantic_bool(f), Some(false), "{f}");
        }
        for x in ["", "2", "tru", "yes please"] {
            assert_eq!(pydantic_bool(x), None, "{x}");
        }
    }

    #[test]
    fn metadata_keys_and_values() {
        for ok in ["team", "app.kubernetes.io/name", "a", "x_y.z-1"] {
            assert!(metadata_key(ok).is_ok(), "{ok}");
        }
        for bad in [
            "",
            "opensandbox.io/x",
            "-a",
            "a-",
            "Bad Prefix/x",
            "/x",
            &"a".repeat(64),
        ] {
            assert!(metadata_key(bad).is_err(), "{bad}");
        }
        assert!(label_value("v1.2_3-x"));
        assert!(!label_value("has space"));
        assert!(!label_value(""));
    }
}

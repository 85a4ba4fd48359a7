//! The subrequest protocols of `sandgate authz` (SPEC §6): where each proxy puts the original
//! request in the request it sends to the authorizer, and how it reads the answer.
//!
//! | proxy | original request | allow | deny |
//! |---|---|---|---|
//! | nginx `auth_request` | `X-Forwarded-Uri`, `X-Forwarded-Host`, `X-Forwarded-Method` set by the snippet; route headers copied | 200 + `X-Sandgate-*` | 401 (a 401 denial) or 403 (any other), with `X-Sandgate-Status`, `X-Sandgate-Reason`, `X-Sandgate-Message` for the snippet's `error_page` |
//! | Envoy `ext_authz` (HTTP service) | method, `path_prefix` + original path, `Host` = original authority; route headers when listed in `allowed_headers` | 200 + `X-Sandgate-*` + `x-envoy-auth-headers-to-remove` | the status, `text/plain` body and headers as they are (Envoy turns a 5xx into `status_on_error`) |
//! | Traefik `forwardAuth` | `X-Forwarded-Method/Proto/Host/Uri`; the request's headers copied | 200 + `X-Sandgate-*` (list the stripped headers in `authResponseHeaders`: absent from the answer, Traefik removes them) | the status, body and headers as they are |

use super::{HeaderView, Refusal, RequestParts, Verdict, STRIPPED_HEADERS};

/// Allowed: the sandbox id.
pub const SANDBOX_HEADER: &str = "x-sandgate-sandbox-id";
/// Allowed: the sandbox port.
pub const PORT_HEADER: &str = "x-sandgate-port";
/// Allowed: the upstream path and query (the uri-mode prefix removed, escaping kept).
pub const PATH_HEADER: &str = "x-sandgate-path";
/// Allowed: how access was granted (`open`, `header`, `signature`).
pub const GRANT_HEADER: &str = "x-sandgate-grant";
/// nginx, denied: the status the client should get (400, 401, 404, 503).
pub const STATUS_HEADER: &str = "x-sandgate-status";
/// nginx, denied: the body's text after `OpenSandbox Ingress: `.
pub const MESSAGE_HEADER: &str = "x-sandgate-message";
/// Envoy: the request headers to remove before forwarding (comma separated).
pub const ENVOY_REMOVE_HEADER: &str = "x-envoy-auth-headers-to-remove";
/// The path prefix of Envoy check requests (`http_service.path_prefix`).
pub const ENVOY_PREFIX: &str = "/envoy";

/// A proxy's subrequest protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Protocol {
    /// nginx `auth_request` with the snippet in `docs/nginx/`.
    Nginx,
    /// Envoy `ext_authz` with an HTTP service.
    Envoy,
    /// Traefik `forwardAuth`.
    Traefik,
}

impl Protocol {
    /// `nginx`, `envoy`, `traefik`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Protocol::Nginx => "nginx",
            Protocol::Envoy => "envoy",
            Protocol::Traefik => "traefik",
        }
    }

    /// The protocol of an authorizer request to `path` (`/nginx`, `/traefik`, `/envoy/...`).
    pub fn for_path(path: &str) -> Option<Protocol> {
        match path {
            "/nginx" => Some(Protocol::Nginx),
            "/traefik" => Some(Protocol::Traefik),
            p if p == ENVOY_PREFIX || p.starts_with("/envoy/") || p.starts_with("/envoy?") => {
                Some(Protocol::Envoy)
            }
            _ => None,
        }
    }
}

/// The original request, rebuilt from an authorizer request.
#[derive(Clone, Copy, Debug)]
pub struct Original<'a> {
    /// The original method (for logs; the decision does not read it).
    pub method: Option<&'a str>,
    /// The parts the gateway check reads.
    pub parts: RequestParts<'a>,
}

/// What the proxy left out, so the authorizer cannot decide: a configuration error of the
/// proxy, answered with 500 (every proxy then fails closed).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MissingPart(pub &'static str);

impl std::fmt::Display for MissingPart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "sandgate authz: the proxy did not send {} (see docs/gateway.md)",
            self.0
        )
    }
}

fn header_str<'a>(h: &'a dyn HeaderView, name: &str) -> Option<&'a str> {
    h.first(name).and_then(|v| std::str::from_utf8(v).ok())
}

/// Rebuilds the original request from the authorizer request: its `method`, `target` (path
/// and query) and `headers`.
pub fn original<'a>(
    protocol: Protocol,
    method: &'a str,
    target: &'a str,
    headers: &'a (dyn HeaderView + Sync),
) -> Result<Original<'a>, MissingPart> {
    match protocol {
        Protocol::Nginx | Protocol::Traefik => {
            let uri =
                header_str(headers, "x-forwarded-uri").ok_or(MissingPart("X-Forwarded-Uri"))?;
            Ok(Original {
                method: header_str(headers, "x-forwarded-method"),
                parts: RequestParts {
                    target: Some(uri),
                    headers,
                    host_header: "x-forwarded-host",
                    authority: None,
                },
            })
        }
        Protocol::Envoy => {
            let rest = target
                .strip_prefix(ENVOY_PREFIX)
                .ok_or(MissingPart("the /envoy path prefix"))?;
            Ok(Original {
                method: Some(method),
                parts: RequestParts {
                    // `path_prefix` + "" for a request to "/" never happens (the path of an
                    // HTTP request is never empty); "/envoy" alone means "/".
                    target: Some(if rest.is_empty() { "/" } else { rest }),
                    headers,
                    host_header: "host",
                    authority: None,
                },
            })
        }
    }
}

/// The authorizer's answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Answer {
    /// The status.
    pub status: u16,
    /// The headers.
    pub headers: Vec<(&'static str, String)>,
    /// The body (`text/plain`; empty for an allow).
    pub body: String,
}

/// The answer to a proxy for `verdict`.
pub fn answer(protocol: Protocol, verdict: &Verdict) -> Answer {
    match verdict {
        Verdict::Allow(a) => {
            let mut headers = vec![
                (SANDBOX_HEADER, a.sandbox_id.clone()),
                (PORT_HEADER, a.port.to_string()),
                (PATH_HEADER, a.upstream_target()),
                (GRANT_HEADER, a.grant.code().to_owned()),
            ];
            if protocol == Protocol::Envoy {
                let names: Vec<String> = STRIPPED_HEADERS
                    .iter()
                    .map(|h| h.to_ascii_lowercase())
                    .collect();
                headers.push((ENVOY_REMOVE_HEADER, names.join(", ")));
            }
            Answer {
                status: 200,
                headers,
                body: String::new(),
            }
        }
        Verdict::Deny(r) => deny(protocol, r),
    }
}

fn deny(protocol: Protocol, r: &Refusal) -> Answer {
    let mut headers: Vec<(&'static str, String)> = r
        .headers()
        .into_iter()
        .map(|(k, v)| (k, v.to_owned()))
        .collect();
    match protocol {
        Protocol::Nginx => {
            headers.push((STATUS_HEADER, r.status().to_string()));
            headers.push((MESSAGE_HEADER, r.message()));
            Answer {
                status: if r.status() == 401 { 401 } else { 403 },
                headers,
                body: r.body(),
            }
        }
        Protocol::Envoy | Protocol::Traefik => Answer {
            status: r.status(),
            headers,
            body: r.body(),
        },
    }
}

/// The answer when the proxy left out a part the authorizer needs (500, fail closed).
pub fn misconfigured(missing: MissingPart) -> Answer {
    Answer {
        status: 500,
        headers: vec![("content-type", "text/plain; charset=utf-8".to_owned())],
        body: format!("{missing}\n"),
    }
}

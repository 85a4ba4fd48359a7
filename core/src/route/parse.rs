//! Parsing route tokens out of tokens, `Host` values, header values and URI paths
//! (SPEC §1.3, §1.4). Parsing borrows from its input and never allocates.

use super::b36::decode_b36_static;
use crate::error::{Denial, DenyReason};

/// The signature part of a signed route.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SignedPart<'a> {
    /// Expiry in Unix seconds.
    pub expires: u64,
    /// Expiry exactly as it appeared (`expires_b36`).
    pub expires_b36: &'a str,
    /// The 9-character signature: 8 lowercase hex digits then the key id.
    pub signature: &'a str,
}

impl SignedPart<'_> {
    /// The signing key id (last character of the signature).
    pub fn key_id(&self) -> char {
        char::from(self.signature.as_bytes()[8])
    }

    /// The 8 hex digits of the signature.
    pub fn mac_hex(&self) -> &str {
        &self.signature[..8]
    }
}

/// A route parsed from a token: legacy `{id}-{port}` or signed
/// `{id}-{port}-{expires_b36}-{signature}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ParsedRoute<'a> {
    /// The sandbox id, verbatim (may contain `-`).
    pub sandbox_id: &'a str,
    /// The port, 1..=65535.
    pub port: u16,
    /// The signature part, for signed routes.
    pub signed: Option<SignedPart<'a>>,
}

impl ParsedRoute<'_> {
    /// Whether the route carries a signature.
    pub fn is_signed(&self) -> bool {
        self.signed.is_some()
    }

    /// An owned copy of the route's facts.
    pub fn to_info(&self) -> RouteInfo {
        RouteInfo {
            sandbox_id: self.sandbox_id.to_owned(),
            port: self.port,
            expires: self.signed.map(|s| s.expires),
            key_id: self.signed.map(|s| s.key_id()),
        }
    }
}

/// The owned facts of a route: sandbox id, port, and for signed routes expiry and key id.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct RouteInfo {
    /// The sandbox id.
    pub sandbox_id: String,
    /// The port.
    pub port: u16,
    /// Expiry in Unix seconds (signed routes).
    pub expires: Option<u64>,
    /// Signing key id (signed routes).
    pub key_id: Option<char>,
}

const fn malformed(detail: &'static str) -> Denial {
    Denial::new(DenyReason::Malformed, detail)
}

/// Parses a port segment: decimal 1..=65535, no sign, no leading zero.
pub(crate) fn parse_port(s: &str) -> Result<u16, Denial> {
    let b = s.as_bytes();
    if b.is_empty() || b.len() > 5 {
        return Err(malformed("port must be decimal 1..65535"));
    }
    if b[0] == b'0' {
        return Err(malformed(
            "port must be decimal 1..65535 without a leading zero",
        ));
    }
    let mut v: u32 = 0;
    for &c in b {
        if !c.is_ascii_digit() {
            return Err(malformed("port must be decimal 1..65535"));
        }
        v = v * 10 + u32::from(c - b'0');
    }
    u16::try_from(v).map_err(|_| malformed("port must be decimal 1..65535"))
}

/// Checks a port given as any integer (as languages pass them): 1..=65535, or an
/// `invalid_argument` error that names the value.
pub fn check_port(port: i64) -> crate::Result<u16> {
    match u16::try_from(port) {
        Ok(p) if p != 0 => Ok(p),
        _ => Err(crate::Error::invalid_argument(format!(
            "port must be in 1..65535, got {port}"
        ))),
    }
}

/// Whether `s` is a signature: `[0-9a-f]{8}[0-9a-z]`.
pub(crate) fn is_signature(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 9
        && b[..8]
            .iter()
            .all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
        && matches!(b[8], b'0'..=b'9' | b'a'..=b'z')
}

fn signed_part<'a>(b36: &'a str, signature: &'a str) -> Result<SignedPart<'a>, Denial> {
    if !is_signature(signature) {
        return Err(malformed(
            "signature must be 8 lowercase hex digits and a key id [0-9a-z]",
        ));
    }
    let expires = decode_b36_static(b36).map_err(malformed)?;
    Ok(SignedPart {
        expires,
        expires_b36: b36,
        signature,
    })
}

/// Position of the last `-` in `b[..end]`.
fn last_dash(b: &[u8], end: usize) -> Option<usize> {
    b[..end].iter().rposition(|&c| c == b'-')
}

/// Parses a route token, splitting on `-` from the right (SPEC §1.3).
///
/// A token whose last three segments are a port, an `expires_b36` and a signature, with a
/// non-empty id before them, is signed. Anything else is a legacy route split at the **last**
/// `-`: the id before it (non-empty, may contain `-`, as upstream's UUIDs do) and a port after
/// it. The port is strict in both forms: decimal 1..=65535, no sign, no leading zero.
pub fn parse_token(token: &str) -> Result<ParsedRoute<'_>, Denial> {
    let b = token.as_bytes();
    let d1 = last_dash(b, b.len()).ok_or(malformed("route token has no '-' separator"))?;
    // A signed token ends in `-` and a 9-character signature; a port is at most 5 characters,
    // so a shorter last segment can only be a legacy route.
    if b.len() - d1 == 10 {
        if let Some(route) = signed_route(token, d1) {
            return Ok(route);
        }
    }
    if d1 == 0 {
        return Err(malformed("sandbox id is empty"));
    }
    Ok(ParsedRoute {
        sandbox_id: &token[..d1],
        port: parse_port(&token[d1 + 1..])?,
        signed: None,
    })
}

/// The signed reading of `token` whose last `-` is at `d1`, when all its parts pass.
fn signed_route(token: &str, d1: usize) -> Option<ParsedRoute<'_>> {
    let b = token.as_bytes();
    let d2 = last_dash(b, d1)?;
    let d3 = last_dash(b, d2)?;
    if d3 == 0 {
        return None;
    }
    let port = parse_port(&token[d3 + 1..d2]).ok()?;
    let signed = signed_part(&token[d2 + 1..d1], &token[d1 + 1..]).ok()?;
    Some(ParsedRoute {
        sandbox_id: &token[..d3],
        port,
        signed: Some(signed),
    })
}

/// Parses the route out of an `OpenSandbox-Ingress-To` header value (surrounding
/// whitespace ignored).
pub fn parse_header(value: &str) -> Result<ParsedRoute<'_>, Denial> {
    parse_token(value.trim())
}

/// The first DNS label of a `Host` value, with any scheme, path and port removed.
pub fn host_label(host: &str) -> &str {
    let h = host.trim();
    let b = h.as_bytes();
    let start = b.windows(3).position(|w| w == b"://").map_or(0, |i| i + 3);
    let end = b[start..]
        .iter()
        .position(|c| matches!(c, b'.' | b':' | b'/' | b'?' | b'#'))
        .map_or(b.len(), |i| start + i);
    &h[start..end]
}

/// Parses the route out of a `Host` value: scheme and port stripped, first DNS label.
pub fn parse_host(host: &str) -> Result<ParsedRoute<'_>, Denial> {
    let label = host_label(host);
    if label.is_empty() {
        return Err(malformed("host has no first label"));
    }
    parse_token(label)
}

/// A route parsed from a URI path (uri route mode), with the upstream path and query that
/// remain after the route prefix is removed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PathRoute<'a> {
    /// The route.
    pub route: ParsedRoute<'a>,
    path: &'a str,
    /// The query string without `?`, forwarded unchanged; `None` when there was no `?`.
    pub query: Option<&'a str>,
}

impl<'a> PathRoute<'a> {
    /// The upstream path (always starts with `/`).
    pub fn path(&self) -> &'a str {
        if self.path.is_empty() {
            "/"
        } else {
            self.path
        }
    }
}

/// Parses `/{sandbox_id}/{port}[/{expires_b36}/{signature}]/upstream?query` (SPEC §1.4).
///
/// With `signed` false (the sandbox does not require secure access) the path is parsed the
/// legacy way: first segment id, second port, the rest is the upstream path even if it looks
/// like `expires/signature`. With `signed` true, a valid `expires_b36` and signature in the
/// third and fourth segments are taken as the signed prefix and stripped; when they are not
/// there, the route is legacy and the gateway will ask for another credential.
pub fn parse_path(path_and_query: &str, signed: bool) -> Result<PathRoute<'_>, Denial> {
    let (path, query) = match path_and_query.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path_and_query, None),
    };
    let rest = path
        .strip_prefix('/')
        .ok_or(malformed("path must start with '/'"))?;
    if rest.starts_with('/') {
        // `//id/...`: the first segment is empty; never skip it to find an id further on.
        return Err(malformed("path has an empty first segment"));
    }
    let (sandbox_id, rest) = split_segment(rest);
    if sandbox_id.is_empty() {
        return Err(malformed("path has no sandbox id segment"));
    }
    let (port, mut upstream) = split_segment(rest);
    let port = parse_port(port)?;
    let mut route = ParsedRoute {
        sandbox_id,
        port,
        signed: None,
    };
    if signed {
        let (b36, after_b36) = split_segment(upstream);
        let (sig, after_sig) = split_segment(after_b36);
        if let Ok(part) = signed_part(b36, sig) {
            route.signed = Some(part);
            upstream = after_sig;
        }
    }
    Ok(PathRoute {
        route,
        // `upstream` is what followed the consumed segment, so it starts with '/' or is empty.
        path: upstream,
        query,
    })
}

/// Splits `a/b/c` into `("a", "/b/c")`; the remainder keeps its leading `/`.
fn split_segment(s: &str) -> (&str, &str) {
    let s = s.strip_prefix('/').unwrap_or(s);
    match s.find('/') {
        Some(i) => (&s[..i], &s[i..]),
        None => (s, ""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_and_signed_tokens() {
        let r = parse_token("abc-8080").unwrap();
        assert_eq!((r.sandbox_id, r.port, r.signed), ("abc", 8080, None));
        let r = parse_token("sbx-001-8080-x2qxvk-0ff8cd39a").unwrap();
        assert_eq!(r.sandbox_id, "sbx-001");
        let s = r.signed.unwrap();
        assert_eq!(
            (s.expires, s.key_id(), s.mac_hex()),
            (2_000_000_000, 'a', "0ff8cd39")
        );
        for bad in [
            "",
            "abc",
            "a-b-c",
            "sbx-8080-x2qxvk",
            "-80",
            "abc-0",
            "abc-080",
            "abc-65536",
            "x-80-x2qxvk-0ff8cd39A",
        ] {
            assert_eq!(
                parse_token(bad).unwrap_err().reason(),
                DenyReason::Malformed,
                "{bad}"
            );
        }
    }

    #[test]
    fn dashed_legacy_ids() {
        let r = parse_token("3f2504e0-4f89-41d3-9a0c-0305e82c3301-8080").unwrap();
        assert_eq!(
            (r.sandbox_id, r.port, r.signed),
            ("3f2504e0-4f89-41d3-9a0c-0305e82c3301", 8080, None)
        );
        let r = parse_token("my-sbx-8080").unwrap();
        assert_eq!((r.sandbox_id, r.port), ("my-sbx", 8080));
        let r = parse_token("a--80").unwrap();
        assert_eq!((r.sandbox_id, r.port), ("a-", 80));
        // A signed-looking token whose parts do not all pass is read the legacy way, and its
        // last segment is then no port.
        assert!(parse_token("abc-0-x2qxvk-0ff8cd39a").is_err());
    }

    #[test]
    fn host_forms() {
        assert_eq!(host_label("http://a-80.example.com:8080"), "a-80");
        assert_eq!(host_label("a-80.example.com"), "a-80");
        assert_eq!(host_label("a-80"), "a-80");
        assert_eq!(parse_host("https://a-80.x:1/").unwrap().port, 80);
    }

    #[test]
    fn path_forms() {
        let p = parse_path("/abc/80/x2qxvk/0ff8cd39a/ping?q=1", true).unwrap();
        assert_eq!((p.path(), p.query), ("/ping", Some("q=1")));
        assert!(p.route.is_signed());
        let p = parse_path("/abc/80/x2qxvk/0ff8cd39a/ping?q=1", false).unwrap();
        assert_eq!(p.path(), "/x2qxvk/0ff8cd39a/ping");
        assert!(!p.route.is_signed());
        let p = parse_path("/abc/80", true).unwrap();
        assert_eq!((p.path(), p.query), ("/", None));
        let p = parse_path("/abc/80/x2qxvk/0ff8cd39a", true).unwrap();
        assert_eq!(p.path(), "/");
        assert!(parse_path("abc/80", false).is_err());
        assert!(parse_path("/abc", false).is_err());
        assert!(parse_path("//80", false).is_err());
        assert!(parse_path("//abc/80/ping", false).is_err());
        assert!(parse_path("//abc/80/x2qxvk/0ff8cd39a", true).is_err());
    }
}

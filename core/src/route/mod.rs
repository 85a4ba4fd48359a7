//! OSEP-0011 signed routes: `expires_b36`, canonical bytes, signing, parsing, verification
//! and the access decision (SPEC §1).

mod b36;
mod parse;
mod sign;
mod verify;

pub use b36::{decode_expires_b36, encode_expires_b36, ExpiresB36, MAX_B36_LEN};
pub use parse::{
    check_port, host_label, parse_header, parse_host, parse_path, parse_token, ParsedRoute,
    PathRoute, RouteInfo, SignedPart,
};
pub use sign::{
    canonical_bytes, signing_input, wildcard_host, RouteSigner, SignedRoute, INGRESS_TO_HEADER,
    SECURE_ACCESS_HEADER,
};
pub use verify::{
    gateway_denial_body, Access, AccessRequest, Grant, RouteSource, RouteVerifier, SandboxPolicy,
    ACCESS_RENEW_HEADER, GATEWAY_STRIPPED_HEADERS, INGRESS_LEGACY_HEADER,
};

//! `sandgate sign`, `sandgate verify`, `sandgate keygen`.

use crate::{CliError, KeysArgs};
use clap::{ArgGroup, Args};
use sandgate::route::{parse_header, parse_host, parse_path};
use sandgate::{AccessRequest, RouteSigner, RouteVerifier, SandboxPolicy};
use serde_json::json;
use std::process::ExitCode;

#[derive(Args)]
#[command(group(ArgGroup::new("when").required(true).args(["expires", "ttl"])))]
pub struct SignArgs {
    #[command(flatten)]
    keys: KeysArgs,
    /// Key id to sign with (default: the active key of --keys-file).
    #[arg(long)]
    key_id: Option<char>,
    /// Sandbox id.
    #[arg(long)]
    sandbox: String,
    /// Port, 1..65535.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    port: u16,
    /// Expiry as Unix seconds.
    #[arg(long)]
    expires: Option<u64>,
    /// Expiry as a duration from now (`90s`, `15m`, `2h`).
    #[arg(long, value_parser = humantime::parse_duration)]
    ttl: Option<std::time::Duration>,
    /// Base domain for the wildcard host form (shown with --json).
    #[arg(long)]
    base_domain: Option<String>,
    /// Print every form as JSON.
    #[arg(long)]
    json: bool,
}

pub fn sign(a: SignArgs) -> Result<ExitCode, CliError> {
    let keys = a.keys.load()?;
    let signer = RouteSigner::new(&keys, a.key_id)?;
    let route = match (a.expires, a.ttl) {
        (Some(e), _) => signer.sign(&a.sandbox, a.port, e)?,
        (None, Some(ttl)) => {
            signer.sign_for(&a.sandbox, a.port, ttl, sandgate::clock::now_unix())?
        }
        (None, None) => unreachable!("clap requires --expires or --ttl"),
    };
    if a.json {
        let mut out = json!({
            "token": route.token(),
            "sandbox_id": route.sandbox_id(),
            "port": route.port(),
            "expires": route.expires(),
            "expires_b36": route.expires_b36(),
            "signature": route.signature(),
            "key_id": route.key_id().to_string(),
            "header": { sandgate::route::INGRESS_TO_HEADER: route.header_value() },
            "uri_prefix": route.uri_prefix(),
        });
        if let Some(base) = &a.base_domain {
            out["host"] = json!(route.wildcard_host(base)?);
        }
        println!("{out}");
    } else {
        println!("{}", route.token());
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
#[command(group(ArgGroup::new("route").required(true).args(["token", "host", "path"])))]
pub struct VerifyArgs {
    #[command(flatten)]
    keys: KeysArgs,
    /// The route token (as sent in OpenSandbox-Ingress-To).
    token: Option<String>,
    /// A Host value whose first label is the token.
    #[arg(long)]
    host: Option<String>,
    /// A uri-mode path `/{id}/{port}/{expires_b36}/{signature}/...`.
    #[arg(long)]
    path: Option<String>,
    /// "Now" as Unix seconds (default: the system clock).
    #[arg(long)]
    now: Option<u64>,
    /// Value of the OpenSandbox-Secure-Access header sent with the request.
    #[arg(long, requires = "access_token")]
    secure_header: Option<String>,
    /// The sandbox's access token (the sandbox requires secure access).
    #[arg(long)]
    access_token: Option<String>,
    /// Print the verdict as JSON.
    #[arg(long)]
    json: bool,
}

pub fn verify(a: VerifyArgs) -> Result<ExitCode, CliError> {
    let verifier = RouteVerifier::new(a.keys.load()?);
    let now = sandgate::clock::now_or_system(a.now);
    let req = AccessRequest {
        ingress_to: a.token.as_deref(),
        host: a.host.as_deref(),
        path: a.path.as_deref(),
        secure_access: a.secure_header.as_deref(),
        ..Default::default()
    };
    // Without --access-token only a valid signature grants access.
    let token = a.access_token.as_deref().unwrap_or("");
    let decision = verifier.decide(
        &req,
        |_| {
            Some(SandboxPolicy::Secure {
                access_token: token,
            })
        },
        now,
    );
    let route = match &decision {
        Ok(access) => Some(access.route),
        Err(_) => match (&a.token, &a.host, &a.path) {
            (Some(t), _, _) => parse_header(t).ok(),
            (_, Some(h), _) => parse_host(h).ok(),
            (_, _, Some(p)) => parse_path(p, true).ok().map(|p| p.route),
            _ => None,
        },
    };
    let (allowed, reason, status) = match &decision {
        Ok(_) => (true, None, 200),
        Err(d) => (false, Some(d.reason().code()), d.status()),
    };
    if a.json {
        let out = json!({
            "allowed": allowed,
            "reason": reason,
            "status": status,
            "sandbox_id": route.map(|r| r.sandbox_id),
            "port": route.map(|r| r.port),
            "expires": route.and_then(|r| r.signed).map(|s| s.expires),
            "key_id": route.and_then(|r| r.signed).map(|s| s.key_id().to_string()),
        });
        println!("{out}");
    } else {
        match &decision {
            Ok(access) => println!(
                "allowed ({}): sandbox {} port {}",
                access.grant.code(),
                access.route.sandbox_id,
                access.route.port
            ),
            Err(d) => println!(
                "denied ({}, {}): {}",
                d.reason().code(),
                d.status(),
                d.detail()
            ),
        }
    }
    Ok(if allowed {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

#[derive(Args)]
pub struct KeygenArgs {
    /// Key prefix.
    #[arg(long, default_value = sandgate::keys::DEFAULT_API_KEY_PREFIX)]
    prefix: String,
    /// Print as JSON.
    #[arg(long)]
    json: bool,
}

pub fn keygen(a: KeygenArgs) -> Result<ExitCode, CliError> {
    let k = sandgate::generate_api_key(&a.prefix)?;
    if a.json {
        println!(
            "{}",
            json!({ "key": k.key.expose(), "prefix": k.prefix, "hash": k.hash })
        );
    } else {
        println!("key:    {}", k.key.expose());
        println!("prefix: {}", k.prefix);
        println!("hash:   {}", k.hash);
        eprintln!("The key is shown once: store only the hash.");
    }
    Ok(ExitCode::SUCCESS)
}

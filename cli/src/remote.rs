//! `sandgate endpoint`, `sandgate keys …` and `sandgate demo`.

use crate::CliError;
use clap::{Args, Subcommand};
use sandgate::client::Client;
use serde_json::json;
use std::process::ExitCode;

/// Server options; each falls back to `OPEN_SANDBOX_DOMAIN`, `OPEN_SANDBOX_API_KEY`,
/// `OPEN_SANDBOX_PROTOCOL`, then the defaults.
#[derive(Args)]
pub struct ServerArgs {
    /// Server domain (host:port).
    #[arg(long)]
    domain: Option<String>,
    /// http or https.
    #[arg(long)]
    protocol: Option<String>,
    /// API key (prefer the environment variable: flags show up in process lists).
    #[arg(long)]
    api_key: Option<String>,
    /// Request timeout (`30s`, `2m`).
    #[arg(long, value_parser = humantime::parse_duration)]
    pub(crate) timeout: Option<std::time::Duration>,
}

impl ServerArgs {
    fn client(&self) -> Result<Client, CliError> {
        Ok(self.builder().build()?)
    }

    /// A client builder with these options (and the environment's for the rest).
    pub(crate) fn builder(&self) -> sandgate::ClientBuilder {
        let mut b = Client::builder();
        if let Some(d) = &self.domain {
            b = b.domain(d);
        }
        if let Some(p) = &self.protocol {
            b = b.protocol(p);
        }
        if let Some(k) = &self.api_key {
            b = b.api_key(k.as_str());
        }
        if let Some(t) = self.timeout {
            b = b.timeout(t);
        }
        b
    }
}

#[derive(Args)]
pub struct EndpointArgs {
    #[command(flatten)]
    server: ServerArgs,
    /// Sandbox id.
    sandbox_id: String,
    /// Port.
    port: u16,
    /// Ask for a signed endpoint valid for this long (`90s`, `15m`, `1h`).
    #[arg(long, value_parser = humantime::parse_duration)]
    ttl: Option<std::time::Duration>,
    /// Print as JSON (includes the headers to send, secrets and all).
    #[arg(long)]
    json: bool,
}

pub fn endpoint(a: EndpointArgs) -> Result<ExitCode, CliError> {
    let c = a.server.client()?;
    let e = sandgate::runtime::block_on(async {
        match a.ttl {
            Some(ttl) => c.get_signed_endpoint_for(&a.sandbox_id, a.port, ttl).await,
            None => c.get_endpoint(&a.sandbox_id, a.port).await,
        }
    })?;
    if a.json {
        let route = e.route.as_ref().map(|r| {
            json!({"sandbox_id": r.sandbox_id, "port": r.port, "expires": r.expires, "key_id": r.key_id.map(String::from)})
        });
        println!(
            "{}",
            json!({"endpoint": e.endpoint, "url": e.url, "headers": e.headers, "route": route})
        );
    } else {
        println!("{}", e.url);
        for (k, v) in &e.headers {
            println!("{k}: {v}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[derive(Args)]
pub struct KeysArgs {
    #[command(flatten)]
    server: ServerArgs,
    #[command(subcommand)]
    command: KeysCommand,
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Mint a key for the calling user; the raw key is printed once.
    Create {
        /// Key name (default "API Key").
        #[arg(long)]
        name: Option<String>,
        /// Expiry: RFC 3339 or Unix seconds.
        #[arg(long)]
        expires_at: Option<String>,
    },
    /// List the calling user's keys.
    List,
    /// Revoke one of the calling user's keys.
    Revoke {
        /// Key id.
        id: String,
    },
}

pub fn keys(a: KeysArgs) -> Result<ExitCode, CliError> {
    let c = a.server.client()?;
    match a.command {
        KeysCommand::Create { name, expires_at } => {
            let expires = expires_at
                .as_deref()
                .map(sandgate::keys::parse_expires_at)
                .transpose()?;
            let k = sandgate::runtime::block_on(c.create_api_key(name.as_deref(), expires))?;
            println!(
                "{}",
                json!({"id": k.id, "name": k.name, "prefix": k.prefix, "key": k.key.expose(), "expires_at": k.expires_at})
            );
            eprintln!("The key is shown once: store it now.");
        }
        KeysCommand::List => {
            for k in sandgate::runtime::block_on(c.list_api_keys())? {
                println!(
                    "{}",
                    json!({"id": k.id, "name": k.name, "prefix": k.prefix, "created_at": k.created_at, "expires_at": k.expires_at, "revoked": k.revoked})
                );
            }
        }
        KeysCommand::Revoke { id } => {
            sandgate::runtime::block_on(c.revoke_api_key(&id))?;
            println!("revoked {id}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

pub fn demo() -> Result<ExitCode, CliError> {
    match sandgate::runtime::block_on(sandgate_example::run(|line| println!("{line}"))) {
        Ok(()) => {
            println!("demo: every step behaved");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => Err(CliError::Failed(format!("demo step failed: {e}"))),
    }
}

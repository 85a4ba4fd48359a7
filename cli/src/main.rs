//! The `sandgate` command.

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

mod mock;
mod remote;
mod routes;

/// Sandbox access control: sign and verify OSEP-0011 routes, mint API keys.
#[derive(Parser)]
#[command(name = "sandgate", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Sign a route and print its token.
    Sign(routes::SignArgs),
    /// Verify a route (token, Host value or uri path) and print the verdict.
    Verify(routes::VerifyArgs),
    /// Generate an API key: prints the raw key once, its display prefix and its hash.
    Keygen(routes::KeygenArgs),
    /// Run the embedded mock server (lifecycle, keys, gateway) until SIGINT or SIGTERM.
    Mock(mock::MockArgs),
    /// Get the endpoint of a sandbox port (signed with --ttl).
    Endpoint(remote::EndpointArgs),
    /// Mint, list and revoke API keys.
    Keys(remote::KeysArgs),
    /// Walk the whole flow against the embedded mock server.
    Demo,
}

/// Where signing keys come from: `--keys`, `--keys-file`, or env `SANDGATE_KEYS`.
#[derive(Args, Clone)]
pub struct KeysArgs {
    /// Signing keys as the ingress flag string `a=BASE64,b=BASE64`.
    #[arg(
        long,
        env = "SANDGATE_KEYS",
        hide_env_values = true,
        conflicts_with = "keys_file"
    )]
    keys: Option<String>,
    /// A server TOML file with an `[ingress.secure_access]` table.
    #[arg(long, value_name = "PATH")]
    keys_file: Option<std::path::PathBuf>,
}

impl KeysArgs {
    /// Loads the signing keys, or explains what is missing.
    pub fn load(&self) -> Result<sandgate::SigningKeys, CliError> {
        if let Some(path) = &self.keys_file {
            let text = std::fs::read_to_string(path).map_err(|e| {
                CliError::Usage(format!("cannot read --keys-file {}: {e}", path.display()))
            })?;
            return Ok(sandgate::SigningKeys::from_toml(&text)?);
        }
        match &self.keys {
            Some(flag) => Ok(sandgate::SigningKeys::from_flag(flag)?),
            None => Err(CliError::Usage(
                "no signing keys: pass --keys, --keys-file or set SANDGATE_KEYS".into(),
            )),
        }
    }
}

/// A failure of a command: usage errors exit 2, everything else 1.
#[derive(Debug)]
pub enum CliError {
    /// Bad usage or configuration (exit 2).
    Usage(String),
    /// The operation failed (exit 1).
    Failed(String),
}

impl From<sandgate::Error> for CliError {
    fn from(e: sandgate::Error) -> Self {
        match e.kind() {
            sandgate::ErrorKind::InvalidArgument | sandgate::ErrorKind::InvalidConfig => {
                CliError::Usage(e.to_string())
            }
            _ => CliError::Failed(e.to_string()),
        }
    }
}

fn main() -> ExitCode {
    std::panic::set_hook(Box::new(|info| {
        eprintln!("sandgate: internal error: {info}");
    }));
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Sign(a) => routes::sign(a),
        Command::Verify(a) => routes::verify(a),
        Command::Keygen(a) => routes::keygen(a),
        Command::Mock(a) => mock::run(a),
        Command::Endpoint(a) => remote::endpoint(a),
        Command::Keys(a) => remote::keys(a),
        Command::Demo => remote::demo(),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(m)) => {
            eprintln!("sandgate: error: {m}");
            ExitCode::from(2)
        }
        Err(CliError::Failed(m)) => {
            eprintln!("sandgate: error: {m}");
            ExitCode::from(1)
        }
    }
}

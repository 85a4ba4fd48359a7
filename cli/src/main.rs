//! The `sandgate` command.

use clap::{Args, Parser, Subcommand};
use std::process::ExitCode;

mod authz;
mod mock;
mod remote;
mod routes;
mod signing_keys;

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
    /// Verify at the edge: an authorizer for nginx auth_request, Envoy ext_authz and Traefik forwardAuth.
    Authz(authz::AuthzArgs),
    /// Rotate signing keys: one key ring, every upstream form, safe retirement.
    SigningKeys(signing_keys::SigningKeysArgs),
}

/// Where signing keys come from: `--keys`, `--keys-file`, `--keys-env`, or env `SANDGATE_KEYS`.
#[derive(Args, Clone)]
pub struct KeysArgs {
    /// Signing keys as the ingress flag string `a=BASE64,b=BASE64`.
    #[arg(
        long,
        env = "SANDGATE_KEYS",
        hide_env_values = true,
        conflicts_with_all = ["keys_file", "keys_env"]
    )]
    keys: Option<String>,
    /// A server TOML file with an `[ingress.secure_access]` table (a regular file, at most 1 MiB).
    #[arg(long, value_name = "PATH", conflicts_with = "keys_env")]
    keys_file: Option<std::path::PathBuf>,
    /// Read the server's environment pair OPENSANDBOX_SECURE_ACCESS_KEYS and
    /// OPENSANDBOX_SECURE_ACCESS_ACTIVE_KEY.
    #[arg(long)]
    keys_env: bool,
}

impl KeysArgs {
    /// Loads the signing keys, or explains what is missing.
    pub fn load(&self) -> Result<sandgate::SigningKeys, CliError> {
        if self.keys_env {
            return sandgate::SigningKeys::from_env()?.ok_or_else(|| {
                CliError::Usage(format!(
                    "--keys-env: neither {} nor {} is set",
                    sandgate::keys::ENV_KEYS,
                    sandgate::keys::ENV_ACTIVE_KEY
                ))
            });
        }
        if let Some(path) = &self.keys_file {
            return sandgate::SigningKeys::from_toml_file(path)
                .map_err(|e| CliError::Usage(format!("--keys-file: {}", e.message())));
        }
        match &self.keys {
            Some(flag) => Ok(sandgate::SigningKeys::from_flag(flag)?),
            None => Err(CliError::Usage(
                "no signing keys: pass --keys, --keys-file, --keys-env or set SANDGATE_KEYS".into(),
            )),
        }
    }
}

/// SIGTERM and SIGINT, listened for from the moment they are installed — before a server
/// prints its ready line, so a signal sent right after that line is never lost.
pub struct Signals {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Signals {
    /// Installs the handlers; call inside a tokio runtime.
    pub fn install() -> Result<Self, CliError> {
        use tokio::signal::unix::{signal, SignalKind};
        let listen = |kind: SignalKind, name: &str| {
            signal(kind).map_err(|e| CliError::Failed(format!("cannot listen for {name}: {e}")))
        };
        Ok(Signals {
            term: listen(SignalKind::terminate(), "SIGTERM")?,
            int: listen(SignalKind::interrupt(), "SIGINT")?,
        })
    }

    /// Resolves on the first SIGTERM or SIGINT.
    pub async fn recv(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
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
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => match e.kind() {
            clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion => {
                e.exit()
            }
            _ => {
                eprintln!("sandgate: error: {}", usage_line(&e));
                return ExitCode::from(2);
            }
        },
    };
    let result = match cli.command {
        Command::Sign(a) => routes::sign(a),
        Command::Verify(a) => routes::verify(a),
        Command::Keygen(a) => routes::keygen(a),
        Command::Mock(a) => mock::run(a),
        Command::Endpoint(a) => remote::endpoint(a),
        Command::Keys(a) => remote::keys(a),
        Command::Demo => remote::demo(),
        Command::Authz(a) => authz::run(a),
        Command::SigningKeys(a) => signing_keys::run(a),
    };
    match result {
        Ok(code) => code,
        Err(CliError::Usage(m)) => {
            eprintln!("sandgate: error: {}", one_line(&m));
            ExitCode::from(2)
        }
        Err(CliError::Failed(m)) => {
            eprintln!("sandgate: error: {}", one_line(&m));
            ExitCode::from(1)
        }
    }
}

/// A clap error (several lines: the problem, indented details, a tip, the usage, a pointer to
/// --help) as one line: the problem and its details, then where to look.
fn usage_line(e: &clap::Error) -> String {
    if e.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        return "a command is required (see --help)".to_owned();
    }
    let text = e.render().to_string();
    let parts: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .collect();
    let mut line = parts.join("; ");
    if let Some(rest) = line.strip_prefix("error: ") {
        line = rest.to_owned();
    }
    let line = line.replace(":;", ":");
    if line.is_empty() {
        "bad usage (see sandgate --help)".to_owned()
    } else {
        format!("{} (see --help)", one_line(&line))
    }
}

/// `s` with line breaks and other control characters replaced by spaces.
pub(crate) fn one_line(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

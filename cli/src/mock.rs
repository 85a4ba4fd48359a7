//! `sandgate mock`: runs the embedded mock server until SIGINT or SIGTERM.

use crate::CliError;
use clap::Args;
use sandgate_mock::{MockConfig, MockServer, RouteMode};
use std::process::ExitCode;
use tokio::signal::unix::{signal, Signal, SignalKind};

#[derive(Args)]
pub struct MockArgs {
    /// Gateway route mode: header, wildcard or uri.
    #[arg(long, default_value = "header")]
    route_mode: RouteMode,
    /// Accept the trusted user headers X-OpenSandbox-User/Team/Roles.
    #[arg(long)]
    trusted_headers: bool,
    /// API port (default: a free port).
    #[arg(long, default_value_t = 0)]
    api_port: u16,
    /// Gateway port (default: a free port).
    #[arg(long, default_value_t = 0)]
    gateway_port: u16,
    /// Address to bind.
    #[arg(long, default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Base domain of wildcard hosts.
    #[arg(long, default_value = "localhost")]
    base_domain: String,
    /// Sign and verify with the keys of the server's environment pair
    /// (OPENSANDBOX_SECURE_ACCESS_KEYS / _ACTIVE_KEY) instead of two random keys.
    #[arg(long)]
    keys_env: bool,
}

pub fn run(a: MockArgs) -> Result<ExitCode, CliError> {
    let signing_keys = if a.keys_env {
        Some(sandgate::SigningKeys::from_env()?.ok_or_else(|| {
            CliError::Usage(format!(
                "--keys-env: neither {} nor {} is set",
                sandgate::keys::ENV_KEYS,
                sandgate::keys::ENV_ACTIVE_KEY
            ))
        })?)
    } else {
        None
    };
    let mut mock = MockServer::start(MockConfig {
        route_mode: a.route_mode,
        trusted_headers: a.trusted_headers,
        host: a.host,
        api_port: a.api_port,
        gateway_port: a.gateway_port,
        base_domain: a.base_domain,
        signing_keys,
        ..Default::default()
    })?;
    // Listen before announcing: whoever reads the line may stop the mock at once, and a signal
    // that came before the handlers would kill the process instead.
    let (mut term, mut int) = {
        let _runtime = sandgate::runtime::runtime().enter();
        (
            listen(SignalKind::terminate(), "SIGTERM")?,
            listen(SignalKind::interrupt(), "SIGINT")?,
        )
    };
    println!("{}", mock.describe_json());
    sandgate::runtime::block_on(async {
        tokio::select! {
            _ = term.recv() => {}
            _ = int.recv() => {}
        }
    });
    mock.stop();
    eprintln!("sandgate mock: stopped");
    Ok(ExitCode::SUCCESS)
}

fn listen(kind: SignalKind, name: &str) -> Result<Signal, CliError> {
    signal(kind).map_err(|e| CliError::Failed(format!("cannot listen for {name}: {e}")))
}

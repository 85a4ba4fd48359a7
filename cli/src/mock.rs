//! `sandgate mock`: runs the embedded mock server until SIGINT or SIGTERM.

use crate::CliError;
use clap::Args;
use sandgate_mock::{MockConfig, MockServer, RouteMode};
use std::process::ExitCode;

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
    /// Also serve the sandbox app for a verifying proxy in front of the mock (0: a free
    /// port; its URL is `app_url` on the ready line). The proxy routes with the
    /// X-Sandgate-Sandbox-Id and X-Sandgate-Port headers `sandgate authz` answers with.
    #[arg(long)]
    app_port: Option<u16>,
    /// Signing keys as the ingress flag string (default: two random keys; "" for none).
    #[arg(long, hide_env_values = true)]
    keys: Option<String>,
    /// Sign and verify with the keys of the server's environment pair
    /// (OPENSANDBOX_SECURE_ACCESS_KEYS / _ACTIVE_KEY) instead of two random keys.
    #[arg(long, conflicts_with = "keys")]
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
        a.keys
            .as_deref()
            .map(sandgate::SigningKeys::from_flag)
            .transpose()?
    };
    let mut mock = MockServer::start(MockConfig {
        route_mode: a.route_mode,
        trusted_headers: a.trusted_headers,
        host: a.host,
        api_port: a.api_port,
        gateway_port: a.gateway_port,
        base_domain: a.base_domain,
        app_port: a.app_port,
        signing_keys,
        ..Default::default()
    })?;
    let mut signals = {
        let _in_runtime = sandgate::runtime::runtime().enter();
        crate::Signals::install()?
    };
    println!("{}", mock.describe_json());
    sandgate::runtime::block_on(signals.recv());
    mock.stop();
    eprintln!("sandgate mock: stopped");
    Ok(ExitCode::SUCCESS)
}

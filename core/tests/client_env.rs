//! Configuration from the environment (its own test binary: env is process-global).

use sandgate::client::Client;
use sandgate_mock::{MockConfig, MockServer};

#[tokio::test]
async fn client_config_from_env_then_options() {
    let m = MockServer::start(MockConfig::default()).unwrap();
    std::env::set_var("OPEN_SANDBOX_DOMAIN", m.domain());
    std::env::set_var("OPEN_SANDBOX_API_KEY", m.admin_key().expose());
    std::env::set_var("OPEN_SANDBOX_PROTOCOL", "http");
    let c = Client::from_env().unwrap();
    assert_eq!(c.base_url(), format!("http://{}", m.domain()));
    c.list_sandboxes().await.unwrap();
    // Explicit options win over the environment.
    let c = Client::builder()
        .domain("example.invalid:1")
        .build()
        .unwrap();
    assert_eq!(c.base_url(), "http://example.invalid:1");
    std::env::set_var("OPEN_SANDBOX_PROTOCOL", "gopher");
    assert_eq!(
        Client::from_env().unwrap_err().kind(),
        sandgate::ErrorKind::InvalidConfig
    );
    assert!(Client::builder().protocol("https").build().is_ok());
    std::env::remove_var("OPEN_SANDBOX_DOMAIN");
    std::env::remove_var("OPEN_SANDBOX_API_KEY");
    std::env::remove_var("OPEN_SANDBOX_PROTOCOL");
    let c = Client::from_env().unwrap();
    assert_eq!(c.base_url(), "http://localhost:8080");
}

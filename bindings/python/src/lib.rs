//! The native half of the Python package `sandgate` (module `sandgate._native`).
//!
//! Everything here converts between Python and the `sandgate` core and adapts to Python's
//! threading and asyncio; every rule lives in the core. Exceptions are built in `errors.rs`.

mod apikeys;
mod bridge;
mod client;
mod convert;
mod errors;
mod gateway;
mod mock;
mod route;
mod secret;

use pyo3::prelude::*;

#[pymodule]
#[pyo3(name = "_native")]
fn sandgate_native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    m.add_class::<secret::Secret>()?;
    m.add_class::<route::SigningKeys>()?;
    m.add_class::<route::RouteSigner>()?;
    m.add_class::<route::SignedRoute>()?;
    m.add_class::<route::RouteVerifier>()?;
    m.add_class::<route::RouteInfo>()?;
    m.add_class::<route::AccessDecision>()?;
    m.add_class::<apikeys::GeneratedApiKey>()?;
    m.add_function(wrap_pyfunction!(apikeys::generate_api_key, m)?)?;
    m.add_function(wrap_pyfunction!(apikeys::hash_api_key, m)?)?;
    m.add_function(wrap_pyfunction!(apikeys::verify_api_key, m)?)?;
    m.add_class::<client::Client>()?;
    m.add_class::<client::AsyncClient>()?;
    m.add_class::<client::Endpoint>()?;
    m.add_class::<client::RetryOptions>()?;
    m.add_class::<client::CacheOptions>()?;
    m.add_class::<client::RetryEvent>()?;
    m.add_class::<client::RetryDecision>()?;
    m.add_class::<client::Freshness>()?;
    m.add_function(wrap_pyfunction!(client::retry_decision, m)?)?;
    m.add_function(wrap_pyfunction!(client::cache_decision, m)?)?;
    m.add_class::<gateway::Gateway>()?;
    m.add_class::<gateway::GatewayVerdictPy>()?;
    m.add_class::<client::CreatedApiKey>()?;
    m.add_class::<client::ApiKeyInfo>()?;
    m.add_class::<client::Sandbox>()?;
    m.add_class::<client::SandboxRenewal>()?;
    m.add_class::<mock::MockServer>()?;
    m.add_class::<mock::MockRequest>()?;
    Ok(())
}

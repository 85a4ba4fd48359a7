//! Helpers shared by the integration tests that read `sdk-tests/cases/`.

use serde_json::Value;

/// Reads `sdk-tests/cases/{name}.json` (the project's own copy of the shared cases).
pub fn load(name: &str) -> Value {
    let path = format!(
        "{}/../sdk-tests/cases/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path}: {e}"))
}

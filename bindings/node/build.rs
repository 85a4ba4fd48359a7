//! Build script: the napi-rs link setup for a Node.js addon.
fn main() {
    napi_build::setup();
}

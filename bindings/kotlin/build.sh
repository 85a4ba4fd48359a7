#!/usr/bin/env bash
# Builds the native library (release) and generates the Kotlin bindings from it:
#   target/native/libsandgate_uniffi.so            (bundled into the jar as linux-x86-64/)
#   target/generated-sources/uniffi/dev/sandgate/ffi/*.kt   (never edited, never committed)
# Then `mvn test` / `mvn package` work. Needs cargo.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"
cargo build --release -p sandgate-kotlin --features bindgen
release="${CARGO_TARGET_DIR:-$root/target}/release"
mkdir -p "$here/target/native"
cp "$release/libsandgate_uniffi.so" "$here/target/native/libsandgate_uniffi.so"
rm -rf "$here/target/generated-sources/uniffi"
"$release/uniffi-bindgen" generate --no-format --language kotlin \
  --library "$release/libsandgate_uniffi.so" --out-dir "$here/target/generated-sources/uniffi"

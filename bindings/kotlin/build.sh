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
# The shipped copy needs only its dynamic symbols.
if command -v strip >/dev/null 2>&1; then strip --strip-unneeded "$here/target/native/libsandgate_uniffi.so"; fi
# Fresh generated sources, and no classes compiled from older ones (the Kotlin compiler can
# stumble over stale classes of the same names).
rm -rf "$here/target/generated-sources/uniffi" "$here/target/classes" "$here/target/test-classes"
"$release/uniffi-bindgen" generate --no-format --language kotlin \
  --library "$release/libsandgate_uniffi.so" --out-dir "$here/target/generated-sources/uniffi"

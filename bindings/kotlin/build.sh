#!/usr/bin/env bash
# Takes the native library from release/native (built once, zig, glibc 2.17 floor) and
# generates the Kotlin bindings from it:
#   target/native/linux-x86-64/libsandgate_uniffi.so         (bundled into the jar as linux-x86-64/)
#   target/generated-sources/uniffi/dev/sandgate/ffi/*.kt    (never edited, never committed)
# Then `mvn test` / `mvn package` / `mvn deploy` work. Needs cargo (for release/native).
#
# The jar holds one folder per platform, named as JNA looks for it (linux-x86-64,
# linux-aarch64, darwin-aarch64, darwin-x86-64, win32-x86-64): the pom bundles every
# target/native/<platform>/ folder it finds. This script fills linux-x86-64, the one platform
# built and tested here; the release workflow's other jobs would add theirs.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
native="$("$root/release/native" ffi | tail -n 1)"
release="${CARGO_TARGET_DIR:-$root/target}/x86_64-unknown-linux-gnu/release"
rm -f "$here/target/native/libsandgate_uniffi.so" # the layout before platform folders
mkdir -p "$here/target/native/linux-x86-64"
cp "$native/libsandgate_uniffi.so" "$here/target/native/linux-x86-64/libsandgate_uniffi.so"
# uniffi-bindgen reads the library's metadata from its symbol table, which the shipped copy
# no longer has: it reads cargo's unstripped file of the same build.
# Fresh generated sources, and no classes compiled from older ones (the Kotlin compiler can
# stumble over stale classes of the same names).
rm -rf "$here/target/generated-sources/uniffi" "$here/target/classes" "$here/target/test-classes"
"$release/uniffi-bindgen" generate --no-format --language kotlin \
  --library "$release/libsandgate_uniffi.so" \
  --out-dir "$here/target/generated-sources/uniffi"

#!/usr/bin/env bash
# Runs the Rust example (the same flow `sandgate demo` prints). Exits non-zero if a step misbehaves.
set -euo pipefail
cd "$(dirname "$0")/../.."
exec cargo run -q -p sandgate-example

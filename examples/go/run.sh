#!/usr/bin/env bash
# Runs the Go example: builds sandgate-ffi (the static library the Go package links) when it
# is missing or stale, then `go run .`. Exits non-zero when a step of the flow misbehaves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cd "$root"
cargo build --release -q -p sandgate-ffi
lib="$root/target/release/libsandgate_ffi.a"
# Go does not track the static library: put its size and time in the cgo flags so a rebuilt
# library rebuilds the package.
export CGO_ENABLED=1
export CGO_CFLAGS="-O2 -g -DSANDGATE_FFI_STAMP=$(stat -c '%s_%Y' "$lib")"
cd "$here"
exec go run -buildvcs=false .

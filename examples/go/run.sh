#!/usr/bin/env bash
# Runs the Go example: release/native ffi (the static archive the Go package links, built
# when missing or stale), then `go run .`. Exits non-zero when a step of the flow misbehaves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
"$root/release/native" ffi >/dev/null
lib="$root/bindings/go/lib/linux_amd64/libsandgate_ffi.a"
# Go does not track the static library: put its size and time in the cgo flags so a rebuilt
# library rebuilds the package.
export CGO_ENABLED=1
export CGO_CFLAGS="-O2 -g -DSANDGATE_FFI_STAMP=$(stat -c '%s_%Y' "$lib")"
cd "$here"
exec go run -buildvcs=false .

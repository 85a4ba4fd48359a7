#!/usr/bin/env bash
# Go: release/build laid the module out as a module proxy serves it (target/dist/goproxy). A
# fresh module fetches it with `go get github.com/sandgate/sandgate/bindings/go@v<version>`
# through GOPROXY=file://... (no replace, a fresh module cache, CARGO_TARGET_DIR unset, PATH
# without cargo or rustc), and the README quickstart builds with cgo and runs.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
mod="github.com/sandgate/sandgate/bindings/go"
need_dist "$DIST/goproxy/$mod/@v/v$VERSION.zip"
here="$(fresh_dir go)"
command -v go >/dev/null 2>&1 || apt_install golang-go

PATH="$(no_rust_path)"
export PATH
unset CARGO_TARGET_DIR GOFLAGS
export GOPROXY="file://$DIST/goproxy" GOSUMDB=off GONOSUMDB="$mod" GOTOOLCHAIN=local
export GOMODCACHE="$here/modcache" GOPATH="$here/gopath" GOCACHE="$ITOOLS/gocache" CGO_ENABLED=1
mkdir -p "$here/app"
cd "$here/app"
go mod init example.com/quickstart >/dev/null 2>&1
readme_block go >main.go
go get "$mod@v$VERSION"
grep -q "^require $mod v$VERSION" go.mod
if grep -q '^replace' go.mod; then echo "install: go.mod has a replace" >&2; exit 1; fi
go build -o quickstart .
./quickstart >"$here/out.txt" 2>&1 || { cat "$here/out.txt"; exit 1; }
check_quickstart "$here/out.txt"
# The module cache is read-only by design; make it removable for the next run.
chmod -R u+w "$here/modcache"

#!/usr/bin/env bash
# Builds the `sandgate` npm package (the napi-rs addon in release) and packs it.
# Installs what is missing (Node.js and npm from apt, the npm dev dependencies); quick when
# nothing changed. Prints the path of the tarball, in target/node-build/, as its last line.
# The d.ts napi-rs generates lands in target/node-build/native.d.ts; `npm run build` instead
# writes it over bindings/node/native.d.ts (commit that when the Rust API changes).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
BUILD="$ROOT/target/node-build"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nodejs npm
fi
if [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "sandgate-node needs Node.js 20 or newer (found $(node --version))" >&2
  exit 1
fi

cd "$HERE"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ] ||
  [ package.json -nt node_modules/.package-lock.json ]; then
  # `npm ci` installs exactly what package-lock.json says and never writes it (a test run
  # leaves no tracked file modified); after changing package.json, run `npm install` and
  # commit the lock.
  npm ci --no-audit --no-fund --loglevel=error >&2
  touch node_modules/.package-lock.json
fi

mkdir -p "$BUILD"
rm -f "$BUILD"/native.d.ts "$BUILD"/sandgate.*.node "$BUILD"/sandgate-*.tgz
npx --no-install napi build --release --platform --no-js --output-dir "$BUILD" --dts native.d.ts >&2
rm -f "$HERE"/sandgate.*.node
cp "$BUILD"/sandgate.*.node "$HERE"/
if command -v strip >/dev/null; then strip "$HERE"/sandgate.*.node; fi
tarball="$(npm pack --pack-destination "$BUILD" --silent | tail -n 1)"
echo "$BUILD/$tarball"

#!/usr/bin/env bash
# Packs the npm packages of sandgate in napi-rs's per-platform layout:
#   target/node-build/sandgate-linux-x64-gnu-<version>.tgz   @sandgate/linux-x64-gnu: the addon,
#                                                             with os/cpu/libc so npm installs it
#                                                             only where it runs
#   target/node-build/sandgate-<version>.tgz                 sandgate: the JS and types, and
#                                                             optionalDependencies on the above
# The addon comes from release/native (built once, zig, glibc 2.17 floor), which installs what
# it needs (Node.js and npm from apt, the npm dev dependencies). Prints the tarballs' paths on
# its last line, separated by spaces, the main package last: install them together
# (`npm install $(bindings/node/pack.sh | tail -n 1)`), or publish them to a registry.
# The d.ts napi-rs generates lands in target/node-build/native.d.ts and is what the package
# ships; `npm run build` writes it over bindings/node/native.d.ts (commit that when the Rust
# API changes; the package's tests compare the two).
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

"$ROOT/release/native" node >/dev/null
rm -f "$HERE"/sandgate.*.node # a copy left by an older pack.sh would shadow the platform package
rm -f "$BUILD"/sandgate-*.tgz
read -r -a staged <<<"$(node "$HERE/npm/stage.cjs" "$ROOT" "$BUILD/stage")"
tarballs=()
for dir in "${staged[@]}"; do
  tarballs+=("$BUILD/$(cd "$BUILD/stage/$dir" && npm pack --pack-destination "$BUILD" --silent | tail -n 1)")
done
echo "${tarballs[*]}"

#!/usr/bin/env bash
# Packs the Node.js packages (bindings/node/pack.sh builds them when needed), installs the
# tarballs here as a user would, and runs the flow. Exits non-zero if a step misbehaves.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
read -r -a TARBALLS <<<"$("$HERE/../../bindings/node/pack.sh" | tail -n 1)"
cd "$HERE"
npm install --no-audit --no-fund --no-save --no-package-lock --loglevel=error "${TARBALLS[@]}"
unset OPEN_SANDBOX_DOMAIN OPEN_SANDBOX_API_KEY OPEN_SANDBOX_PROTOCOL
node flow.mjs

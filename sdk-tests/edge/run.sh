#!/usr/bin/env bash
# The edge row: Debian's nginx with auth_request to `sandgate authz` in front of the mock's
# sandbox app, running the shared access matrix and the scenario in header, wildcard and uri
# modes, each verdict compared with the mock's own gateway; plus the Envoy and Traefik wire
# fixtures. Writes JUnit XML to $SANDGATE_RESULTS_DIR.
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ]; then
  sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq nginx >/dev/null
fi
cargo build -q -p sandgate-cli
exec python3 sdk-tests/edge/edge_test.py "$@"

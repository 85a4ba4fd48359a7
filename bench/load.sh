#!/usr/bin/env bash
# Load test of the mock server: GetEndpoint and gateway /ping requests per second at 64
# connections (wrk, from apt). Usage: bench/load.sh [SECONDS]   (default 10)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-10}"
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
command -v curl >/dev/null || { apt-get update -qq && apt-get install -y -qq curl >/dev/null; }
cargo build -q --release -p sandgate-cli
out=$(mktemp); trap 'kill $pid 2>/dev/null; rm -f "$out"' EXIT
./target/release/sandgate mock >"$out" & pid=$!
for _ in $(seq 50); do [ -s "$out" ] && break; sleep 0.1; done
field() { python3 -c "import json,sys; print(json.load(open('$out'))['$1'])"; }
api=$(field api_url); gw=$(field gateway_url); key=$(field admin_key)
id=$(curl -sf -X POST "$api/v1/sandboxes" -H "OPEN-SANDBOX-API-KEY: $key" \
  -H 'Content-Type: application/json' \
  -d '{"image":{"uri":"bench"},"entrypoint":["tail","-f","/dev/null"],"resourceLimits":{"cpu":"1","memory":"2Gi"}}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
expires=$(( $(date +%s) + 3600 ))
token=$(curl -sf "$api/v1/sandboxes/$id/endpoints/8080?expires=$expires" -H "OPEN-SANDBOX-API-KEY: $key" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["headers"]["OpenSandbox-Ingress-To"])')
run() { # name, wrk args...
  local name=$1; shift
  local r; r=$(wrk -t2 -c64 -d"${secs}s" --latency "$@")
  printf '%-28s %10s req/s   p50 %8s   p99 %8s\n' "$name" \
    "$(awk '/Requests\/sec/ {print $2}' <<<"$r")" \
    "$(awk '$1=="50%" {print $2}' <<<"$r")" "$(awk '$1=="99%" {print $2}' <<<"$r")"
}
echo "mock load, 64 connections, ${secs}s each, $(nproc) cores"
run "GetEndpoint (unsigned)" -H "OPEN-SANDBOX-API-KEY: $key" "$api/v1/sandboxes/$id/endpoints/8080"
run "GetEndpoint (signed)" -H "OPEN-SANDBOX-API-KEY: $key" "$api/v1/sandboxes/$id/endpoints/8080?expires=$expires"
run "gateway /ping (signed)" -H "OpenSandbox-Ingress-To: $token" "$gw/ping"

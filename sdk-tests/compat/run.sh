#!/usr/bin/env bash
# Official OpenSandbox SDK compatibility: the official Python SDK (PyPI `opensandbox`) and
# JavaScript SDK (npm `@alibaba-group/opensandbox`), at the versions pinned in
# requirements.txt and node/package.json, drive `sandgate mock` (the CLI binary) in header,
# uri and wildcard modes. The SDKs are installed at test time into target/compat/ (never into
# the repository). JUnit XML goes to $SANDGATE_RESULTS_DIR (default target/sdk-tests/compat/);
# the exit status is non-zero when a test fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="${SANDGATE_RESULTS_DIR:-$ROOT/target/sdk-tests/compat}"
SCRATCH="$ROOT/target/compat"
mkdir -p "$RESULTS" "$SCRATCH"

cargo build -q -p sandgate-cli --manifest-path "$ROOT/Cargo.toml"
export SANDGATE_BIN="$ROOT/target/debug/sandgate"
# The SDKs read these; the tests pass everything explicitly.
unset OPEN_SANDBOX_DOMAIN OPEN_SANDBOX_API_KEY OPEN_SANDBOX_PROTOCOL
export OPENSANDBOX_DISABLE_METRICS=

# Reinstalls only when the pins change.
stamp_ok() { [ -f "$1/.pins" ] && cmp -s "$1/.pins" "$2"; }

VENV="$SCRATCH/venv"
if ! stamp_ok "$VENV" "$HERE/requirements.txt"; then
  rm -rf "$VENV"
  python3 -m venv "$VENV" || { apt-get update -qq && apt-get install -y -qq python3-venv && python3 -m venv "$VENV"; }
  "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"
  cp "$HERE/requirements.txt" "$VENV/.pins"
fi

NODE_DIR="$SCRATCH/node"
if ! stamp_ok "$NODE_DIR" "$HERE/node/package.json"; then
  rm -rf "$NODE_DIR"
  mkdir -p "$NODE_DIR"
  cp "$HERE/node/package.json" "$NODE_DIR/"
  (cd "$NODE_DIR" && npm install --no-audit --no-fund --loglevel=error)
  cp "$HERE/node/package.json" "$NODE_DIR/.pins"
fi
# Tests run from the scratch project so that imports resolve its node_modules.
mkdir -p "$NODE_DIR/test"
cp "$HERE"/node/*.test.mjs "$NODE_DIR/test/"

status=0
"$VENV/bin/python" -m pytest "$HERE/python" --rootdir "$HERE/python" -p no:cacheprovider -q \
  -o junit_suite_name=compat_python --junitxml="$RESULTS/compat-python.xml" || status=1
node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/compat-node.xml" \
  "$NODE_DIR"/test/*.test.mjs || status=1
exit $status

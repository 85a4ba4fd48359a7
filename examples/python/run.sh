#!/usr/bin/env bash
# Runs flow.py and flow_async.py against the installed sandgate package: the virtualenv that
# bindings/python/test.sh made, or one built here when it is missing.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
PYTHON="${PYTHON:-python3}"

VENV="$ROOT/target/python/venv"
if ! "$VENV/bin/python" -c 'import sandgate' >/dev/null 2>&1; then
    VENV="$ROOT/target/python/example-venv"
    if ! "$VENV/bin/python" -c 'import sandgate' >/dev/null 2>&1; then
        WHEEL="$("$ROOT/bindings/python/build.sh" | tail -n 1)"
        rm -rf "$VENV"
        "$PYTHON" -m venv "$VENV"
        "$VENV/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL"
    fi
fi

# From an empty directory, so only the installed package can be imported.
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
cd "$RUN_DIR"
echo "== flow.py (Client)"
"$VENV/bin/python" "$HERE/flow.py"
echo "== flow_async.py (AsyncClient)"
"$VENV/bin/python" "$HERE/flow_async.py"

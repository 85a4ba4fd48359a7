#!/usr/bin/env bash
# Builds the sandgate wheel, installs it into a fresh virtualenv (as users install it) with
# pytest, mypy, ruff and uvicorn (the real ASGI server the middleware tests run on), lints the
# sources with ruff and runs the pytest suite against the installed package (which runs
# mypy --strict and stubtest). JUnit XML goes to $SANDGATE_RESULTS_DIR/python.xml (default
# <repo>/target/sdk-tests/python/). Extra arguments go to pytest.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="${SANDGATE_RESULTS_DIR:-$ROOT/target/sdk-tests/python}"
PYTHON="${PYTHON:-python3}"
mkdir -p "$RESULTS"

WHEEL="$("$HERE/build.sh" | tail -n 1)"

# A fresh virtualenv every run: the wheel and the test tools, nothing from the source tree.
VENV="$ROOT/target/python/venv"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL" 'pytest>=7' 'mypy>=1.5' \
    'ruff>=0.8,<1' 'uvicorn>=0.30,<1'

# Lint the package sources (stubs included), the tests and the examples.
"$VENV/bin/ruff" check --no-cache --config "$HERE/pyproject.toml" \
    "$HERE/python" "$HERE/tests" "$ROOT/examples/python"

# Run from an empty directory so `import sandgate` can only find the installed package.
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
cd "$RUN_DIR"
"$VENV/bin/python" -m pytest "$HERE/tests" --rootdir "$HERE/tests" -p no:cacheprovider \
    -o junit_family=xunit2 --junitxml "$RESULTS/python.xml" -q "$@"

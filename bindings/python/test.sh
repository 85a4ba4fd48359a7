#!/usr/bin/env bash
# Builds the sandgate wheel with maturin, installs it into a fresh virtualenv (as users install
# it) and runs the pytest suite against the installed package. JUnit XML goes to
# $SANDGATE_RESULTS_DIR/python.xml (default <repo>/target/sdk-tests/python/).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="${SANDGATE_RESULTS_DIR:-$ROOT/target/sdk-tests/python}"
WORK="$ROOT/target/python"
PYTHON="${PYTHON:-python3}"
mkdir -p "$RESULTS" "$WORK"

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing $* with apt-get"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@"
}

command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3 python3-venv
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
    || { echo "sandgate needs Python 3.9 or newer; $PYTHON is older" >&2; exit 1; }
# Debian splits venv and ensurepip out of the interpreter package.
probe="$(mktemp -d)"
"$PYTHON" -m venv "$probe/venv" >/dev/null 2>&1 || apt_install python3-venv
rm -rf "$probe"
command -v cargo >/dev/null 2>&1 || { echo "cargo is needed to build the wheel (install Rust with rustup)" >&2; exit 1; }

# maturin lives in a tool virtualenv kept between runs.
TOOLS="$WORK/tools"
if [ ! -x "$TOOLS/bin/maturin" ]; then
    rm -rf "$TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.5,<2'
fi

rm -rf "$WORK/wheels"
"$TOOLS/bin/maturin" build --release --manifest-path "$HERE/Cargo.toml" \
    --interpreter "$PYTHON" --out "$WORK/wheels"
WHEEL="$(ls "$WORK"/wheels/sandgate-*.whl | head -n 1)"

# A fresh virtualenv every run: the wheel plus the test tools, nothing from the source tree.
VENV="$WORK/venv"
rm -rf "$VENV"
"$PYTHON" -m venv "$VENV"
"$VENV/bin/python" -m pip install -q --disable-pip-version-check "$WHEEL" 'pytest>=7' 'mypy>=1.5'

# Run from an empty directory so `import sandgate` can only find the installed package.
RUN_DIR="$(mktemp -d)"
trap 'rm -rf "$RUN_DIR"' EXIT
cd "$RUN_DIR"
"$VENV/bin/python" -m pytest "$HERE/tests" --rootdir "$HERE/tests" -p no:cacheprovider \
    -o junit_family=xunit2 --junitxml "$RESULTS/python.xml" -q "$@"

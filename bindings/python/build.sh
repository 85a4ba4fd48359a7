#!/usr/bin/env bash
# Builds the sandgate wheel (maturin, --release) into <repo>/target/python/wheels and prints
# its path on the last line. Installs what is missing: python3-venv (apt) and maturin (in a
# tool virtualenv under target/python/tools, kept between runs).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
WORK="$ROOT/target/python"
PYTHON="${PYTHON:-python3}"
mkdir -p "$WORK"

apt_install() {
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "installing $* with apt-get" >&2
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

command -v "$PYTHON" >/dev/null 2>&1 || apt_install python3 python3-venv
"$PYTHON" -c 'import sys; sys.exit(sys.version_info < (3, 9))' \
    || { echo "sandgate needs Python 3.9 or newer; $PYTHON is older" >&2; exit 1; }
# Debian ships venv and ensurepip apart from the interpreter.
probe="$(mktemp -d)"
"$PYTHON" -m venv "$probe/venv" >/dev/null 2>&1 || apt_install python3-venv
rm -rf "$probe"
command -v cargo >/dev/null 2>&1 \
    || { echo "cargo is needed to build the wheel (install Rust with rustup)" >&2; exit 1; }

TOOLS="$WORK/tools"
if [ ! -x "$TOOLS/bin/maturin" ]; then
    rm -rf "$TOOLS"
    "$PYTHON" -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check 'maturin>=1.5,<2' >&2
fi

rm -rf "$WORK/wheels"
"$TOOLS/bin/maturin" build --release --manifest-path "$HERE/Cargo.toml" \
    --interpreter "$PYTHON" --out "$WORK/wheels" >&2
ls "$WORK"/wheels/sandgate-*.whl | head -n 1

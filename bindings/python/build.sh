#!/usr/bin/env bash
# Builds the sandgate wheel into <repo>/target/python/wheels (release/native python: maturin
# --zig, one abi3 wheel for CPython 3.9+, manylinux2014) and prints its path on the last line.
# Installs what is missing: python3-venv (apt), and maturin and zig (in the release tool
# virtualenv, target/tools/release, kept between runs).
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
# The wheel is one of the native files release/native builds once (maturin --zig: abi3,
# manylinux2014, glibc 2.17 floor, stripped); it installs maturin and zig when missing.
"$ROOT/release/native" python >/dev/null
ls "$WORK"/wheels/sandgate-*.whl | head -n 1

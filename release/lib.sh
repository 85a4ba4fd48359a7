# Shared by release/* and sdk-tests/install/*: the repository root, the version, the native
# target and the release toolchain. Source it; it defines variables and functions only.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The one native target every shipped file is built for: Linux x86_64 with glibc 2.17 symbols
# (manylinux2014). cargo-zigbuild reads the suffix; cargo builds x86_64-unknown-linux-gnu.
ZIG_TARGET="x86_64-unknown-linux-gnu.2.17"
CARGO_TRIPLE="x86_64-unknown-linux-gnu"
GLIBC_FLOOR="2.17"
# Where release/native leaves the native files of one platform (napi-rs's platform name).
PLATFORM="linux-x64-gnu"
NATIVE="$ROOT/target/native/$PLATFORM"
DIST="$ROOT/target/dist"
TOOLS="$ROOT/target/tools/release"

# The version of every package: [workspace.package] version in Cargo.toml.
sandgate_version() {
  python3 "$ROOT/release/version"
}

apt_install() {
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing $* with apt-get" >&2
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$@" >&2
}

# The release toolchain (release/requirements.txt) in a virtualenv, put first on PATH:
# zig (`python -m ziglang`, found by cargo-zigbuild), cargo-zigbuild, maturin, auditwheel.
release_tools() {
  command -v cargo >/dev/null 2>&1 ||
    { echo "cargo is needed to build the native code (install Rust with rustup)" >&2; return 1; }
  local stamp="$TOOLS/.requirements"
  if [ ! -x "$TOOLS/bin/cargo-zigbuild" ] || ! cmp -s "$ROOT/release/requirements.txt" "$stamp"; then
    local probe
    probe="$(mktemp -d)"
    python3 -m venv "$probe/venv" >/dev/null 2>&1 || apt_install python3-venv
    rm -rf "$probe" "$TOOLS"
    python3 -m venv "$TOOLS"
    "$TOOLS/bin/python" -m pip install -q --disable-pip-version-check -r "$ROOT/release/requirements.txt" >&2
    cp "$ROOT/release/requirements.txt" "$stamp"
  fi
  case ":$PATH:" in *":$TOOLS/bin:"*) ;; *) export PATH="$TOOLS/bin:$PATH" ;; esac
}

# Copies $1 to $2 only when the content differs, so a file that did not change keeps its
# time (Go's build cache and make-like checks stay warm).
install_if_changed() {
  if ! cmp -s "$1" "$2"; then
    mkdir -p "$(dirname "$2")"
    cp "$1" "$2.tmp.$$" && mv -f "$2.tmp.$$" "$2"
  fi
}

# The highest GLIBC_x.y symbol version a native file needs ("none" when it needs none).
glibc_needed() {
  local v
  v="$(objdump -T "$1" 2>/dev/null | grep -o 'GLIBC_[0-9][0-9.]*' | sed 's/GLIBC_//' | sort -uV | tail -n 1)"
  echo "${v:-none}"
}

# True when version $1 <= version $2.
version_le() {
  [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | head -n 1)" = "$1" ]
}

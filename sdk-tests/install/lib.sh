# Shared by the install tests (sdk-tests/install/<ecosystem>.sh). Source it after
# release/lib.sh. Each test installs one package of target/dist/ (made by release/build) from a
# registry on loopback with the ecosystem's own client into a fresh project under
# target/install/<ecosystem>/, then runs that language's README quickstart, which must print
# `ping: 200, verified: <sandbox id> port 8080`.

INSTALL="$ROOT/target/install"
ITOOLS="$ROOT/target/tools/install"
VERSION="$(sandgate_version)"

# A fresh, empty project folder for one ecosystem.
fresh_dir() {
  local d="$INSTALL/$1"
  rm -rf "$d"
  mkdir -p "$d"
  echo "$d"
}

# PATH without any folder that holds cargo, rustc or rustup: what a user without Rust has.
# Fails when the toolchain is still reachable.
no_rust_path() {
  local out="" dir
  local IFS=:
  for dir in $PATH; do
    [ -n "$dir" ] || continue
    if [ -e "$dir/cargo" ] || [ -e "$dir/rustc" ] || [ -e "$dir/rustup" ]; then continue; fi
    out="${out:+$out:}$dir"
  done
  if PATH="$out" command -v cargo >/dev/null 2>&1 || PATH="$out" command -v rustc >/dev/null 2>&1; then
    echo "install: cannot make a PATH without cargo and rustc" >&2
    return 1
  fi
  echo "$out"
}

# A free TCP port on 127.0.0.1.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_http URL SECONDS: until URL answers (any HTTP status), or fail.
wait_http() {
  local url=$1 n=$(($2 * 5))
  while ((n-- > 0)); do
    if curl -s -o /dev/null "$url"; then return 0; fi
    sleep 0.2
  done
  echo "install: $url did not answer in $2 s" >&2
  return 1
}

# The server started by start_server; stopped on exit.
SERVER_PID=""
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}
trap stop_server EXIT

# start_server LOG COMMAND...: runs a registry in the background, its output in LOG.
start_server() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  SERVER_PID=$!
}

# The README's quickstart for LANG (or --toml: the Install section's [dependencies]).
readme_block() {
  python3 "$ROOT/sdk-tests/install/quickstart.py" "$1"
}

# check_quickstart OUTPUT-FILE: the quickstart's line is there.
check_quickstart() {
  cat "$1"
  if ! grep -Eq '^ping: 200, verified: [A-Za-z0-9-]+ port 8080$' "$1"; then
    echo "install: the quickstart did not print 'ping: 200, verified: <id> port 8080'" >&2
    return 1
  fi
  echo "install: quickstart ok"
}

# The artifacts must exist (release/build makes them).
need_dist() {
  local f
  for f in "$@"; do
    [ -e "$f" ] || { echo "install: $f is missing: run release/build first" >&2; return 1; }
  done
}

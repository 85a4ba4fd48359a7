#!/usr/bin/env bash
# Python: pypiserver serves target/dist/python/ on loopback; pip installs sandgate==<version>
# from it into a fresh virtualenv (PATH without cargo or rustc); the README quickstart runs.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
need_dist "$DIST/python"/sandgate-"$VERSION"-*.whl
here="$(fresh_dir python)"

# pypiserver, installed from PyPI into its own virtualenv when missing.
if [ ! -x "$ITOOLS/pypiserver/bin/pypi-server" ]; then
  python3 -m venv "$ITOOLS/pypiserver"
  "$ITOOLS/pypiserver/bin/pip" install -q --disable-pip-version-check "pypiserver==2.4.2" >&2
fi
port="$(free_port)"
# -a . -P . : anyone may read, no uploads; --disable-fallback: a name it lacks is not sent to pypi.org.
start_server "$here/pypiserver.log" "$ITOOLS/pypiserver/bin/pypi-server" run -i 127.0.0.1 -p "$port" \
  -a . -P . --disable-fallback "$DIST/python"
wait_http "http://127.0.0.1:$port/simple/" 30

PATH="$(no_rust_path)"
export PATH
python3 -m venv "$here/venv"
"$here/venv/bin/pip" install -q --disable-pip-version-check --no-cache-dir \
  --index-url "http://127.0.0.1:$port/simple/" "sandgate==$VERSION"
readme_block python >"$here/quickstart.py"
(cd "$here" && "$here/venv/bin/python" quickstart.py) >"$here/out.txt" 2>&1 || { cat "$here/out.txt"; exit 1; }
check_quickstart "$here/out.txt"

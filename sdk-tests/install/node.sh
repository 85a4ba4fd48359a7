#!/usr/bin/env bash
# Node.js: verdaccio (an npm registry, on loopback) gets `sandgate` and its platform package
# `@sandgate/linux-x64-gnu` published with `npm publish`; `npm install sandgate --registry ...`
# then installs them into three fresh projects (ES module, CommonJS, TypeScript) on a PATH
# without cargo or rustc, and each runs the README quickstart: the ES module as printed, the
# CommonJS one with the import line turned into require() inside an async function, the
# TypeScript one as printed, type-checked and compiled by tsc first.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
main_tgz="$DIST/npm/sandgate-$VERSION.tgz"
plat_tgz="$DIST/npm/sandgate-$PLATFORM-$VERSION.tgz"
need_dist "$main_tgz" "$plat_tgz"
here="$(fresh_dir node)"
upstream="$(npm config get registry)"

# verdaccio 6.8.0 (the last that runs on Node 20) with node-fetch held at 2.7.0, installed from
# npm into its own folder when missing.
vd="$ITOOLS/verdaccio"
if [ ! -x "$vd/node_modules/.bin/verdaccio" ]; then
  rm -rf "$vd"
  mkdir -p "$vd"
  cat >"$vd/package.json" <<'JSON'
{ "private": true, "dependencies": { "verdaccio": "6.8.0" }, "overrides": { "node-fetch": "2.7.0" } }
JSON
  (cd "$vd" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
port="$(free_port)"
registry="http://127.0.0.1:$port/"
cat >"$here/verdaccio.yaml" <<YAML
storage: $here/storage
auth:
  htpasswd:
    file: $here/htpasswd
    max_users: 1
uplinks:
  upstream:
    url: $upstream
packages:
  'sandgate':
    access: \$all
    publish: \$authenticated
  '@sandgate/*':
    access: \$all
    publish: \$authenticated
  '**':
    access: \$all
    proxy: upstream
log: { type: stdout, format: pretty, level: warn }
YAML
start_server "$here/verdaccio.log" "$vd/node_modules/.bin/verdaccio" --config "$here/verdaccio.yaml" --listen "127.0.0.1:$port"
wait_http "${registry}-/ping" 60

# A user on the registry, and its token for npm publish.
token="$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"sandgate-release","password":"sandgate-release"}' \
  "${registry}-/user/org.couchdb.user:sandgate-release" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).token))')"
npmrc="$here/npmrc"
printf '//127.0.0.1:%s/:_authToken=%s\n' "$port" "$token" >"$npmrc"
export npm_config_userconfig="$npmrc" npm_config_cache="$ITOOLS/npm-cache" npm_config_update_notifier=false
npm publish "$plat_tgz" --registry "$registry" --access public --loglevel=error
npm publish "$main_tgz" --registry "$registry" --loglevel=error

PATH="$(no_rust_path)"
export PATH
npm_install() { npm install --no-audit --no-fund --loglevel=error --registry "$registry" "$@"; }
check_layout() {
  local app=$1
  [ -f "$app/node_modules/sandgate/index.cjs" ]
  node -e 'const p=require(process.argv[1]); for (const k of ["os","cpu","libc"]) if (!p[k]) { console.error("platform package has no " + k); process.exit(1) }' \
    "$app/node_modules/@sandgate/$PLATFORM/package.json"
}

# ES module: the README block as printed.
esm="$here/esm"
mkdir -p "$esm"
(cd "$esm" && npm init -y >/dev/null && npm_install "sandgate@$VERSION")
check_layout "$esm"
readme_block js >"$esm/quickstart.mjs"
(cd "$esm" && node quickstart.mjs) >"$here/esm.txt" 2>&1 || { cat "$here/esm.txt"; exit 1; }
check_quickstart "$here/esm.txt"

# CommonJS: require() instead of import, and no top-level await outside a module.
cjs="$here/cjs"
mkdir -p "$cjs"
(cd "$cjs" && npm init -y >/dev/null && npm_install "sandgate@$VERSION")
check_layout "$cjs"
readme_block js | python3 -c '
import re, sys
src = sys.stdin.read()
src, n = re.subn(r"^import (\{[^}]*\}) from (\x27sandgate\x27);$", r"const \1 = require(\2);", src, flags=re.M)
if n != 1:
    sys.exit("the README Node.js quickstart has no import line from sandgate")
head, _, body = src.partition(";\n")
print(head + ";\n(async () => {\n" + body + "})().catch((e) => { console.error(e); process.exit(1); });")
' >"$cjs/quickstart.cjs"
(cd "$cjs" && node quickstart.cjs) >"$here/cjs.txt" 2>&1 || { cat "$here/cjs.txt"; exit 1; }
check_quickstart "$here/cjs.txt"

# TypeScript: the same block as an ES module checked by tsc (strict) against the package's types.
ts="$here/ts"
mkdir -p "$ts"
ts_version="$(node -p 'require(process.argv[1]).devDependencies.typescript' "$ROOT/bindings/node/package.json")"
types_version="$(node -p 'require(process.argv[1]).devDependencies["@types/node"]' "$ROOT/bindings/node/package.json")"
(cd "$ts" && npm init -y >/dev/null && npm pkg set type=module &&
  npm_install "sandgate@$VERSION" "typescript@$ts_version" "@types/node@$types_version")
check_layout "$ts"
readme_block js >"$ts/quickstart.ts"
cat >"$ts/tsconfig.json" <<'JSON'
{ "compilerOptions": { "module": "nodenext", "moduleResolution": "nodenext", "target": "es2022",
    "strict": true, "types": ["node"], "outDir": "out" }, "files": ["quickstart.ts"] }
JSON
(cd "$ts" && npx --no-install tsc -p . && node out/quickstart.js) >"$here/ts.txt" 2>&1 || { cat "$here/ts.txt"; exit 1; }
check_quickstart "$here/ts.txt"

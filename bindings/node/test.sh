#!/usr/bin/env bash
# The Node.js package's tests, as users get the package: build and `npm pack` it, install the
# tarballs (the addon's platform package and the main package) into a scratch project outside the source tree, and run `node --test` there over the
# shared cases (sdk-tests/cases), the client against the in-process mock, and `tsc --strict`
# over a TypeScript usage file. JUnit XML goes to $SANDGATE_RESULTS_DIR/node.xml (default
# target/sdk-tests/node/); the exit status is non-zero when a test fails.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$HERE/../.." && pwd)"
RESULTS="${SANDGATE_RESULTS_DIR:-$ROOT/target/sdk-tests/node}"
mkdir -p "$RESULTS"

# The platform package (the addon) and the main package, installed together.
read -r -a TARBALLS <<<"$("$HERE/pack.sh" | tail -n 1)"

# The web frameworks the gateway middleware is tested inside (test/frameworks.test.mjs), and the
# types a TypeScript user of Express and Connect adds, pinned and installed from npm into their own scratch project under target/ (never vendored, and no
# tracked manifest changes); quick when they are already there.
FRAMEWORKS="$ROOT/target/node-frameworks"
mkdir -p "$FRAMEWORKS"
printf '%s\n' '{ "name": "sandgate-framework-tests", "private": true,' \
  '  "dependencies": { "connect": "3.7.0", "express": "5.3.0", "fastify": "5.12.8",' \
  '    "@types/connect": "3.4.38", "@types/express": "5.0.6" } }' > "$FRAMEWORKS/package.json.new"
if ! cmp -s "$FRAMEWORKS/package.json.new" "$FRAMEWORKS/package.json" || [ ! -f "$FRAMEWORKS/node_modules/.package-lock.json" ]; then
  mv "$FRAMEWORKS/package.json.new" "$FRAMEWORKS/package.json"
  # A failed install leaves no package.json behind, so the next run installs again.
  (cd "$FRAMEWORKS" && npm install --no-audit --no-fund --loglevel=error >&2) || { rm -f "$FRAMEWORKS/package.json"; exit 1; }
else
  rm "$FRAMEWORKS/package.json.new"
fi

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/sandgate-node-test.XXXXXX")"
trap 'rm -rf "$SCRATCH"' EXIT
cd "$SCRATCH"
printf '{ "name": "sandgate-scratch", "private": true, "type": "module" }\n' > package.json
npm install --no-audit --no-fund --loglevel=error "${TARBALLS[@]}"
# The TypeScript check needs Node's types, as a TS user's project has them.
mkdir -p node_modules/@types
ln -sfn "$HERE/node_modules/@types/node" node_modules/@types/node
mkdir test
cp "$HERE"/test/*.mjs "$HERE"/test/*.ts "$HERE"/test/*.cts "$HERE"/test/tsconfig.json test/

unset OPEN_SANDBOX_DOMAIN OPEN_SANDBOX_API_KEY OPEN_SANDBOX_PROTOCOL
export SANDGATE_REPO="$ROOT"
export SANDGATE_FRAMEWORKS="$FRAMEWORKS"
export SANDGATE_TSC="$HERE/node_modules/typescript/bin/tsc"
export SANDGATE_GENERATED_DTS="$ROOT/target/node-build/native.d.ts"
node --test \
  --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=junit --test-reporter-destination="$RESULTS/node.xml" \
  test/*.test.mjs

#!/usr/bin/env bash
# Tests the Go package: release/native ffi (the prebuilt static archive and header the package
# links, put into bindings/go/lib and include), then gofmt, go vet and `go test -race` over
# every package. Writes `go test -json` lines to
# $SANDGATE_RESULTS_DIR/go.jsonl and the lint checks to go-lint.xml (default directory
# target/sdk-tests/go) and exits non-zero when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/go}
mkdir -p "$results"

# ---------------------------------------------------------------- tools
missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v go >/dev/null 2>&1 || missing+=(golang-go)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || exit 1
fi
go_minor=$(go env GOVERSION | sed -E 's/^go1\.([0-9]+).*/\1/')
if ((go_minor < 21)); then
  echo "Go 1.21 or newer is needed, found $(go env GOVERSION)" >&2
  exit 1
fi

# ---------------------------------------------------------------- build the library
"$root/release/native" ffi >/dev/null || exit 1
lib="$here/lib/linux_amd64/libsandgate_ffi.a"
# Go does not track the static library: put its size and time in the cgo flags so a rebuilt
# library rebuilds the package.
export CGO_ENABLED=1
export CGO_CFLAGS="-O2 -g -DSANDGATE_FFI_STAMP=$(stat -c '%s_%Y' "$lib")"

# ---------------------------------------------------------------- lint
cd "$here"
failures=0
cases=()
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
record() {
  if [[ $2 == 1 ]]; then
    echo "ok   $1"
    cases+=("<testcase classname=\"sandgate_go\" name=\"$1\"/>")
  else
    echo "FAIL $1: $3"
    failures=$((failures + 1))
    cases+=("<testcase classname=\"sandgate_go\" name=\"$1\"><failure message=\"failed\">$(printf '%s' "$3" | xml_escape)</failure></testcase>")
  fi
}
unformatted=$(gofmt -l . ../../examples/go)
if [[ -z $unformatted ]]; then record go_gofmt 1; else record go_gofmt 0 "not gofmt-ed: $unformatted"; fi
if out=$(go vet ./... 2>&1); then record go_vet 1; else record go_vet 0 "$out"; fi
if out=$(cd ../../examples/go && go vet ./... 2>&1); then record go_vet_demo_module 1; else record go_vet_demo_module 0 "$out"; fi
{
  echo '<?xml version="1.0" encoding="UTF-8"?>'
  echo "<testsuite name=\"sandgate_go_lint\" tests=\"${#cases[@]}\" failures=\"$failures\">"
  printf '%s\n' "${cases[@]}"
  echo '</testsuite>'
} >"$results/go-lint.xml"

# ---------------------------------------------------------------- tests
go test -race -count=1 -json ./... >"$results/go.jsonl"
rc=$?
# A readable summary: failed tests, and the package lines.
python3 - "$results/go.jsonl" <<'PY' 2>/dev/null || grep -E '"Action":"(pass|fail)","Package"' "$results/go.jsonl" | tail -5
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("Test") and e.get("Action") == "pass":
        passed += 1
    elif e.get("Test") and e.get("Action") == "fail":
        failed += 1
        print("FAIL", e["Test"])
    elif e.get("Action") == "output" and not e.get("Test") and e["Output"].startswith(("ok", "FAIL", "---")):
        print(e["Output"].rstrip())
print("go: %d tests passed, %d failed" % (passed, failed))
PY
[[ $rc == 0 && $failures == 0 ]]

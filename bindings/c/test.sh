#!/usr/bin/env bash
# Tests the sandgate C ABI: builds sandgate-ffi (release/native), checks that the committed header matches the
# code (cbindgen drift), compiles the C smoke test with gcc and runs it under valgrind (no
# definite/indirect leaks, no invalid reads or writes), and once more linked against the
# shared library. Writes JUnit XML to $SANDGATE_RESULTS_DIR (default target/sdk-tests/c) and
# exits non-zero when anything failed.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
results=${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/c}
build="$target/c-smoke"
CBINDGEN_VERSION=0.29.4
mkdir -p "$results" "$build"

# ---------------------------------------------------------------- tools
missing=()
command -v gcc >/dev/null 2>&1 || missing+=(gcc libc6-dev)
command -v valgrind >/dev/null 2>&1 || missing+=(valgrind)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" || exit 1
fi
if [[ "$(cbindgen --version 2>/dev/null)" != "cbindgen $CBINDGEN_VERSION" ]]; then
  echo "installing cbindgen $CBINDGEN_VERSION"
  cargo install cbindgen --locked --version "$CBINDGEN_VERSION" || exit 1
fi

# ---------------------------------------------------------------- results
cases=()
failures=0
xml_escape() { sed -e 's/&/\&amp;/g' -e 's/</\&lt;/g' -e 's/>/\&gt;/g' -e 's/"/\&quot;/g'; }
# record NAME OK(0/1) [DETAIL]
record() {
  local name=$1 ok=$2 detail=${3:-}
  if [[ $ok == 1 ]]; then
    echo "ok   $name"
    cases+=("<testcase classname=\"sandgate_c\" name=\"$name\"/>")
  else
    echo "FAIL $name: $detail" | head -40
    failures=$((failures + 1))
    local msg
    msg=$(printf '%s' "$detail" | head -c 20000 | xml_escape)
    cases+=("<testcase classname=\"sandgate_c\" name=\"$name\"><failure message=\"failed\">$msg</failure></testcase>")
  fi
}
write_results() {
  {
    echo '<?xml version="1.0" encoding="UTF-8"?>'
    echo "<testsuite name=\"sandgate_c\" tests=\"${#cases[@]}\" failures=\"$failures\">"
    printf '%s\n' "${cases[@]}"
    echo '</testsuite>'
  } >"$results/c.xml"
}

# ---------------------------------------------------------------- build
cd "$root"
# The shipped libraries: built once by release/native (zig, glibc 2.17 floor) for every package.
if ! out=$("$root/release/native" ffi 2>&1); then
  record c_ffi_build 0 "$out"
  write_results
  exit 1
fi
lib="$root/target/native/linux-x64-gnu"

# The header committed in bindings/c/include must be what cbindgen makes of the code now.
fresh="$build/sandgate.h"
if out=$(cd "$here" && cbindgen --quiet --config cbindgen.toml --crate sandgate-ffi --output "$fresh" 2>&1) &&
  out=$(diff -u "$here/include/sandgate.h" "$fresh"); then
  record c_header_drift 1
else
  record c_header_drift 0 "include/sandgate.h differs from the code; regenerate it with:
  (cd bindings/c && cbindgen --config cbindgen.toml --output include/sandgate.h)
$out"
fi

# The static library's native dependencies (rustc --print native-static-libs on Linux).
native_libs="-lgcc_s -lutil -lrt -lpthread -lm -ldl -lc"
cflags=(-std=c11 -Wall -Wextra -Werror -g -O1 -I"$here/include")
families=(c_smoke_errors c_smoke_layout c_smoke_vectors c_smoke_key_config c_smoke_access
  c_smoke_api_keys c_smoke_gateway c_smoke_mock_client c_smoke_client c_smoke_mock_stop_client)

# The smoke test checks every struct it lists against the layout table Rust exports
# (sandgate_layout); here we check that it lists every struct the header defines.
header_structs=$(grep -oE '^typedef struct Sandgate[A-Za-z]+ \{' "$here/include/sandgate.h" |
  sed -E 's/typedef struct (Sandgate[A-Za-z]+) \{/\1/' | sort)
listed_structs=$(grep -oE '^  TYPE\(Sandgate[A-Za-z]+\)' "$here/tests/smoke.c" |
  sed -E 's/.*TYPE\((Sandgate[A-Za-z]+)\)/\1/' | sort)
if [[ -n $header_structs && $header_structs == "$listed_structs" ]]; then
  record c_layout_lists_every_struct 1
else
  record c_layout_lists_every_struct 0 "tests/smoke.c TYPES() must name every struct of the header:
$(diff <(echo "$header_structs") <(echo "$listed_structs"))"
fi

if ! out=$(gcc "${cflags[@]}" "$here/tests/smoke.c" "$lib/libsandgate_ffi.a" $native_libs \
  -o "$build/smoke-static" 2>&1); then
  for f in "${families[@]}"; do record "$f" 0 "the smoke test does not compile: $out"; done
  record c_valgrind_clean 0 "not run: the smoke test does not compile"
  write_results
  exit 1
fi

# ---------------------------------------------------------------- smoke under valgrind
# Leak policy: definite and indirect leaks fail. The shared tokio runtime is created once and
# deliberately never dropped (its worker threads live until exit), so its memory shows up as
# "still reachable" and the worker threads' TLS as "possibly lost"; neither is a leak of a
# value handed across the ABI, and both are reported but not counted as errors.
vg_log="$build/valgrind.log"
valgrind --quiet --leak-check=full --errors-for-leak-kinds=definite,indirect \
  --show-leak-kinds=definite,indirect --error-exitcode=97 \
  --suppressions="$here/tests/valgrind.supp" --log-file="$vg_log" \
  "$build/smoke-static" >"$build/smoke.out" 2>&1
rc=$?
for f in "${families[@]}"; do
  line=$(grep -E "^(ok|FAIL) $f(:|$)" "$build/smoke.out" | head -1)
  if [[ $line == "ok $f" ]]; then
    record "$f" 1
  elif [[ -n $line ]]; then
    record "$f" 0 "$line"
  else
    record "$f" 0 "no result (the smoke test stopped early, exit $rc):
$(tail -20 "$build/smoke.out")"
  fi
done
if [[ $rc == 0 ]]; then
  record c_valgrind_clean 1
elif [[ $rc == 97 ]]; then
  record c_valgrind_clean 0 "valgrind found errors or leaks:
$(cat "$vg_log")"
else
  record c_valgrind_clean 0 "the smoke test exited $rc under valgrind:
$(tail -20 "$build/smoke.out")
$(tail -30 "$vg_log")"
fi

# ---------------------------------------------------------------- the README's example
# The C blocks of README.md, in order, compiled into one main and run: it must print the signed
# route, then forward the gateway's allowed request.
readme_c="$build/readme.c"
{
  printf '#include <stdio.h>\n#include "sandgate.h"\nint main(void) {\n'
  sed -n '/^```c$/,/^```$/p' "$here/README.md" | grep -v -e '^```' -e '^#include'
  printf 'return err != NULL;\n}\n'
} >"$readme_c"
if out=$(gcc "${cflags[@]}" "$readme_c" "$lib/libsandgate_ffi.a" $native_libs -o "$build/readme" 2>&1) &&
  out=$("$build/readme" 2>&1) && [[ $out == "OpenSandbox-Ingress-To: sbx-001-8080-"*"forward to /ping?x=1" ]]; then
  record c_readme_example 1
else
  record c_readme_example 0 "the README's C example does not compile or run: $out"
fi

# ---------------------------------------------------------------- shared library
if out=$(gcc "${cflags[@]}" "$here/tests/smoke.c" -L"$lib" -lsandgate_ffi -lpthread \
  -o "$build/smoke-shared" 2>&1) && out=$(LD_LIBRARY_PATH="$lib" "$build/smoke-shared" 2>&1); then
  record c_shared_library_link 1
else
  record c_shared_library_link 0 "$out"
fi

write_results
echo "c: ${#cases[@]} checks, $failures failed (results in $results/c.xml)"
[[ $failures == 0 ]]

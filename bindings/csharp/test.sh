#!/usr/bin/env bash
# Tests the C# package under mono: build.sh (tools, sandgate-ffi, Sandgate.dll), then the NUnit
# suite compiled with mcs and run by nunit-console. Writes JUnit XML to
# $SANDGATE_RESULTS_DIR/csharp.xml (default target/sdk-tests/csharp) and exits non-zero when a
# test failed or nothing ran.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
results=${SANDGATE_RESULTS_DIR:-$root/target/sdk-tests/csharp}
mkdir -p "$results"

lib=$("$here/build.sh") || { echo "csharp: build failed" >&2; exit 1; }

# ---------------------------------------------------------------- compile the tests
out="$root/target/csharp/tests"
rm -rf "$out"
mkdir -p "$out"
cp "$lib"/Sandgate.dll* "$lib/libsandgate_ffi.so" "$out/" # with Sandgate.dll.mdb: line numbers in traces
nunit=$(compgen -G "/usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll" | head -1)
mcs -target:library -langversion:7.2 -unsafe -debug -warnaserror+ -r:"$out/Sandgate.dll" -r:System.Net.Http.dll \
  -r:"$nunit" -out:"$out/Sandgate.Tests.dll" "$here"/tests/*.cs || exit 1
mcs -langversion:7.2 -warnaserror+ -r:"$out/Sandgate.dll" -out:"$out/MissingLibraryProbe.exe" \
  "$here"/tests/probe/MissingLibraryProbe.cs || exit 1
# The README's first csharp block is a whole program: compiled here, run by Readme_SnippetRuns.
awk '/^```csharp$/ {on = 1; next} on && /^```$/ {exit} on' "$here/README.md" >"$out/Readme.cs"
mcs -langversion:7.2 -warnaserror+ -r:"$out/Sandgate.dll" -r:System.Net.Http.dll -out:"$out/Readme.exe" \
  "$out/Readme.cs" || exit 1

# ---------------------------------------------------------------- run
# -domain=None: mono 6.8 cannot unload an AppDomain whose code was called back from
# sandgate's runtime threads (see README), so the tests run in the main domain.
cd "$out"
timeout 900 nunit-console "$out/Sandgate.Tests.dll" -nologo -noshadow -domain=None -labels \
  -xml="$out/TestResult.xml" >"$out/nunit.log" 2>&1
rc=$?
grep -E "^(Tests run|\s+Not run|[0-9]+\) )" "$out/nunit.log" || tail -20 "$out/nunit.log"
if [[ ! -s "$out/TestResult.xml" ]]; then
  echo "csharp: nunit-console wrote no results (exit $rc); see $out/nunit.log" >&2
  exit 1
fi
python3 "$here/tools/nunit2junit.py" "$out/TestResult.xml" "$results/csharp.xml"
conv=$?
[[ $rc == 0 && $conv == 0 ]]

#!/usr/bin/env bash
# C# micro-benchmark for bench/run: builds Sandgate.dll (bindings/csharp/build.sh, mono),
# compiles Bench.cs against it and runs it under mono. Usage: bench/csharp/run.sh ITERS MEMORY_ITERS
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
lib="$("$root/bindings/csharp/build.sh")"
out="$root/target/bench/csharp"
mkdir -p "$out"
cp "$lib"/Sandgate.dll "$lib/libsandgate_ffi.so" "$out/"
mcs -langversion:7.2 -optimize+ -r:"$out/Sandgate.dll" -r:System.Core.dll -out:"$out/Bench.exe" "$here/Bench.cs" >&2
cd "$out"
exec mono "$out/Bench.exe" "$@"

#!/usr/bin/env bash
# Runs the C# example under mono: bindings/csharp/build.sh (mono, sandgate-ffi, Sandgate.dll),
# then compiles Flow.cs next to Sandgate.dll and libsandgate_ffi.so and runs it. Exits non-zero
# when a step of the flow misbehaves.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
lib=$("$root/bindings/csharp/build.sh")
out="$root/target/csharp/example"
mkdir -p "$out"
cp "$lib/Sandgate.dll" "$lib/libsandgate_ffi.so" "$out/"
mcs -langversion:7.2 -warnaserror+ -r:"$out/Sandgate.dll" -r:System.Net.Http.dll -out:"$out/Flow.exe" "$here/Flow.cs"
exec mono "$out/Flow.exe"

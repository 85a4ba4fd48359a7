#!/usr/bin/env bash
# Builds the C# package the way it is tested here: installs mono, mcs and NUnit 2.6 from
# Debian when missing, takes libsandgate_ffi.so from release/native (built once, zig, glibc
# 2.17 floor), and compiles Sandgate.dll with mcs into target/csharp/lib/ next to a copy of the
# native library. Prints that folder. Used by bindings/csharp/test.sh, examples/csharp/run.sh
# and release/build (which packs the .nupkg from that folder with Sandgate.nuspec).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

# ---------------------------------------------------------------- tools
missing=()
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs)
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime)
[[ -f /usr/lib/mono/4.5/System.Net.Http.dll ]] || missing+=(libmono-system-net-http4.0-cil)
command -v nunit-console >/dev/null 2>&1 || missing+=(nunit-console)
compgen -G "/usr/lib/cli/nunit.framework-2.6*/nunit.framework.dll" >/dev/null || missing+=(libnunit-cil-dev)
if ((${#missing[@]})); then
  echo "installing ${missing[*]}" >&2
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >&2
fi

# ---------------------------------------------------------------- native library
native=$("$root/release/native" ffi | tail -n 1)

# ---------------------------------------------------------------- Sandgate.dll
lib="$root/target/csharp/lib"
mkdir -p "$lib"
mcs -target:library -langversion:7.2 -unsafe -optimize+ -debug -warnaserror+ \
  -r:System.Net.Http.dll -doc:"$lib/Sandgate.xml" -out:"$lib/Sandgate.dll" "$here"/src/*.cs >&2
cp "$native/libsandgate_ffi.so" "$lib/"
echo "$lib"

#!/usr/bin/env bash
# C#: Debian's nuget CLI (under mono) installs Sandgate <version> from a folder feed holding
# target/dist/nuget/*.nupkg into a fresh mono project; mcs compiles the README quickstart
# against lib/netstandard2.0/Sandgate.dll and mono runs it with the package's
# runtimes/linux-x64/native/libsandgate_ffi.so next to it (PATH without cargo or rustc).
# Only this mono consumer is tested here; Sandgate.csproj packs the same layout for .NET.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
need_dist "$DIST/nuget/Sandgate.$VERSION.nupkg"
here="$(fresh_dir csharp)"
missing=()
command -v nuget >/dev/null 2>&1 || missing+=(nuget)
command -v mcs >/dev/null 2>&1 || missing+=(mono-mcs)
command -v mono >/dev/null 2>&1 || missing+=(mono-runtime)
((${#missing[@]} == 0)) || apt_install "${missing[@]}"

feed="$here/feed"
mkdir -p "$feed"
cp "$DIST/nuget/Sandgate.$VERSION.nupkg" "$feed/"
PATH="$(no_rust_path)"
export PATH
# A private NuGet home: no cached copy of the package from elsewhere.
export HOME="$here/home" XDG_CONFIG_HOME="$here/home/.config"
mkdir -p "$HOME"
cd "$here"
nuget install Sandgate -Version "$VERSION" -Source "$feed" -OutputDirectory packages -NonInteractive
pkg="$here/packages/Sandgate.$VERSION"
[ -f "$pkg/lib/netstandard2.0/Sandgate.dll" ]
[ -f "$pkg/runtimes/linux-x64/native/libsandgate_ffi.so" ]
mkdir -p bin
cp "$pkg/lib/netstandard2.0/Sandgate.dll" "$pkg/runtimes/linux-x64/native/libsandgate_ffi.so" bin/
readme_block csharp >Quickstart.cs
mcs -langversion:7.2 -warnaserror+ -r:bin/Sandgate.dll -r:System.Net.Http.dll -out:bin/Quickstart.exe Quickstart.cs
mono bin/Quickstart.exe >"$here/out.txt" 2>&1 || { cat "$here/out.txt"; exit 1; }
check_quickstart "$here/out.txt"

#!/usr/bin/env bash
# The glibc floor of what ships: every native file inside every artifact of target/dist/ is
# taken out of its package and the highest GLIBC_x.y symbol version it needs is read (objdump
# -T); none may exceed 2.17. The Go module's static archive has no symbol versions of its own
# (the program that links it gets them), so zig links it whole into a program against glibc
# 2.17 and that program is read the same way: a symbol 2.17 lacks fails that link.
# `auditwheel show` must place the wheel in manylinux_2_17. Prints one line per file.
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
release_tools
here="$(fresh_dir native)"
cd "$here"
bad=0
check() { # check FILE WHAT
  local v
  v="$(glibc_needed "$1")"
  if [ "$v" = none ] || version_le "$v" "$GLIBC_FLOOR"; then
    printf 'ok    GLIBC %-5s %s\n' "$v" "$2"
  else
    printf 'FAIL  GLIBC %-5s %s (the floor is %s)\n' "$v" "$2" "$GLIBC_FLOOR"
    bad=1
  fi
}
files=0
for whl in "$DIST"/python/*.whl; do
  mkdir -p wheel && (cd wheel && python3 -m zipfile -e "$whl" .)
  while IFS= read -r f; do check "$f" "$(basename "$whl"): ${f#wheel/}"; files=$((files + 1)); done < <(find wheel -name '*.so')
  out="$(auditwheel show "$whl" 2>&1)"
  echo "$out" | sed 's/^/      /'
  if ! echo "$out" | grep -q 'manylinux_2_17_x86_64'; then
    echo "FAIL  auditwheel does not place $(basename "$whl") in manylinux_2_17"
    bad=1
  fi
done
for tgz in "$DIST"/npm/*.tgz; do
  d="npm/$(basename "$tgz" .tgz)"
  mkdir -p "$d" && tar -xzf "$tgz" -C "$d"
  while IFS= read -r f; do check "$f" "$(basename "$tgz"): ${f#"$d"/}"; files=$((files + 1)); done < <(find "$d" -name '*.node')
done
jar="$DIST/maven/dev/sandgate/sandgate/$VERSION/sandgate-$VERSION.jar"
mkdir -p jar && (cd jar && python3 -m zipfile -e "$jar" .)
while IFS= read -r f; do check "$f" "$(basename "$jar"): ${f#jar/}"; files=$((files + 1)); done < <(find jar -name '*.so')
for nupkg in "$DIST"/nuget/*.nupkg; do
  mkdir -p nupkg && (cd nupkg && python3 -m zipfile -e "$nupkg" .)
  while IFS= read -r f; do check "$f" "$(basename "$nupkg"): ${f#nupkg/}"; files=$((files + 1)); done < <(find nupkg -name '*.so')
done
zip="$DIST/goproxy/github.com/sandgate/sandgate/bindings/go/@v/v$VERSION.zip"
mkdir -p gozip && (cd gozip && python3 -m zipfile -e "$zip" .)
while IFS= read -r a; do
  # The system libraries the module's own link file names (#cgo LDFLAGS after the archive).
  read -r -a libs <<<"$(sed -n 's/^#cgo LDFLAGS: \${SRCDIR}[^ ]*\.a //p' "$(dirname "$a")/../../link_linux_amd64.go")"
  ((${#libs[@]})) || { echo "FAIL  no #cgo LDFLAGS line in the module's link_linux_amd64.go"; bad=1; continue; }
  printf 'int main(void) { return 0; }\n' >main.c
  python3 -m ziglang cc -target "x86_64-linux-gnu.$GLIBC_FLOOR" -o linked main.c \
    -Wl,--whole-archive "$a" -Wl,--no-whole-archive "${libs[@]}" 2>link.log ||
    { cat link.log; echo "FAIL  $a does not link whole against glibc $GLIBC_FLOOR"; bad=1; continue; }
  check linked "$(basename "$zip"): ${a#gozip/} (linked whole into a program)"
  files=$((files + 1))
done < <(find gozip -name '*.a')
if [ "$files" -lt 5 ]; then
  echo "FAIL  found $files native files in target/dist (expected the wheel's, npm's, the jar's, the nupkg's and Go's)"
  bad=1
fi
exit "$bad"

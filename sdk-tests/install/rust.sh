#!/usr/bin/env bash
# Rust: release/build ran `cargo package` for every publishable crate (target/dist/crates). A
# fresh crate depends on them by version, as it would on crates.io, with the unpacked .crate
# files patched in for crates.io's copies (nothing is published yet); it builds with the
# README's [dependencies] and runs the README quickstart. The crates' own dependencies come
# from crates.io, held to the workspace's Cargo.lock versions. (Rust is the one ecosystem that
# needs cargo to install.)
set -euo pipefail
source "$(dirname "$0")/../../release/lib.sh"
source "$ROOT/sdk-tests/install/lib.sh"
crates=(sandgate sandgate-mock)
for c in "${crates[@]}"; do need_dist "$DIST/crates/$c-$VERSION.crate"; done
here="$(fresh_dir rust)"
mkdir -p "$here/unpacked" "$here/app/src"
for c in "${crates[@]}"; do tar -xzf "$DIST/crates/$c-$VERSION.crate" -C "$here/unpacked"; done
{
  printf '[package]\nname = "quickstart"\nversion = "0.0.0"\nedition = "2021"\npublish = false\n\n'
  printf '# a project of its own, not a member of the repository around it\n[workspace]\n\n'
  readme_block --toml
  printf '\n[patch.crates-io]\n'
  for c in "${crates[@]}"; do printf '%s = { path = "%s" }\n' "$c" "$here/unpacked/$c-$VERSION"; done
} >"$here/app/Cargo.toml"
readme_block rust >"$here/app/src/main.rs"
cp "$ROOT/Cargo.lock" "$here/app/Cargo.lock"
cd "$here/app"
# A target folder of its own, kept between runs (the dependencies compile once).
export CARGO_TARGET_DIR="$ITOOLS/rust-target"
cargo build --release -q
cargo tree -q --depth 1 -e normal | grep -q "sandgate v$VERSION ($here/unpacked/sandgate-$VERSION)"
"$CARGO_TARGET_DIR/release/quickstart" >"$here/out.txt" 2>&1 || { cat "$here/out.txt"; exit 1; }
check_quickstart "$here/out.txt"

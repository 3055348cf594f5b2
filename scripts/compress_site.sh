#!/usr/bin/env bash
# Writes a brotli (quality 11) and a gzip (-9) twin beside each file of the built bundle; `verdict
# serve` sends a twin to browsers that accept it (server/src/lib.rs, `bundle_files`) and
# compresses on the fly, more cheaply, whatever has none. cargo-leptos empties the folder on
# every build, so a twin never outlives the file it was made from.
# Usage: scripts/compress_site.sh [PKG_DIR]   (default target/site/pkg)
set -euo pipefail
cd "$(dirname "$0")/.."
pkg="${1:-target/site/pkg}"
[ -d "$pkg" ] || { echo "no bundle in $pkg: build it first (cargo leptos build --release --split)" >&2; exit 1; }
for f in "$pkg"/*.wasm "$pkg"/*.js "$pkg"/*.css; do
    [ -f "$f" ] || continue
    brotli -f -q 11 -o "$f.br" "$f"
    gzip -9 -k -f "$f"
done

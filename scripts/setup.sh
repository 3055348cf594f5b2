#!/usr/bin/env bash
# Installs every tool Verdict's build and tests need, from the package registries only.
# Idempotent: each step is skipped when its tool is already present at the right version,
# so a machine that ran it once pays nothing the second time.
set -euo pipefail

LEPTOS_VERSION=0.3.11
WASM_BINDGEN_VERSION=0.2.130   # must equal wasm-bindgen in Cargo.lock (pinned with = in Cargo.toml)
BINARYEN_VERSION=132.0.0       # npm's binaryen; Debian's wasm-opt 108 breaks hydration
SQLX_VERSION=0.8.6             # must equal sqlx in Cargo.lock: `cargo sqlx prepare --check` reads .sqlx/
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
source "$ROOT/scripts/env.sh"
TOOLS_DIR="$VERDICT_TOOLS_DIR"

log() { printf '\n== setup: %s\n' "$*" >&2; }
need_sudo() { if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi; }

# 1. System packages: Debian's chromium for the browser tests, brotli to report wasm size,
#    PostgreSQL for the warehouse tests (run as a throwaway cluster by scripts/pg-cluster.sh;
#    the package's own service is not used).
missing=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || missing+=(postgresql)
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
command -v brotli >/dev/null 2>&1 || missing+=(brotli)
command -v sqlite3 >/dev/null 2>&1 || missing+=(sqlite3)
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  need_sudo apt-get update -qq
  need_sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# 2. The wasm target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  log "rustup target add wasm32-unknown-unknown"
  rustup target add wasm32-unknown-unknown
fi

# Installs a crate whose published lock no longer builds here: fetch its source with a
# failing `cargo install`, pin one dependency in a copy, then install from the copy.
install_with_pin() { # crate version pin_pkg pin_version [features]
  local crate=$1 version=$2 pin=$3 pin_version=$4 features=${5:-}
  local src
  src=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate-$version" 2>/dev/null | head -n1 || true)
  if [ -z "$src" ]; then
    cargo install "$crate" --version "$version" --locked >/dev/null 2>&1 || true
    src=$(ls -d "$HOME"/.cargo/registry/src/*/"$crate-$version" | head -n1)
  fi
  local work
  work=$(mktemp -d)
  cp -r "$src" "$work/$crate"
  (cd "$work/$crate" && cargo update -p "$pin" --precise "$pin_version" >/dev/null 2>&1 \
     && CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
        cargo install --path . --locked $features)
  rm -rf "$work"
}

# 3. cargo-leptos (its lock pins cargo-util-schemas 0.14.2, which needs rustc 1.96).
if ! cargo leptos --version 2>/dev/null | grep -q "$LEPTOS_VERSION"; then
  log "cargo-leptos $LEPTOS_VERSION (about 15 minutes, once)"
  install_with_pin cargo-leptos "$LEPTOS_VERSION" cargo-util-schemas 0.14.1 "--features no_downloads"
fi

# 4. wasm-bindgen-cli, the same version as the library (its lock pins a yanked webpki-roots).
if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
  log "wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  install_with_pin wasm-bindgen-cli "$WASM_BINDGEN_VERSION" webpki-roots 1.0.10
fi

# 5. wasm-opt from npm's binaryen.
if [ ! -x "$TOOLS_DIR/node_modules/.bin/wasm-opt" ] || \
   ! grep -q "\"version\": \"$BINARYEN_VERSION\"" "$TOOLS_DIR/node_modules/binaryen/package.json" 2>/dev/null; then
  log "binaryen $BINARYEN_VERSION from npm"
  mkdir -p "$TOOLS_DIR"
  npm install --silent --no-audit --no-fund --prefix "$TOOLS_DIR" "binaryen@$BINARYEN_VERSION" >/dev/null
fi

# 6. sqlx-cli, which checks that the committed .sqlx/ query data matches the queries.
if ! sqlx --version 2>/dev/null | grep -q "$SQLX_VERSION"; then
  log "sqlx-cli $SQLX_VERSION (about 3 minutes, once)"
  cargo install sqlx-cli --version "$SQLX_VERSION" --locked --no-default-features \
    --features sqlite,rustls
fi

# 7. Browser-test dependencies (no browser download: the config uses /usr/bin/chromium).
if [ -f "$ROOT/end2end/package-lock.json" ] && [ ! -d "$ROOT/end2end/node_modules/@playwright/test" ]; then
  log "npm ci in end2end/"
  (cd "$ROOT/end2end" && npm ci --silent --no-audit --no-fund >/dev/null)
fi

log "tools ready"

#!/usr/bin/env bash
# Sets everything up, builds the release app and serves it on http://127.0.0.1:3000 with its
# SQLite file in data/ (created on first start). An empty board offers to load the demo program.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
cargo leptos build --release --split
target/release/verdict pack-bundle
scripts/compress_site.sh
mkdir -p data
export DATABASE_URL="${DATABASE_URL:-sqlite:data/verdict.db}"
export LEPTOS_SITE_ADDR="${LEPTOS_SITE_ADDR:-127.0.0.1:3000}"
echo "Verdict on http://$LEPTOS_SITE_ADDR (database: $DATABASE_URL)"
exec target/release/verdict serve

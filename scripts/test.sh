#!/usr/bin/env bash
# Sets everything up and runs every test: formatting, lints, unit + database + HTTP tests, and
# the browser tests against the real server on 127.0.0.1 with throwaway SQLite files.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/env.sh
# One-shot builds gain nothing from incremental caches, which cost gigabytes of disk.
export CARGO_INCREMENTAL=0
step() { printf '\n== test: %s (%s)\n' "$*" "$(date +%T)"; }

# A throwaway PostgreSQL for the warehouse tests (CLI, database and browser), stopped at the end.
pg_dir=$(mktemp -d -t verdict-pg.XXXXXX)
export VERDICT_TEST_PG_URL
VERDICT_TEST_PG_URL=$(scripts/pg-cluster.sh start "$pg_dir" $$)
trap 'scripts/pg-cluster.sh stop "$pg_dir"' EXIT

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "the committed .sqlx/ query data matches the queries and migrations"
scripts/sqlx-prepare.sh --check

step "unit, database and HTTP tests"
cargo test --workspace --all-targets

step "build the app (server + wasm), a page piece and its chunks packed per first visit"
cargo leptos build --split
target/debug/verdict pack-bundle

step "browser tests"
rm -rf end2end/.data end2end/.auth && mkdir -p end2end/.data
(cd end2end && npx playwright test)

step "all tests passed"

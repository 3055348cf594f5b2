#!/usr/bin/env bash
# Refreshes `.sqlx/`, the query data the sqlx macros compile against, from a freshly migrated
# SQLite file: run it after changing a query or adding a migration, and commit the result.
# `scripts/sqlx-prepare.sh --check` only verifies the committed data matches (the test script
# runs that).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
export DATABASE_URL="sqlite:$dir/schema.db"
sqlx database create
sqlx migrate run --source migrations >/dev/null
cargo sqlx prepare --workspace "$@" -- --all-targets

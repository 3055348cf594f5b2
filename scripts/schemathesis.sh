#!/usr/bin/env bash
# Property-based API fuzzing: schemathesis (PyPI, in a venv under the tools folder) generates
# requests from /api/v1/openapi.json and checks every answer: no 5xx, every status, header and
# body as the document says. Runs against a server with the demo program, as an admin token,
# for SCHEMATHESIS_SECONDS (300) or until every operation is exhausted.
#
#   scripts/schemathesis.sh
#
# Env: SCHEMATHESIS_SECONDS (300), VERDICT_BIN (target/release/verdict, else target/debug).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/env.sh
SECONDS_BUDGET=${SCHEMATHESIS_SECONDS:-300}
BIN=${VERDICT_BIN:-}
if [ -z "$BIN" ]; then
  if [ -x target/release/verdict ]; then BIN=target/release/verdict; else BIN=target/debug/verdict; fi
fi
VENV="$VERDICT_TOOLS_DIR/schemathesis-venv"
if [ ! -x "$VENV/bin/schemathesis" ]; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet 'schemathesis>=4,<5'
fi
TMP=$(mktemp -d)
PORT=${PORT:-3171}
trap 'kill $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
export DATABASE_URL="sqlite:$TMP/verdict.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=error
"$BIN" demo >/dev/null
TOKEN=$("$BIN" token create --name schemathesis --role admin | tail -n 1)
"$BIN" serve 2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
set +e
"$VENV/bin/schemathesis" run \
  "http://127.0.0.1:$PORT/api/v1/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks all --max-time "$SECONDS_BUDGET" --workers 2 "$@"
CODE=$?
set -e
grep -c ' 5[0-9][0-9] ' "$TMP/server.log" >/dev/null 2>&1 && echo "server log has 5xx lines" || true
exit $CODE

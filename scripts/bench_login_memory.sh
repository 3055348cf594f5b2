#!/usr/bin/env bash
# Memory under hostile sign-ins: a server on a throwaway database, its RSS read from /proc
# before and after N sign-in attempts with huge emails (default 2,000 of 100 KB, 16 at once),
# then a real sign-in to show it still answers. Fails if RSS grew by more than LIMIT_MB (50).
#
#   scripts/bench_login_memory.sh
#
# Env: ATTEMPTS (2000), EMAIL_KB (100), PARALLEL (16), LIMIT_MB (50),
# VERDICT_BIN (default target/release/verdict, else target/debug/verdict).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
ATTEMPTS=${ATTEMPTS:-2000}
EMAIL_KB=${EMAIL_KB:-100}
PARALLEL=${PARALLEL:-16}
LIMIT_MB=${LIMIT_MB:-50}
BIN=${VERDICT_BIN:-}
if [ -z "$BIN" ]; then
  if [ -x target/release/verdict ]; then BIN=target/release/verdict; else BIN=target/debug/verdict; fi
fi
[ -x "$BIN" ] || { echo "build the app first (cargo leptos build)" >&2; exit 1; }
TMP=$(mktemp -d)
PORT=${PORT:-3170}
trap 'kill $PID 2>/dev/null || true; rm -rf "$TMP"' EXIT
export DATABASE_URL="sqlite:$TMP/verdict.db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" RUST_LOG=error
VERDICT_PASSWORD='correct horse battery staple' "$BIN" user add --email ana@example.com --role admin >/dev/null
"$BIN" serve 2>"$TMP/server.log" &
PID=$!
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
rss() { awk '/VmRSS/ {print $2}' "/proc/$PID/status"; }
# Warm up: one normal sign-in so the allocator's first arenas exist before the baseline.
curl -s -o /dev/null -H 'Sec-Fetch-Site: same-origin' \
  --data-urlencode 'email=ana@example.com' --data-urlencode 'password=correct horse battery staple' \
  "http://127.0.0.1:$PORT/auth/login"
BEFORE=$(rss)
python3 -c "print('email=' + 'a' * ($EMAIL_KB * 1024) + '%40example.com&password=whatever+at+all&next=%2F', end='')" >"$TMP/body"
START=$(date +%s.%N)
seq "$ATTEMPTS" | xargs -P "$PARALLEL" -n 50 sh -c '
  for _ in "$@"; do
    curl -s -o /dev/null -w "%{http_code}\n" -H "Sec-Fetch-Site: same-origin" \
      -H "Content-Type: application/x-www-form-urlencoded" --data-binary @'"$TMP/body"' \
      http://127.0.0.1:'"$PORT"'/auth/login
  done' sh >"$TMP/codes"
END=$(date +%s.%N)
AFTER=$(rss)
CODES=$(sort "$TMP/codes" | uniq -c | tr '\n' ' ')
OK=$(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -H 'Sec-Fetch-Site: same-origin' \
  --data-urlencode 'email=ana@example.com' --data-urlencode 'password=correct horse battery staple' \
  "http://127.0.0.1:$PORT/auth/login")
GROWTH_KB=$((AFTER - BEFORE))
printf 'binary %s, %s cores\n' "$BIN" "$(nproc)"
printf '%s attempts with %s KB emails in %.1f s; answers: %s\n' "$ATTEMPTS" "$EMAIL_KB" "$(echo "$END - $START" | bc)" "$CODES"
printf 'RSS before %d KB, after %d KB, growth %d KB (limit %d MB)\n' "$BEFORE" "$AFTER" "$GROWTH_KB" "$LIMIT_MB"
printf 'a real sign-in afterwards: %s\n' "$OK"
[ "$GROWTH_KB" -le $((LIMIT_MB * 1024)) ] || { echo "FAILED: RSS grew by more than $LIMIT_MB MB" >&2; exit 1; }
case "$OK" in 303*) ;; *) echo "FAILED: the real sign-in did not succeed" >&2; exit 1 ;; esac

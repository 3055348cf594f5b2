#!/usr/bin/env bash
# Load test on 127.0.0.1: a release server with the demo program on a throwaway database, then
# wrk with 64 connections: a mixed run (board page, an experiment page, writes that create
# experiments), and short runs of the board alone and of the write alone for their req/s and
# latency percentiles. Fails on any 5xx and on "database is locked" in the server log.
#
#   scripts/load_test.sh
#
# Env: LOAD_DURATION (mixed run, seconds, default 60), LOAD_SHORT (each single run, default 15),
# LOAD_CONNECTIONS (64), LOAD_THREADS (2), LOAD_MIX ("50,30,20": board, experiment, write %),
# VERDICT_BIN (default target/release/verdict, built with cargo leptos when missing),
# KEEP_TMP=1 keeps the temp folder (database, server log, wrk outputs).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/env.sh
source scripts/env.sh

BIN=${VERDICT_BIN:-$ROOT/target/release/verdict}
DURATION=${LOAD_DURATION:-60}
SHORT=${LOAD_SHORT:-15}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
THREADS=${LOAD_THREADS:-2}
MIX=${LOAD_MIX:-50,30,20}

die() {
    echo "LOAD TEST FAILED: $*" >&2
    exit 1
}

if ! command -v wrk >/dev/null; then
    echo "== installing wrk (Debian)"
    apt-get install -y wrk >/dev/null || { apt-get update >/dev/null && apt-get install -y wrk >/dev/null; }
fi
for tool in curl sqlite3 python3; do
    command -v "$tool" >/dev/null || die "$tool is needed"
done

if [ ! -x "$BIN" ]; then
    echo "== building the release binary"
    nice -n 10 flock /tmp/verdict-e2e.lock cargo leptos build --release --split
fi
[ -x "$BIN" ] || die "no binary at $BIN"

TMP=$(mktemp -d /tmp/verdict-load.XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then
        kill "$SERVER_PID" 2>/dev/null || true
        { wait "$SERVER_PID"; } 2>/dev/null || true
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then echo "kept $TMP"; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
DB=$TMP/load.db
export DATABASE_URL=sqlite:$DB
export LEPTOS_SITE_ADDR=127.0.0.1:$PORT
export LEPTOS_SITE_ROOT=$ROOT/target/site
# Errors and warnings, each inside its request's span (method and URI): tower-http makes the span
# at debug level, so only span creation is turned on, not a log line per request.
export RUST_LOG=${RUST_LOG:-info,sqlx=warn,tower_http::trace::make_span=debug}

echo "== demo program into $DB"
"$BIN" demo >"$TMP/demo.log" 2>&1 || { cat "$TMP/demo.log" >&2; die "verdict demo failed"; }
TOKEN=
AUTH=()
if "$BIN" token --help >/dev/null 2>&1; then
    TOKEN=$("$BIN" token create --name load-test --role editor 2>>"$TMP/token.log" | tail -n 1)
    [ -n "$TOKEN" ] || die "verdict token create printed no token"
    AUTH=(-H "Authorization: Bearer $TOKEN")
fi

"$BIN" serve >"$TMP/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 600); do
    curl -fsS -o /dev/null "${AUTH[@]}" "$BASE/healthz" 2>/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { tail -20 "$TMP/server.log" >&2; die "the server exited"; }
    sleep 0.1
done
curl -fsS -o /dev/null "${AUTH[@]}" "$BASE/healthz" || die "the server did not start"

EXPERIMENT=$(sqlite3 "$DB" "SELECT key FROM experiment WHERE status = 'running' ORDER BY key LIMIT 1")
[ -n "$EXPERIMENT" ] || die "the demo program has no running experiment"
if [ "$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/v1/experiments")" = 200 ]; then
    API=rest
else
    API=server_fn
fi
# Every route must answer before the load starts, so a failure is the load's, not the setup's.
for path in / "/experiments/$EXPERIMENT"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE$path")
    [ "$code" = 200 ] || die "GET $path answered $code before any load"
done
echo "== server on $BASE; experiment page /experiments/$EXPERIMENT; writes through $API"

export LOAD_API=$API LOAD_TOKEN=$TOKEN LOAD_EXPERIMENT=$EXPERIMENT

# run NAME MIX SECONDS: one wrk run; leaves $TMP/NAME.wrk and $TMP/NAME.status.
run() {
    local name=$1 mix=$2 seconds=$3
    sqlite3 "$DB" "SELECT count(*) FROM experiment" >"$TMP/$name.experiments"
    echo "== $name: ${seconds}s, $CONNECTIONS connections, mix board/experiment/write = $mix"
    LOAD_MIX=$mix LOAD_RUN="$name$RANDOM" LOAD_STATUS_FILE="$TMP/$name.status" \
        wrk -t"$THREADS" -c"$CONNECTIONS" -d"${seconds}s" --timeout 30s --latency \
        -s scripts/load/mixed.lua "$BASE" >"$TMP/$name.wrk" 2>&1 \
        || { cat "$TMP/$name.wrk" >&2; die "wrk failed in $name"; }
    sed 's/^/   /' "$TMP/$name.wrk"
    echo "   responses by status: $(tr '\n' ' ' <"$TMP/$name.status")"
}

# Latency percentile from wrk's --latency block, in ms.
pct() {
    awk -v p="$2" '$1 == p"%" {
        v = $2
        if (v ~ /us$/) { sub(/us$/, "", v); v = v / 1000 }
        else if (v ~ /ms$/) { sub(/ms$/, "", v) }
        else if (v ~ /s$/) { sub(/s$/, "", v); v = v * 1000 }
        printf "%.1f", v
    }' "$TMP/$1.wrk"
}
rps() { awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$TMP/$1.wrk"; }
count() { awk -v lo="$2" -v hi="$3" '$1 >= lo && $1 <= hi { n += $2 } END { print n + 0 }' "$TMP/$1.status"; }

# The board first, on the demo program alone: every write adds a card to it, so it grows from
# run to run (the summary shows how many experiments each run started with).
run board 100,0,0 "$SHORT"
run mixed "$MIX" "$DURATION"
run write 0,0,100 "$SHORT"

locked=$(grep -c "database is locked" "$TMP/server.log" || true)
created=$(sqlite3 "$DB" "SELECT count(*) FROM experiment WHERE key LIKE 'ld-%'")
fivexx=0
echo
echo "== summary (2-core machine shared with other jobs; wrk runs on the same cores)"
printf '%-8s %10s %10s %10s %10s %8s %8s %12s\n' run req/s p50_ms p99_ms 2xx/3xx 4xx 5xx experiments
for name in board mixed write; do
    ok=$(count "$name" 200 399)
    c4=$(count "$name" 400 499)
    c5=$(count "$name" 500 599)
    fivexx=$((fivexx + c5))
    printf '%-8s %10s %10s %10s %10s %8s %8s %12s\n' "$name" "$(rps "$name")" "$(pct "$name" 50)" \
        "$(pct "$name" 99)" "$ok" "$c4" "$c5" "$(cat "$TMP/$name.experiments")"
done
echo "(experiments: on the board when the run started; the writes created $created in all)"
echo "'database is locked' in the server log: $locked"

[ "$fivexx" = 0 ] || { grep -iE "error|panick" "$TMP/server.log" | sort | uniq -c | sort -rn | head -10 >&2; die "$fivexx responses were 5xx"; }
[ "$locked" = 0 ] || { grep -m5 "database is locked" "$TMP/server.log" >&2; die "the server log says 'database is locked' $locked times"; }
if grep -q panicked "$TMP/server.log"; then
    grep -m5 panicked "$TMP/server.log" >&2
    die "the server panicked"
fi
for name in board mixed write; do
    c4=$(count "$name" 400 499)
    [ "$c4" = 0 ] || die "$name: $c4 responses were 4xx (by status: $(tr '\n' ' ' <"$TMP/$name.status"))"
done
echo "LOAD TEST PASSED"

#!/usr/bin/env bash
# Crash test: writes through the HTTP API while the server is killed with SIGKILL at a random
# moment, restarted on the same SQLite file, and checked: `PRAGMA integrity_check` must say ok
# and every write the server acknowledged (a 2xx) must be in the database. Several rounds.
#
#   scripts/crash_test.sh
#
# Env: VERDICT_BIN (default target/$VERDICT_PROFILE/verdict), VERDICT_PROFILE=release|debug
# (default release; the binary is built with cargo leptos when missing), CRASH_ROUNDS (5),
# CRASH_WRITERS (concurrent writer loops, 4), CRASH_MIN_MS / CRASH_MAX_MS (the kill comes this
# long after writes start; 1500 / 6000),
# KEEP_TMP=1 keeps the temp folder (database, logs, the acknowledged-write log).
# Writes: the REST API (POST /api/v1/experiments, POST /api/v1/experiments/KEY/results) when the
# server has it, else the server functions the browser uses (/api/create_experiment,
# /api/record_results); with `Authorization: Bearer` from `verdict token create` when the binary
# has that command.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/env.sh
source scripts/env.sh

PROFILE=${VERDICT_PROFILE:-release}
BIN=${VERDICT_BIN:-$ROOT/target/$PROFILE/verdict}
ROUNDS=${CRASH_ROUNDS:-5}
MIN_MS=${CRASH_MIN_MS:-1500}
MAX_MS=${CRASH_MAX_MS:-6000}

die() {
    echo "CRASH TEST FAILED: $*" >&2
    exit 1
}

for tool in curl sqlite3 python3; do
    command -v "$tool" >/dev/null || die "$tool is needed (apt-get install -y $tool)"
done

if [ ! -x "$BIN" ]; then
    echo "== building $BIN"
    flag=()
    [ "$PROFILE" = release ] && flag=(--release)
    nice -n 10 flock /tmp/verdict-e2e.lock cargo leptos build --split "${flag[@]}"
fi
[ -x "$BIN" ] || die "no binary at $BIN"

TMP=$(mktemp -d /tmp/verdict-crash.XXXXXX)
DB=$TMP/crash.db
ACKED=$TMP/acknowledged.log # one line per 2xx write: "experiment KEY" or "result KEY USERS"
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -9 "$SERVER_PID" 2>/dev/null || true
    fi
    if [ "${KEEP_TMP:-0}" = 1 ]; then
        echo "kept $TMP"
    else
        rm -rf "$TMP"
    fi
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE=http://127.0.0.1:$PORT
export DATABASE_URL=sqlite:$DB
export LEPTOS_SITE_ADDR=127.0.0.1:$PORT
export LEPTOS_SITE_ROOT=$ROOT/target/site
export RUST_LOG=${RUST_LOG:-warn,tower_http::trace::make_span=debug}
: >"$ACKED"

start_server() {
    "$BIN" serve >>"$TMP/server.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 1 600); do
        if curl -fsS -o /dev/null "${AUTH[@]}" "$BASE/healthz" 2>/dev/null; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || {
            tail -20 "$TMP/server.log" >&2
            die "the server exited while starting (log above)"
        }
        sleep 0.1
    done
    die "the server did not answer /healthz within 60 s"
}

echo "== database $DB, server on $BASE ($BIN)"
"$BIN" demo >"$TMP/demo.log" 2>&1 || {
    cat "$TMP/demo.log" >&2
    die "verdict demo failed"
}
AUTH=()
if "$BIN" token --help >/dev/null 2>&1; then
    TOKEN=$("$BIN" token create --name crash-test --role editor 2>>"$TMP/token.log" | tail -n 1)
    [ -n "$TOKEN" ] || die "verdict token create printed no token"
    AUTH=(-H "Authorization: Bearer $TOKEN")
    echo "== using a bearer token from verdict token create"
fi

start_server

# The REST API when this build serves it; the server functions otherwise.
rest_status=$(curl -s -o /dev/null -w '%{http_code}' "${AUTH[@]}" "$BASE/api/v1/experiments" || true)
if [ "$rest_status" = 200 ]; then
    API=rest
else
    API=server_fn
fi
echo "== writes through: $API (GET /api/v1/experiments answered $rest_status)"

# A running demo experiment, and a valid counts body for its brief with USERS as a placeholder:
# every arm gets USERS users, which makes each recorded snapshot findable.
RUNNING=$(sqlite3 "$DB" "SELECT key FROM experiment WHERE status = 'running' ORDER BY key LIMIT 1")
[ -n "$RUNNING" ] || die "the demo program has no running experiment"
COUNTS_TEMPLATE=$(sqlite3 "$DB" "SELECT brief FROM experiment WHERE key = '$RUNNING'" | python3 -c '
import json, sys
brief = json.load(sys.stdin)
metrics = [brief["primary"]] + brief.get("secondary", [])
arms = [{"name": a["name"], "users": "USERS"} for a in brief["arms"]]
def value(m):
    if m.get("kind") == "mean":
        return {"n": "USERS", "sum": 0.0, "sum_squares": 0.0}
    return {"conversions": 0}
counts = {"arms": arms, "metrics": [{"metric": m["name"], "values": [value(m) for _ in arms]} for m in metrics]}
print(json.dumps(counts).replace("\"USERS\"", "USERS"))
')

# One write; prints the HTTP status (000 when the server is gone).
post() {
    curl -s -o /dev/null -w '%{http_code}' --max-time 15 "${AUTH[@]}" \
        -H 'Content-Type: application/json' -X POST --data "$2" "$BASE$1" || true
}

write_experiment() {
    local key=$1 body
    if [ $API = rest ]; then
        body="{\"key\":\"$key\",\"title\":\"Crash test $key\",\"owner\":\"Crash\",\"team\":\"QA\",\"hypothesis\":\"survives kill -9\"}"
        post /api/v1/experiments "$body"
    else
        body="{\"form\":{\"key\":\"$key\",\"title\":\"Crash test $key\",\"hypothesis\":\"survives kill -9\",\"owner\":\"Crash\",\"team\":\"QA\",\"surface\":\"\",\"tags\":\"\"}}"
        post /api/create_experiment "$body"
    fi
}

write_result() {
    local users=$1 counts=${COUNTS_TEMPLATE//USERS/$1}
    if [ $API = rest ]; then
        post "/api/v1/experiments/$RUNNING/results" "$counts"
    else
        post /api/record_results "{\"key\":\"$RUNNING\",\"counts\":$counts}"
    fi
}

# Every acknowledged write must be in the database; prints what is missing.
verify() {
    local where=$1 integrity missing
    integrity=$(sqlite3 "$DB" 'PRAGMA integrity_check')
    [ "$integrity" = ok ] || die "$where: PRAGMA integrity_check says: $integrity"
    missing=$(python3 - "$DB" "$ACKED" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(f"file:{sys.argv[1]}?mode=ro", uri=True)
experiments = {k for (k,) in db.execute("SELECT key FROM experiment")}
snapshots = {
    (k, u)
    for (k, u) in db.execute(
        "SELECT e.key, json_extract(s.counts, '$.arms[0].users') "
        "FROM snapshot s JOIN experiment e ON e.id = s.experiment_id"
    )
}
for line in open(sys.argv[2]):
    parts = line.split()
    if parts[0] == "experiment" and parts[1] not in experiments:
        print(line.strip())
    elif parts[0] == "result" and (parts[1], int(parts[2])) not in snapshots:
        print(line.strip())
EOF
)
    if [ -n "$missing" ]; then
        echo "$missing" | head -20 >&2
        die "$where: $(echo "$missing" | wc -l) acknowledged write(s) are missing (first ones above)"
    fi
}

# One writer: alternates proposals and results until the server is gone, appending each
# acknowledged write to $ACKED (one short O_APPEND write per line, so writers never interleave),
# and leaves "ACKED REFUSED" in $TMP/writer.N.
writer() {
    local w=$1 round=$2 i=0 acked=0 refused=0 status line users
    while kill -0 "$SERVER_PID" 2>/dev/null; do
        i=$((i + 1))
        if [ $((i % 2)) = 1 ]; then
            line="experiment crash-r$round-w$w-$i"
            status=$(write_experiment "crash-r$round-w$w-$i")
        else
            users=$(((round * 100 + w) * 100000 + i))
            line="result $RUNNING $users"
            status=$(write_result "$users")
        fi
        case $status in
            2??)
                echo "$line" >>"$ACKED"
                acked=$((acked + 1))
                ;;
            000) ;; # killed mid-request: not acknowledged, may or may not be stored
            *)
                refused=$((refused + 1))
                echo "$status $line" >>"$TMP/refused.log"
                ;;
        esac
    done
    echo "$acked $refused" >"$TMP/writer.$w"
}

WRITERS=${CRASH_WRITERS:-4}
total_acked=0
total_refused=0
for round in $(seq 1 "$ROUNDS"); do
    kill_ms=$((MIN_MS + (RANDOM * 32768 + RANDOM) % (MAX_MS - MIN_MS + 1)))
    (
        sleep "$(printf '%d.%03d' $((kill_ms / 1000)) $((kill_ms % 1000)))"
        kill -9 "$SERVER_PID" 2>/dev/null || true
    ) &
    killer=$!
    writers=()
    for w in $(seq 1 "$WRITERS"); do
        writer "$w" "$round" &
        writers+=($!)
    done
    wait "${writers[@]}"
    acked=0 refused=0
    for w in $(seq 1 "$WRITERS"); do
        read -r a r <"$TMP/writer.$w"
        acked=$((acked + a)) refused=$((refused + r))
    done
    wait "$killer" 2>/dev/null || true
    { wait "$SERVER_PID"; } 2>/dev/null || true
    total_acked=$((total_acked + acked))
    total_refused=$((total_refused + refused))
    echo "== round $round: killed after ${kill_ms} ms; $WRITERS writers, $acked writes acknowledged, $refused refused"
    [ $acked -gt 0 ] || die "round $round: no write was acknowledged before the kill"
    # Checked twice: on the file as the crash left it (sqlite3 replays the WAL), and after the
    # server restarted on it and answered again.
    verify "round $round, after kill -9"
    start_server
    verify "round $round, after restart"
    echo "   integrity ok; all $total_acked acknowledged writes so far are present"
done
kill -9 "$SERVER_PID" 2>/dev/null || true
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=
verify "final"
if grep -q "panicked" "$TMP/server.log"; then
    grep -m5 "panicked" "$TMP/server.log" >&2
    die "the server log has a panic"
fi
if [ "$total_refused" != 0 ]; then
    # Not a durability failure (nothing acknowledged was lost), but a write the server should
    # have taken: the first ones and the server's errors say which and why.
    head -5 "$TMP/refused.log" >&2
    grep -E "ERROR" "$TMP/server.log" | sed 's/\x1b\[[0-9;]*m//g' | head -5 >&2 || true
    die "no acknowledged write was lost, but $total_refused writes were refused with a non-2xx status (above)"
fi
echo "CRASH TEST PASSED: $ROUNDS kill -9 rounds, $total_acked acknowledged writes all present, integrity ok ($API)"

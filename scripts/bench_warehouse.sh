#!/usr/bin/env bash
# Benchmark the warehouse source beside the streaming engine on the same generated export:
# the export is loaded into a throwaway PostgreSQL (scripts/pg-cluster.sh), then
# `verdict attribute --table` (one pushed-down query) and `verdict attribute --file` are timed
# with their peak memory, and both answers are checked equal.
#
#   scripts/bench_warehouse.sh                  # 10M events (~6 GB of JSON), 3 timed runs each
#   EVENTS=1000000 RUNS=1 scripts/bench_warehouse.sh
#
# Environment (all optional):
#   EVENTS       events to generate (default 10000000)
#   RUNS         timed runs per source (default 3)
#   BENCH_DIR    data, cluster and results (default /tmp/verdict-bench; ~20 GB free for 10M:
#                the export and the table with its jsonb)
#   VERDICT_BIN  a prebuilt verdict binary (default: cargo build --release, target/release)
#   SHARED       the shared/ folder with tools/ (default: ../shared beside the repository)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EVENTS="${EVENTS:-10000000}"
RUNS="${RUNS:-3}"
BENCH_DIR="${BENCH_DIR:-/tmp/verdict-bench}"
SHARED="${SHARED:-$ROOT/../shared}"
GENERATOR="$SHARED/tools/gen_mixpanel.py"
DATA="$BENCH_DIR/events_${EVENTS}.jsonl"
METRICS=(--metric signup_completed --metric purchase_completed --value purchase_completed:amount)
FLAGS=(--pre-days 14 --cap purchase_completed:amount:p99 --segment '$os' --retention 'purchase_completed:7')
RESULTS="$BENCH_DIR/warehouse_results.md"

mkdir -p "$BENCH_DIR"
[[ -f "$GENERATOR" ]] || { echo "missing $GENERATOR (set SHARED=...)" >&2; exit 1; }
if [[ ! -f "$DATA" ]]; then
    echo "== generating $EVENTS events into $DATA"
    python3 "$GENERATOR" --events "$EVENTS" --out "$DATA" --seed 42
fi
echo "== data: $(du -hL "$DATA" | cut -f1) in $DATA"

if [[ -z "${VERDICT_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build --release -p server --bin verdict)
    VERDICT_BIN="$ROOT/target/release/verdict"
fi

CLUSTER="$BENCH_DIR/pg-$$"
export VERDICT_WAREHOUSE_URL
VERDICT_WAREHOUSE_URL=$("$ROOT/scripts/pg-cluster.sh" start "$CLUSTER" $$)
trap '"$ROOT/scripts/pg-cluster.sh" stop "$CLUSTER"' EXIT
echo "== PostgreSQL $(psql "$VERDICT_WAREHOUSE_URL" -Atc 'show server_version') on 127.0.0.1"

start=$(date +%s.%N)
"$VERDICT_BIN" warehouse load --table mp_events --file "$DATA" --replace
psql "$VERDICT_WAREHOUSE_URL" -qc 'ANALYZE mp_events'
load_s=$(echo "$(date +%s.%N) - $start" | bc)
table_size=$(psql "$VERDICT_WAREHOUSE_URL" -Atc "select pg_size_pretty(pg_total_relation_size('mp_events'))")
echo "== loaded in ${load_s}s, table $table_size"

# One timed run: wall seconds and peak resident memory (KB) of the verdict process.
timed() {
    local out="$1"; shift
    /usr/bin/time -f '%e %M' -o "$BENCH_DIR/time.txt" "$@" > "$out"
    cat "$BENCH_DIR/time.txt"
}

declare -A best_s best_kb
for case in warehouse file warehouse_flags file_flags; do
    case $case in
        warehouse) cmd=("$VERDICT_BIN" attribute --table mp_events "${METRICS[@]}") ;;
        file) cmd=("$VERDICT_BIN" attribute --file "$DATA" "${METRICS[@]}") ;;
        warehouse_flags) cmd=("$VERDICT_BIN" attribute --table mp_events "${METRICS[@]}" "${FLAGS[@]}") ;;
        file_flags) cmd=("$VERDICT_BIN" attribute --file "$DATA" "${METRICS[@]}" "${FLAGS[@]}") ;;
    esac
    for run in $(seq "$RUNS"); do
        read -r s kb < <(timed "$BENCH_DIR/$case.json" "${cmd[@]}")
        echo "   $case run $run: ${s}s, ${kb} KB"
        if [[ -z "${best_s[$case]:-}" ]] || (( $(echo "$s < ${best_s[$case]}" | bc) )); then
            best_s[$case]=$s; best_kb[$case]=$kb
        fi
    done
done

# The same answer from both sources (the file's own counters, lines and skipped lines, aside).
same() {
    python3 - "$1" "$2" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for d in (a, b):
    d["lines"] = d["skipped_lines"] = 0
sys.exit(0 if a == b else 1)
PY
}
same "$BENCH_DIR/warehouse.json" "$BENCH_DIR/file.json" && plain_eq=equal || plain_eq=DIFFERENT
same "$BENCH_DIR/warehouse_flags.json" "$BENCH_DIR/file_flags.json" && flags_eq=equal || flags_eq=DIFFERENT

{
    echo "| $EVENTS events, $(nproc) cores, $(date -u +%FT%TZ) | seconds (best of $RUNS) | peak memory of verdict |"
    echo "| --- | --- | --- |"
    echo "| load into PostgreSQL (COPY, jsonb), table $table_size | $load_s | |"
    echo "| warehouse, 2 metrics + revenue | ${best_s[warehouse]} | $((best_kb[warehouse] / 1024)) MB |"
    echo "| file (streaming engine), same | ${best_s[file]} | $((best_kb[file] / 1024)) MB |"
    echo "| warehouse + CUPED, p99 cap, segment, retention | ${best_s[warehouse_flags]} | $((best_kb[warehouse_flags] / 1024)) MB |"
    echo "| file, same | ${best_s[file_flags]} | $((best_kb[file_flags] / 1024)) MB |"
    echo
    echo "Answers: plain $plain_eq, with metric flags $flags_eq."
} | tee "$RESULTS"
[[ $plain_eq == equal && $flags_eq == equal ]]

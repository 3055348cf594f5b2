#!/usr/bin/env bash
# Benchmark `verdict attribute` against DuckDB on a generated Mixpanel export, side by side,
# and check both answers against the generator's true counts.
#
#   scripts/bench_attribution.sh            # 10M events (~6 GB), 5 timed runs each
#   EVENTS=1000000 RUNS=3 scripts/bench_attribution.sh
#
# Environment (all optional):
#   EVENTS          events to generate (default 10000000)
#   RUNS            timed runs per tool (default 5; hyperfine adds one warm-up run)
#   BENCH_DIR       where the venv, data and results live (default /tmp/verdict-bench; ~13 GB
#                   free needed for 10M events while generating)
#   DUCKDB_THREADS  DuckDB's thread count (default: every core, as verdict uses)
#   VERDICT_BIN     a prebuilt verdict binary (default: cargo build --release, target/release)
#   SHARED          the shared/ folder with tools/ (default: ../shared beside the repository)
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
EVENTS="${EVENTS:-10000000}"
RUNS="${RUNS:-5}"
BENCH_DIR="${BENCH_DIR:-/tmp/verdict-bench}"
DUCKDB_THREADS="${DUCKDB_THREADS:-$(nproc)}"
SHARED="${SHARED:-$ROOT/../shared}"
GENERATOR="$SHARED/tools/gen_mixpanel.py"
SQL="$SHARED/tools/duckdb_attribution.sql"
DATA="$BENCH_DIR/events_${EVENTS}.jsonl"
TRUTH="$DATA.truth.json"
VENV="$BENCH_DIR/venv"
METRICS=(--metric signup_completed --metric purchase_completed --value purchase_completed:amount)

mkdir -p "$BENCH_DIR"
for needed in "$GENERATOR" "$SQL"; do
    [[ -f "$needed" ]] || { echo "missing $needed (set SHARED=...)" >&2; exit 1; }
done

# 1. DuckDB from PyPI, in its own venv.
if [[ ! -x "$VENV/bin/python" ]] || ! "$VENV/bin/python" -c 'import duckdb' 2>/dev/null; then
    echo "== creating $VENV with duckdb"
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet duckdb
fi
echo "== duckdb $("$VENV/bin/python" -c 'import duckdb; print(duckdb.__version__)')"

# 2. The export and its true counts.
if [[ ! -f "$DATA" || ! -f "$TRUTH" ]]; then
    df -h "$BENCH_DIR"
    echo "== generating $EVENTS events into $DATA"
    python3 "$GENERATOR" --events "$EVENTS" --out "$DATA" --seed 42
fi
echo "== data: $(du -hL "$DATA" | cut -f1) in $DATA"

# 3. The verdict binary.
if [[ -z "${VERDICT_BIN:-}" ]]; then
    (cd "$ROOT" && cargo build --release -p server --bin verdict)
    VERDICT_BIN="$ROOT/target/release/verdict"
fi

# One script per tool, so both are timed the same way.
cat > "$BENCH_DIR/duckdb_run.py" <<'PY'
import duckdb, json, sys
sql_path, data, threads = sys.argv[1], sys.argv[2], int(sys.argv[3])
sql = open(sql_path).read().replace("{FILE}", "'" + data.replace("'", "''") + "'")
con = duckdb.connect()
con.execute(f"SET threads={threads}")
out = {}
for exp, var, exposed, signup, purchase, cents, squares in con.execute(sql).fetchall():
    e = out.setdefault(exp, {"multi_arm_users": 0, "arms": {}})
    if var is None:
        e["multi_arm_users"] = exposed
    else:
        e["arms"][var] = {"exposed": exposed,
                          "converted": {"signup_completed": signup, "purchase_completed": purchase},
                          "cents": int(cents), "cents_squared": int(squares)}
print(json.dumps({"experiments": out}))
PY
DUCKDB_CMD="$VENV/bin/python $BENCH_DIR/duckdb_run.py $SQL $DATA $DUCKDB_THREADS"
VERDICT_CMD="$VERDICT_BIN attribute --file $DATA ${METRICS[*]}"
# The metrics issue's flags on the same file: CUPED's pre-period, a p99 cap, a segment and
# day-7 retention on any event (target: at most 1.5x the plain run, under 1/4 of DuckDB's memory).
FLAGS_CMD="$VERDICT_CMD --pre-days 14 --cap purchase_completed:amount:p99 --segment \$os --retention *:7"

# 4. Answers and peak memory (one run each under /usr/bin/time -v).
measure() { # name command...
    local name=$1; shift
    if ! /usr/bin/time -v "$@" > "$BENCH_DIR/$name.json" 2> "$BENCH_DIR/$name.time"; then
        echo "$name failed:" >&2
        cat "$BENCH_DIR/$name.time" >&2
        return 1
    fi
    awk -F': ' '/Maximum resident set size/ {print $2}' "$BENCH_DIR/$name.time"
}
echo "== answers and peak RSS"
DUCKDB_RSS_KB=$(measure duckdb $DUCKDB_CMD) || exit 1
VERDICT_RSS_KB=$(measure verdict $VERDICT_CMD) || exit 1
# set -f: the retention spec's `*` must reach verdict, not the shell's globbing.
set -f
FLAGS_RSS_KB=$(measure verdict_flags $FLAGS_CMD) || exit 1
set +f

# 5. Wall time: hyperfine when installed (apt-get install -y hyperfine), else /usr/bin/time.
echo "== wall time, $RUNS runs each"
if command -v hyperfine > /dev/null; then
    hyperfine --warmup 1 --runs "$RUNS" --export-json "$BENCH_DIR/hyperfine.json" \
        -n duckdb "$DUCKDB_CMD" -n verdict "$VERDICT_CMD" -n verdict_flags "set -f; $FLAGS_CMD"
    read -r DUCKDB_S VERDICT_S FLAGS_S < <(python3 -c '
import json, sys
r = {x["command"]: x["mean"] for x in json.load(open(sys.argv[1]))["results"]}
print("%.3f %.3f %.3f" % (r["duckdb"], r["verdict"], r["verdict_flags"]))' "$BENCH_DIR/hyperfine.json")
else
    mean_wall() {
        local total=0
        for _ in $(seq "$RUNS"); do
            /usr/bin/time -f '%e' -o "$BENCH_DIR/wall" "$@" > /dev/null 2> /dev/null
            total=$(python3 -c "print($total + $(cat "$BENCH_DIR/wall"))")
        done
        python3 -c "print('%.3f' % ($total / $RUNS))"
    }
    DUCKDB_S=$(mean_wall $DUCKDB_CMD)
    VERDICT_S=$(mean_wall $VERDICT_CMD)
    set -f
    FLAGS_S=$(mean_wall $FLAGS_CMD)
    set +f
fi

# 6. Both answers against the truth, and the table.
python3 - "$TRUTH" "$BENCH_DIR/duckdb.json" "$BENCH_DIR/verdict.json" \
    "$DUCKDB_S" "$VERDICT_S" "$DUCKDB_RSS_KB" "$VERDICT_RSS_KB" "$DUCKDB_THREADS" \
    "$FLAGS_S" "$FLAGS_RSS_KB" "$BENCH_DIR/verdict_flags.json" <<'PY'
import json, sys
truth_path, duck_path, verdict_path = sys.argv[1:4]
duck_s, verdict_s = float(sys.argv[4]), float(sys.argv[5])
duck_kb, verdict_kb, threads = int(sys.argv[6]), int(sys.argv[7]), sys.argv[8]
flags_s, flags_kb, flags_path = float(sys.argv[9]), int(sys.argv[10]), sys.argv[11]
truth = json.load(open(truth_path))["experiments"]

def check(name, got, cents_of):
    problems = []
    if set(got) != set(truth):
        problems.append("experiments %s" % sorted(set(got) ^ set(truth)))
    for exp, want in truth.items():
        have = got.get(exp, {"multi_arm_users": None, "arms": {}})
        if have["multi_arm_users"] != want["multi_variant_users"]:
            problems.append("%s multi-arm %s != %s" % (exp, have["multi_arm_users"], want["multi_variant_users"]))
        if set(have["arms"]) != set(want["variants"]):
            problems.append("%s arms differ" % exp)
        for arm, w in want["variants"].items():
            h = have["arms"].get(arm)
            if h is None:
                continue
            got_row = (h["exposed"], h["converted"]["signup_completed"], h["converted"]["purchase_completed"]) + cents_of(h)
            want_row = (w["exposed"], w["converted"]["signup_completed"], w["converted"]["purchase_completed"],
                        w["revenue_cents_sum"], w["revenue_cents_sumsq"])
            if got_row != want_row:
                problems.append("%s/%s %s != %s" % (exp, arm, got_row, want_row))
    for p in problems:
        print("  %s: %s" % (name, p))
    return not problems

duck_ok = check("duckdb", json.load(open(duck_path))["experiments"],
                lambda h: (h["cents"], h["cents_squared"]))
def verdict_cents(h):
    v = h["values"]["purchase_completed.amount"]
    return (round(v["sum"] * 100), round(v["sum_squares"] * 10000))
verdict_ok = check("verdict", json.load(open(verdict_path))["experiments"], verdict_cents)
# With the flags, exposures and conversions must equal the plain run's (the cap changes sums).
plain = json.load(open(verdict_path))["experiments"]
flags = json.load(open(flags_path))["experiments"]
flags_ok = all(
    (h["exposed"], h["converted"]) == (plain[e]["arms"][a]["exposed"], plain[e]["arms"][a]["converted"])
    and "covariates" in h and "retained" in h
    for e in plain for a, h in flags.get(e, {"arms": {}})["arms"].items()
) and set(flags) == set(plain) and all("segments" in flags[e] for e in flags)
if not flags_ok:
    print("  verdict+flags: exposures or conversions differ from the plain run, or a block is missing")

mib = lambda kb: kb / 1024
print()
print("%-8s %10s %15s %10s" % ("tool", "wall (s)", "peak RSS (MiB)", "vs truth"))
print("%-8s %10.2f %15.0f %10s" % ("duckdb", duck_s, mib(duck_kb), "OK" if duck_ok else "WRONG"))
print("%-8s %10.2f %15.0f %10s" % ("verdict", verdict_s, mib(verdict_kb), "OK" if verdict_ok else "WRONG"))
print("%-8s %10.2f %15.0f %10s" % ("+flags", flags_s, mib(flags_kb), "OK" if flags_ok else "WRONG"))
print("verdict: %.2fx DuckDB's speed (target 3x), %.1f%% of its memory (limit 25%%); DuckDB threads: %s"
      % (duck_s / verdict_s, 100 * verdict_kb / duck_kb, threads))
print("with --pre-days 14 --cap p99 --segment $os --retention '*:7': %.2fx the plain run's time (limit 1.5x), %.1f%% of DuckDB's memory (limit 25%%)"
      % (flags_s / verdict_s, 100 * flags_kb / duck_kb))
sys.exit(0 if duck_ok and verdict_ok and flags_ok else 1)
PY

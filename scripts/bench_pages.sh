#!/usr/bin/env bash
# Load test of the pages a weekly review opens, on a release build, with wrk on 127.0.0.1.
#
#   scripts/bench_pages.sh                    # programs of 1,000 and 10,000 experiments
#   SIZES=1000 DURATION=5s MIXED_DURATION=20s scripts/bench_pages.sh
#
# For each size: seeds a program (server/examples/bench_program.rs, through the app's own write
# paths, with two readings per experiment), starts `verdict serve` on it, then
#   1. each page alone (board, filtered board, list sorted by lift, an experiment, /program,
#      /review) with CONNECTIONS connections for DURATION: req/s and p50/p99;
#   2. a static file of the board's size from the same server (/pkg, the same layers): the board
#      should serve at least half its req/s;
#   3. /program right after writes: every other request posts a reading (each differs from the
#      last, as a day's pull does: the lifts move, so the list and the review render again), p99
#      over both kinds; then /program read by 48 connections while 16 others post readings back
#      to back, each kind's p99 apart;
#   4. a MIXED_DURATION mixed run: 90% page reads in turn, 10% readings posted; errors and p99.
# With BUNDLE=1, then builds the release site and measures the wasm bundle (raw, gzip, brotli).
#
# Budgets (issue 12): every page p99 < 25 ms at 1,000 and < 50 ms at 10,000; /program < 50 ms
# p99 after writes; the mixed run 0 errors and p99 < 100 ms; wasm <= 400 KB brotli.
#
# Environment (all optional): SIZES, CONNECTIONS (64), THREADS (2), DURATION (15s),
# MIXED_DURATION (60s), PORT (3998), BENCH_DIR (/tmp/verdict-pages; seeded files are reused).
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/.." && pwd)"
SIZES="${SIZES:-1000 10000}"
CONNECTIONS="${CONNECTIONS:-64}"
THREADS="${THREADS:-2}"
DURATION="${DURATION:-15s}"
MIXED_DURATION="${MIXED_DURATION:-60s}"
PORT="${PORT:-3998}"
BENCH_DIR="${BENCH_DIR:-/tmp/verdict-pages}"
BASE="http://127.0.0.1:$PORT"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
mkdir -p "$BENCH_DIR"
# Built as `cargo leptos build --release` builds the server: with erased components
# (`always-erase-components` in Cargo.toml).
(cd "$ROOT" && RUSTFLAGS="${RUSTFLAGS:-} --cfg erase_components" \
    cargo build --release -p server --bin verdict --example bench_program)
BIN="$ROOT/target/release/verdict"
SEEDER="$ROOT/target/release/examples/bench_program"
SUMMARY="$BENCH_DIR/summary.txt"
echo "# bench_pages $(date -u +%FT%TZ), $(nproc) cores, $CONNECTIONS connections" > "$SUMMARY"

SERVER_PID=""
stop_server() {
    if [[ -n "$SERVER_PID" ]]; then
        kill "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
    fi
    SERVER_PID=""
}
trap stop_server EXIT

# wrk's report -> "req/s p50 p99 errors"
summarize() {
    awk '
        /Requests\/sec/ { rps = $2 }
        /^ +50%/ { p50 = $2 }
        /^ +99%/ { p99 = $2 }
        /Non-2xx or 3xx responses/ { errors += $NF }
        /Socket errors/ { for (i = 3; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { gsub(",", "", $i); errors += $i } }
        END { printf "%10s req/s  p50 %8s  p99 %8s  errors %d\n", rps, p50, p99, errors + 0 }'
}

row() { # label, wrk args...
    local label="$1"; shift
    local out; out="$(wrk --latency -t"${ROW_THREADS:-$THREADS}" -c"${ROW_CONNECTIONS:-$CONNECTIONS}" "$@")"
    echo "$out" > "$BENCH_DIR/wrk_${n}_$(tr -c 'a-zA-Z0-9' _ <<< "$label").txt"
    printf "%-44s %s\n" "$label" "$(summarize <<< "$out")" | tee -a "$SUMMARY"
}

for n in $SIZES; do
    db="$BENCH_DIR/program_$n.db"
    if [[ ! -f "$db.env" ]]; then
        rm -f "$db" "$db-wal" "$db-shm"
        BENCH_SERVE_DB="$db" "$SEEDER" "$n"
    fi
    # shellcheck disable=SC1090
    source "$db.env"
    # Each run serves a copy of the seeded program: the runs' writes (thousands of readings on
    # the running experiments) would otherwise pile up in the seeded file from run to run, and
    # no two runs would measure the same program.
    run_db="$BENCH_DIR/run_$n.db"
    rm -f "$run_db" "$run_db-wal" "$run_db-shm"
    for suffix in "" -wal -shm; do
        if [[ -f "$db$suffix" ]]; then cp "$db$suffix" "$run_db$suffix"; fi
    done
    site="$BENCH_DIR/site"
    mkdir -p "$site/pkg"
    RUST_LOG=warn DATABASE_URL="sqlite:$run_db" LEPTOS_SITE_ADDR="127.0.0.1:$PORT" \
        LEPTOS_SITE_ROOT="$site" "$BIN" serve > "$BENCH_DIR/server_$n.log" 2>&1 &
    SERVER_PID=$!
    for _ in $(seq 100); do curl -fs "$BASE/healthz" > /dev/null && break; sleep 0.2; done
    auth=(-H "Authorization: Bearer $VIEWER_TOKEN")
    curl -fs "${auth[@]}" "$BASE/" -o "$site/pkg/board.html"
    echo "== $n experiments (board page $(stat -c %s "$site/pkg/board.html") bytes)" | tee -a "$SUMMARY"
    for page in "/" "/?team=Growth" "/experiments?sort=lift" "/experiments/$DONE_KEY" "/program" "/review"; do
        curl -fs -o /dev/null "${auth[@]}" "$BASE$page" || { echo "GET $page failed" >&2; exit 1; }
        row "GET $page" -d"$DURATION" "${auth[@]}" "$BASE$page"
    done
    row "static file of the board's size" -d"$DURATION" "${auth[@]}" "$BASE/pkg/board.html"

    # Writes: a reading posted to one of the running experiments, in turn.
    body="$(cat "$db.results.json")"
    lua="$BENCH_DIR/mixed.lua"
    cat > "$lua" <<LUA
local keys = {}
for key in string.gmatch("$RUNNING_KEYS", "%S+") do keys[#keys + 1] = key end
local reads = { "/", "/?team=Growth", "/experiments?sort=lift", "/experiments/$DONE_KEY", "/program", "/review" }
local body = [[$body]]
-- Every reading differs from the last, as a day's pull does: each arm's users and conversions
-- move by a little (the lifts change; the split stays healthy).
local function reading()
    return (body:gsub('"users":(%d+)', function(u) return '"users":' .. (tonumber(u) + math.random(0, 40)) end)
                :gsub('"conversions":(%d+)', function(c) return '"conversions":' .. (tonumber(c) + math.random(0, 30)) end))
end
local write_every = tonumber(os.getenv("WRITE_EVERY"))
local only = os.getenv("READ_ONLY_PATH")
local count = 0
request = function()
    count = count + 1
    if count % write_every == 0 then
        local key = keys[math.floor(count / write_every) % #keys + 1]
        return wrk.format("POST", "/api/v1/experiments/" .. key .. "/results",
            { ["Authorization"] = "Bearer $EDITOR_TOKEN", ["Content-Type"] = "application/json" }, reading())
    end
    local path = only or reads[count % #reads + 1]
    return wrk.format("GET", path, { ["Authorization"] = "Bearer $VIEWER_TOKEN" })
end
LUA
    WRITE_EVERY=2 READ_ONLY_PATH=/program row "/program, every other request a write" \
        -d"$DURATION" -s "$lua" "$BASE"
    # The dashboard's own latency while writes stream in: 48 connections read /program while
    # 16 others post readings back to back, each kind's latency counted apart (the row above
    # mixes the writes' queue for SQLite's one writer into the page's p99).
    WRITE_EVERY=1 wrk --latency -t1 -c16 -d"$DURATION" -s "$lua" "$BASE" \
        > "$BENCH_DIR/wrk_${n}_writer.txt" &
    writer=$!
    WRITE_EVERY=1000000000 READ_ONLY_PATH=/program ROW_THREADS=1 ROW_CONNECTIONS=48 \
        row "/program (48 conn.) while 16 conn. write" -d"$DURATION" -s "$lua" "$BASE"
    wait "$writer"
    printf "%-44s %s\n" "  ... the writes meanwhile (16 conn.)" \
        "$(summarize < "$BENCH_DIR/wrk_${n}_writer.txt")" | tee -a "$SUMMARY"
    WRITE_EVERY=10 row "mixed: pages in turn, 10% writes ($MIXED_DURATION)" \
        -d"$MIXED_DURATION" -s "$lua" "$BASE"
    stop_server
    problems=$(grep -c "database is locked\|transaction depth\|500 Internal" "$BENCH_DIR/server_$n.log" || true)
    echo "server log: $problems lines with 'database is locked', 'transaction depth' or a 500" | tee -a "$SUMMARY"
done

# The bundle: only from a release site build (BUNDLE=1 builds it: cargo leptos build --release
# --split, several minutes), since target/site may hold a debug build. The bundle is a shell
# (verdict.wasm) and lazily loaded pieces, each with the chunks it shares with others
# (__wasm_split_manifest.json): a first visit downloads the shell and one piece with its chunks.
# `verdict pack-bundle` then packs each piece with its chunks into one file for a first visit
# (scripts/run.sh does too): measured as built, file by file, and packed.
measure_bundle() {
    python3 - "$ROOT/target/site/pkg" "$1" <<'PY' | tee -a "$SUMMARY"
import functools, gzip, json, os, subprocess, sys
pkg, label = sys.argv[1], sys.argv[2]
@functools.cache
def file_sizes(name):
    """raw, gzip -9 and brotli -q 11 bytes of one file (each file is shared by several pieces)."""
    data = open(os.path.join(pkg, name + ".wasm"), "rb").read()
    br = subprocess.run(["brotli", "-c", "-q", "11"], input=data, capture_output=True, check=True).stdout
    return len(data), len(gzip.compress(data, 9)), len(br)
def sizes(names):
    raw, gz, br = (sum(kind) for kind in zip(*map(file_sizes, names)))
    return f"raw {raw // 1024} KB, gzip {gz // 1024} KB, brotli {br // 1024} KB"
manifest = json.load(open(os.path.join(pkg, "__wasm_split_manifest.json")))
print(f"{label}: wasm shell verdict.wasm: {sizes(['verdict'])} (budget 400 KB brotli for a first visit)")
# The shell holds the runtime and the router (about 175 KB brotli). Much more means the splitter
# gave up placing the read-only data piece by piece and put all of it in the shell: see
# SPLIT_DATA_SLACK in app/src/lib.rs.
shell_br = file_sizes("verdict")[2]
if shell_br > 200 * 1024:
    print(f"WARNING: the shell is {shell_br // 1024} KB brotli (about 175 expected): every page's strings may have gone into it; raise SPLIT_DATA_SLACK in app/src/lib.rs")
pieces = {piece.rsplit("_", 1)[0]: files for piece, files in manifest.items() if "+" not in piece}
# Pairs pack-bundle packed together: "<page key>+<follower key>" -> the pair's one pack.
pairs = {tuple(k.rsplit("_", 1)[0] for k in key.split("+")): files
         for key, files in manifest.items() if "+" in key}
followers = ("brief_form", "results_part")  # never a first visit's only piece: see below
for name, files in sorted(pieces.items()):
    if name in followers:
        continue
    print(f"  first visit to a page of {name}: shell + {len(files)} files, {sizes(['verdict'] + files)}")
# The server draws an experiment page with a second piece: a draft with its brief form (for an
# editor), a launched experiment with its results (experiment_page alone above: a viewer's
# draft). Packed, each pair is one file; as built, both pieces' files.
for follower, what in zip(followers, ("a draft, for an editor (experiment page + brief form)",
                                     "a launched experiment (experiment page + results)")):
    if "experiment_page" in pieces and follower in pieces:
        files = pairs.get(("experiment_page", follower)) or sorted(set(pieces["experiment_page"]) | set(pieces[follower]))
        print(f"  first visit to {what}: shell + {len(files)} files, {sizes(['verdict'] + files)}")
if not any(f.endswith(".pack") for files in pieces.values() for f in files):
    every = sorted({f for files in manifest.values() for f in files})
    print(f"  every piece at once: {len(every) + 1} files, {sizes(['verdict'] + every)}")
PY
}
if [[ "${BUNDLE:-0}" == 1 ]]; then
    (cd "$ROOT" && source scripts/env.sh && cargo leptos build --release --split)
    measure_bundle "as built, file by file"
    "$ROOT/target/release/verdict" pack-bundle "$ROOT/target/site/pkg" > /dev/null
    measure_bundle "packed (verdict pack-bundle)"
fi
echo "summary in $SUMMARY"

#!/usr/bin/env bash
# Runs every cargo-fuzz target in fuzz/ for N seconds each (default 600), one at a time, under
# nice, and prints executions and the outcome per target. Installs cargo-fuzz when missing.
#
#   scripts/fuzz.sh [SECONDS] [TARGET ...]
#
# Env: FUZZ_SANITIZER=address|none (default address; falls back to none when ASan does not
# link), FUZZ_TARGET_DIR (default fuzz/target). No nightly toolchain is needed: the stable
# compiler accepts cargo-fuzz's -Z flags with RUSTC_BOOTSTRAP=1.
# Exit status: 0 when no target crashed; 1 otherwise (the input is under fuzz/artifacts/TARGET/;
# replay it with `cargo fuzz run TARGET fuzz/artifacts/TARGET/crash-...`).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
# shellcheck source=scripts/env.sh
source scripts/env.sh

SECONDS_EACH=${1:-600}
shift || true
TARGETS=("$@")
if [ ${#TARGETS[@]} -eq 0 ]; then
    TARGETS=(import_csv attribution analyze sample_size)
fi
SANITIZER=${FUZZ_SANITIZER:-address}
TARGET_DIR=${FUZZ_TARGET_DIR:-$ROOT/fuzz/target}

export RUSTC_BOOTSTRAP=1

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "== installing cargo-fuzz"
    nice -n 10 cargo install cargo-fuzz --locked
fi

dict_for() {
    case $1 in
        import_csv) echo fuzz/dicts/import_csv.dict ;;
        attribution) echo fuzz/dicts/attribution.dict ;;
        *) echo fuzz/dicts/json.dict ;;
    esac
}

cd fuzz
echo "== building the fuzz targets (sanitizer: $SANITIZER)"
if ! nice -n 10 cargo fuzz build -a -s "$SANITIZER" --target-dir "$TARGET_DIR"; then
    if [ "$SANITIZER" = address ]; then
        echo "!! the address sanitizer build failed; building without a sanitizer (-s none)"
        SANITIZER=none
        nice -n 10 cargo fuzz build -a -s none --target-dir "$TARGET_DIR"
    else
        exit 1
    fi
fi
cd "$ROOT"

LOGS=$(mktemp -d)
failed=0
summary=()
for t in "${TARGETS[@]}"; do
    mkdir -p "fuzz/corpus/$t"
    echo "== fuzzing $t for ${SECONDS_EACH}s"
    status=ok
    # The corpus grows in fuzz/corpus/TARGET (ignored by git); the committed seeds start it.
    (cd fuzz && nice -n 10 cargo fuzz run -a -s "$SANITIZER" --target-dir "$TARGET_DIR" "$t" \
        "corpus/$t" "seeds/$t" -- \
        -max_total_time="$SECONDS_EACH" -dict="../$(dict_for "$t")" -print_final_stats=1) \
        >"$LOGS/$t.log" 2>&1 || status=CRASH
    runs=$(grep -oE 'Done [0-9]+ runs in [0-9]+ second' "$LOGS/$t.log" | tail -1 || true)
    execs=$(grep -oE 'stat::number_of_executed_units: *[0-9]+' "$LOGS/$t.log" | grep -oE '[0-9]+$' | tail -1 || true)
    cov=$(grep -oE 'cov: [0-9]+' "$LOGS/$t.log" | tail -1 || true)
    if [ "$status" = CRASH ]; then
        failed=1
        echo "!! $t crashed; log: $LOGS/$t.log"
        grep -E "panicked|ERROR: |SUMMARY|Test unit written" -A3 "$LOGS/$t.log" | head -20 || true
    fi
    summary+=("$(printf '%-12s %-6s execs=%-10s %s %s' "$t" "$status" "${execs:-?}" "${runs:-}" "${cov:-}")")
done

echo
echo "== fuzz summary (sanitizer: $SANITIZER, ${SECONDS_EACH}s per target; logs in $LOGS)"
printf '%s\n' "${summary[@]}"
exit $failed

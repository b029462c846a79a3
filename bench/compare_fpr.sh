#!/usr/bin/env bash
# How often does `captest compare` fail on noise, and how often does it catch a real regression?
# Measured on runs of bench/gate_scenario.toml (9 entries) against `captest demo-server`, which
# plants the regressions itself (`--slow 'GET /item/{id}:+30%'` scales that route's service time).
#
#   bench/compare_fpr.sh collect    # the runs, kept under bench/out/runs/ (resumable: done runs are skipped)
#   bench/compare_fpr.sh evaluate   # compares pairs of them with the gate of BIN; prints the figures
#
# The two steps are separate so that the same runs can be evaluated again with a later gate.
#
# collect: sets of runs, each run against its own fresh demo server (loopback, free port):
#   aa-60s   N runs of DURATION, no regression             (A/A)
#   p30-60s  N runs of DURATION, TARGET_ROUTE:+30%          (the headline effect)
#   p10-60s, p20-60s, p50-60s  N_EFFECT runs each, +10/+20/+50 % (the rest of the power curve;
#            fewer runs, so their intervals are wider)
#   aa-30s, p30-30s  N runs each of SHORT                   (the shortest run length tried)
# Runs are ordered run index first (r01 of every set, then r02, …) so that A and slowed runs are
# spread over the same stretch of time, and an interrupted collect leaves balanced sets; JOBS
# run at once.
#
# evaluate: `captest compare A B --warmup 10s --fail-on p95+10% --fail-on p99+20% --fail-on avg+10%
# --json` on
#   - every pair of A/A runs (point estimate of the family-wise false-failure rate; these pairs
#     share runs, so they are not independent), and on the disjoint pairs (r01,r02), (r03,r04), …
#     (independent: each run used once), whose rate carries the 95 % Wilson score interval;
#   - per effect, the pairs (A r_i, slowed r_i): each run used once, so the pairs are independent;
#     power = share of pairs where the slowed entry fails, clean = share where no innocent entry
#     fails (Aggregated is not innocent: it contains the slowed entry), each with its Wilson interval;
#     also the measured p95 change of the slowed entry (median over the pairs), i.e. what was planted
#     as seen by the client.
#
# Environment: BIN (default $CARGO_TARGET_DIR or target, /release/captest — `cargo build --release`),
# OUT (bench/out), N (20), N_EFFECT (10), JOBS (4), DURATION (60s), SHORT (30s), USERS (24),
# WARMUP (10s), RULES (the three rules above), TARGET_ROUTE ('GET /item/{id}', as the demo server names it), TARGET_ENTRY
# ('GET /item/[id]', as the run names it), SETS (the sets to collect, default all).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/captest}"
OUT="${OUT:-$ROOT/bench/out}"
N="${N:-20}"
N_EFFECT="${N_EFFECT:-10}"
JOBS="${JOBS:-4}"
DURATION="${DURATION:-60s}"
SHORT="${SHORT:-30s}"
USERS="${USERS:-24}"
WARMUP="${WARMUP:-10s}"
TARGET_ROUTE="${TARGET_ROUTE:-GET /item/{id\}}"
TARGET_ENTRY="${TARGET_ENTRY:-GET /item/[id]}"
SCENARIO="$ROOT/bench/gate_scenario.toml"
# The gate's rules (split on spaces; no rule holds one).
RULES="${RULES:---fail-on p95+10% --fail-on p99+20% --fail-on avg+10%}"
export BIN OUT N N_EFFECT DURATION SHORT USERS WARMUP TARGET_ROUTE TARGET_ENTRY SCENARIO RULES

# set label → "duration slowdown count" (slowdown "-" for none)
set_spec() {
    case "$1" in
        aa-60s) echo "$DURATION - $N" ;;
        p30-60s) echo "$DURATION +30% $N" ;;
        p10-60s) echo "$DURATION +10% $N_EFFECT" ;;
        p20-60s) echo "$DURATION +20% $N_EFFECT" ;;
        p50-60s) echo "$DURATION +50% $N_EFFECT" ;;
        aa-30s) echo "$SHORT - $N" ;;
        p30-30s) echo "$SHORT +30% $N" ;;
        *) echo "unknown set $1" >&2; exit 2 ;;
    esac
}
ALL_SETS="aa-60s p30-60s aa-30s p30-30s p10-60s p20-60s p50-60s"
SETS="${SETS:-$ALL_SETS}"

need_bin() {
    [ -x "$BIN" ] || { echo "no captest binary at $BIN (cargo build --release, or BIN=...)" >&2; exit 2; }
}

# one SET INDEX: one run against its own demo server; skipped when already done.
one() {
    local set="$1" index="$2" duration slow count
    read -r duration slow count <<<"$(set_spec "$set")"
    local dir="$OUT/runs/$set" name
    name=$(printf 'r%02d' "$index")
    [ -f "$dir/$name.done" ] && return 0
    mkdir -p "$dir"
    local server_args=(demo-server --bind 127.0.0.1:0)
    [ "$slow" != "-" ] && server_args+=(--slow "$TARGET_ROUTE:$slow")
    "$BIN" "${server_args[@]}" >"$dir/$name.server.out" 2>"$dir/$name.server.err" &
    local server=$! url="" tries=0
    while [ -z "$url" ] && [ $tries -lt 100 ]; do
        url=$(sed -n 's/^listening on //p' "$dir/$name.server.out" 2>/dev/null | head -1)
        [ -z "$url" ] && sleep 0.1
        tries=$((tries + 1))
    done
    if [ -z "$url" ]; then
        kill "$server" 2>/dev/null || true
        echo "$set/$name: the demo server did not start" >&2
        return 1
    fi
    local code=0
    "$BIN" run "$SCENARIO" --host "$url" -u "$USERS" -r "$USERS" -t "$duration" \
        --csv "$dir/$name" --csv-full-history -q >"$dir/$name.run.log" 2>&1 || code=$?
    kill -INT "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
    if [ "$code" -gt 1 ]; then
        echo "$set/$name: captest run exited $code (see $dir/$name.run.log)" >&2
        return 1
    fi
    echo "$duration slow=$slow exit=$code $(date -u +%FT%TZ)" >"$dir/$name.done"
    echo "$set/$name done"
}
export -f one set_spec

collect() {
    need_bin
    local max=0 set count tasks=()
    for set in $SETS; do
        read -r _ _ count <<<"$(set_spec "$set")"
        [ "$count" -gt "$max" ] && max=$count
    done
    for index in $(seq 1 "$max"); do
        for set in $SETS; do
            read -r _ _ count <<<"$(set_spec "$set")"
            [ "$index" -le "$count" ] && tasks+=("$set $index")
        done
    done
    echo "collect: ${#tasks[@]} runs, $JOBS at a time, into $OUT/runs (binary $BIN)"
    printf '%s\n' "${tasks[@]}" | xargs -P "$JOBS" -L 1 bash -c 'one "$0" "$1"'
}

# compare_pair BASE_SET BASE_INDEX CUR_SET CUR_INDEX KIND: one `compare --json` into $EVAL.
compare_pair() {
    local b c file code=0
    b=$(printf '%s/runs/%s/r%02d' "$OUT" "$1" "$2")
    c=$(printf '%s/runs/%s/r%02d' "$OUT" "$3" "$4")
    file=$(printf '%s/%s__%s-r%02d__%s-r%02d.json' "$EVAL" "$5" "$1" "$2" "$3" "$4")
    # shellcheck disable=SC2086 # RULES is split into its flags on purpose
    "$BIN" compare "$b" "$c" --warmup "$WARMUP" $RULES --json >"$file" 2>"$file.err" || code=$?
    if [ "$code" -gt 1 ]; then
        echo "compare $b $c exited $code: $(head -1 "$file.err")" >&2
        return 1
    fi
}
export -f compare_pair

done_runs() { # done_runs SET: the indices of the set's finished runs
    local f
    for f in "$OUT/runs/$1"/r*.done; do
        [ -e "$f" ] || continue
        f=$(basename "$f" .done)
        echo $((10#${f#r}))
    done
}

evaluate() {
    need_bin
    EVAL="$OUT/eval"
    export EVAL
    rm -rf "$EVAL"
    mkdir -p "$EVAL"
    local pairs=() aa i j
    for length in 60s 30s; do
        mapfile -t aa < <(done_runs "aa-$length")
        for ((i = 0; i < ${#aa[@]}; i++)); do
            for ((j = i + 1; j < ${#aa[@]}; j++)); do
                pairs+=("aa-$length ${aa[i]} aa-$length ${aa[j]} aa")
            done
        done
        for effect in p10 p20 p30 p50; do
            [ -d "$OUT/runs/$effect-$length" ] || continue
            for i in $(done_runs "$effect-$length"); do
                [ -f "$(printf '%s/runs/aa-%s/r%02d.done' "$OUT" "$length" "$i")" ] &&
                    pairs+=("aa-$length $i $effect-$length $i effect")
            done
        done
    done
    echo "evaluate: ${#pairs[@]} comparisons with $BIN ($("$BIN" --version))"
    printf '%s\n' "${pairs[@]}" | xargs -P "$JOBS" -L 1 bash -c 'compare_pair "$@"' _
    python3 "$ROOT/bench/compare_fpr_summary.py" "$EVAL" "$TARGET_ENTRY"
}

case "${1:-}" in
    collect) collect ;;
    evaluate) evaluate ;;
    *) echo "usage: $0 collect|evaluate  (see the comment at the top)" >&2; exit 2 ;;
esac

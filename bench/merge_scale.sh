#!/usr/bin/env bash
# `captest merge` at scale: SHARDS=16 shard bundles of SECONDS_OF_RUN=3600 ticks with ENTRIES=50
# entries each (issue #16 target: < 10 s, peak RSS < 500 MiB with a release build). Prints the
# wall time and peak RSS of `/usr/bin/time -v captest merge`.
#
# The bundles are real: SHARDS `captest run --shard I/SHARDS` processes run an ENTRIES-entry
# scenario (40 users each) for SAMPLE=6s against `captest demo-server` on loopback (5 ms ±20 %
# service time, queueing behind 512 slots, 2 % of answers 500, 1 % 404), then
# bench/merge_scale_expand.py repeats each shard's recorded ticks (its real HDR histograms,
# Locust buckets, failures) up to SECONDS_OF_RUN, the ticks and times shifted a second a line. The expanded bundles are kept in BUNDLES (default
# /tmp/captest-merge-scale) and reused while they exist (REGENERATE=1 to rebuild them).
# CAPTEST=path/to/captest uses that binary; otherwise `cargo build --release` builds it.
set -euo pipefail

SHARDS="${SHARDS:-16}"
SECONDS_OF_RUN="${SECONDS_OF_RUN:-3600}"
ENTRIES="${ENTRIES:-50}"
SAMPLE="${SAMPLE:-6s}"
BUNDLES="${BUNDLES:-/tmp/captest-merge-scale}"

cd "$(dirname "$0")/.."
if [ -z "${CAPTEST:-}" ]; then
    cargo build --release --workspace --quiet
    CAPTEST="${CARGO_TARGET_DIR:-target}/release/captest"
fi

TMP="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

generate() {
    local tmp="$TMP" server shards=()
    "$CAPTEST" demo-server --bind 127.0.0.1:0 --capacity 512 --service-time 5ms --threads 2 \
        --error-rate 0.02 --not-found-rate 0.01 >"$tmp/server.out" 2>/dev/null &
    pids+=($!)
    until grep -q "listening on" "$tmp/server.out" 2>/dev/null; do sleep 0.05; done
    server="$(sed -n 's/^listening on //p' "$tmp/server.out")"
    {
        echo '[[users]]'
        echo 'name = "Scale"'
        for i in $(seq 0 $((ENTRIES - 1))); do
            echo '[[users.tasks]]'
            echo "weight = $(( (i % 5) + 1 ))"
            echo '[[users.tasks.requests]]'
            echo "path = \"/items?e=$i\""
            echo "name = \"/entry/$i\""
        done
    } >"$tmp/scale.toml"
    local start_at
    start_at="$(date -u -d '+3 seconds' +%Y-%m-%dT%H:%M:%SZ)"
    rm -rf "$BUNDLES.sample"
    for i in $(seq 0 $((SHARDS - 1))); do
        "$CAPTEST" run "$tmp/scale.toml" -u $((40 * SHARDS)) -r $((40 * SHARDS)) -t "$SAMPLE" --host "$server" -q \
            --start-at "$start_at" --shard "$i/$SHARDS" --csv "$BUNDLES.sample/shard-$i/run" \
            >/dev/null 2>&1 &
        shards+=($!)
    done
    for p in "${shards[@]}"; do wait "$p" || true; done
    rm -rf "$BUNDLES"
    python3 bench/merge_scale_expand.py "$BUNDLES.sample" "$BUNDLES" "$SECONDS_OF_RUN"
    rm -rf "$BUNDLES.sample"
}

if [ -n "${REGENERATE:-}" ] || [ ! -d "$BUNDLES" ]; then
    echo "== generating $SHARDS bundles x $SECONDS_OF_RUN s x $ENTRIES entries in $BUNDLES"
    generate
fi
[ -z "${GENERATE_ONLY:-}" ] || exit 0
du -sh "$BUNDLES"
rm -rf "$BUNDLES.out"
echo "== /usr/bin/time -v $CAPTEST merge ($SHARDS shards) --csv $BUNDLES.out/run"
/usr/bin/time -v "$CAPTEST" merge "$BUNDLES"/shard-* --csv "$BUNDLES.out/run" \
    >/dev/null 2>"$BUNDLES.time"
grep -E "Elapsed \(wall|Maximum resident|User time|System time" "$BUNDLES.time"
awk '/Maximum resident/ { printf "peak RSS: %.0f MiB\n", $6 / 1024 }' "$BUNDLES.time"
echo "merged requests: $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "Request Count") c = i } $2 == "Aggregated" { print $c }' "$BUNDLES.out/run_stats.csv")"

#!/usr/bin/env bash
# Coordinator overhead: SHARDS=8 shard processes x USERS=200 users each (`captest run
# --coordinator`) against `captest demo-server` on loopback for SECONDS_OF_LOAD=20 s, with one
# `captest coordinator` merging them live. Prints:
#   - the coordinator's CPU time over the run, as % of one core (target < 5 %);
#   - how late each merged second was written: for every new Timestamp T of the merged
#     _stats_history.csv, (wall time it was seen) - T, polled every 50 ms (target < 1 s);
#   - that the merged Request Count is the server's total.
# CAPTEST=path/to/captest uses that binary; otherwise `cargo build --release` builds it.
# Loopback only.
set -euo pipefail

SHARDS="${SHARDS:-8}"
USERS="${USERS:-200}"
SECONDS_OF_LOAD="${SECONDS_OF_LOAD:-20}"
WAIT="${WAIT:-50ms}"

cd "$(dirname "$0")/.."
if [ -z "${CAPTEST:-}" ]; then
    cargo build --release --quiet
    CAPTEST="${CARGO_TARGET_DIR:-target}/release/captest"
fi
TMP="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT

"$CAPTEST" demo-server --bind 127.0.0.1:0 --capacity 256 --service-time 5ms --threads 2 >"$TMP/server.out" 2>/dev/null &
pids+=($!)
until grep -q "listening on" "$TMP/server.out" 2>/dev/null; do sleep 0.05; done
SERVER="$(sed -n 's/^listening on //p' "$TMP/server.out")"

LOAD=(run -u "$USERS" -r "$USERS" -t "${SECONDS_OF_LOAD}s" --wait "$WAIT" --host "$SERVER")
"$CAPTEST" coordinator --expect-shards "$SHARDS" --listen 127.0.0.1:0 "${LOAD[@]}" -q \
    --csv "$TMP/merged/run" 2>"$TMP/coordinator.err" &
COORD=$!
pids+=($COORD)
until grep -q "listening on" "$TMP/coordinator.err" 2>/dev/null; do sleep 0.05; done
URL="http://$(sed -n 's/^captest coordinator listening on \([^ ]*\).*/\1/p' "$TMP/coordinator.err")"

ticks() { read -r -a f <"/proc/$COORD/stat"; echo $((f[13] + f[14])); }
HZ="$(getconf CLK_TCK)"

for i in $(seq 0 $((SHARDS - 1))); do
    "$CAPTEST" "${LOAD[@]}" -q --shard "$i/$SHARDS" --coordinator "$URL" \
        --csv "$TMP/shard-$i/run" >/dev/null 2>"$TMP/shard-$i.err" &
    pids+=($!)
done

# From the common start to the last merged second: CPU ticks and lateness of each second.
HISTORY="$TMP/merged/run_stats_history.csv"
until [ -s "$HISTORY" ] && [ "$(wc -l <"$HISTORY")" -ge 2 ]; do sleep 0.05; done
start_ticks="$(ticks)"
start_wall="$(date +%s.%N)"
last=""
: >"$TMP/late"
while kill -0 "$COORD" 2>/dev/null; do
    stamp="$(tail -n 1 "$HISTORY" 2>/dev/null | cut -d, -f1)"
    if [ -n "$stamp" ] && [ "$stamp" != "$last" ] && [ "$stamp" != "Timestamp" ]; then
        echo "$(date +%s.%N) $stamp" >>"$TMP/late"
        last="$stamp"
        end_ticks="$(ticks)"
        end_wall="$(date +%s.%N)"
    fi
    sleep 0.05
done
wait "$COORD" || true

cpu="$(awk -v a="$start_ticks" -v b="$end_ticks" -v s="$start_wall" -v e="$end_wall" -v hz="$HZ" \
    'BEGIN { printf "%.2f", 100 * (b - a) / hz / (e - s) }')"
echo "coordinator CPU over $(awk -v s="$start_wall" -v e="$end_wall" 'BEGIN{printf "%.1f", e-s}') s: $cpu % of one core (target < 5 %)"
awk '{ late = $1 - $2; print late }' "$TMP/late" | sort -n | awk '
    { v[NR] = $1 } END { printf "merged seconds written: %d, lateness after the second ends: median %.3f s, max %.3f s (target < 1 s)\n", NR, v[int((NR + 1) / 2)], v[NR] }'
merged="$(awk -F, '$2 == "Aggregated" { print $3 }' "$TMP/merged/run_stats.csv")"
received="$(curl -s "$SERVER/__counters" | python3 -c 'import json,sys; print(json.load(sys.stdin)["total"])')"
echo "merged Request Count $merged, server received $received"

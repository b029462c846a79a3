#!/usr/bin/env bash
# Cost of PREFIX_latency.hdr: the CPU time of `captest run` (user + sys, /usr/bin/time) and the
# file's size per histogram line (one entry-second), for one or more binaries, against the demo
# server on 127.0.0.1 (one server per binary: the same binary serves).
#
#   BINS="before=/path/captest after=target/release/captest" RUNS=3 DURATION=20s USERS=50 \
#       bench/latency_log.sh
#
# The scenario is examples/items-crud.toml (4 entries + Aggregated); runs alternate between the
# binaries so a change of the machine's load hits both. Every run is bounded by DURATION.
set -euo pipefail

BINS="${BINS:-captest=target/release/captest}"
RUNS="${RUNS:-3}"
DURATION="${DURATION:-20s}"
USERS="${USERS:-50}"

cd "$(dirname "$0")/.."
work="$(mktemp -d)"
servers=()
cleanup() {
    for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null || true; done
    rm -rf "$work"
}
trap cleanup EXIT

# One demo server, started with the first binary.
first="${BINS%% *}"
"${first#*=}" demo-server --bind 127.0.0.1:0 --capacity 64 --service-time 2ms >"$work/server" 2>/dev/null &
servers+=("$!")
for _ in $(seq 100); do grep -q '^listening on ' "$work/server" && break; sleep 0.1; done
url="$(sed -n 's/^listening on //p' "$work/server" | head -n1)"
[ -n "$url" ] || { echo "the demo server did not start" >&2; exit 1; }

echo "binary run cpu_s max_rss_kib requests hdr_bytes histogram_lines bytes_per_line"
for run in $(seq "$RUNS"); do
    for pair in $BINS; do
        name="${pair%%=*}"
        bin="${pair#*=}"
        prefix="$work/$name-$run"
        /usr/bin/time -f '%U %S %M' -o "$work/time" "$bin" run examples/items-crud.toml \
            --host "$url" -u "$USERS" -r 100 -t "$DURATION" -q --csv "$prefix" || true
        read -r user sys rss <"$work/time"
        requests="$(tail -n1 "$prefix"_stats.csv | cut -d, -f3)"
        bytes="$(stat -c %s "$prefix"_latency.hdr)"
        lines="$(grep -c '^Tag=' "$prefix"_latency.hdr)"
        cpu="$(echo "$user + $sys" | bc)"
        echo "$name $run $cpu $rss $requests $bytes $lines $((bytes / lines))"
    done
done

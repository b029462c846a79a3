#!/usr/bin/env bash
# Memory of captest's load generator.
#
# 1. Peak RSS with 10 000 users (target < 1 GiB), against the demo server on loopback.
# 2. Continuous run (no -t): 200 users for MINUTES minutes (default 10), RSS sampled from
#    /proc/PID/status every 10 s, then SIGINT; RSS at minute 2 vs the end (target within 10 %).
#
# All traffic goes to the demo server on 127.0.0.1; every run is bounded in time.
set -euo pipefail

MINUTES="${MINUTES:-10}"
SAMPLE_S=10
if ! [[ "$MINUTES" =~ ^[0-9]+$ ]] || [ "$MINUTES" -lt 3 ]; then
    echo "MINUTES must be a whole number >= 3 (the check compares minute 2 with the end)" >&2
    exit 2
fi

cd "$(dirname "$0")/.."
ROOT="$PWD"

apt_updated=0
need_apt() { # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}
need_apt /usr/bin/time time
need_apt curl curl
need_apt ss iproute2

cargo build --release --quiet
CAPTEST="$ROOT/target/release/captest"

# 10 000 users need 10 000 sockets in the generator and as many in the server.
hard="$(ulimit -Hn)"
if [ "$hard" = unlimited ] || [ "$hard" -gt 65536 ]; then hard=65536; fi
ulimit -n "$hard"
if [ "$(ulimit -n)" -lt 10240 ]; then
    echo "warning: open-files limit $(ulimit -n) is below 10 240; the 10 000-user run may fail" >&2
fi

TMP="$(mktemp -d /tmp/captest-bench-rss.XXXXXX)"
SERVER_PID=""
RUN_PID=""
stop_pid() { # stop_pid PID: SIGINT, then SIGKILL after 20 s
    local pid="$1"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kill -INT "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$RUN_PID"
    stop_pid "$SERVER_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# --- the demo server -------------------------------------------------------------------
# Its stdout goes to a file (never blocks); only its first line is read, for the address.
"$CAPTEST" demo-server --bind 127.0.0.1:0 --capacity 64 --service-time 5ms \
    >"$TMP/server.out" 2>"$TMP/server.err" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 100); do
    first="$(head -n 1 "$TMP/server.out" 2>/dev/null || true)"
    if [[ "$first" == "listening on "* ]]; then ADDR="${first#listening on }"; break; fi
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$ADDR" ]; then
    echo "the demo server printed no 'listening on' line" >&2
    cat "$TMP/server.err" >&2
    exit 1
fi
case "$ADDR" in
    http://127.0.0.1:*) ;;
    *) echo "demo server address is not on 127.0.0.1: $ADDR" >&2; exit 1 ;;
esac
echo "demo server at $ADDR (pid $SERVER_PID)"

# --- 1. peak RSS with 10 000 users -----------------------------------------------------
echo
echo "== 10 000 users: /usr/bin/time -v $CAPTEST run --host $ADDR -u 10000 -r 2000 -t 20s --wait 1s -q --path /health"
counters() { curl -fsS -m 5 "$ADDR/__counters" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'; }
before="$(counters)"
PORT="${ADDR##*:}"
# connections open to the server, once a second (10 000 users at -r 2000 should be up after 5 s)
(
    for s in $(seq 1 20); do
        sleep 1
        printf '%s %s\n' "$s" "$(ss -Htn state established "dport = :${PORT}" | wc -l)"
    done >"$TMP/conns"
) &
SAMPLER_PID=$!
status=0
timeout 120 /usr/bin/time -v -o "$TMP/time10k.txt" \
    "$CAPTEST" run --host "$ADDR" -u 10000 -r 2000 -t 20s --wait 1s -q --path /health || status=$?
wait "$SAMPLER_PID" || true
after="$(counters)"
field() { sed -n "s/^[[:space:]]*$1: //p" "$TMP/time10k.txt"; }
PEAK_KB="$(field 'Maximum resident set size (kbytes)')"
echo "exit status:   $status"
echo "wall time:     $(field 'Elapsed (wall clock) time (h:mm:ss or m:ss)')"
echo "CPU:           $(field 'User time (seconds)') s user + $(field 'System time (seconds)') s sys"
echo "connections:   established to the server, sampled each second: max $(awk 'm < $2 {m = $2} END {print m + 0}' "$TMP/conns"); 10 000 first seen at t=$(awk '$2 >= 10000 {print $1 "s"; exit}' "$TMP/conns")"
echo "               (t, connections): $(awk '{printf "%s:%s ", $1, $2}' "$TMP/conns")"
echo "requests:      $((after - before)) served by the demo server during the run (its /__counters)"
python3 - "$PEAK_KB" <<'PY'
import sys
kb = int(sys.argv[1])
mib = kb / 1024
verdict = "met" if kb < 1024 * 1024 else "MISSED"
print(f"peak RSS:      {mib:.1f} MiB ({kb} KiB); target < 1 GiB: {verdict}")
PY

sleep 2

# --- 2. continuous run -----------------------------------------------------------------
echo
echo "== continuous run for ${MINUTES} min: $CAPTEST run --host $ADDR -u 200 -r 200 --wait 50ms --path /health -q"
"$CAPTEST" run --host "$ADDR" -u 200 -r 200 --wait 50ms --path /health -q \
    >"$TMP/run.out" 2>"$TMP/run.err" &
RUN_PID=$!
: >"$TMP/rss.tsv"
total_s=$((MINUTES * 60))
start=$(date +%s)
for ((t = SAMPLE_S; t <= total_s; t += SAMPLE_S)); do
    # sleep until start + t (no drift from the sampling itself)
    now=$(date +%s)
    [ $((start + t - now)) -gt 0 ] && sleep $((start + t - now))
    if ! kill -0 "$RUN_PID" 2>/dev/null; then
        echo "captest run exited early" >&2
        cat "$TMP/run.err" >&2
        exit 1
    fi
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$RUN_PID/status")"
    hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$RUN_PID/status")"
    printf '%s\t%s\t%s\n' "$t" "$rss" "$hwm" >>"$TMP/rss.tsv"
    printf 't=%4ss  VmRSS %7s KiB  VmHWM %7s KiB\n' "$t" "$rss" "$hwm"
done
kill -INT "$RUN_PID"
rc=0
for _ in $(seq 300); do kill -0 "$RUN_PID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$RUN_PID" 2>/dev/null; then
    echo "captest run did not stop within 30 s of SIGINT" >&2
    kill -KILL "$RUN_PID" || true
    rc=1
fi
wait "$RUN_PID" 2>/dev/null || rc=$?
RUN_PID=""
echo "captest run exit status after SIGINT: $rc"

python3 - "$TMP/rss.tsv" <<'PY'
import sys
rows = [tuple(int(x) for x in line.split("\t")) for line in open(sys.argv[1]) if line.strip()]
at2 = next(r for r in rows if r[0] >= 120)
end = rows[-1]
change = (end[1] - at2[1]) / at2[1] * 100
verdict = "met" if abs(change) <= 10 else "MISSED"
print(f"RSS at minute 2 (t={at2[0]}s): {at2[1] / 1024:.1f} MiB ({at2[1]} KiB)")
print(f"RSS at the end  (t={end[0]}s): {end[1] / 1024:.1f} MiB ({end[1]} KiB)")
print(f"relative change:             {change:+.1f} %; target within 10 %: {verdict}")
print(f"VmHWM at the end:            {end[2] / 1024:.1f} MiB")
PY

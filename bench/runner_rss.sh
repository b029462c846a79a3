#!/usr/bin/env bash
# Memory of captest's load generator.
#
# 1. Peak RSS with 10 000 users (target < 1 GiB), against the demo server on loopback.
# 2. Closed model, continuous (no -t): `captest run`, 200 users for MINUTES minutes (default 10),
#    RSS sampled from /proc/PID/status every 10 s, then SIGINT; RSS at minute 2 vs the end
#    (target within 10 %).
# 3. Open model, continuous (no -t): `captest rate --rps RPS` (default 2000) for MINUTES minutes
#    against its own demo server (--capacity 64 --service-time 1ms, 64 000 req/s), sampled and
#    judged the same way; then SIGINT, a clean exit and a complete _stats.csv with 0 failures.
#
# All traffic goes to the demo server on 127.0.0.1; every run is bounded in time.
set -euo pipefail

MINUTES="${MINUTES:-10}"
RPS="${RPS:-2000}"
SAMPLE_S=10
if ! [[ "$RPS" =~ ^[0-9]+$ ]] || [ "$RPS" -lt 1 ]; then
    echo "RPS must be a whole number >= 1" >&2
    exit 2
fi
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
SERVER2_PID=""
RUN_PID=""
stop_pid() { # stop_pid PID: SIGINT to PID and its children (captest under timeout), SIGKILL after 20 s
    local pid="$1" kids
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 0
    kids="$(pgrep -P "$pid" || true)"
    kill -INT $kids "$pid" 2>/dev/null || true
    for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
    kill -KILL $kids "$pid" 2>/dev/null || true
}
cleanup() {
    stop_pid "$RUN_PID"
    stop_pid "$SERVER_PID"
    stop_pid "$SERVER2_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

# Every process runs under `timeout`: the servers for the whole script, each continuous run
# for MINUTES plus 2 minutes. `timeout` passes SIGINT on to its command and exits with its
# command's status.
SERVER_LIMIT_S=$((2 * MINUTES * 60 + 900))
RUN_LIMIT_S=$((MINUTES * 60 + 120))
RESULTS="$TMP/results"
: >"$RESULTS"

# --- the demo servers ------------------------------------------------------------------
# Their stdout goes to a file (never blocks); only its first line is read, for the address.
# start_server OUT ERR ARGS...: starts one, sets SERVER_STARTED_PID and SERVER_ADDR.
start_server() {
    local out="$1" err="$2" first=""
    shift 2
    timeout "$SERVER_LIMIT_S" "$CAPTEST" demo-server --bind 127.0.0.1:0 "$@" >"$out" 2>"$err" &
    SERVER_STARTED_PID=$!
    SERVER_ADDR=""
    for _ in $(seq 100); do
        first="$(head -n 1 "$out" 2>/dev/null || true)"
        if [[ "$first" == "listening on "* ]]; then SERVER_ADDR="${first#listening on }"; break; fi
        kill -0 "$SERVER_STARTED_PID" 2>/dev/null || break
        sleep 0.1
    done
    if [ -z "$SERVER_ADDR" ]; then
        echo "the demo server printed no 'listening on' line" >&2
        cat "$err" >&2
        exit 1
    fi
    case "$SERVER_ADDR" in
        http://127.0.0.1:*) ;;
        *) echo "demo server address is not on 127.0.0.1: $SERVER_ADDR" >&2; exit 1 ;;
    esac
}
start_server "$TMP/server.out" "$TMP/server.err" --capacity 64 --service-time 5ms
SERVER_PID=$SERVER_STARTED_PID
ADDR=$SERVER_ADDR
echo "demo server at $ADDR (timeout pid $SERVER_PID): --capacity 64 --service-time 5ms"

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
printf '10 000 users (run):  peak RSS %s KiB; exit %s; %s requests served\n' \
    "$PEAK_KB" "$status" "$((after - before))" >>"$RESULTS"

sleep 2

# --- 2 and 3. continuous runs ---------------------------------------------------------
# continuous NAME PORT COMMAND...: runs COMMAND (no -t) under timeout for MINUTES minutes,
# samples VmRSS/VmHWM of the captest process and its connections established to PORT every
# SAMPLE_S s into $TMP/NAME.rss.tsv, then sends SIGINT and requires a clean exit (status 0)
# within 30 s. If it is still running then, that is reported and it gets a second SIGINT (which
# cuts the graceful stop short) and 30 s more before SIGKILL; the run counts as failed.
# Sets CONT_RC and CONT_STOP (how it stopped).
continuous() {
    local name="$1" port="$2" cpid="" now t conns
    shift 2
    timeout --signal=INT --kill-after=30 "$RUN_LIMIT_S" "$@" \
        >"$TMP/$name.out" 2>"$TMP/$name.err" &
    RUN_PID=$!
    # the captest process is the child of `timeout`
    for _ in $(seq 50); do
        cpid="$(pgrep -P "$RUN_PID" -x captest || true)"
        [ -n "$cpid" ] && break
        sleep 0.1
    done
    if [ -z "$cpid" ]; then
        echo "$name: no captest process under timeout pid $RUN_PID" >&2
        cat "$TMP/$name.err" >&2
        exit 1
    fi
    : >"$TMP/$name.rss.tsv"
    local total_s=$((MINUTES * 60))
    local start
    start=$(date +%s)
    for ((t = SAMPLE_S; t <= total_s; t += SAMPLE_S)); do
        # sleep until start + t (no drift from the sampling itself)
        now=$(date +%s)
        [ $((start + t - now)) -gt 0 ] && sleep $((start + t - now))
        if ! kill -0 "$cpid" 2>/dev/null; then
            echo "$name: captest exited early" >&2
            cat "$TMP/$name.err" >&2
            exit 1
        fi
        rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$cpid/status")"
        hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$cpid/status")"
        conns="$(ss -Htn state established "dport = :${port}" | wc -l)"
        printf '%s\t%s\t%s\t%s\n' "$t" "$rss" "$hwm" "$conns" >>"$TMP/$name.rss.tsv"
        printf 't=%4ss  VmRSS %7s KiB  VmHWM %7s KiB  connections %5s\n' "$t" "$rss" "$hwm" "$conns"
    done
    kill -INT "$cpid"
    CONT_RC=0
    CONT_STOP="stopped within 30 s of SIGINT"
    for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$cpid" 2>/dev/null; then
        echo "$name: captest did not stop within 30 s of SIGINT; sending a second SIGINT" >&2
        CONT_STOP="did NOT stop within 30 s of SIGINT; stopped after a second SIGINT"
        kill -INT "$cpid" || true
        for _ in $(seq 300); do kill -0 "$cpid" 2>/dev/null || break; sleep 0.1; done
        if kill -0 "$cpid" 2>/dev/null; then
            echo "$name: captest did not stop within 30 s of a second SIGINT; SIGKILL" >&2
            CONT_STOP="did NOT stop after two SIGINTs; killed"
            kill -KILL "$cpid" || true
        fi
    fi
    wait "$RUN_PID" 2>/dev/null || CONT_RC=$?
    RUN_PID=""
    echo "$name: exit status $CONT_RC; $CONT_STOP"
    case "$CONT_STOP" in stopped*) ;; *) [ "$CONT_RC" = 0 ] && CONT_RC=1 ;; esac
    if [ -s "$TMP/$name.err" ]; then
        echo "$name: its stderr:"
        sed 's/^/  /' "$TMP/$name.err"
    fi
}

# rss_summary NAME LABEL: RSS at minute 2 vs the last sample, the samples per minute, verdict.
rss_summary() {
    python3 - "$TMP/$1.rss.tsv" "$2" "$RESULTS" <<'PY'
import sys
path, label, results = sys.argv[1:4]
rows = [tuple(int(x) for x in line.split("\t")) for line in open(path) if line.strip()]
at2 = next(r for r in rows if r[0] >= 120)
end = rows[-1]
change = (end[1] - at2[1]) / at2[1] * 100
verdict = "met" if abs(change) <= 10 else "MISSED"
after2 = [r[1] for r in rows if r[0] >= 120]
print(f"RSS at minute 2 (t={at2[0]}s): {at2[1] / 1024:.1f} MiB ({at2[1]} KiB)")
print(f"RSS at the end  (t={end[0]}s): {end[1] / 1024:.1f} MiB ({end[1]} KiB)")
print(f"relative change:             {change:+.1f} %; target within 10 %: {verdict}")
print(f"VmRSS from minute 2 on:      min {min(after2)} KiB, max {max(after2)} KiB ({len(after2)} samples)")
print(f"VmHWM at the end:            {end[2] / 1024:.1f} MiB")
print(f"connections to the server:   min {min(r[3] for r in rows)}, max {max(r[3] for r in rows)} (per sample)")
print("VmRSS (KiB) at the end of each minute: " +
      " ".join(f"{r[0] // 60}m:{r[1]}" for r in rows if r[0] % 60 == 0))
with open(results, "a") as f:
    f.write(f"{label}: RSS {at2[1]} KiB at t={at2[0]} s, {end[1]} KiB at t={end[0]} s, "
            f"{change:+.1f} % (within 10 %: {verdict}); min {min(after2)}, max {max(after2)} KiB "
            f"from minute 2 on; VmHWM {end[2]} KiB; connections {min(r[3] for r in rows)}-{max(r[3] for r in rows)}\n")
PY
}

# --- 2. closed model: captest run ------------------------------------------------------
echo
echo "== continuous run for ${MINUTES} min: $CAPTEST run --host $ADDR -u 200 -r 200 --wait 50ms --path /health -q"
continuous run "${ADDR##*:}" "$CAPTEST" run --host "$ADDR" -u 200 -r 200 --wait 50ms --path /health -q
RUN_RC=$CONT_RC
rss_summary run "closed, run -u 200 "
echo "closed, run -u 200:  exit status $RUN_RC; $CONT_STOP" >>"$RESULTS"

stop_pid "$SERVER_PID"
SERVER_PID=""

# --- 3. open model: captest rate -------------------------------------------------------
start_server "$TMP/server2.out" "$TMP/server2.err" --capacity 64 --service-time 1ms
SERVER2_PID=$SERVER_STARTED_PID
ADDR2=$SERVER_ADDR
echo
echo "demo server at $ADDR2 (timeout pid $SERVER2_PID): --capacity 64 --service-time 1ms"
counters2() { curl -fsS -m 5 "$ADDR2/__counters" | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'; }
before2="$(counters2)"
# --csv-full-history: the history's percentiles are then the ~10 s window's, as in Locust.
echo "== continuous rate for ${MINUTES} min: $CAPTEST rate --host $ADDR2 --rps $RPS --path /items -q --csv \$TMP/rate --csv-full-history"
continuous rate "${ADDR2##*:}" "$CAPTEST" rate --host "$ADDR2" --rps "$RPS" --path /items -q \
    --csv "$TMP/rate" --csv-full-history
RATE_RC=$CONT_RC
RATE_STOP=$CONT_STOP
after2="$(counters2)"
rss_summary rate "open, rate --rps $RPS"
echo "requests:      $((after2 - before2)) served by the demo server during the run (its /__counters)"

# The files must be complete after SIGINT: _stats.csv has Locust's header, one row per entry
# and the Aggregated row, every row with all its columns; no failures; the rate was held.
STATS_OK=0
python3 - "$TMP/rate" "$RPS" "$((MINUTES * 60))" "$((after2 - before2))" "$RESULTS" <<'PY' || STATS_OK=$?
import csv, sys
prefix, rps, seconds, served, results = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
header = ["Type", "Name", "Request Count", "Failure Count", "Median Response Time",
          "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
          "Requests/s", "Failures/s", "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%",
          "99.9%", "99.99%", "100%"]
problems = []
with open(prefix + "_stats.csv", newline="") as f:
    rows = list(csv.reader(f))
if rows[0] != header:
    problems.append(f"_stats.csv header differs: {rows[0]}")
short = [r for r in rows[1:] if len(r) != len(header)]
if short:
    problems.append(f"_stats.csv: {len(short)} rows without {len(header)} columns")
agg = [dict(zip(header, r)) for r in rows[1:] if len(r) > 1 and r[1] == "Aggregated"]
entries = [r for r in rows[1:] if len(r) > 1 and r[1] != "Aggregated"]
if len(agg) != 1 or not entries:
    problems.append(f"_stats.csv: {len(entries)} entry rows and {len(agg)} Aggregated rows")
    agg = [dict.fromkeys(header, "0")]
a = agg[0]
count, failures, achieved = int(a["Request Count"]), int(a["Failure Count"]), float(a["Requests/s"])
with open(prefix + "_stats_history.csv", newline="") as f:
    hist = [r for r in csv.reader(f)]
hist_agg = [r for r in hist[1:] if len(r) > 3 and r[3] == "Aggregated"]
# the run lasted from the first to the last history second (longer than MINUTES if the stop was late)
span = int(hist_agg[-1][0]) - int(hist_agg[0][0]) + 1 if hist_agg else seconds
expected = rps * span
if failures != 0:
    problems.append(f"{failures} failures")
if abs(count - expected) > max(0.02 * expected, 3 * rps):  # the span counts start and stop seconds
    problems.append(f"{count} requests, expected about {expected:.0f} ({rps:g}/s for {span} s)")
if abs(achieved - rps) > 0.02 * rps:
    problems.append(f"Requests/s {achieved:.1f}, asked {rps:g}")
if len(hist_agg) < seconds - 5:
    problems.append(f"_stats_history.csv: only {len(hist_agg)} Aggregated rows for {seconds} s")
with open(prefix + "_failures.csv", newline="") as f:
    failure_rows = len(list(csv.reader(f))) - 1
print(f"_stats.csv:    {len(entries)} entry row(s) + Aggregated, {len(header)} columns each; "
      f"{count} requests, {failures} failures, {achieved:.1f} requests/s (asked {rps:g}); "
      f"median {a['Median Response Time']} ms, p99 {a['99%']} ms, max {float(a['Max Response Time']):.1f} ms")
print(f"_stats_history.csv: {len(hist_agg)} Aggregated rows over {span} s; _failures.csv: {failure_rows} rows")
# seconds whose ~10 s window saw a response slower than 100 ms (the 100% column; a window
# percentile with --csv-full-history, so one slow response shows in about 10 rows)
hcol = hist[0].index("100%")
t0 = int(hist_agg[0][0]) if hist_agg else 0
slow = [(int(r[0]) - t0, float(r[hcol])) for r in hist_agg if r[hcol] not in ("N/A", "") and float(r[hcol]) > 100]
print(f"slow windows:  {len(slow)} history rows with a max response time > 100 ms" +
      (": " + " ".join(f"t={t}s:{m:.0f}ms" for t, m in slow[:20]) if slow else ""))
print(f"demo server:   {served} requests served; captest counted {count}")
verdict = "complete" if not problems else "PROBLEM: " + "; ".join(problems)
print(f"files after SIGINT: {verdict}")
with open(results, "a") as f:
    f.write(f"open, rate --rps {rps:g}: exit status __RC__; __STOP__; {count} requests, "
            f"{failures} failures, {achieved:.1f} requests/s; _stats.csv {verdict}; "
            f"{len(hist_agg)} history rows; {len(slow)} with a max response time > 100 ms\n")
sys.exit(1 if problems else 0)
PY
sed -i -e "s/__RC__/$RATE_RC/" -e "s/__STOP__/$RATE_STOP/" "$RESULTS"

echo
echo "== results (runner_rss.sh, MINUTES=$MINUTES)"
cat "$RESULTS"

[ "$RUN_RC" = 0 ] && [ "$RATE_RC" = 0 ] && [ "$STATS_OK" = 0 ] && [ "$status" = 0 ]

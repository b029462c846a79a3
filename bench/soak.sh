#!/usr/bin/env bash
# Soak: `captest rate --rps RPS` over HTTPS against `captest demo-server --tls` misbehaving on 1 %
# of requests with every fault kind at once (all 14 of `demo-server --fault`), for HOURS hours.
# captest's RSS, open file descriptors and CPU time are sampled every SAMPLE_S seconds, with the
# number of requests the server has read (its /__counters total); at the end the first and the last
# WINDOW_MIN minutes are compared: mean RSS, mean open descriptors and CPU seconds per 1000
# requests, each "flat" when the last window is within 5 % of the first.
#
#   bench/soak.sh [HOURS]          # default 1; fractions allowed (0.5)
#
# Environment: TLS (1: HTTPS with all 14 kinds; 0: plain HTTP with the 13 kinds that are not
# `tls-garbage` — with `refused` planned every response closes its connection, so each request
# dials anew, and over TLS that is a handshake per request: about 1000-1400 requests/s on two busy
# cores), BIN (default $CARGO_TARGET_DIR or target, /release/captest — `cargo build
# --release`), RPS (2000), RATE (share per fault kind, 0.01), TIMEOUT (captest --timeout, 2s: the
# endless, slowloris and 10 GiB bodies end as ReadTimeout after it), WINDOW_MIN (10), SAMPLE_S (10),
# OUT (bench/out/soak: samples.tsv, the run's CSV files, the server's counters).
# All traffic stays on 127.0.0.1; every process is bounded in time.
set -euo pipefail

HOURS="${1:-1}"
RPS="${RPS:-2000}"
TLS="${TLS:-1}"
RATE="${RATE:-0.01}"
TIMEOUT="${TIMEOUT:-2s}"
WINDOW_MIN="${WINDOW_MIN:-10}"
SAMPLE_S="${SAMPLE_S:-10}"
cd "$(dirname "$0")/.."
ROOT="$PWD"
BIN="${BIN:-${CARGO_TARGET_DIR:-$ROOT/target}/release/captest}"
OUT="${OUT:-$ROOT/bench/out/soak}"

TOTAL_S="$(python3 -c "import sys; h = float(sys.argv[1]); assert h > 0; print(round(h * 3600))" "$HOURS")" || {
    echo "HOURS must be a positive number of hours, got '$HOURS'" >&2
    exit 2
}
if [ "$TOTAL_S" -lt $((2 * WINDOW_MIN * 60)) ]; then
    echo "HOURS=$HOURS is shorter than two windows of WINDOW_MIN=$WINDOW_MIN minutes" >&2
    exit 2
fi
[ -x "$BIN" ] || { echo "no captest binary at $BIN (cargo build --release)" >&2; exit 2; }
command -v curl >/dev/null || { echo "curl is needed" >&2; exit 2; }

KINDS=(refused reset-before-response reset-mid-body close-without-response malformed-status
    invalid-header huge-headers truncated-chunked short-body endless-body slowloris huge-body
    unsolicited)
SERVER_TLS=()
SCHEME=http
if [ "$TLS" = 1 ]; then KINDS+=(tls-garbage); SERVER_TLS=(--tls); SCHEME=https; fi
FAULTS=()
for kind in "${KINDS[@]}"; do FAULTS+=(--fault "$kind:$RATE"); done

rm -rf "$OUT"
mkdir -p "$OUT"
SERVER_PID=""
RUN_PID=""
cleanup() {
    for pid in $RUN_PID $SERVER_PID; do kill -INT "$pid" 2>/dev/null || true; done
    sleep 1
    for pid in $RUN_PID $SERVER_PID; do kill -KILL "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT INT TERM

timeout $((TOTAL_S + 600)) "$BIN" demo-server --bind 127.0.0.1:0 "${SERVER_TLS[@]}" --capacity 64 \
    --service-time 1ms "${FAULTS[@]}" >"$OUT/server.out" 2>"$OUT/server.err" &
SERVER_PID=$!
ADDR=""
for _ in $(seq 100); do
    first="$(head -n 1 "$OUT/server.out" 2>/dev/null || true)"
    if [[ "$first" == "listening on "* ]]; then ADDR="${first#listening on }"; break; fi
    sleep 0.1
done
case "$ADDR" in
    "$SCHEME"://127.0.0.1:*) ;;
    *) echo "the demo server did not start on 127.0.0.1: '$ADDR'" >&2; cat "$OUT/server.err" >&2; exit 1 ;;
esac
# The `refused` fault closes the listener for 1 % of each second: a refused read is tried again.
counters() {
    for _ in 1 2 3 4 5; do
        curl -fsSk -m 5 "$ADDR/__counters" 2>/dev/null && return 0
        sleep 0.2
    done
    echo "the demo server's /__counters did not answer 5 times" >&2
    return 1
}
served() { counters | python3 -c 'import json, sys; print(json.load(sys.stdin)["total"])'; }

echo "soak: $BIN rate --rps $RPS for ${TOTAL_S}s against $ADDR, ${#KINDS[@]} fault kinds at $RATE each"
timeout --signal=INT --kill-after=60 $((TOTAL_S + 120)) "$BIN" rate --host "$ADDR" --insecure \
    --rps "$RPS" --timeout "$TIMEOUT" --stop-timeout 5s -q --csv "$OUT/soak" \
    >"$OUT/run.out" 2>"$OUT/run.err" &
RUN_PID=$!
CPID=""
for _ in $(seq 50); do
    CPID="$(pgrep -P "$RUN_PID" -x captest || true)"
    [ -n "$CPID" ] && break
    sleep 0.1
done
[ -n "$CPID" ] || { echo "no captest process under pid $RUN_PID" >&2; cat "$OUT/run.err" >&2; exit 1; }

TICKS="$(getconf CLK_TCK)"
printf 't_s\trss_kib\tfds\tcpu_s\tserved\n' >"$OUT/samples.tsv"
start=$(date +%s)
for ((t = SAMPLE_S; t <= TOTAL_S; t += SAMPLE_S)); do
    now=$(date +%s)
    [ $((start + t - now)) -gt 0 ] && sleep $((start + t - now))
    kill -0 "$CPID" 2>/dev/null || { echo "captest exited early" >&2; cat "$OUT/run.err" >&2; exit 1; }
    rss="$(awk '/^VmRSS:/ {print $2}' "/proc/$CPID/status")"
    fds="$(find "/proc/$CPID/fd" -mindepth 1 -maxdepth 1 | wc -l)"
    # utime and stime are fields 14 and 15 of /proc/PID/stat (after the parenthesised name)
    cpu="$(sed 's/^.*) //' "/proc/$CPID/stat" | awk -v hz="$TICKS" '{printf "%.2f", ($12 + $13) / hz}')"
    printf '%s\t%s\t%s\t%s\t%s\n' "$t" "$rss" "$fds" "$cpu" "$(served)" >>"$OUT/samples.tsv"
    if ((t % 300 == 0)); then echo "t=${t}s rss=${rss}KiB fds=$fds cpu=${cpu}s"; fi
done
kill -INT "$CPID"
rc=0
wait "$RUN_PID" || rc=$?
counters >"$OUT/counters.json"
echo "captest exit status: $rc (1 expected: the faults are failures)"

python3 - "$OUT" "$WINDOW_MIN" <<'PY'
import csv, json, sys
out, window_min = sys.argv[1], int(sys.argv[2])
rows = [{k: float(v) for k, v in r.items()} for r in csv.DictReader(open(f"{out}/samples.tsv"), delimiter="\t")]
end = rows[-1]["t_s"]
w = window_min * 60
first = [r for r in rows if r["t_s"] <= w]
last = [r for r in rows if r["t_s"] > end - w]
def mean(rs, k): return sum(r[k] for r in rs) / len(rs)
def cpu_per_1k(rs):
    # CPU seconds per 1000 requests over the window: from the sample before it to its last one
    before = [r for r in rows if r["t_s"] < rs[0]["t_s"]]
    a = before[-1] if before else {"cpu_s": 0.0, "served": 0.0}
    b = rs[-1]
    return 1000 * (b["cpu_s"] - a["cpu_s"]) / max(b["served"] - a["served"], 1)
figures = [
    ("RSS (MiB, mean)", mean(first, "rss_kib") / 1024, mean(last, "rss_kib") / 1024),
    ("open descriptors (mean)", mean(first, "fds"), mean(last, "fds")),
    ("CPU s per 1000 requests", cpu_per_1k(first), cpu_per_1k(last)),
]
stats = list(csv.DictReader(open(f"{out}/soak_stats.csv")))
agg = next(r for r in stats if r["Name"] == "Aggregated")
fails = list(csv.DictReader(open(f"{out}/soak_failures.csv")))
counters = json.load(open(f"{out}/counters.json"))
print(f"run: {end / 3600:.2f} h; captest counted {agg['Request Count']} requests, "
      f"{agg['Failure Count']} failures; the server read {counters['total']}")
print(f"failures by error: " + "; ".join(f"{r['Error']} x{r['Occurrences']}" for r in
      sorted(fails, key=lambda r: -int(r["Occurrences"]))))
ok = True
for name, a, b in figures:
    change = (b - a) / a * 100 if a else float("nan")
    flat = abs(change) <= 5
    ok &= flat
    print(f"{name:26s} first {window_min} min {a:10.3f}   last {window_min} min {b:10.3f}   "
          f"change {change:+6.1f} %  {'flat' if flat else 'NOT flat'}")
print("soak: " + ("flat (within 5 %)" if ok else "NOT flat"))
PY

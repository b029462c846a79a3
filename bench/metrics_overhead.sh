#!/usr/bin/env bash
# What `--metrics` costs the load generator: plain-HTTP throughput against a loopback nginx
# without it, then with `--metrics` and a real Prometheus scraping it every second. Issue #17's
# target: with >= 0.95x without. Cores as in bench/runner_vs_wrk.sh:
#
#   nginx (worker_processes 1, keepalive, 13-byte body) and Prometheus -> core 0
#   captest run -u 50 --threads 1                                      -> core 1
#
# WEB=1 adds the live web page to the watched run (`--web`) and a real browser on core 0 showing
# it: headless Chromium (Debian `chromium`), started before the run, opens
# http://127.0.0.1:18089/ as soon as it answers, and the page's own script polls `/api/stats`
# every second and redraws the charts (issue #17's
# "with --web --metrics, a browser and Prometheus attached"). nginx alone keeps core 0 over 90 %
# busy, so the browser runs at nice 19 there, as if on another machine: it renders with what
# nginx leaves, and the ratio measures what the views cost captest, not what the browser's
# rendering takes from the target server. BROWSER=curl reads `/api/stats`
# and `/api/charts` with curl every second instead.
#
# DURATION (default 15s) sets each run's length, REPEAT (default 1) the pairs of runs (each pair
# prints its ratio; the last line, the ratio of the mean throughputs and the median ratio). Traffic goes to 127.0.0.1:18280 (nginx), 127.0.0.1:19646
# (captest's metrics) and 127.0.0.1:19090 (Prometheus) only; every run is bounded by DURATION.
set -euo pipefail

DURATION="${DURATION:-15s}"
WEB="${WEB:-0}"
BROWSER="${BROWSER:-chromium}"
WEB_ADDR=127.0.0.1:18089
REPEAT="${REPEAT:-1}"
PORT=18280
METRICS=127.0.0.1:19646
PROM=127.0.0.1:19090
URL="http://127.0.0.1:${PORT}"

cd "$(dirname "$0")/.."

apt_updated=0
need_apt() { # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}
need_apt nginx nginx
need_apt prometheus prometheus
need_apt taskset util-linux
need_apt curl curl
need_apt /usr/bin/time time
if [ "$WEB" = 1 ] && [ "$BROWSER" = chromium ]; then need_apt chromium chromium; fi

cargo build --release --quiet
CAPTEST="${CARGO_TARGET_DIR:-$PWD/target}/release/captest"

TMP="$(mktemp -d /tmp/captest-bench-metrics.XXXXXX)"
NGINX_PID=""
PROM_PID=""
POLL_PID=""
stop_pid() { # stop_pid PID: TERM, then KILL after 5 s
    if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
        kill -TERM "$1" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$1" 2>/dev/null || true
    fi
}
cleanup() {
    stop_pid "$POLL_PID"
    stop_pid "$PROM_PID"
    stop_pid "$NGINX_PID"
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

for port in "$PORT" "${METRICS#*:}" "${PROM#*:}" "${WEB_ADDR#*:}"; do
    if ss -ltn "sport = :${port}" | grep -q LISTEN; then
        echo "port ${port} is already in use" >&2
        exit 1
    fi
done

mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    keepalive_timeout 65s;
    keepalive_requests 100000000;
    client_body_temp_path $TMP/nginx/client_body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:${PORT};
        default_type text/plain;
        location / { return 200 "Hello, world!"; }
    }
}
EOF
taskset -c 0 nginx -c "$TMP/nginx/nginx.conf" -p "$TMP/nginx" &
NGINX_PID=$!
for _ in $(seq 100); do curl -fsS -m 1 "$URL/" >/dev/null 2>&1 && break; sleep 0.1; done

cat >"$TMP/prometheus.yml" <<EOF
global: { scrape_interval: 1s, scrape_timeout: 1s }
scrape_configs:
  - job_name: captest
    static_configs: [ { targets: ['${METRICS}'] } ]
EOF
taskset -c 0 prometheus --config.file="$TMP/prometheus.yml" --storage.tsdb.path="$TMP/prom" \
    --web.listen-address="$PROM" --log.level=warn >/dev/null 2>&1 &
PROM_PID=$!
# Its discovery hands the target over a few seconds after the start.
for _ in $(seq 300); do
    curl -fsS -m 1 "http://$PROM/api/v1/targets" 2>/dev/null | grep -q "$METRICS" && break
    sleep 0.1
done

# run NAME ARGS...: captest on core 1; prints its Requests/s (Aggregated row of _stats.csv).
run() {
    local name="$1"
    shift
    timeout 300 taskset -c 1 /usr/bin/time -f "%U %S" -o "$TMP/$name.time" \
        "$CAPTEST" run --host "$URL" -u 50 -r 50 -t "$DURATION" --threads 1 \
        -q --csv "$TMP/$name" "$@" >/dev/null || true
    python3 - "$TMP/${name}_stats.csv" "$TMP/$name.time" <<'PY'
import csv, sys
row = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"][0]
user, system = (float(x) for x in open(sys.argv[2]).read().split()[-2:])
cpu_us = (user + system) * 1e6 / max(int(row["Request Count"]), 1)
print(row["Requests/s"], row["Request Count"], row["Failure Count"], f"{cpu_us:.3f}")
PY
    sleep 2
}

# The page in a browser (on core 0, beside nginx). Chromium starts before the run, on a local
# page that opens the live page as soon as it answers (its start-up, a second or two of CPU, is
# then not inside the measured run); the live page's own script polls and redraws every second.
# BROWSER=curl: its stats and charts read with curl every second once it answers.
poll_page() {
    if [ "$BROWSER" = chromium ]; then
        cat >"$TMP/wait.html" <<HTML
<!DOCTYPE html><script>
setInterval(() => fetch("http://$WEB_ADDR/", { mode: "no-cors" })
  .then(() => { location.href = "http://$WEB_ADDR/"; }, () => {}), 100);
</script>
HTML
        exec nice -n 19 chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
            --user-data-dir="$TMP/chromium" --remote-debugging-port=19222 \
            "file://$TMP/wait.html" >"$TMP/chromium.log" 2>&1
    fi
    for _ in $(seq 200); do
        curl -fsS -m 1 "http://$WEB_ADDR/api/stats" >/dev/null 2>&1 && break
        sleep 0.05
    done
    while :; do
        curl -fsS -m 2 "http://$WEB_ADDR/api/stats" >/dev/null 2>&1 || true
        curl -fsS -m 2 "http://$WEB_ADDR/api/charts" >/dev/null 2>&1 || true
        sleep 1
    done
}
WATCHED=(--metrics "$METRICS")
LABEL="--metrics + Prometheus at 1s"
if [ "$WEB" = 1 ]; then
    WATCHED+=(--web="$WEB_ADDR")
    LABEL="--web --metrics + page in $BROWSER and Prometheus at 1s"
fi

RESULTS="$TMP/results.txt"
: >"$RESULTS"
# watched NAME: the watched run, with the page in a browser when WEB=1.
watched_run() {
    if [ "$WEB" = 1 ]; then
        export -f poll_page
        WEB_ADDR="$WEB_ADDR" BROWSER="$BROWSER" TMP="$TMP" taskset -c 0 bash -c poll_page &
        POLL_PID=$!
        sleep 5 # the browser is up and waiting
    fi
    run "$1" "${WATCHED[@]}"
    stop_pid "$POLL_PID"
    pkill -f -- "--user-data-dir=$TMP/chromium" 2>/dev/null || true
    POLL_PID=""
}

for i in $(seq "$REPEAT"); do
    # Odd pairs start without the views, even pairs with them: a drift of the machine over the
    # pairs then weighs on both sides alike.
    if ((i % 2 == 1)); then
        read -r plain plain_count plain_failures plain_cpu < <(run "plain-$i")
        read -r watched watched_count watched_failures watched_cpu < <(watched_run "metrics-$i")
    else
        read -r watched watched_count watched_failures watched_cpu < <(watched_run "metrics-$i")
        read -r plain plain_count plain_failures plain_cpu < <(run "plain-$i")
    fi
    scraped="$(curl -fsS -m 5 "http://$PROM/api/v1/query" --data-urlencode \
        "query=last_over_time(captest_requests_total[40s])" | python3 -c \
        'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)')"
    python3 - "$plain" "$plain_count" "$plain_failures" "$plain_cpu" "$watched" "$watched_count" "$watched_failures" "$watched_cpu" "$scraped" "$LABEL" <<'PY' | tee -a "$RESULTS"
import sys
plain, pc, pf, pcpu, watched, wc, wf, wcpu, scraped, label = sys.argv[1:]
ratio = float(watched) / float(plain)
print(f"without --metrics {float(plain):>9,.0f} req/s ({int(pc):,} requests, {int(pf)} failures, "
      f"captest {float(pcpu):.2f} us CPU/request)  "
      f"with {label} {float(watched):>9,.0f} req/s ({int(wc):,} requests, {int(wf)} failures, "
      f"captest {float(wcpu):.2f} us CPU/request; Prometheus stored {int(scraped):,})  "
      f"ratio {ratio:.3f} (target >= 0.95: {'met' if ratio >= 0.95 else 'NOT met'})")
PY
done

echo
echo "== results ($(date -u +%FT%TZ), $(git rev-parse --short HEAD), DURATION=$DURATION)"
cat "$RESULTS"
# Over all pairs: the ratio of the mean throughputs and the median of the pairs' ratios (one
# pair on this machine varies by several per cent on its own).
python3 - "$RESULTS" <<'PY'
import re, statistics, sys
lines = [line for line in open(sys.argv[1]) if "ratio" in line]
pairs = [tuple(float(x.replace(",", "")) for x in re.findall(r"([\d,]+) req/s", line))
         for line in lines]
cpu = [tuple(float(x) for x in re.findall(r"captest ([\d.]+) us CPU/request", line))
       for line in lines]
plain = statistics.mean(p for p, _ in pairs)
watched = statistics.mean(w for _, w in pairs)
ratio = watched / plain
median = statistics.median(w / p for p, w in pairs)
print(f"{len(pairs)} pairs: mean without {plain:,.0f} req/s, with {watched:,.0f} req/s; ratio of "
      f"means {ratio:.3f}, median ratio {median:.3f} (target >= 0.95: "
      f"{'met' if min(ratio, median) >= 0.95 else 'NOT met'})")
cpu_plain = statistics.mean(p for p, _ in cpu)
cpu_watched = statistics.mean(w for _, w in cpu)
print(f"captest's own CPU per request: {cpu_plain:.3f} us without, {cpu_watched:.3f} us with "
      f"(work per request ratio {cpu_plain / cpu_watched:.3f})")
PY

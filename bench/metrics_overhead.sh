#!/usr/bin/env bash
# What `--metrics` costs the load generator: plain-HTTP throughput against a loopback nginx
# without it, then with `--metrics` and a real Prometheus scraping it every second. Issue #17's
# target: with >= 0.95x without. Cores as in bench/runner_vs_wrk.sh:
#
#   nginx (worker_processes 1, keepalive, 13-byte body) and Prometheus -> core 0
#   captest run -u 50 --threads 1                                      -> core 1
#
# WEB=1 adds the live web page to the watched run (`--web`) and a real browser on core 0 showing
# it: headless Chromium (Debian `chromium`) opens http://127.0.0.1:18089/ once the page answers,
# and the page's own script polls `/api/stats` every second and redraws the charts (issue #17's
# "with --web --metrics, a browser and Prometheus attached"). BROWSER=curl reads `/api/stats`
# and `/api/charts` with curl every second instead.
#
# DURATION (default 15s) sets each run's length, REPEAT (default 1) the pairs of runs (without,
# with; each pair prints its ratio). Traffic goes to 127.0.0.1:18280 (nginx), 127.0.0.1:19646
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
    timeout 300 taskset -c 1 "$CAPTEST" run --host "$URL" -u 50 -r 50 -t "$DURATION" --threads 1 \
        -q --csv "$TMP/$name" "$@" >/dev/null || true
    python3 - "$TMP/${name}_stats.csv" <<'PY'
import csv, sys
row = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"][0]
print(row["Requests/s"], row["Request Count"], row["Failure Count"])
PY
    sleep 2
}

# The page in a browser (on core 0, beside nginx): once it answers, headless Chromium shows it
# (its script polls and redraws every second), or curl reads its stats and charts every second.
poll_page() {
    for _ in $(seq 200); do
        curl -fsS -m 1 "http://$WEB_ADDR/api/stats" >/dev/null 2>&1 && break
        sleep 0.05
    done
    if [ "$BROWSER" = chromium ]; then
        exec chromium --headless=new --no-sandbox --disable-gpu --no-first-run \
            --user-data-dir="$TMP/chromium" --remote-debugging-port=19222 \
            "http://$WEB_ADDR/" >"$TMP/chromium.log" 2>&1
    fi
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
for i in $(seq "$REPEAT"); do
    read -r plain plain_count plain_failures < <(run "plain-$i")
    if [ "$WEB" = 1 ]; then
        export -f poll_page
        WEB_ADDR="$WEB_ADDR" BROWSER="$BROWSER" TMP="$TMP" taskset -c 0 bash -c poll_page &
        POLL_PID=$!
    fi
    read -r watched watched_count watched_failures < <(run "metrics-$i" "${WATCHED[@]}")
    stop_pid "$POLL_PID"
    pkill -f -- "--user-data-dir=$TMP/chromium" 2>/dev/null || true
    POLL_PID=""
    scraped="$(curl -fsS -m 5 "http://$PROM/api/v1/query" --data-urlencode \
        "query=last_over_time(captest_requests_total[10s])" | python3 -c \
        'import json, sys; r = json.load(sys.stdin)["data"]["result"]; print(int(float(r[0]["value"][1])) if r else 0)')"
    python3 - "$plain" "$plain_count" "$plain_failures" "$watched" "$watched_count" "$watched_failures" "$scraped" "$LABEL" <<'PY' | tee -a "$RESULTS"
import sys
plain, pc, pf, watched, wc, wf, scraped, label = sys.argv[1:]
ratio = float(watched) / float(plain)
print(f"without --metrics {float(plain):>9,.0f} req/s ({int(pc):,} requests, {int(pf)} failures)  "
      f"with {label} {float(watched):>9,.0f} req/s ({int(wc):,} requests, {int(wf)} failures; "
      f"Prometheus stored {int(scraped):,})  ratio {ratio:.3f} (target >= 0.95: {'met' if ratio >= 0.95 else 'NOT met'})")
PY
done

echo
echo "== results ($(date -u +%FT%TZ), $(git rev-parse --short HEAD), DURATION=$DURATION)"
cat "$RESULTS"

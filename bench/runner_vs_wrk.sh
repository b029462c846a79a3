#!/usr/bin/env bash
# captest's load generator against wrk on the same loopback nginx, both on one pinned core.
#
#   nginx (worker_processes 1, keepalive, 13-byte body)  -> core 0
#   wrk -t1 -c50 / captest run -u 50 --threads 1         -> core 1
#
# Prints both RPS, the ratio captest/wrk, captest's CPU seconds per 100k requests and its
# peak RSS. DURATION (default 15s) sets the length of each measurement. All traffic goes to
# 127.0.0.1:18280 only; every run is bounded by DURATION.
set -euo pipefail

DURATION="${DURATION:-15s}"
PORT=18280
URL="http://127.0.0.1:${PORT}"

cd "$(dirname "$0")/.."
ROOT="$PWD"

# --- what the script needs -------------------------------------------------------------
apt_updated=0
need_apt() { # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}
need_apt nginx nginx
need_apt wrk wrk
need_apt taskset util-linux
need_apt curl curl
need_apt /usr/bin/time time

cargo build --release --quiet
CAPTEST="$ROOT/target/release/captest"

# --- nginx in a temp dir, not the system one -------------------------------------------
TMP="$(mktemp -d /tmp/captest-bench-wrk.XXXXXX)"
NGINX_PID=""
cleanup() {
    if [ -n "$NGINX_PID" ] && kill -0 "$NGINX_PID" 2>/dev/null; then
        kill -QUIT "$NGINX_PID" 2>/dev/null || true
        for _ in $(seq 50); do kill -0 "$NGINX_PID" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$NGINX_PID" 2>/dev/null || true
    fi
    rm -rf "$TMP"
}
trap cleanup EXIT INT TERM

if ss -ltn "sport = :${PORT}" | grep -q LISTEN; then
    echo "port ${PORT} is already in use" >&2
    exit 1
fi

mkdir -p "$TMP/nginx/logs"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/logs/error.log warn;
events { worker_connections 1024; }
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
for _ in $(seq 100); do
    curl -fsS -m 1 "$URL/" >/dev/null 2>&1 && break
    sleep 0.1
done
body="$(curl -fsS -m 2 "$URL/")"
if [ "${#body}" != 13 ]; then
    echo "nginx did not answer the 13-byte body (got '${body}')" >&2
    exit 1
fi

# --- wrk -------------------------------------------------------------------------------
echo "== wrk: taskset -c 1 wrk -t1 -c50 -d${DURATION} ${URL}/"
timeout 300 taskset -c 1 wrk -t1 -c50 -d"${DURATION}" "$URL/" | tee "$TMP/wrk.txt"
WRK_RPS="$(awk '/^Requests\/sec:/ {print $2}' "$TMP/wrk.txt")"
[ -n "$WRK_RPS" ] || { echo "no Requests/sec in wrk's output" >&2; exit 1; }

sleep 2

# --- captest ---------------------------------------------------------------------------
echo "== captest: taskset -c 1 $CAPTEST run --host ${URL} -u 50 -r 50 -t ${DURATION} --threads 1 -q --csv $TMP/p"
timeout 300 /usr/bin/time -f "%U %S %M" -o "$TMP/time.txt" \
    taskset -c 1 "$CAPTEST" run --host "$URL" -u 50 -r 50 -t "$DURATION" --threads 1 -q --csv "$TMP/p"

read -r CT_USER CT_SYS CT_RSS_KB <"$TMP/time.txt"

sleep 2

# --- captest, templated scenario ---------------------------------------------------------
echo "== captest templated: taskset -c 1 $CAPTEST run bench/templated.toml --host ${URL} -u 50 -r 50 -t ${DURATION} --threads 1 -q --csv $TMP/t"
timeout 300 taskset -c 1 "$CAPTEST" run "bench/templated.toml" --host "$URL" -u 50 -r 50 -t "$DURATION" --threads 1 -q --csv "$TMP/t"
sleep 2
echo "== captest fixed twin: taskset -c 1 $CAPTEST run bench/fixed.toml --host ${URL} -u 50 -r 50 -t ${DURATION} --threads 1 -q --csv $TMP/f"
timeout 300 taskset -c 1 "$CAPTEST" run bench/fixed.toml --host "$URL" -u 50 -r 50 -t "$DURATION" --threads 1 -q --csv "$TMP/f"
FIXED_RPS="$(python3 -c "import csv,sys; print([r for r in csv.DictReader(open(sys.argv[1])) if r['Name']=='Aggregated'][0]['Requests/s'])" "$TMP/f_stats.csv")"
TEMPLATED_RPS="$(python3 -c "import csv,sys; print([r for r in csv.DictReader(open(sys.argv[1])) if r['Name']=='Aggregated'][0]['Requests/s'])" "$TMP/t_stats.csv")"
python3 - "$TMP/p_stats.csv" "$WRK_RPS" "$CT_USER" "$CT_SYS" "$CT_RSS_KB" "$TEMPLATED_RPS" "$FIXED_RPS" <<'PY'
import csv, sys
path, wrk_rps, user, sys_s, rss_kb = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
templated_rps = float(sys.argv[6])
fixed_rps = float(sys.argv[7])
with open(path, newline="") as f:
    agg = [r for r in csv.DictReader(f) if r["Name"] == "Aggregated"]
if len(agg) != 1:
    sys.exit(f"{path}: expected one Aggregated row, found {len(agg)}")
row = agg[0]
rps = float(row["Requests/s"])
requests = int(float(row["Request Count"]))
failures = int(float(row["Failure Count"]))
cpu = user + sys_s
print()
print("== results")
print(f"wrk RPS:                       {wrk_rps:,.0f}")
print(f"captest RPS (Aggregated row):  {rps:,.0f}  ({requests:,} requests, {failures:,} failures)")
print(f"ratio captest/wrk:             {rps / wrk_rps:.3f}")
print(f"captest CPU:                   {user:.2f} s user + {sys_s:.2f} s sys = {cpu:.2f} s")
if requests:
    print(f"captest CPU per 100k requests: {cpu / requests * 100_000:.3f} s")
print(f"captest peak RSS:              {rss_kb / 1024:.1f} MiB ({rss_kb} KiB)")
print(f"templated scenario RPS:        {templated_rps:,.0f}  (6 templated tasks, bench/templated.toml)")
print(f"fixed twin RPS:                {fixed_rps:,.0f}  (same requests, literal values, bench/fixed.toml)")
print(f"ratio templated/fixed twin:    {templated_rps / fixed_rps:.3f}  (the cost of rendering; target >= 0.8)")
print(f"ratio templated/plain --path:  {templated_rps / rps:.3f}  (also bigger requests with bodies)")
PY

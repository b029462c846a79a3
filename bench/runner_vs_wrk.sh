#!/usr/bin/env bash
# captest's load generator against real peers on the same loopback nginx, servers and clients on
# separate pinned cores:
#
#   nginx (worker_processes 1, keepalive, 13-byte body)       -> core 0
#   wrk -t1 -c50 / h2load -t1 -c50 -m1 / captest --threads 1 -> core 1
#
# MODES (default "plain") picks the measurements, any of:
#   plain      HTTP/1.1 keep-alive:     captest run -u 50            vs wrk -c50 http://
#   https      TLS keep-alive:          captest run -u 50 (https)    vs wrk -c50 https://
#   h2         HTTP/2 over TLS:         captest run -u 50 --http2    vs h2load -c50 -m1
#   handshake  TLS, a connection per request: captest --no-keepalive vs wrk -H 'Connection: close'
#   templated  the templated scenario vs its fixed twin (rendering cost), plain HTTP
# BEFORE=/path/to/older/captest adds that binary's plain-HTTP figure to the same run (a change's
# before/after), sending the same three headers (bench/plain_headers.toml). Each line prints the RPS of both, their ratio, and captest's CPU-s per 100k
# requests. DURATION (default 15s) sets each measurement's length. All traffic goes to
# 127.0.0.1:18280 (plain) and 127.0.0.1:18643 (TLS, h2) only; every run is bounded by DURATION.
set -euo pipefail

DURATION="${DURATION:-15s}"
MODES="${MODES:-plain}"
PORT=18280
TLS_PORT=18643
URL="http://127.0.0.1:${PORT}"
TLS_URL="https://127.0.0.1:${TLS_PORT}"

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
need_apt h2load nghttp2-client
need_apt openssl openssl
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

for port in "$PORT" "$TLS_PORT"; do
    if ss -ltn "sport = :${port}" | grep -q LISTEN; then
        echo "port ${port} is already in use" >&2
        exit 1
    fi
done

mkdir -p "$TMP/nginx/logs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -keyout "$TMP/nginx/key.pem" -out "$TMP/nginx/cert.pem" -subj /CN=localhost \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" 2>/dev/null
CERT="$TMP/nginx/cert.pem"
cat >"$TMP/nginx/nginx.conf" <<EOF
worker_processes 1;
daemon off;
master_process on;
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
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_cache shared:SSL:10m;
    server {
        listen 127.0.0.1:${PORT};
        listen 127.0.0.1:${TLS_PORT} ssl http2;
        ssl_certificate $TMP/nginx/cert.pem;
        ssl_certificate_key $TMP/nginx/key.pem;
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
for url in "$URL/" "$TLS_URL/"; do
    body="$(curl -fsS -m 2 --cacert "$CERT" "$url")"
    if [ "${#body}" != 13 ]; then
        echo "nginx did not answer the 13-byte body at $url (got '${body}')" >&2
        exit 1
    fi
done

RESULTS="$TMP/results.txt"
: >"$RESULTS"

# captest_run NAME BINARY ARGS...: runs captest on core 1, records RPS and CPU per 100k requests.
captest_run() {
    local name="$1" binary="$2"
    shift 2
    echo "== captest ($name): taskset -c 1 $binary run $* -t ${DURATION} --threads 1 -q --csv $TMP/$name"
    timeout 300 /usr/bin/time -f "%U %S %M" -o "$TMP/$name.time" \
        taskset -c 1 "$binary" run "$@" -t "$DURATION" --threads 1 -q --csv "$TMP/$name" || true
    python3 - "$TMP/${name}_stats.csv" "$TMP/$name.time" <<'PY' >"$TMP/$name.figures"
import csv, sys
row = [r for r in csv.DictReader(open(sys.argv[1])) if r["Name"] == "Aggregated"][0]
user, system, rss = open(sys.argv[2]).read().split()
requests = int(float(row["Request Count"]))
cpu = float(user) + float(system)
print(float(row["Requests/s"]), requests, int(float(row["Failure Count"])), cpu / max(requests, 1) * 100_000, int(rss) / 1024)
PY
    sleep 2
}

# peer NAME COMMAND...: runs a peer on core 1 and records its RPS (wrk's or h2load's line).
peer() {
    local name="$1"
    shift
    echo "== $name: taskset -c 1 $*"
    timeout 300 taskset -c 1 "$@" | tee "$TMP/$name.txt"
    awk '/^Requests\/sec:/ {print $2} /^finished in/ {gsub(",", "", $4); print $4}' "$TMP/$name.txt" \
        | head -1 >"$TMP/$name.rps"
    [ -s "$TMP/$name.rps" ] || { echo "no requests/s in $name's output" >&2; exit 1; }
    sleep 2
}

# compare LABEL CAPTEST_NAME PEER_NAME
compare() {
    read -r rps requests failures cpu rss <"$TMP/$2.figures"
    local peer_rps
    peer_rps="$(cat "$TMP/$3.rps")"
    python3 - "$1" "$rps" "$requests" "$failures" "$cpu" "$rss" "$peer_rps" "$3" <<'PY' | tee -a "$RESULTS"
import sys
label, rps, requests, failures, cpu, rss, peer, peer_name = sys.argv[1:]
rps, peer = float(rps), float(peer)
print(f"{label:<10} captest {rps:>9,.0f} req/s ({int(requests):,} requests, {int(failures):,} failures, "
      f"{float(cpu):.3f} CPU-s/100k, {float(rss):.1f} MiB)  {peer_name} {peer:>9,.0f} req/s  ratio {rps / peer:.3f}")
PY
}

WRK_HEADERS=(-H "User-Agent: captest/0.1.0" -H "Accept: */*" -H "Accept-Encoding: gzip, deflate, br")

for mode in $MODES; do
    case "$mode" in
    plain)
        peer wrk-plain wrk -t1 -c50 -d"$DURATION" "${WRK_HEADERS[@]}" "$URL/"
        captest_run plain "$CAPTEST" --host "$URL" -u 50 -r 50
        compare plain plain wrk-plain
        if [ -n "${BEFORE:-}" ]; then
            # The older binary may predate the default headers: bench/plain_headers.toml writes
            # them out, so both put the same bytes on the wire.
            captest_run before "$BEFORE" bench/plain_headers.toml --host "$URL" -u 50 -r 50
            compare before before wrk-plain
        fi
        ;;
    https)
        peer wrk-https wrk -t1 -c50 -d"$DURATION" "${WRK_HEADERS[@]}" "$TLS_URL/"
        captest_run https "$CAPTEST" --host "$TLS_URL" --cacert "$CERT" -u 50 -r 50
        compare https https wrk-https
        ;;
    h2)
        peer h2load h2load -t1 -c50 -m1 -D "${DURATION%s}" "$TLS_URL/"
        captest_run h2 "$CAPTEST" --host "$TLS_URL" --cacert "$CERT" --http2 -u 50 -r 50
        compare h2 h2 h2load
        ;;
    handshake)
        peer wrk-close wrk -t1 -c50 -d"$DURATION" "${WRK_HEADERS[@]}" -H "Connection: close" "$TLS_URL/"
        captest_run handshake "$CAPTEST" --host "$TLS_URL" --cacert "$CERT" --no-keepalive -u 50 -r 50
        compare handshake handshake wrk-close
        ;;
    templated)
        captest_run templated "$CAPTEST" bench/templated.toml --host "$URL" -u 50 -r 50
        captest_run fixed "$CAPTEST" bench/fixed.toml --host "$URL" -u 50 -r 50
        read -r t_rps _ <"$TMP/templated.figures"
        read -r f_rps _ <"$TMP/fixed.figures"
        python3 -c "import sys; t, f = map(float, sys.argv[1:]); print(f'templated  {t:,.0f} req/s vs fixed twin {f:,.0f} req/s  ratio {t / f:.3f} (target >= 0.8)')" \
            "$t_rps" "$f_rps" | tee -a "$RESULTS"
        ;;
    *)
        echo "unknown mode $mode (plain, https, h2, handshake, templated)" >&2
        exit 2
        ;;
    esac
done

echo
echo "== results ($(date -u +%FT%TZ), $(git rev-parse --short HEAD), DURATION=$DURATION)"
cat "$RESULTS"

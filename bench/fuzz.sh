#!/usr/bin/env bash
# Fuzzing (issue #18): builds the cargo-fuzz targets of fuzz/ and runs each for MINUTES
# (default 10) under `nice -n 19`, with a seed corpus made at run time from the repository's real
# files (tests/fixtures, examples/) and a few hand-written inputs:
#
#   bench/fuzz.sh [MINUTES]            # TARGETS="grammars latency_log" to run only some
#
# Targets: http1_response (the HTTP/1.1 response reader over loopback), history_reader (the fast
# _stats_history.csv reader against polars as the oracle), scenario_loader (TOML + templates),
# grammars (--fail-on, --threshold, --stop-on, --stages), latency_log (the HDR interval log).
# The machine has stable Rust only: RUSTC_BOOTSTRAP=1 lets cargo-fuzz pass its nightly flags;
# SANITIZER=address for ASan (default none: the build of polars with ASan is too slow here);
# PROFILE=dev builds unoptimized with debug assertions (overflow checks on; a build several times
# quicker on a busy machine, fewer executions a minute). Only the TARGETS given are built.
# Prints one line per target (minutes, executions, crashes); crashes land in fuzz/artifacts/T/
# and the script exits 1. Logs in bench/out/fuzz/.
set -euo pipefail

MINUTES="${1:-10}"
SANITIZER="${SANITIZER:-none}"
PROFILE="${PROFILE:-release}"
case "$PROFILE" in
    release) profile_flag=() ;;
    dev) profile_flag=(--dev) ;;
    *) echo "PROFILE must be release or dev, got '$PROFILE'" >&2; exit 2 ;;
esac
TARGETS="${TARGETS:-http1_response history_reader scenario_loader grammars latency_log}"
cd "$(dirname "$0")/.."
root="$PWD"
logs="$root/bench/out/fuzz"
mkdir -p "$logs"
export RUSTC_BOOTSTRAP=1
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz

# Seeds: one file per input, named by its content's hash.
put() { # DIR < input
    local tmp
    tmp="$(mktemp)"
    cat >"$tmp"
    mv "$tmp" "$1/seed-$(sha1sum "$tmp" 2>/dev/null | cut -c1-12 || echo "$RANDOM")"
}

seed_http1_response() { # the first byte picks the write size, the second HEAD/keep/decode
    local d="$1" r
    for r in \
        'HTTP/1.1 200 OK\r\ncontent-length: 5\r\n\r\nhello' \
        'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5;x=1\r\nhello\r\n0\r\nT: 1\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n' \
        'HTTP/1.0 200 OK\r\n\r\nuntil close' \
        'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 500 Internal Server Error\r\nconnection: close\r\ncontent-length: 2\r\n\r\nno' \
        'HTTP/1.1 301 Moved\r\nlocation: /x\r\ncontent-encoding: gzip\r\nset-cookie: a=b\r\ncontent-length: 0\r\n\r\n' \
        'HTTP/1.1 200 OK\r\ncontent-length: 10\r\ncontent-length: 10\r\n\r\nshort'; do
        printf "\\x07\\x00$r" | put "$d"
        printf "\\x01\\x03$r" | put "$d"
    done
}

seed_history_reader() { # the head of each real history (a cut file is a real case too)
    local f
    find tests/fixtures -name '*_stats_history.csv' | while read -r f; do
        head -n 40 "$f" | put "$1"
        head -c 3000 "$f" | put "$1"
    done
}

seed_scenario_loader() {
    local f
    find examples tests/fixtures bench -name '*.toml' -size -32k | while read -r f; do
        put "$1" <"$f"
    done
}

seed_grammars() {
    local g
    for g in 'p95+10%' 'GET /item/[id]:p99+50ms' 'rps-5%' 'errors+1pp' 'p95<500ms' \
        'errors<1%' 'POST /e:rps>100' 'events/s>1000' 'errors>1%' 'p95>5x' 'rps-growth<5%' \
        '30s:10,1m:10,30s:0' '0s:50,1m:500' '1m30s:2.5'; do
        printf '%s' "$g" | put "$1"
    done
}

seed_latency_log() { # a real log from a short run against the demo server
    local bin="${CAPTEST:-}" dir url
    [ -n "$bin" ] || bin="$(ls -t "${CARGO_TARGET_DIR:-target}"/{release,debug}/captest 2>/dev/null | head -1 || true)"
    if [ -z "$bin" ]; then
        echo "no captest binary for a latency log seed (CAPTEST=...)" >&2
        printf '#[StartTime: 1700000000.000 (seconds since epoch)]\n"StartTime","Interval_Length","Interval_Max","Interval_Compressed_Histogram"\n' | put "$1"
        return
    fi
    dir="$(mktemp -d)"
    "$bin" demo-server --bind 127.0.0.1:0 >"$dir/server" 2>/dev/null &
    local server=$!
    sleep 1
    url="$(head -1 "$dir/server" | sed 's/listening on //')"
    "$bin" run --host "$url" --path /item/3 -u 4 -r 4 -t 3s -q --csv "$dir/seed" >/dev/null 2>&1 || true
    kill "$server" 2>/dev/null || true
    [ -f "$dir/seed_latency.hdr" ] && put "$1" <"$dir/seed_latency.hdr"
    [ -f "$dir/seed_latency.hdr" ] && head -n 6 "$dir/seed_latency.hdr" | put "$1"
    rm -rf "$dir"
}

: >"$logs/build.log"
echo "building the fuzz targets $TARGETS (sanitizer: $SANITIZER, profile: $PROFILE)..." >&2
for target in $TARGETS; do
    (cd fuzz && nice -n 10 cargo fuzz build "${profile_flag[@]}" -s "$SANITIZER" "$target" \
        >>"$logs/build.log" 2>&1) || {
        tail -20 "$logs/build.log" >&2
        exit 2
    }
done

failed=0
printf '%-16s %7s %12s %9s %7s  (%s build)\n' target minutes executions exec/s crashes "$PROFILE"
for target in $TARGETS; do
    corpus="fuzz/corpus/$target"
    mkdir -p "$corpus"
    "seed_$target" "$corpus"
    log="$logs/$target.log"
    status=0
    (cd fuzz && nice -n 19 cargo fuzz run "${profile_flag[@]}" -s "$SANITIZER" "$target" "corpus/$target" -- \
        -max_total_time=$((MINUTES * 60)) -timeout=20 -rss_limit_mb=2048 -print_final_stats=1 \
        >"$log" 2>&1) || status=$?
    execs="$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
    rate="$(grep -o 'stat::average_exec_per_sec: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1 || true)"
    crashes="$(find "fuzz/artifacts/$target" -type f 2>/dev/null | wc -l)"
    printf '%-16s %7s %12s %9s %7s\n' "$target" "$MINUTES" "${execs:-?}" "${rate:-?}" "$crashes"
    if [ "$status" -ne 0 ] || [ "$crashes" -gt 0 ]; then
        failed=1
        grep -m3 -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" >&2 || true
    fi
done
exit "$failed"

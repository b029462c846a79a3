#!/usr/bin/env bash
# `captest analyze` against the usual pandas recipe on a large Locust full-history file.
#
# Generates PREFIX_stats_history.csv (ENTRIES=50 entries x SECONDS=20000 s, one row per entry
# and one Aggregated row each second, header identical to Locust's) in a temp dir, then times
#   captest analyze FILE --warmup 60s --json > /dev/null
#   python3 bench/pandas_recipe.py FILE 60          (pd.read_csv + the steady-state recipe)
# each REPEAT times (default 3) under /usr/bin/time, and prints the median wall times, the
# ratio pandas/captest (target >= 20x) and the peak RSS of both. Finally checks that both
# computed the same figures. No network traffic.
set -euo pipefail

ENTRIES="${ENTRIES:-50}"
SECONDS_OF_HISTORY="${SECONDS_OF_HISTORY:-20000}"
REPEAT="${REPEAT:-3}"
WARMUP_S=60
REAL_HISTORY="${REAL_HISTORY:-tests/fixtures/locust/step/step_stats_history.csv}"

cd "$(dirname "$0")/.."
ROOT="$PWD"
BENCH="$ROOT/bench"

apt_updated=0
need_apt() { # need_apt COMMAND PACKAGE
    if ! command -v "$1" >/dev/null 2>&1; then
        if [ "$apt_updated" = 0 ]; then apt-get update -qq; apt_updated=1; fi
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null
    fi
}
need_apt /usr/bin/time time
need_apt python3 python3
python3 -c "import pandas, numpy" 2>/dev/null || pip install -q pandas

cargo build --release --quiet
CAPTEST="$ROOT/target/release/captest"

TMP="$(mktemp -d /tmp/captest-bench-analyze.XXXXXX)"
trap 'rm -rf "$TMP"' EXIT INT TERM
FILE="$TMP/big_stats_history.csv"

echo "== generating $FILE (${ENTRIES} entries x ${SECONDS_OF_HISTORY} s)"
gen_start=$(date +%s.%N)
timeout 600 python3 "$BENCH/gen_locust_history.py" "$FILE" \
    --entries "$ENTRIES" --seconds "$SECONDS_OF_HISTORY"
gen_end=$(date +%s.%N)
rows=$(($(wc -l <"$FILE") - 1))
size_mb=$(du -m "$FILE" | cut -f1)
echo "rows: $rows data rows + header, ${size_mb} MB, generated in $(python3 -c "print(f'{$gen_end - $gen_start:.1f}')") s"
if [ -f "$REAL_HISTORY" ]; then
    if [ "$(head -n 1 "$FILE")" != "$(head -n 1 "$REAL_HISTORY" | tr -d '\r')" ]; then
        echo "header differs from $REAL_HISTORY" >&2
        exit 1
    fi
    echo "header: identical to $REAL_HISTORY"
fi

# --- timed runs ------------------------------------------------------------------------
: >"$TMP/captest.times"
: >"$TMP/pandas.times"
# timed RESULT_FILE COMMAND...: runs COMMAND under /usr/bin/time (peak RSS) and appends
# "WALL_SECONDS RSS_KIB" to RESULT_FILE, the wall time to the millisecond (GNU time's %e has
# only two decimals, a tenth of captest's time).
timed() {
    local result="$1" start end
    shift
    start=$(date +%s%N)
    timeout 600 /usr/bin/time -f "%M" -o "$TMP/rss" "$@"
    end=$(date +%s%N)
    echo "$(((end - start) / 1000000)) $(cat "$TMP/rss")" |
        awk '{printf "%.3f %s\n", $1 / 1000, $2}' >"$TMP/t"
    cat "$TMP/t" >>"$result"
}
for i in $(seq "$REPEAT"); do
    timed "$TMP/captest.times" "$CAPTEST" analyze "$FILE" --warmup "${WARMUP_S}s" --json >/dev/null
    echo "captest run $i: $(awk '{printf "%s s, %.0f MiB", $1, $2/1024}' "$TMP/t")"
    timed "$TMP/pandas.times" python3 "$BENCH/pandas_recipe.py" "$FILE" "$WARMUP_S" \
        >"$TMP/pandas.csv" 2>"$TMP/pandas.err"
    echo "pandas  run $i: $(awk '{printf "%s s, %.0f MiB", $1, $2/1024}' "$TMP/t")  ($(cat "$TMP/pandas.err"))"
done

# --- do they compute the same? (not timed) ---------------------------------------------
"$CAPTEST" analyze "$FILE" --warmup "${WARMUP_S}s" --json >"$TMP/captest.json"

python3 - "$TMP/captest.times" "$TMP/pandas.times" "$TMP/captest.json" "$TMP/pandas.csv" <<'PY'
import csv, json, statistics, sys

def load(path):
    rows = [line.split() for line in open(path) if line.strip()]
    return [float(r[0]) for r in rows], [int(r[1]) for r in rows]

ct, cr = load(sys.argv[1])
pt, pr = load(sys.argv[2])
c_med, p_med = statistics.median(ct), statistics.median(pt)
ratio = p_med / c_med
print()
print("== results")
print(f"captest analyze wall time: median {c_med:.3f} s of {len(ct)} ({', '.join(f'{x:.3f}' for x in ct)})")
print(f"pandas recipe wall time:   median {p_med:.3f} s of {len(pt)} ({', '.join(f'{x:.3f}' for x in pt)})")
print(f"ratio pandas/captest:      {ratio:.2f}x; target >= 20x: {'met' if ratio >= 20 else 'MISSED'}")
print(f"captest peak RSS:          {max(cr) / 1024:.0f} MiB")
print(f"pandas peak RSS:           {max(pr) / 1024:.0f} MiB")

steady = json.load(open(sys.argv[3]))["steady"]
ours = {"Aggregated": (steady["rps_recipe"], steady["avg_ms"])}
for e in steady["entries"]:
    ours[e["entry"]] = (e["rps_recipe"], e["avg_ms"])
theirs = {r["entry"]: (float(r["rps_recipe"]), float(r["avg_ms"])) for r in csv.DictReader(open(sys.argv[4]))}
if set(ours) != set(theirs):
    sys.exit(f"different entries: captest {sorted(set(ours) - set(theirs))}, pandas {sorted(set(theirs) - set(ours))}")
worst = max(
    abs(a - b) / max(abs(b), 1e-12)
    for k in ours for a, b in zip(ours[k], theirs[k])
)
print(f"same figures: {len(ours)} entries (incl. Aggregated), rps_recipe and avg_ms, "
      f"largest relative difference {worst:.1e}")
if worst > 1e-9:
    sys.exit("captest and pandas disagree")
PY

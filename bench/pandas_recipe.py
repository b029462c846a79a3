#!/usr/bin/env python3
"""The usual pandas steady-state recipe over a Locust full-history file, for bench/analyze_vs_pandas.sh.

    pandas_recipe.py PREFIX_stats_history.csv [WARMUP_S]

Computes what `captest analyze FILE --warmup 60s` reports as `rps_recipe` and `avg_ms`, for
Aggregated and for each entry, and prints them as CSV (entry,rps_recipe,avg_ms). The time spent
importing pandas, reading and computing goes to stderr.
"""
import sys
import time

t0 = time.perf_counter()
import pandas as pd  # noqa: E402

t1 = time.perf_counter()
f = sys.argv[1]
warmup = float(sys.argv[2]) if len(sys.argv) > 2 else 60.0

df = pd.read_csv(f)
t2 = time.perf_counter()

# The seed recipe as written: rows strictly after the file's first Timestamp + warmup.
agg = df[df.Name == "Aggregated"]
start = df.Timestamp.min()
stable = agg[agg.Timestamp > start + warmup]
print("entry,rps_recipe,avg_ms")
agg_rps = float(stable["Total Request Count"].diff().mean())
agg_avg = float(stable["Total Average Response Time"].mean())
print(f"Aggregated,{agg_rps!r},{agg_avg!r}")

# per entry, the same (an entry is Type + Name, as in captest; the generated names are unique,
# so this is the same as grouping by Name alone)
entries = df[(df.Name != "Aggregated") & (df.Timestamp > start + warmup)]
keys = [entries.Type, entries.Name]
rps = entries.groupby(keys)["Total Request Count"].diff().groupby(keys).mean()
avg = entries.groupby(keys)["Total Average Response Time"].mean()
for (typ, name), r in rps.items():
    print(f"{typ} {name},{float(r)!r},{float(avg[(typ, name)])!r}")
t3 = time.perf_counter()
print(
    f"pandas timings: import {t1 - t0:.3f} s, read_csv {t2 - t1:.3f} s, compute {t3 - t2:.3f} s",
    file=sys.stderr,
)

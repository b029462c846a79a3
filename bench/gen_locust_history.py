#!/usr/bin/env python3
"""Writes a Locust-shaped full-history file (PREFIX_stats_history.csv) fast, with numpy.

    gen_locust_history.py OUT.csv [--entries 50] [--seconds 20000] [--seed 1]

Each second: one row per entry, then one Aggregated row (Locust's --csv-full-history layout).
Column semantics follow a real Locust 2.x file:

  Timestamp              unix seconds, one batch per second
  User Count             users running (ramp of 10/s, then constant)
  Type, Name             method and request name; Type empty for Aggregated
  Requests/s, Failures/s current rate over the last 10 s window ("%.6f")
  50% .. 100%            current-window percentiles, ms, integers; N/A when the window is empty
  Total Request Count    cumulative, never decreasing
  Total Failure Count    cumulative, never decreasing, <= Total Request Count
  Total Median ...       since the start, ms
  Total Average ...      since the start, ms: sum of response times / Total Request Count
  Total Min / Max ...    since the start: running minimum / maximum
  Total Average Content Size  bytes, since the start

Aggregated = the sum of the entries (counts, rates), their count-weighted averages (averages,
content size), min of the mins, max of the maxes, and count-weighted current percentiles.
"""

import argparse
import multiprocessing as mp
import os
import sys

import numpy as np

HEADER = (
    "Timestamp,User Count,Type,Name,Requests/s,Failures/s,50%,66%,75%,80%,90%,95%,98%,99%,"
    "99.9%,99.99%,100%,Total Request Count,Total Failure Count,Total Median Response Time,"
    "Total Average Response Time,Total Min Response Time,Total Max Response Time,"
    "Total Average Content Size"
)
# current-window percentile / window mean, for 50 66 75 80 90 95 98 99 99.9 99.99 100
PCT_FACTORS = np.array([0.85, 1.0, 1.1, 1.18, 1.45, 1.75, 2.2, 2.6, 3.6, 4.2, 4.5])
WINDOW = 10
START_TS = 1_795_370_485
MAX_USERS = 500
RAMP_PER_S = 10
REQ_PER_USER_S = 0.6


# filled in by main() before the worker processes fork
G = {}
PCT_FMT = ",".join(["%d"] * len(PCT_FACTORS))
PCT_NA = ",".join(["N/A"] * len(PCT_FACTORS))
ROW_FMT = "%s,%.6f,%.6f,%s,%d,%d,%d,%r,%r,%r,%r"


def format_rows(bounds):
    """The CSV text of rows [a, b)."""
    a, b = bounds
    pct = [
        PCT_NA if e else PCT_FMT % tuple(r)
        for r, e in zip(G["pct"][a:b].tolist(), G["empty"][a:b].tolist())
    ]
    rows = zip(
        G["prefix"][a:b], G["rps"][a:b].tolist(), G["fps"][a:b].tolist(), pct,
        G["ints"][a:b].tolist(), G["floats"][a:b].tolist(),
    )
    return "".join([ROW_FMT % (p, r, f, q, *i, *fl) + "\n" for p, r, f, q, i, fl in rows])


def rolling_sum(a, window):
    """Sum over the last `window` rows (fewer at the start), along axis 0."""
    c = np.cumsum(a, axis=0)
    out = c.copy()
    out[window:] -= c[:-window]
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("out")
    p.add_argument("--entries", type=int, default=50)
    p.add_argument("--seconds", type=int, default=20_000)
    p.add_argument("--seed", type=int, default=1)
    args = p.parse_args()
    E, T = args.entries, args.seconds
    rng = np.random.default_rng(args.seed)

    methods = np.array(["GET", "POST", "PUT", "DELETE", "GET", "GET", "POST", "GET"])
    ent_type = [str(methods[i % len(methods)]) for i in range(E)]
    ent_name = [f"/api/v1/resource{i:02d}" for i in range(E)]  # unique names
    weight = rng.dirichlet(np.full(E, 2.0))
    base_ms = rng.lognormal(np.log(25.0), 0.9, E)
    fail_p = rng.choice([0.0, 0.001, 0.005, 0.02], E, p=[0.5, 0.25, 0.15, 0.1])
    size_b = rng.integers(0, 4000, E).astype(float)

    t = np.arange(T)
    users = np.minimum(MAX_USERS, RAMP_PER_S * (t + 1))
    # slow drift of the server's speed, plus a small load effect while ramping
    drift = 1.0 + 0.15 * np.sin(t / 900.0) + 0.1 * users / MAX_USERS
    rate = users * REQ_PER_USER_S  # total requests/s

    n = rng.poisson(rate[:, None] * weight[None, :])  # (T, E) requests completed each second
    f = rng.binomial(n, fail_p[None, :])
    mean_ms = base_ms[None, :] * drift[:, None] * np.clip(1 + 0.1 * rng.standard_normal((T, E)), 0.5, None)
    has = n > 0
    sec_min = np.where(has, mean_ms * rng.uniform(0.25, 0.35, (T, E)), np.inf)
    sec_max = np.where(has, mean_ms * rng.uniform(4.5, 6.0, (T, E)), 0.0)
    sec_size = size_b[None, :] * np.clip(1 + 0.02 * rng.standard_normal((T, E)), 0, None)

    # cumulative ("Total ...") figures per entry
    cn = np.cumsum(n, axis=0)
    cf = np.cumsum(f, axis=0)
    cms = np.cumsum(n * mean_ms, axis=0)
    csz = np.cumsum(n * sec_size, axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        cavg = np.where(cn > 0, cms / cn, 0.0)
        cavg_size = np.where(cn > 0, csz / cn, 0.0)
    cmin = np.minimum.accumulate(sec_min, axis=0)
    cmin = np.where(np.isfinite(cmin), cmin, 0.0)
    cmax = np.maximum.accumulate(sec_max, axis=0)

    # current 10 s window per entry
    wn = rolling_sum(n, WINDOW)
    wf = rolling_sum(f, WINDOW)
    wms = rolling_sum(n * mean_ms, WINDOW)
    span = np.minimum(t + 1, WINDOW)[:, None]
    rps = wn / span
    fps = wf / span
    with np.errstate(invalid="ignore", divide="ignore"):
        wmean = np.where(wn > 0, wms / wn, 0.0)

    # Aggregated
    an = n.sum(axis=1)
    acn = cn.sum(axis=1)
    acf = cf.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        acavg = np.where(acn > 0, cms.sum(axis=1) / acn, 0.0)
        acsize = np.where(acn > 0, csz.sum(axis=1) / acn, 0.0)
    amin = np.where(cn > 0, cmin, np.inf).min(axis=1)
    amin = np.where(np.isfinite(amin), amin, 0.0)
    amax = cmax.max(axis=1)
    awn = wn.sum(axis=1)
    arps = rps.sum(axis=1)
    afps = fps.sum(axis=1)

    # percentiles: entries from their window mean; Aggregated count-weighted over entries
    pct = wmean[:, :, None] * PCT_FACTORS[None, None, :]  # (T, E, 11)
    with np.errstate(invalid="ignore", divide="ignore"):
        apct = np.where(awn[:, None] > 0, (pct * wn[:, :, None]).sum(axis=1) / awn[:, None], 0.0)
    apct = np.maximum.accumulate(apct, axis=1)
    all_pct = np.concatenate([pct, apct[:, None, :]], axis=1)  # (T, E+1, 11)
    all_pct = np.rint(all_pct).astype(np.int64)
    all_wn = np.concatenate([wn, awn[:, None]], axis=1)

    # everything as (T, E+1): entries then Aggregated
    def stack(entries, agg):
        return np.concatenate([entries, np.asarray(agg)[:, None]], axis=1)

    cols_num = {
        "rps": stack(rps, arps),
        "fps": stack(fps, afps),
        "cn": stack(cn, acn),
        "cf": stack(cf, acf),
        "cmed": np.rint(stack(cavg, acavg) * 0.9).astype(np.int64),
        "cavg": stack(cavg, acavg),
        "cmin": stack(cmin, amin),
        "cmax": stack(cmax, amax),
        "csize": stack(cavg_size, acsize),
    }
    if np.any(np.diff(acn) < 0) or np.any(acf > acn):
        sys.exit("internal error: cumulative counts not consistent")

    R = E + 1
    ts = START_TS + t
    tails = [f"{ty},{nm}" for ty, nm in zip(ent_type + [""], ent_name + ["Aggregated"])]
    prefix = [f"{s},{u},{tail}" for s, u in zip(ts.tolist(), users.tolist()) for tail in tails]
    G.update(
        R=R,
        prefix=prefix,
        rps=cols_num["rps"].reshape(-1),
        fps=cols_num["fps"].reshape(-1),
        pct=all_pct.reshape(T * R, -1),
        empty=(all_wn.reshape(-1) == 0),
        ints=np.stack([cols_num[k].reshape(-1) for k in ("cn", "cf", "cmed")], axis=1),
        floats=np.stack(
            [cols_num[k].reshape(-1) for k in ("cavg", "cmin", "cmax", "csize")], axis=1
        ),
    )
    chunk_rows = 1000 * R
    bounds = [(a, min(T * R, a + chunk_rows)) for a in range(0, T * R, chunk_rows)]
    ctx = mp.get_context("fork")
    with open(args.out, "w", newline="") as out, ctx.Pool(os.cpu_count() or 1) as pool:
        out.write(HEADER + "\n")
        for text in pool.imap(format_rows, bounds):
            out.write(text)
    print(f"{args.out}: {T * R} rows ({T} s x ({E} entries + Aggregated))", file=sys.stderr)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Summarises bench/compare_fpr.sh's comparisons: family-wise false-failure rate of A/A pairs and
power per planted effect, with 95 % Wilson score intervals (Wilson 1927; Brown, Cai & DasGupta 2001
recommend it over the Wald interval for small n). Usage: compare_fpr_summary.py EVAL_DIR TARGET_ENTRY
"""
import json
import math
import re
import statistics
import sys
from collections import Counter
from pathlib import Path

Z = 1.959963984540054  # two-sided 95 %


def wilson(k, n):
    """95 % Wilson score interval of a binomial proportion k/n, in percent."""
    if n == 0:
        return (float("nan"), float("nan"))
    p = k / n
    centre = (p + Z * Z / (2 * n)) / (1 + Z * Z / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z * Z / (4 * n * n)) / (1 + Z * Z / n)
    return (100 * max(0.0, centre - half), 100 * min(1.0, centre + half))


def share(k, n):
    low, high = wilson(k, n)
    rate = 100 * k / n if n else float("nan")
    return f"{k}/{n} = {rate:.1f} % [{low:.1f}, {high:.1f}]"


NAME = re.compile(r"^(aa|effect)__(\w+)-(\d+s)-r(\d+)__(\w+)-(\d+s)-r(\d+)\.json$")


def load(eval_dir):
    pairs = []
    for path in sorted(Path(eval_dir).glob("*.json")):
        match = NAME.match(path.name)
        if not match:
            continue
        kind, base_set, length, bi, cur_set, _, ci = match.groups()
        try:
            report = json.loads(path.read_text())
        except json.JSONDecodeError:
            print(f"{path}: not JSON (see {path}.err)", file=sys.stderr)
            continue
        pairs.append(
            dict(kind=kind, length=length, base=int(bi), cur=int(ci), effect=cur_set,
                 report=report)
        )
    return pairs


def failed_entries(report):
    return {(c["entry"], c["rule"]) for c in report["entries"] if c["failed"]}


def aa_section(pairs, length):
    aa = [p for p in pairs if p["kind"] == "aa" and p["length"] == length]
    if not aa:
        return
    failed = [p for p in aa if not p["report"]["passed"]]
    disjoint = [p for p in aa if p["base"] % 2 == 1 and p["cur"] == p["base"] + 1]
    disjoint_failed = [p for p in disjoint if not p["report"]["passed"]]
    runs = len({p["base"] for p in aa} | {p["cur"] for p in aa})
    print(f"### A/A, {length} runs ({runs} runs)")
    print(f"- family-wise false failures, all {len(aa)} pairs (not independent: point estimate): "
          f"{len(failed)}/{len(aa)} = {100 * len(failed) / len(aa):.1f} %")
    print(f"- family-wise false failures, disjoint pairs (independent; 95 % Wilson): "
          f"{share(len(disjoint_failed), len(disjoint))}")
    blamed = Counter(e for p in failed for e in failed_entries(p["report"]))
    if blamed:
        ranked = sorted(blamed.items(), key=lambda item: (-item[1], item[0]))[:8]
        print("- what failed (entry, rule: pairs): " + "; ".join(
            f"{entry}, {rule}: {n}" for (entry, rule), n in ranked))


def effect_section(pairs, length, target):
    rows = []
    for effect in sorted({p["effect"] for p in pairs if p["kind"] == "effect"}):
        chosen = [p for p in pairs if p["kind"] == "effect" and p["length"] == length
                  and p["effect"] == effect]
        if not chosen:
            continue
        detected = clean = both = 0
        planted = []
        for p in chosen:
            failures = failed_entries(p["report"])
            hit = any(entry == target for entry, _ in failures)
            innocent = any(entry not in (target, "Aggregated") for entry, _ in failures)
            detected += hit
            clean += not innocent
            both += hit and not innocent
            planted += [c["delta_pct"] for c in p["report"]["entries"]
                        if c["entry"] == target and c["metric"] == "p95"
                        and c["delta_pct"] is not None]
        n = len(chosen)
        seen = f"{statistics.median(planted):+.1f} %" if planted else "—"
        rows.append((effect, n, seen, share(detected, n), share(clean, n), share(both, n)))
    if not rows:
        return
    print(f"### Planted regressions on {target}, {length} runs (pairs A r_i vs slowed r_i)")
    print("| planted | pairs | p95 change seen (median) | detected (power) | no innocent entry "
          "failing | both |")
    print("|---|---|---|---|---|---|")
    for effect, n, seen, det, cln, bth in rows:
        print(f"| service time {effect.replace('p', '+')} % | {n} | {seen} | {det} | {cln} | {bth} |")


def main():
    eval_dir, target = sys.argv[1], sys.argv[2]
    pairs = load(eval_dir)
    if not pairs:
        sys.exit(f"no comparisons in {eval_dir}")
    for length in ("60s", "30s"):
        aa_section(pairs, length)
        effect_section(pairs, length, target)
    print("Intervals: 95 % Wilson score intervals, in %.")


if __name__ == "__main__":
    main()

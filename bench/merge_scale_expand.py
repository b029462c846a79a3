#!/usr/bin/env python3
"""Expands real shard bundles to a long run for bench/merge_scale.sh.

Usage: merge_scale_expand.py SAMPLE_DIR OUT_DIR SECONDS

SAMPLE_DIR holds shard-I/run_shard.json and shard-I/run_shard_seconds.jsonl from a short real
sharded run. Each shard's recorded ticks (their HDR histograms, Locust buckets and failures
untouched) are repeated in order until SECONDS lines are written, `now` one second after the
previous line and `last_request` / failures' first_seen and last_seen shifted by as much, so the
bundle reads as a SECONDS-long run with the shard's real per-second figures.
"""

import json
import pathlib
import sys

def shifted(text: str, shift: int) -> str:
    """An exact float (a bundle writes them as shortest round-trip text) `shift` seconds on."""
    return repr(float(text) + shift)


def shift_times(record: dict, shift: int) -> None:
    if record.get("last_request") is not None:
        record["last_request"] = shifted(record["last_request"], shift)
    for failure in record["failures"]:
        failure["first_seen"] = shifted(failure["first_seen"], shift)
        failure["last_seen"] = shifted(failure["last_seen"], shift)


def expand(sample: pathlib.Path, out: pathlib.Path, seconds: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    meta = json.loads((sample / "run_shard.json").read_text())
    lines = [
        line
        for line in (sample / "run_shard_seconds.jsonl").read_bytes().split(b"\n")
        if line.strip()
    ]
    # Ticks with traffic only (the ramp's empty edges would repeat as holes).
    records = [json.loads(line) for line in lines]
    busy = [r for r in records if r["entries"]] or records
    first_now = busy[0]["now"]
    period = len(busy)
    with (out / "run_shard_seconds.jsonl").open("w") as file:
        for tick in range(seconds):
            record = dict(busy[tick % period])
            record["failures"] = [dict(f) for f in record["failures"]]
            shift = first_now + tick - record["now"]
            record["now"] = first_now + tick
            shift_times(record, shift)
            file.write(json.dumps(record, separators=(",", ":")) + "\n")
    meta["ended_at"] = shifted(meta["start"], seconds + 1)
    (out / "run_shard.json").write_text(json.dumps(meta, indent=2) + "\n")


def main() -> None:
    sample, out, seconds = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), int(sys.argv[3])
    for shard in sorted(sample.glob("shard-*")):
        expand(shard, out / shard.name, seconds)


if __name__ == "__main__":
    main()

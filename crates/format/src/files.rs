//! The files of one run: `PREFIX` + a suffix each (`results/run` → `results/run_stats.csv`), and
//! the helpers that go from a prefix to a file and back.

use std::path::{Path, PathBuf};

/// Final totals per entry (Locust).
pub const STATS: &str = "_stats.csv";
/// One batch of rows per second (Locust).
pub const HISTORY: &str = "_stats_history.csv";
/// Failures per entry and error (Locust).
pub const FAILURES: &str = "_failures.csv";
/// Errors raised by task code (Locust).
pub const EXCEPTIONS: &str = "_exceptions.csv";
/// One row per step of a step run (captest).
pub const STEPS: &str = "_steps.csv";
/// Business events per entry (captest).
pub const EVENTS: &str = "_events.csv";
/// Full-resolution response-time histograms, HdrHistogram's interval log (captest).
pub const LATENCY_HDR: &str = "_latency.hdr";
/// A shard's description, or a merged run's (captest, `--shard I/N` and `captest merge`): one
/// JSON object — `format` (1), `shard` `{index, count}` (a merge: `{merged, count, missing}`,
/// `partial` true when `--allow-partial` left shards out), `scenario_hash` (SHA-256 of the
/// scenario), `load` (the unsharded load flags), `hdr` `{significant_digits, unit}`, `start`
/// (the run's start, unix seconds, exact decimal text), `open_model`, `full_history`,
/// `event_weights` `[{method, name, weight}]`, `exceptions` `[{count, message, traceback}]` (written
/// when the shard ends), `ended` and `ended_at` (why and when it ended, `null` while it runs) and
/// `steps` (a `step` run's unsharded plan: `start`, `step`, `every`, `max_level`, `max_steps`,
/// `settle`, `rules`; `null` for other runs).
pub const SHARD_META: &str = "_shard.json";
/// A shard's measurements per aggregator tick (captest, `--shard I/N`), what a merge rebuilds the
/// run from: one JSON object per line — `now` (the history Timestamp of the tick), `users`,
/// `last_request` (unix seconds, exact decimal text, or null), `entries` `[{method, name, requests,
/// failures, sum_ns, min_ns, max_ns, content_bytes, events, buckets: [[index, count]…], hdr:
/// base64 V2 histogram of microseconds (plain V2; V2-deflate is read too)}]` (what completed in the second before `now`),
/// `failures` `[{method, name, kind: {status|os|timeout|other: …}, occurrences, first_seen,
/// last_seen}]`. Appended and flushed at every tick, like the history.
pub const SHARD_SECONDS: &str = "_shard_seconds.jsonl";
/// The file beside a saved baseline's run files that records how it was made (not a suffix: a
/// baseline `NAME` is the directory `NAME/` holding `NAME_*.csv` and `meta.json`).
pub const META_JSON: &str = "meta.json";

/// Every suffix of a run's files.
pub const SUFFIXES: [&str; 7] = [
    HISTORY,
    STATS,
    FAILURES,
    EXCEPTIONS,
    STEPS,
    EVENTS,
    LATENCY_HDR,
];

/// The four files Locust writes, in the order captest lists them.
pub const LOCUST_SUFFIXES: [&str; 4] = [STATS, HISTORY, FAILURES, EXCEPTIONS];

/// `prefix` + `suffix` as a path (`results/run` + `_stats.csv` → `results/run_stats.csv`).
pub fn prefixed(prefix: &Path, suffix: &str) -> PathBuf {
    let mut name = prefix.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

/// The prefix of `path` when it is one of a run's files (`results/run_stats_history.csv` →
/// `results/run`); `None` when it ends with none of [`SUFFIXES`].
pub fn prefix_of(path: &Path) -> Option<PathBuf> {
    let text = path.to_string_lossy();
    SUFFIXES
        .iter()
        .find_map(|suffix| text.strip_suffix(suffix))
        .map(PathBuf::from)
}

/// The run name of a file name holding `suffix` (`run_stats.csv` with [`STATS`] → `run`).
pub fn stem<'a>(file_name: &'a str, suffix: &str) -> Option<&'a str> {
    file_name.strip_suffix(suffix)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_prefix_and_its_files_go_both_ways() {
        let prefix = Path::new("results/run");
        for suffix in SUFFIXES {
            let path = prefixed(prefix, suffix);
            assert_eq!(prefix_of(&path).as_deref(), Some(prefix), "{suffix}");
        }
        assert_eq!(
            prefixed(prefix, HISTORY),
            Path::new("results/run_stats_history.csv")
        );
    }

    #[test]
    fn a_path_that_is_no_run_file_has_no_prefix() {
        assert_eq!(prefix_of(Path::new("results/run")), None);
        assert_eq!(prefix_of(Path::new("results/run.csv")), None);
    }

    #[test]
    fn a_history_file_has_the_prefix_of_its_run() {
        assert_eq!(
            prefix_of(Path::new("a_stats_history.csv")).as_deref(),
            Some(Path::new("a"))
        );
    }

    #[test]
    fn a_stem_is_the_name_before_the_suffix() {
        assert_eq!(stem("run_stats.csv", STATS), Some("run"));
        assert_eq!(stem("run.csv", STATS), None);
    }
}

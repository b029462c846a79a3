//! Helpers shared by the scenario-file end-to-end tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{read_csv, run_captest, with_suffix};
use captest_format::columns::{FAILURE_COUNT, NAME, REQUEST_COUNT, TYPE};
use captest_format::{files, Entry};

/// (requests, failures) per `TYPE NAME` entry of `PREFIX_stats.csv`.
pub fn stats_by_name(prefix: &Path) -> HashMap<String, (f64, f64)> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .map(|r| {
            let key = Entry::from_row(&r[TYPE], &r[NAME]).to_string();
            (
                key,
                (
                    r[REQUEST_COUNT].parse().expect("count"),
                    r[FAILURE_COUNT].parse().expect("fails"),
                ),
            )
        })
        .collect()
}

/// Writes `text` to `DIR/NAME` and returns that path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).expect("write");
    path
}

/// `captest ARGS` with `--csv PREFIX -q` added; asserts the exit code.
pub fn run_ok(args: &[&str], prefix: &Path, code: i32) {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["-q", "--csv", prefix.to_str().expect("utf-8")]);
    let output = run_captest(&all);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {output:?}");
}

/// How many requests the demo server counted on `route`, 0 if none.
pub fn route_count(counters: &serde_json::Value, route: &str) -> u64 {
    counters["routes"][route]["count"].as_u64().unwrap_or(0)
}

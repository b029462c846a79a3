//! Helpers shared by the scenario-file end-to-end tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{read_csv, run_captest, with_suffix};

/// (requests, failures) per `TYPE NAME` entry of `PREFIX_stats.csv`.
pub fn stats_by_name(prefix: &Path) -> HashMap<String, (f64, f64)> {
    read_csv(&with_suffix(prefix, "_stats.csv"))
        .into_iter()
        .map(|r| {
            let key = format!("{} {}", r["Type"], r["Name"]).trim().to_owned();
            (
                key,
                (
                    r["Request Count"].parse().expect("count"),
                    r["Failure Count"].parse().expect("fails"),
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

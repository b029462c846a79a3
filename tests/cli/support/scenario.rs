//! Helpers shared by the scenario-file end-to-end tests.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{read_csv, run_captest, with_suffix, DemoServer};
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

/// Writes each case (file name, scenario text, `:LINE:` or `:LINE:COLUMN:` expected after the
/// name, a text the message holds) in `dir`, runs it against `server` and asserts it is refused
/// before any request: exit 2, one stderr line naming the file and position; the server saw
/// nothing.
pub fn assert_refused_at_load(
    dir: &Path,
    server: &DemoServer,
    cases: &[(&str, String, &str, &str)],
) {
    for (name, text, position, needle) in cases {
        let file = write(dir, name, text);
        let path = file.to_str().expect("utf-8");
        let output = run_captest(&["run", path, "--host", &server.url, "-t", "1s", "-q"]);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{name}: {stderr}");
        assert!(
            stderr.contains(&format!("{name}{position}")) && stderr.contains(needle),
            "{name}: {stderr}"
        );
        assert_eq!(
            stderr.trim().lines().count(),
            1,
            "{name}: one line: {stderr}"
        );
    }
    assert_eq!(
        server.counters()["total"].as_u64(),
        Some(0),
        "no request was sent"
    );
}

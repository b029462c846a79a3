//! Helpers shared by the `captest analyze` end-to-end tests.

use captest_format::columns::{NAME, TYPE};
use captest_format::{files, Entry};

use super::{locust_dir, read_csv, run_captest, with_suffix};

/// `captest analyze ARGS --json`, asserted to exit 0, as parsed JSON.
pub fn analyze_json(args: &[&str]) -> serde_json::Value {
    let output = run_captest(&[&["analyze"][..], args, &["--json"]].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// Whether `actual` equals `expected` to a relative 1e-9.
pub fn close(actual: f64, expected: f64) -> bool {
    (actual - expected).abs() <= 1e-9 * expected.abs().max(1.0)
}

/// Asserts `captest analyze ARGS` fails with exit 2 and one stderr line mentioning `needle`.
pub fn expect_error(args: &[&str], needle: &str) {
    let output = run_captest(&[&["analyze"][..], args].concat());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{args:?}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(needle),
        "{args:?}: {stderr:?} should mention {needle:?}"
    );
    assert!(!stderr.contains("panicked"));
}

/// The Aggregated rows of a Locust history, as (Timestamp, row) with numbers parsed where they are.
pub fn aggregated_history(run: &str) -> Vec<std::collections::HashMap<String, String>> {
    let path = locust_dir().join(run).join(run);
    read_csv(&with_suffix(&path, files::HISTORY))
        .into_iter()
        .filter(|r| Entry::from_row(&r[TYPE], &r[NAME]).is_aggregated())
        .collect()
}

/// The file prefix of the real Locust step run.
pub fn step_prefix() -> String {
    locust_dir()
        .join("step")
        .join("step")
        .to_str()
        .expect("utf-8")
        .to_owned()
}

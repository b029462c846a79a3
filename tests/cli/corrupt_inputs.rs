//! Corrupt inputs to `analyze`, `compare` and `report`: the corpus of `tests/fixtures/corrupt/`
//! (one directory per case, each a run `run_*` cut from a real Locust run; its README says how
//! each was made). Each case is either refused with one line naming the file and the line, exit
//! 2, no parser internals — or tolerated as documented, with the figures of the clean run.

use std::path::PathBuf;

use crate::support::run_captest;

/// The prefix of a case's run.
fn case(name: &str) -> String {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/corrupt");
    dir.join(name).join("run").to_string_lossy().into_owned()
}

/// Asserts `output` is one error line with every one of `needles`, exit 2, and nothing of the
/// CSV parser's own words.
fn assert_refused(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{stderr:?} should say {needle:?}");
    }
    for internal in [
        "polars",
        "infer_schema_length",
        "Did you mean",
        "panicked",
        "Schema",
    ] {
        assert!(!stderr.contains(internal), "parser internals: {stderr}");
    }
}

/// `captest analyze PREFIX --json`: the output.
fn analyze(prefix: &str) -> std::process::Output {
    run_captest(&["analyze", prefix, "--json"])
}

#[test]
fn each_corrupt_file_is_refused_with_its_file_and_line() {
    let cases: [(&str, &[&str]); 11] = [
        (
            "nan",
            &["run_stats_history.csv: line 6", "\"Requests/s\"", "NaN"],
        ),
        ("inf", &["run_stats_history.csv: line 8", "\"95%\"", "inf"]),
        (
            "negative_count",
            &["run_stats_history.csv: line 4", "Total Request Count", "-5"],
        ),
        (
            "missing_column",
            &[
                "run_stats_history.csv: line 1",
                "missing column \"Total Request Count\"",
            ],
        ),
        (
            "cr_line_ends",
            &["run_stats_history.csv: line 1", "carriage return"],
        ),
        ("non_utf8", &["run_stats_history.csv: line 9", "not UTF-8"]),
        (
            "duplicated_aggregated",
            &["run_stats_history.csv: line 7", "a second Aggregated row"],
        ),
        (
            "duplicated_aggregated_stats",
            &[
                "run_stats.csv: line 11",
                "a second Aggregated row",
                "line 10",
            ],
        ),
        (
            "timestamps_backwards",
            &[
                "run_stats_history.csv: line 11",
                "earlier than the previous",
            ],
        ),
        (
            "short_row",
            &["run_stats_history.csv: line 5", "7 cells", "24"],
        ),
        (
            "unclosed_quote",
            &["run_stats_history.csv: line 5", "never closed"],
        ),
    ];
    for (name, needles) in cases {
        let output = analyze(&case(name));
        assert_refused(&output, needles);
        assert!(output.stdout.is_empty(), "{name}: nothing on stdout");
    }
}

#[test]
fn tolerated_files_give_the_clean_runs_figures() {
    let clean = analyze(&case("clean"));
    assert_eq!(clean.status.code(), Some(0));
    let figures = |output: &std::process::Output| -> serde_json::Value {
        serde_json::from_slice(&output.stdout).expect("JSON")
    };
    // A BOM, LF line ends and another column order read as the clean file.
    for name in ["bom", "lf_line_ends", "reordered_columns"] {
        let output = analyze(&case(name));
        assert_eq!(output.status.code(), Some(0), "{name}");
        assert!(output.stderr.is_empty(), "{name}: no warning");
        assert_eq!(figures(&output), figures(&clean), "{name}");
    }
    // A last line cut short (a run killed while Locust wrote it) is left out with a warning
    // naming it; the complete lines are the clean run's.
    let output = analyze(&case("truncated_last_line"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("warning: "), "{stderr}");
    assert!(
        stderr.contains("run_stats_history.csv: line 14"),
        "{stderr}"
    );
    assert!(stderr.contains("left out"), "{stderr}");
    assert_eq!(figures(&output), figures(&clean));
}

#[test]
fn compare_and_report_refuse_the_same_files_with_the_same_line() {
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("r.html");
    let html = html.to_str().expect("utf-8");
    for (name, needle) in [
        ("nan", "run_stats_history.csv: line 6"),
        ("duplicated_aggregated_stats", "run_stats.csv: line 11"),
    ] {
        let compare = run_captest(&[
            "compare",
            &case("clean"),
            &case(name),
            "--fail-on",
            "p95+10%",
        ]);
        assert_refused(&compare, &[needle]);
        let report = run_captest(&["report", &case(name), "-o", html]);
        assert_refused(&report, &[needle]);
        assert!(!std::path::Path::new(html).exists(), "no report written");
    }
    // The cut last line is tolerated by report as by analyze.
    let report = run_captest(&["report", &case("truncated_last_line"), "-o", html]);
    assert_eq!(report.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&report.stderr).contains("line 14"));
}

#[test]
fn a_line_over_the_limit_is_refused_without_reading_it_whole() {
    // The limit is 1 MiB a line (a history row is under 1 KiB): a 3 MiB line proves it (the
    // reader never holds more than the limit of one line, whatever the line's length).
    let dir = tempfile::tempdir().expect("temp dir");
    let source = std::fs::read(format!("{}_stats_history.csv", case("clean"))).expect("read");
    let mut lines: Vec<Vec<u8>> = source.split(|&b| b == b'\n').map(<[u8]>::to_vec).collect();
    let mut huge = b"1795370885,20,GET,/".to_vec();
    huge.resize(3 << 20, b'x');
    lines[4] = huge;
    let prefix = dir.path().join("huge");
    std::fs::write(
        format!("{}_stats_history.csv", prefix.display()),
        lines.join(&b'\n'),
    )
    .expect("write");
    let output = analyze(prefix.to_str().expect("utf-8"));
    assert_refused(
        &output,
        &["huge_stats_history.csv: line 5", "longer than 1 MiB"],
    );
    // The same line as the header.
    let mut header = vec![b'T'; 3 << 20];
    header.extend_from_slice(b"\r\n1,2\r\n");
    std::fs::write(format!("{}_stats_history.csv", prefix.display()), header).expect("write");
    let output = analyze(prefix.to_str().expect("utf-8"));
    assert_refused(
        &output,
        &["huge_stats_history.csv: line 1", "longer than 1 MiB"],
    );
}

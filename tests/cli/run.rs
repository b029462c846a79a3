//! End-to-end tests of `captest run`: files, exit codes, failures, signals, bad input.

use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::support::*;
use captest_format::columns::{
    ERROR, FAILURE_COUNT, METHOD, NAME, OCCURRENCES, REQUEST_COUNT, TOTAL_REQUEST_COUNT,
};
use captest_format::files;

#[test]
fn csv_headers_match_real_locust_files_byte_for_byte() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("run");
    let port = closed_port();
    let output = run_captest(&[
        "run",
        "--host",
        &format!("http://127.0.0.1:{port}"),
        "-u",
        "1",
        "-r",
        "10",
        "-t",
        "1s",
        "--wait",
        "50ms",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8 path"),
    ]);
    assert_eq!(output.status.code(), Some(1), "failures exit 1");
    let locust = locust_dir().join("constant").join("constant");
    for suffix in [
        "_stats.csv",
        "_stats_history.csv",
        "_failures.csv",
        "_exceptions.csv",
    ] {
        assert_eq!(
            String::from_utf8_lossy(&first_line(&with_suffix(&prefix, suffix))),
            String::from_utf8_lossy(&first_line(&with_suffix(&locust, suffix))),
            "header of {suffix}"
        );
    }
    let bytes = std::fs::read(with_suffix(&prefix, files::STATS)).expect("stats file");
    let text = String::from_utf8(bytes).expect("utf-8");
    assert!(text.ends_with("\r\n"));
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "CRLF only"
    );
}

#[test]
fn run_against_closed_port_finishes_exits_1_and_lists_connection_errors() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("closed");
    let port = closed_port();
    let started = Instant::now();
    let output = run_captest(&[
        "run",
        "--host",
        &format!("http://127.0.0.1:{port}"),
        "-u",
        "3",
        "-r",
        "30",
        "-t",
        "2s",
        "--wait",
        "20ms",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8 path"),
    ]);
    assert!(started.elapsed() < Duration::from_secs(15));
    assert_eq!(output.status.code(), Some(1));
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let aggregated = stats.last().expect("an Aggregated row");
    assert_eq!(aggregated[NAME], "Aggregated");
    let requests: u64 = aggregated[REQUEST_COUNT].parse().expect("count");
    assert!(requests > 10, "users kept trying: {requests}");
    assert_eq!(aggregated[FAILURE_COUNT], aggregated[REQUEST_COUNT]);
    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(failures[0][METHOD], "GET");
    assert_eq!(failures[0][NAME], "/");
    assert_eq!(
        failures[0][ERROR],
        "ConnectionRefusedError(111, 'Connection refused')"
    );
    assert_eq!(failures[0][OCCURRENCES], aggregated[FAILURE_COUNT]);
    assert!(failures[0]["First Seen"].ends_with('Z'));
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let blocker = dir.path().join("a-file");
    std::fs::write(&blocker, "not a directory").expect("write");
    let unwritable = blocker.join("sub").join("run");
    let port = closed_port().to_string();
    let host = format!("http://127.0.0.1:{port}");
    let cases: Vec<Vec<&str>> = vec![
        vec!["run", "--host", "not a url", "-t", "1s"],
        vec!["run", "--host", "ftp://127.0.0.1:1", "-t", "1s"],
        vec!["run", "--host", &host, "-u", "0", "-t", "1s"],
        vec!["run", "--host", &host, "-r", "0", "-t", "1s"],
        vec!["run", "--host", &host, "--threads", "0", "-t", "1s"],
        vec![
            "rate",
            "--host",
            &host,
            "--rps",
            "5",
            "--max-in-flight",
            "0",
        ],
        vec!["run", "--host", &host, "-t", "soon"],
        vec!["run", "--host", &host, "--no-such-flag"],
        vec![
            "run",
            "--host",
            &host,
            "-t",
            "1s",
            "--csv",
            unwritable.to_str().expect("utf-8"),
        ],
    ];
    for args in cases {
        let started = Instant::now();
        let output = run_captest(&args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "{args:?} fails fast"
        );
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains("error"), "{args:?}: {stderr}");
        assert!(output.stdout.is_empty(), "nothing started for {args:?}");
    }
}

#[test]
fn sigint_mid_run_leaves_complete_parseable_files_and_exits() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("interrupted");
    let port = closed_port();
    let mut child = captest()
        .args([
            "run",
            "--host",
            &format!("http://127.0.0.1:{port}"),
            "-u",
            "2",
            "-r",
            "10",
            "-t",
            "60s",
            "--wait",
            "20ms",
            "-q",
            "--csv-full-history",
            "--csv",
            prefix.to_str().expect("utf-8 path"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("captest starts");
    std::thread::sleep(Duration::from_millis(2500));
    signal(&child, "INT");
    let exit = wait_for_exit(&mut child, Duration::from_secs(10));
    assert_eq!(exit.code(), Some(1), "requests failed, so exit 1");
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let history = read_csv(&with_suffix(&prefix, files::HISTORY));
    let last = history
        .iter()
        .rev()
        .find(|r| r[NAME] == "Aggregated")
        .expect("history has Aggregated rows");
    let aggregated = stats.last().expect("Aggregated");
    assert_eq!(last[TOTAL_REQUEST_COUNT], aggregated[REQUEST_COUNT]);
    assert!(
        history.len() >= 3,
        "one batch per second: {}",
        history.len()
    );
    assert!(with_suffix(&prefix, files::LATENCY_HDR).exists());
}

//! Load shapes and their flags end to end against the demo server: stop rules firing and switched
//! off, stages from a file and arrival-rate stages (the open model's other flags: `shapes_rate`).

use std::collections::HashMap;
use std::path::Path;

use crate::support::{number, read_csv, run_captest, with_suffix, DemoServer};
use captest_format::columns::{
    ERROR_PCT, NAME, REQUESTS_PER_S, STOP_REASON, TOTAL_REQUEST_COUNT, USER_COUNT,
};
use captest_format::files;

pub(crate) fn steps_of(prefix: &Path) -> Vec<HashMap<String, String>> {
    read_csv(&with_suffix(prefix, files::STEPS))
}

pub(crate) fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn errors_rule_stops_the_step_run_and_says_where() {
    // 5 % of answers are 500s: `errors>1%` fires at the end of the first step.
    let server = DemoServer::start(&["--service-time", "2ms", "--error-rate", "0.05"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("errors");
    let output = run_captest(&[
        "step",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--start",
        "4",
        "--step",
        "4",
        "--every",
        "3s",
        "--settle",
        "1s",
        "--max-steps",
        "5",
        "--stop-on",
        "errors>1%",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "failures, so exit 1: {}",
        stderr(&output)
    );
    let steps = steps_of(&prefix);
    assert_eq!(steps.len(), 1, "stopped after the first step: {steps:?}");
    let reason = &steps[0][STOP_REASON];
    assert!(reason.starts_with("errors>1%: "), "{reason}");
    let rps = number(&steps[0], REQUESTS_PER_S);
    let said: f64 = regex::Regex::new(r"\(at 4 users, ([0-9.]+) req/s\)$")
        .expect("regex")
        .captures(reason)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("which rule, at what users and RPS: {reason}"));
    assert!((said - rps).abs() <= 0.051, "{reason} vs {rps}");
    let error_pct = number(&steps[0], ERROR_PCT);
    assert!((2.0..=9.0).contains(&error_pct), "{error_pct} %");
}

#[test]
fn no_auto_stop_runs_every_step() {
    // Same failing server: with --no-auto-stop nothing stops the run but --max-steps.
    let server = DemoServer::start(&["--service-time", "2ms", "--error-rate", "0.05"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("all");
    let output = run_captest(&[
        "step",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--start",
        "2",
        "--step",
        "2",
        "--every",
        "2s",
        "--settle",
        "1s",
        "--max-steps",
        "3",
        "--no-auto-stop",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let steps = steps_of(&prefix);
    let users: Vec<f64> = steps.iter().map(|s| number(s, USER_COUNT)).collect();
    assert_eq!(users, [2.0, 4.0, 6.0], "{steps:?}");
    let reason = &steps[2][STOP_REASON];
    assert!(!reason.contains("errors>1%"), "no rule fires: {reason}");
    assert!(!reason.is_empty());
}

#[test]
fn stages_file_drives_the_user_count() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let stages = dir.path().join("spike.stages");
    std::fs::write(&stages, "# a spike\n2s:3\n2s:3   # hold\n1s:12\n2s:12\n").expect("stages");
    let prefix = dir.path().join("spike");
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/health",
        "--wait",
        "50ms",
        "-r",
        "100",
        "--stages-file",
        stages.to_str().expect("utf-8"),
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let users: Vec<f64> = read_csv(&with_suffix(&prefix, files::HISTORY))
        .iter()
        .map(|r| number(r, USER_COUNT))
        .collect();
    assert!(users.contains(&3.0), "{users:?}");
    assert!(users.contains(&12.0), "{users:?}");
    let first_12 = users.iter().position(|u| *u == 12.0).expect("12");
    assert!(
        first_12 >= 4,
        "the spike comes after 4 s of 3 users: {users:?}"
    );
    assert!(users[..first_12].iter().all(|u| *u <= 12.0), "{users:?}");
}

/// Requests completed each second, from the Aggregated history's running totals.
fn completed_per_second(prefix: &Path) -> Vec<f64> {
    let totals: Vec<f64> = read_csv(&with_suffix(prefix, files::HISTORY))
        .iter()
        .filter(|r| r[NAME] == "Aggregated")
        .map(|r| number(r, TOTAL_REQUEST_COUNT))
        .collect();
    totals.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn rps_stages_set_the_arrival_rate() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "32"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("rps");
    let output = run_captest(&[
        "rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--rps-stages",
        "0s:50,3s:50,0s:200,3s:200",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let per_second = completed_per_second(&prefix);
    assert!(per_second.len() >= 5, "{per_second:?}");
    // Whole seconds inside each stage (the first and the boundary seconds mix two rates).
    let low = per_second[1];
    let high = per_second[per_second.len() - 2];
    assert!((45.0..=55.0).contains(&low), "50/s stage: {per_second:?}");
    assert!(
        (180.0..=220.0).contains(&high),
        "200/s stage: {per_second:?}"
    );
}

//! `captest step` against the demo server, whose capacity is known: the breaking point it finds is
//! checked against the truth (capacity 8 slots × 20 ms = 400 req/s, reached at 8 users).

use std::collections::HashMap;
use std::path::Path;

use crate::support::*;
use captest_format::columns::{REQUESTS_PER_S, STOP_REASON, USER_COUNT};
use captest_format::files;

#[test]
fn step_run_stops_at_the_known_capacity() {
    let server = DemoServer::start(&["--capacity", "8", "--service-time", "20ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("step");
    let output = run_captest(&[
        "step",
        "--host",
        &server.url,
        "--path",
        "/item/1",
        "--start",
        "2",
        "--step",
        "2",
        "--every",
        "5s",
        "--max-users",
        "20",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let steps = read_csv(&with_suffix(&prefix, files::STEPS));
    assert!(steps.len() >= 4, "{steps:?}");
    let users: Vec<f64> = steps
        .iter()
        .map(|s| s[USER_COUNT].parse().expect("users"))
        .collect();
    let rps: Vec<f64> = steps
        .iter()
        .map(|s| s[REQUESTS_PER_S].parse().expect("rps"))
        .collect();
    // Users follow the steps: 2, 4, 6, ...
    for (index, count) in users.iter().enumerate() {
        assert_eq!(*count, 2.0 * (index as f64 + 1.0), "{users:?}");
    }
    history_follows_the_steps(&prefix, &users);
    // The plateau is within 10 % of the theoretical 400 req/s.
    let plateau = rps.iter().cloned().fold(0.0, f64::max);
    assert!(
        (360.0..=440.0).contains(&plateau),
        "plateau {plateau} req/s, steps {rps:?}"
    );
    // The run stopped at the breaking point, and said why, on the last row.
    last_step_says_why_it_stopped(steps.last().expect("a last step"));
    assert!(users.len() < 10, "stopped before --max-users: {users:?}");
    // Where RPS stops growing (< 5 % more) is within one step of 8 users.
    let knee = rps
        .windows(2)
        .position(|w| w[1] < w[0] * 1.05)
        .map(|i| users[i])
        .expect("a step where throughput stopped growing");
    assert!(
        (6.0..=10.0).contains(&knee),
        "knee at {knee} users, steps {rps:?}"
    );
    analyzer_finds_the_knee(&prefix);
}

/// The history's User Count follows the shape second by second: it only rises, one step every
/// 5 s, and holds each level of `users` (but the last) for the step (4–6 rows at a 1-second
/// cadence).
fn history_follows_the_steps(prefix: &Path, users: &[f64]) {
    let history: Vec<f64> = read_csv(&with_suffix(prefix, files::HISTORY))
        .iter()
        .map(|r| r[USER_COUNT].parse().expect("users"))
        .collect();
    let running = &history[1..history.len() - 1]; // the start row and the final batch
    assert!(running.windows(2).all(|w| w[1] >= w[0]), "{history:?}");
    for level in &users[..users.len() - 1] {
        let seconds = running.iter().filter(|u| *u == level).count();
        assert!(
            (4..=6).contains(&seconds),
            "{level} users for {seconds} s: {history:?}"
        );
    }
}

/// The `last` step's Stop Reason names the rule that fired and where: its users and req/s.
fn last_step_says_why_it_stopped(last: &HashMap<String, String>) {
    let reason = &last[STOP_REASON];
    assert!(
        ["errors>1%: ", "p95>5x: ", "rps-growth<5%: "]
            .iter()
            .any(|rule| reason.starts_with(rule)),
        "a stop rule fired: {reason}"
    );
    let place = regex::Regex::new(r"\(at (\d+) users, ([0-9.]+) req/s\)$")
        .expect("regex")
        .captures(reason)
        .unwrap_or_else(|| panic!("where it fired: {reason}"));
    assert_eq!(place[1], last[USER_COUNT], "{reason}");
    let rps_said: f64 = place[2].parse().expect("rps");
    let rps_last: f64 = last[REQUESTS_PER_S].parse().expect("rps");
    assert!((rps_said - rps_last).abs() <= 0.051, "{reason} / {last:?}");
}

/// The analyzer finds the knee of the run at `prefix` within 10 % of the known capacity.
fn analyzer_finds_the_knee(prefix: &Path) {
    let output = run_captest(&["analyze", prefix.to_str().expect("utf-8"), "--json"]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let analysis: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let knee_rps = analysis["knee"]["rps"].as_f64().expect("a knee");
    assert!(
        (knee_rps / 400.0 - 1.0).abs() <= 0.10,
        "knee at {knee_rps} req/s vs capacity 400; {}",
        analysis["knee_note"]
    );
    assert_eq!(analysis["steps_source"], "steps_file");
}

//! `captest demo`: the whole job on the built-in target, end to end.

use crate::support::*;
use captest_format::columns::{EVENTS, NAME, REQUESTS};

#[test]
fn demo_runs_step_load_analysis_and_report_on_the_embedded_server() {
    let _load = crate::support::cores::Load::start();
    let dir = tempfile::tempdir().expect("temp dir");
    let output = run_captest(&[
        "demo",
        "-q",
        "--every",
        "4s",
        "--out",
        dir.path().to_str().expect("utf-8"),
    ]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("(nothing lost)"), "{stdout}");
    // The breaking point found, checked against the truth the demo knows (400 req/s, 8 users).
    let off: f64 = regex::Regex::new(r"truth: the server saturates at 400 req/s \(8 users\); the knee found is ([+-][0-9.]+)% off")
        .expect("regex")
        .captures(&stdout)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("a knee compared with the truth: {stdout}"));
    assert!(off.abs() <= 10.0, "knee {off:+.1}% off the true capacity");
    assert!(stdout.contains("business events:"), "{stdout}");
    let report = dir.path().join("demo_report.html");
    assert!(
        stdout.contains(&format!("report: {}", report.display())),
        "{stdout}"
    );
    let html = std::fs::read_to_string(&report).expect("the report");
    assert!(html.contains("id=\"chart-scalability\"") && html.contains("id=\"table-steps\""));
    for suffix in [
        "_stats.csv",
        "_stats_history.csv",
        "_steps.csv",
        "_events.csv",
        "_latency.hdr",
    ] {
        assert!(
            dir.path().join(format!("demo{suffix}")).is_file(),
            "{suffix}"
        );
    }
    let events = read_csv(&dir.path().join("demo_events.csv"));
    let batch = events
        .iter()
        .find(|r| r[NAME] == "POST /api/v1/event/batch")
        .expect("batch events");
    let requests: f64 = batch[REQUESTS].parse().expect("requests");
    let carried: f64 = batch[EVENTS].parse().expect("events");
    assert_eq!(carried, requests * 20.0);
}

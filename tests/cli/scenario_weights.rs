//! Scenario weights and pacing end to end against the demo server: task and class weights,
//! fixed-count classes, repeated bodies, pacing and wait times hold.

use std::path::Path;

use crate::support::scenario::*;
use crate::support::*;

#[test]
fn task_weights_hold_within_two_points_over_ten_thousand_requests() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "weights.toml",
        r#"
[[users]]
name = "Weighted"
[[users.tasks]]
weight = 1
[[users.tasks.requests]]
path = "/health"
name = "one"
[[users.tasks]]
weight = 2
[[users.tasks.requests]]
path = "/health"
name = "two"
[[users.tasks]]
weight = 7
[[users.tasks.requests]]
path = "/health"
name = "seven"
"#,
    );
    let prefix = dir.path().join("weights");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "4s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let stats = stats_by_name(&prefix);
    let total = stats["Aggregated"].0;
    assert!(total >= 10_000.0, "{total} requests");
    for (name, weight) in [("GET one", 0.1), ("GET two", 0.2), ("GET seven", 0.7)] {
        let share = stats[name].0 / total;
        assert!(
            (share - weight).abs() <= 0.02,
            "{name}: {share:.3} vs {weight}"
        );
    }
}

#[test]
fn pacing_and_wait_times_hold_within_five_percent() {
    let server = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    // 4 users × 5 s with 100 ms per iteration: 200 requests (/health answers in well under 1 ms).
    // The four waits run at once (light loads: 40 req/s each).
    let waits = [
        ("pacing", r#"{ pacing = "100ms" }"#),
        ("constant", r#"{ constant = "99ms" }"#),
        ("between", r#"{ between = ["49ms", "149ms"] }"#),
        ("throughput", "{ throughput = 10.0 }"),
    ];
    std::thread::scope(|scope| {
        for (name, wait) in waits {
            let (dir, url) = (dir.path(), server.url.as_str());
            scope.spawn(move || paced_run_sends_200_requests(dir, url, name, wait));
        }
    });
}

/// 4 users for 5 s waiting `wait` between iterations of one request send 200 requests (±5 %).
fn paced_run_sends_200_requests(dir: &Path, url: &str, name: &str, wait: &str) {
    let scenario = write(
        dir,
        &format!("{name}.toml"),
        &format!("[[users]]\nname = \"Paced\"\nwait = {wait}\n[[users.tasks]]\n[[users.tasks.requests]]\npath = \"/health\"\n"),
    );
    let prefix = dir.join(name);
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        url,
        "-u",
        "4",
        "-r",
        "100",
        "-t",
        "5s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{name}: {output:?}");
    let requests = stats_by_name(&prefix)["Aggregated"].0;
    // `between` waits at random: ~50 uniform waits per user (sd 29 ms around 99 ms) leave
    // the count a standard deviation of ~2.5 %, and ±5 % failed once (190 requests) on a
    // loaded machine; ±10 % still catches a wrong distribution (49 ms alone gives +100 %).
    let tolerance = if name == "between" { 0.10 } else { 0.05 };
    assert!(
        (requests / 200.0 - 1.0).abs() <= tolerance,
        "{name}: {requests} requests"
    );
}

#[test]
fn fixed_count_classes_and_repeat_bodies() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "fixed.toml",
        r#"
[[users]]
name = "Reader"
weight = 1
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"

[[users]]
name = "Admin"
fixed_count = 1
wait = { constant = "20ms" }
[[users.tasks]]
[[users.tasks.requests]]
method = "POST"
path = "/api/v1/event/batch"
headers = { Content-Type = "application/json" }
body = '{"events": [{{ repeat(20, "{\"type\": \"click\"}") }}]}'
events = 20
"#,
    );
    let prefix = dir.path().join("fixed");
    let output = run_captest(&[
        "run",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "-u",
        "5",
        "-r",
        "50",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
        "--csv-full-history",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let counters = server.counters();
    let batches = counters["routes"]["POST /api/v1/event/batch"]["status"]["202"]
        .as_u64()
        .expect("batches");
    assert_eq!(
        counters["events"].as_u64(),
        Some(batches * 20),
        "20 events per repeated body"
    );
    let health = counters["routes"]["GET /health"]["count"]
        .as_u64()
        .expect("reads");
    // One admin and four readers at the same pace: about four reads per batch.
    let ratio = health as f64 / batches as f64;
    assert!(
        (3.0..5.0).contains(&ratio),
        "{health} reads, {batches} batches"
    );
}

#[test]
fn class_weights_share_the_users() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "64"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(
        dir.path(),
        "classes.toml",
        r#"
[[users]]
name = "Heavy"
weight = 3
wait = { constant = "100ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/health"

[[users]]
name = "Light"
weight = 1
wait = { constant = "100ms" }
[[users.tasks]]
[[users.tasks.requests]]
path = "/services/light/health"
"#,
    );
    let prefix = dir.path().join("classes");
    run_ok(
        &[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "40",
            "-r",
            "100",
            "-t",
            "3s",
        ],
        &prefix,
        0,
    );
    let counters = server.counters();
    let heavy = route_count(&counters, "GET /health") as f64;
    let light = route_count(&counters, "GET /services/{name}/health") as f64;
    assert!(heavy + light >= 400.0, "{counters}");
    let share = heavy / (heavy + light);
    assert!((share - 0.75).abs() <= 0.10, "heavy share {share:.3}");
}

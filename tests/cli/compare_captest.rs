//! End-to-end tests of gates on captest runs: thresholds at the end of `captest run`,
//! `--abort-on-fail`, and `captest compare` on two captest runs with their own event counts.

use std::path::Path;

use crate::support::compare::*;
use crate::support::*;
use captest_format::columns::{EVENTS, NAME, REQUESTS, REQUESTS_PER_S, TYPE};
use captest_format::files;

#[test]
fn run_applies_thresholds_at_the_end_and_writes_html_without_csv() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let html = dir.path().join("run.html");
    let base = [
        "run",
        "--host",
        server.url.as_str(),
        "--path",
        "/items",
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "2s",
        "-q",
    ];
    let strict = run_captest(
        &[
            &base[..],
            &["--threshold", "p95<1ms", "--threshold", "errors<1%"],
        ]
        .concat(),
    );
    assert_eq!(
        strict.status.code(),
        Some(1),
        "p95 of a 5 ms service is above 1 ms"
    );
    let stdout = String::from_utf8_lossy(&strict.stdout);
    assert!(
        stdout.contains("FAILED: 1 rule(s)") && stdout.contains("p95<1ms"),
        "{stdout}"
    );
    let relaxed = run_captest(
        &[
            &base[..],
            &[
                "--threshold",
                "p95<5s",
                "--html",
                html.to_str().expect("utf-8"),
            ],
        ]
        .concat(),
    );
    assert_eq!(relaxed.status.code(), Some(0), "{relaxed:?}");
    assert!(std::fs::read_to_string(&html)
        .expect("html report")
        .contains("id=\"chart-throughput\""));
}

#[test]
fn abort_on_fail_stops_the_run_when_a_threshold_is_crossed() {
    let server = DemoServer::start(&["--service-time", "5ms"]);
    let started = std::time::Instant::now();
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/items",
        "-u",
        "2",
        "-r",
        "2",
        "-t",
        "60s",
        "-q",
        "--threshold",
        "p95<1ms",
        "--abort-on-fail",
    ]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "stopped early: {:?}",
        started.elapsed()
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("FAILED: 1 rule(s)"), "{stdout}");
}

/// A scenario with a plain read and a batch that delivers 20 business events per request.
const EVENTS_SCENARIO: &str = r#"
[[users]]
name = "Shopper"
wait = { constant = "20ms" }
[[users.tasks]]
weight = 3
[[users.tasks.requests]]
path = "/items"
[[users.tasks]]
weight = 1
[[users.tasks.requests]]
method = "POST"
path = "/api/v1/event/batch"
headers = { Content-Type = "application/json" }
body = '{"events": [{{ repeat(20, "{\"type\": \"click\"}") }}]}'
events = 20
"#;

/// Two short captest runs of [`EVENTS_SCENARIO`] against a local demo server, with full history.
fn two_captest_runs(dir: &Path) -> (String, String) {
    let server = DemoServer::start(&["--service-time", "2ms"]);
    let scenario = dir.join("events.toml");
    std::fs::write(&scenario, EVENTS_SCENARIO).expect("write the scenario");
    // Both runs at once (two light loads), each with its own files.
    let run = |name: &str| {
        let prefix = dir.join(name).to_str().expect("utf-8").to_owned();
        let output = run_captest(&[
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
            "-u",
            "4",
            "-r",
            "40",
            "-t",
            "8s",
            "-q",
            "--csv",
            &prefix,
            "--csv-full-history",
        ]);
        assert_eq!(output.status.code(), Some(0), "{output:?}");
        prefix
    };
    std::thread::scope(|scope| {
        let first = scope.spawn(|| run("first"));
        let second = run("second");
        (first.join().expect("the first run"), second)
    })
}

/// Events per second of `entry` as the run's own files give them: rps × events / requests.
fn events_per_s(prefix: &str, entry: &str) -> f64 {
    let prefix = Path::new(prefix);
    let stats = read_csv(&with_suffix(prefix, files::STATS));
    let events = read_csv(&with_suffix(prefix, files::EVENTS));
    let row = stats
        .iter()
        .find(|r| format!("{} {}", r[TYPE], r[NAME]) == entry)
        .unwrap_or_else(|| panic!("{entry} in {stats:?}"));
    let counted = events
        .iter()
        .find(|r| r[NAME] == entry)
        .unwrap_or_else(|| panic!("{entry} in {events:?}"));
    let number = |text: &str| text.parse::<f64>().expect("a number");
    number(&row[REQUESTS_PER_S]) * number(&counted[EVENTS]) / number(&counted[REQUESTS])
}

/// A captest run compared with itself: exit 0, every delta 0, samples from its history.
fn a_captest_run_compared_with_itself_moves_nothing(first: &str) {
    let (code, json) = gate(&[
        "compare",
        first,
        first,
        "--fail-on",
        "p95+10%",
        "--fail-on",
        "p90+10%",
        "--fail-on",
        "mean+10%",
        "--fail-on",
        "rps-5%",
        "--fail-on",
        "errors+1pp",
        "--fail-on",
        "events-5%",
    ]);
    assert_eq!(code, 0, "{json}");
    let entries = json["entries"].as_array().expect("entries");
    // 3 entries (2 requests + Aggregated) × 6 rules.
    assert_eq!(entries.len(), 18, "{entries:?}");
    assert!(
        entries.iter().all(|e| e["delta"].as_f64() == Some(0.0)),
        "{entries:?}"
    );
    // (Not Aggregated's rps: 4 users paced by a constant wait can complete the same number of
    // requests every second, and equal samples leave nothing to test; the entries' shares of
    // them vary.)
    assert!(
        entries
            .iter()
            .filter(|e| e["metric"] == "rps" && e["entry"] != "Aggregated")
            .all(|e| e["test"] == "mann-whitney-u"),
        "every entry has per-second samples in a captest full history: {entries:?}"
    );
    // Means and percentiles come from the run's exact histograms (_latency.hdr).
    assert!(
        entries.iter().all(|e| match e["metric"].as_str() {
            Some("avg") => e["test"] == "welch-z",
            Some("p95" | "p90") => e["test"] == "price-bonett",
            _ => true,
        }),
        "{entries:?}"
    );
}

/// The events metric uses each run's own _events.csv (no --events given).
fn events_come_from_each_runs_events_csv(first: &str, second: &str) {
    let (_, json) = gate(&["compare", first, second, "--fail-on", "events-90%"]);
    let entries = json["entries"].as_array().expect("entries");
    let find = |entry: &str| {
        entries
            .iter()
            .find(|e| e["entry"] == entry)
            .unwrap_or_else(|| panic!("{entry}: {entries:?}"))
    };
    let batch = "POST /api/v1/event/batch";
    for (key, prefix) in [("baseline", first), ("current", second)] {
        let expected = events_per_s(prefix, batch);
        assert!(expected > 0.0, "{prefix}: events were delivered");
        let reported = find(batch)[key].as_f64().expect("a value");
        assert!(
            (reported - expected).abs() <= 1e-9 * expected,
            "{key}: {reported} vs {expected}"
        );
        assert_eq!(find("Aggregated")[key].as_f64(), Some(reported));
        assert_eq!(find("GET /items")[key].as_f64(), Some(0.0));
    }
}

/// With --warmup the events come from the steady window of each run's full history.
fn with_warmup_events_come_from_the_steady_window(first: &str, second: &str) {
    let batch = "POST /api/v1/event/batch";
    let (_, json) = gate(&[
        "compare",
        first,
        second,
        "--fail-on",
        "events-90%",
        "--warmup",
        "2s",
    ]);
    let entries = json["entries"].as_array().expect("entries");
    for e in entries {
        assert_eq!(e["baseline_source"], "history", "{e}");
        assert_eq!(e["current_source"], "history", "{e}");
    }
    let batch_events = entries
        .iter()
        .find(|e| e["entry"] == batch)
        .and_then(|e| e["baseline"].as_f64())
        .expect("batch events");
    let aggregated_events = entries
        .iter()
        .find(|e| e["entry"] == "Aggregated")
        .and_then(|e| e["baseline"].as_f64())
        .expect("Aggregated events");
    assert!(batch_events > 0.0 && aggregated_events == batch_events);
}

#[test]
fn compare_reads_captest_runs_and_their_own_event_counts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (first, second) = two_captest_runs(dir.path());
    a_captest_run_compared_with_itself_moves_nothing(&first);
    events_come_from_each_runs_events_csv(&first, &second);
    with_warmup_events_come_from_the_steady_window(&first, &second);
    // `check` uses the run's own events too.
    let (code, json) = gate(&["check", &first, "--threshold", "events>1"]);
    assert_eq!(code, 0, "{json}");
}

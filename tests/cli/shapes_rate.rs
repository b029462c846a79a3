//! The open (arrival-rate) model and per-request limits end to end against the demo server: the
//! in-flight bound and dropped iterations, continuous `rate`, `step --rate`, rate ramps and rate
//! steps' stop rules, run timeouts, events/s per step and steps too short for their settle.

use std::process::Stdio;
use std::time::Duration;

use crate::support::{
    captest, number, read_csv, run_captest, signal, wait_for_exit, with_suffix, DemoServer,
};
use captest_format::columns::{
    ERROR, EVENTS_PER_S, FAILURE_COUNT, MAX_RESPONSE_TIME, OFFERED_RATE, REQUESTS_PER_S,
    REQUEST_COUNT, STOP_REASON,
};
use captest_format::files;

use crate::shapes::{stderr, steps_of};

#[test]
fn max_in_flight_bounds_the_open_model_and_dropped_iterations_are_reported() {
    // The server answers in 200 ms; 100 arrivals/s need ~20 in flight, only 4 are allowed.
    let server = DemoServer::start(&["--service-time", "200ms", "--capacity", "64"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("bounded");
    let output = run_captest(&[
        "rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--rps",
        "100",
        "-t",
        "3s",
        "--max-in-flight",
        "4",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = server.counters()["total"].as_f64().expect("total");
    // At most 4 at a time for 3 s at 200 ms each (+ those finishing after the end).
    assert!(received <= 4.0 * 3.0 / 0.2 + 8.0, "{received} requests");
    let message = stderr(&output);
    let dropped: f64 = regex::Regex::new(r"(\d+) iterations dropped")
        .expect("regex")
        .captures(&message)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("dropped iterations reported even with -q: {message}"));
    assert!(
        dropped >= 200.0,
        "≈ 300 arrivals, ≤ 68 served: {dropped} dropped"
    );
}

#[test]
fn rate_without_run_time_runs_until_signalled() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("continuous");
    let mut child = captest()
        .args([
            "rate",
            "--host",
            &server.url,
            "--path",
            "/items",
            "--rps",
            "100",
            "-q",
            "--csv",
            prefix.to_str().expect("utf-8"),
        ])
        .stdout(Stdio::null())
        .spawn()
        .expect("captest starts");
    std::thread::sleep(Duration::from_millis(3000));
    assert!(
        child.try_wait().expect("wait").is_none(),
        "still running after 3 s"
    );
    signal(&child, "INT");
    let exit = wait_for_exit(&mut child, Duration::from_secs(12));
    assert_eq!(exit.code(), Some(0));
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let requests = number(stats.last().expect("Aggregated"), "Request Count");
    assert_eq!(
        requests,
        server.counters()["total"].as_f64().expect("total")
    );
    assert!(
        (250.0..=360.0).contains(&requests),
        "≈ 100/s for ≈ 3 s: {requests}"
    );
}

#[test]
fn step_in_rate_terms_offers_each_steps_rate() {
    let server = DemoServer::start(&["--service-time", "1ms", "--capacity", "32"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("rate-steps");
    let output = run_captest(&[
        "step",
        "--rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--start",
        "50",
        "--step",
        "50",
        "--every",
        "3s",
        "--settle",
        "1s",
        "--max-steps",
        "3",
        "--no-auto-stop",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let steps = steps_of(&prefix);
    let rps: Vec<f64> = steps.iter().map(|s| number(s, REQUESTS_PER_S)).collect();
    assert_eq!(rps.len(), 3, "{steps:?}");
    for (index, measured) in rps.iter().enumerate() {
        let offered = 50.0 * (index as f64 + 1.0);
        assert_eq!(number(&steps[index], OFFERED_RATE), offered, "{steps:?}");
        assert!(
            (measured - offered).abs() <= 0.1 * offered,
            "step {index}: {measured} req/s for {offered} offered"
        );
    }
}

#[test]
fn run_timeout_fails_slow_requests_as_timeouts() {
    let server = DemoServer::start(&["--service-time", "300ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("slow");
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--timeout",
        "50ms",
        "-u",
        "2",
        "-r",
        "10",
        "-t",
        "2s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let stats = read_csv(&with_suffix(&prefix, files::STATS));
    let aggregated = stats.last().expect("Aggregated");
    assert!(number(aggregated, REQUEST_COUNT) >= 10.0, "{aggregated:?}");
    assert_eq!(
        number(aggregated, FAILURE_COUNT),
        number(aggregated, REQUEST_COUNT),
        "every request took longer than 50 ms"
    );
    assert!(
        number(aggregated, MAX_RESPONSE_TIME) < 150.0,
        "{aggregated:?}"
    );
    let failures = read_csv(&with_suffix(&prefix, files::FAILURES));
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!(
        failures[0][ERROR],
        "ReadTimeout('Read timed out after 50 ms for url: /items')"
    );
}

#[test]
fn steps_csv_carries_events_per_second() {
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = dir.path().join("batches.toml");
    std::fs::write(
        &scenario,
        "[[users]]\nname = \"Batcher\"\nwait = { constant = \"20ms\" }\n\
         [[users.tasks]]\n[[users.tasks.requests]]\nmethod = \"POST\"\npath = \"/api/v1/event/batch\"\n\
         json = { events = [{ type = \"click\" }] }\nexpect = [202]\nevents = 20\n",
    )
    .expect("scenario");
    let prefix = dir.path().join("events");
    let output = run_captest(&[
        "step",
        scenario.to_str().expect("utf-8"),
        "--host",
        &server.url,
        "--start",
        "2",
        "--step",
        "2",
        "--every",
        "3s",
        "--settle",
        "1s",
        "--max-steps",
        "2",
        "--no-auto-stop",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let steps = steps_of(&prefix);
    assert_eq!(steps.len(), 2, "{steps:?}");
    for step in &steps {
        let rps = number(step, REQUESTS_PER_S);
        assert!(rps > 10.0, "{step:?}");
        let events = number(step, EVENTS_PER_S);
        assert!(
            (events - 20.0 * rps).abs() <= 0.01 * events,
            "20 events per request: {events} events/s at {rps} req/s"
        );
    }
}

#[test]
fn a_rate_ramp_from_zero_sends_its_integral() {
    // 0 → 30/s over 2 s (30 arrivals), then 30/s for 1 s (30 more).
    let server = DemoServer::start(&["--service-time", "1ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("ramp");
    let output = run_captest(&[
        "rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--rps-stages",
        "2s:30,1s:30",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let received = server.counters()["total"].as_f64().expect("total");
    assert!(
        (57.0..=61.0).contains(&received),
        "60 arrivals due, {received} sent"
    );
}

#[test]
fn rate_steps_stop_on_a_rule_naming_the_offered_rate() {
    let server = DemoServer::start(&["--service-time", "1ms", "--error-rate", "0.05"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("rate-errors");
    let output = run_captest(&[
        "step",
        "--rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--start",
        "100",
        "--step",
        "100",
        "--every",
        "3s",
        "--settle",
        "1s",
        "--max-steps",
        "4",
        "--stop-on",
        "errors>1%",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    let steps = steps_of(&prefix);
    assert_eq!(steps.len(), 1, "{steps:?}");
    let reason = &steps[0][STOP_REASON];
    let rps = number(&steps[0], REQUESTS_PER_S);
    assert!(reason.starts_with("errors>1%: "), "{reason}");
    let said: f64 = regex::Regex::new(r"\(at 100 iterations/s offered, ([0-9.]+) req/s\)$")
        .expect("regex")
        .captures(reason)
        .and_then(|c| c[1].parse().ok())
        .unwrap_or_else(|| panic!("names the offered rate: {reason}"));
    assert!((said - rps).abs() <= 0.051, "{reason} vs {rps}");
}

#[test]
fn steps_too_short_for_their_settle_are_refused() {
    let output = run_captest(&[
        "step",
        "--host",
        "http://127.0.0.1:9",
        "--path",
        "/",
        "--every",
        "1s",
        "--settle",
        "500ms",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("--every 1s leaves no steady second after --settle 500ms"),
        "{message}"
    );
}

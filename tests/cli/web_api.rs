//! The live web page's JSON API without a browser: a `run` waiting for Start is started,
//! steered and stopped through `/api/control`; `rate` takes a new offered rate behind basic
//! authentication; a page off loopback without credentials is refused before any request.

use std::time::Duration;

use captest_format::files;

use crate::support::prometheus::http_get;
use crate::support::web::{request, WebRun};
use crate::support::*;

/// `Authorization` for ann:s3cret.
const ANN: &str = "Basic YW5uOnMzY3JldA==";

fn aggregated(prefix: &std::path::Path) -> std::collections::HashMap<String, String> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .find(|row| row["Name"] == "Aggregated")
        .expect("an Aggregated row")
}

#[test]
fn the_api_starts_a_waiting_run_changes_its_users_and_stops_it_as_sigint_would() {
    let demo = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("live");
    let prefix_arg = prefix.to_str().expect("utf-8");
    let mut run = WebRun::start(
        dir.path(),
        &[
            "run", "-H", &demo.url, "--wait", "20ms", "--csv", prefix_arg,
        ],
    );
    let waiting = run.stats();
    assert_eq!(waiting["state"], "waiting", "{waiting}");
    assert_eq!(waiting["defaults"]["host"], demo.url.as_str());
    assert_eq!(demo.counters()["total"], 0, "nothing is sent before Start");
    let (status, answer) = run.control(r#"{"action": "users", "users": 2}"#);
    assert_eq!(status, 409, "{answer}");
    let (status, answer) = run.control(r#"{"action": "start", "users": 0, "spawn_rate": 1}"#);
    assert_eq!(status, 400, "{answer}");
    let start = r#"{"action": "start", "users": 3, "spawn_rate": 100, "host": ""}"#;
    assert_eq!(run.control(start).0, 200);
    assert_eq!(run.control(start).0, 409, "a second Start is refused");
    run.stats_until("3 users and requests", |s| {
        s["users"] == 3 && s["total"]["requests"].as_u64() > Some(0)
    });
    let (status, _) = run.control(r#"{"action": "users", "users": 6, "spawn_rate": 100}"#);
    assert_eq!(status, 200);
    run.stats_until("6 users", |s| s["users"] == 6);
    let (status, _) = run.control(r#"{"action": "rate", "rate": 5}"#);
    assert_eq!(status, 409, "run has no rate");
    // Two more seconds, for the history to hold the 6 users.
    run.stats_until("two seconds at 6 users", |s| {
        s["elapsed_seconds"].as_f64() > Some(3.0) && s["points"].as_u64() > Some(3)
    });
    assert!(demo.counters()["connections"].as_u64() >= Some(6));
    assert_eq!(run.control(r#"{"action": "stop"}"#).0, 200);
    let status = run.wait(Duration::from_secs(20));
    assert_eq!(status.code(), Some(0), "{}", run.stdout());
    assert!(run.stdout().contains("stopped from the web page"));
    let history = read_csv(&with_suffix(&prefix, files::HISTORY));
    let users: Vec<f64> = history.iter().map(|r| number(r, "User Count")).collect();
    assert!(users.contains(&3.0), "{users:?}");
    assert_eq!(users.iter().copied().fold(0.0, f64::max), 6.0, "{users:?}");
    let requests = number(&aggregated(&prefix), "Request Count");
    let received = demo.counters()["routes"]["GET /"]["count"].as_f64();
    assert_eq!(
        Some(requests),
        received,
        "every request landed and was counted"
    );
}

#[test]
fn rate_takes_a_new_offered_rate_behind_basic_authentication() {
    let demo = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let args = [
        "rate",
        "-H",
        &demo.url,
        "--rps",
        "20",
        "-q",
        "--web-auth",
        "ann:s3cret",
    ];
    let mut run = WebRun::start(dir.path(), &args);
    for (authorization, expected) in [(None, 401), (Some("Basic YW5uOndyb25n"), 401)] {
        let (status, body) = request(&run.address, "GET", "/api/stats", "", authorization);
        assert_eq!(status, expected, "{body}");
        let (status, _) = request(
            &run.address,
            "POST",
            "/api/control",
            r#"{"action":"stop"}"#,
            authorization,
        );
        assert_eq!(status, expected);
    }
    run.authorization = Some(ANN.to_owned());
    run.stats_until("the offered rate", |s| {
        s["offered_rate"] == 20.0 && s["command"] == "rate"
    });
    let (status, answer) = run.control(r#"{"action": "rate", "rate": 2000000}"#);
    assert_eq!(status, 400, "{answer}");
    assert_eq!(run.control(r#"{"action": "rate", "rate": 40}"#).0, 200);
    run.stats_until("the new offered rate", |s| s["offered_rate"] == 40.0);
    let (status, _) = run.control(r#"{"action": "users", "users": 3}"#);
    assert_eq!(status, 409, "rate has no users to set");
    let (status, csv) = request(&run.address, "GET", "/download/stats.csv", "", Some(ANN));
    assert_eq!(status, 200);
    assert!(csv.starts_with("Type,Name,Request Count"), "{csv}");
    assert_eq!(run.control(r#"{"action": "stop"}"#).0, 200);
    assert_eq!(run.wait(Duration::from_secs(20)).code(), Some(0));
}

#[test]
fn a_page_off_loopback_needs_credentials_and_web_flags_need_a_page() {
    let target = format!("http://127.0.0.1:{}", closed_port());
    let refusals: [(&[&str], &str); 5] = [
        (&["--web", "0.0.0.0:0"], "--web-auth"),
        (&["--web-host", "0.0.0.0"], "--web-auth"),
        (&["--headless", "--web"], "--headless"),
        (&["--autostart"], "--autostart needs --web"),
        (&["--web-auth", "ann:s3cret"], "--web-auth needs --web"),
    ];
    for (flags, named) in refusals {
        let mut args = vec!["run", "-H", &target, "-u", "1", "-t", "1s"];
        args.extend_from_slice(flags);
        let output = run_captest(&args);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{flags:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{flags:?}: one line: {stderr}");
        assert!(stderr.contains(named), "{flags:?}: {stderr}");
        assert!(output.stdout.is_empty(), "{flags:?}: nothing ran");
    }
}

#[test]
fn metrics_are_served_while_a_run_waits_for_start_and_name_the_host_of_the_form() {
    let demo = DemoServer::start(&[]);
    let dir = tempfile::tempdir().expect("temp dir");
    let metrics = format!("127.0.0.1:{}", closed_port());
    let unused = format!("http://127.0.0.1:{}", closed_port());
    let mut run = WebRun::start(dir.path(), &["run", "-H", &unused, "--metrics", &metrics]);
    assert_eq!(run.stats()["state"], "waiting");
    let (status, waiting) = http_get(&metrics, "/metrics").expect("served before Start");
    assert_eq!(status, 200, "{waiting}");
    assert!(waiting.contains("\ncaptest_users 0\n"), "{waiting}");
    let info = format!("captest_run_info{{command=\"run\",host=\"{unused}\"");
    assert!(waiting.contains(&info), "{waiting}");
    assert!(!waiting.contains("captest_requests_total{"), "{waiting}");
    let start = format!(
        r#"{{"action": "start", "users": 2, "spawn_rate": 100, "host": "{}"}}"#,
        demo.url
    );
    assert_eq!(run.control(&start).0, 200);
    run.stats_until("requests", |s| s["total"]["requests"].as_u64() > Some(0));
    let (_, running) = http_get(&metrics, "/metrics").expect("served while running");
    let info = format!("captest_run_info{{command=\"run\",host=\"{}\"", demo.url);
    assert!(running.contains(&info), "the form's host: {running}");
    assert!(running.contains("captest_requests_total{"), "{running}");
    assert_eq!(run.control(r#"{"action": "stop"}"#).0, 200);
    assert_eq!(run.wait(Duration::from_secs(20)).code(), Some(0));
}

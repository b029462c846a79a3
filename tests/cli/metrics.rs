//! `--metrics`: the live state in Prometheus' format, scraped by a real Prometheus server, and
//! what it stored compared with the run's files; hostile entry names escaped (promtool accepts
//! the output); the open model's gauges; addresses that cannot serve.

use std::collections::HashMap;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::support::prometheus::{http_get, promtool_check, Prometheus};
use crate::support::scenario::write;
use crate::support::{
    captest, closed_port, read_csv, run_captest, wait_for_exit, with_suffix, DemoServer,
};
use captest_format::files;

/// Two entries: `/items`, and a failing one whose name holds a double quote, a backslash and a
/// line feed (its 404's error text holds them too).
const SCENARIO: &str = r#"
[[users]]
name = "Watched"
wait = { constant = "20ms" }

[[users.tasks]]
weight = 3
[[users.tasks.requests]]
method = "GET"
path = "/items"

[[users.tasks]]
weight = 1
[[users.tasks.requests]]
method = "GET"
path = "/nope"
name = "say \"hi\" \\ back\nslash"
"#;

/// The hostile name as a label value must read in the exposition.
const ESCAPED_NAME: &str = r#"name="say \"hi\" \\ back\nslash""#;

/// `/metrics` of a running captest at `address`, once it shows `needle` (at most 20 s).
fn exposition_showing(address: &str, needle: &str) -> String {
    let started = Instant::now();
    loop {
        if let Some((200, body)) = http_get(address, "/metrics") {
            if body.contains(needle) {
                return body;
            }
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "/metrics never showed {needle}"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// Request Count by Name of `PREFIX_stats.csv` (Aggregated left out).
fn counts_by_name(prefix: &Path) -> HashMap<String, f64> {
    read_csv(&with_suffix(prefix, files::STATS))
        .into_iter()
        .filter(|row| !row["Type"].is_empty())
        .map(|row| {
            (
                row["Name"].clone(),
                row["Request Count"].parse().expect("a count"),
            )
        })
        .collect()
}

/// The samples Prometheus stored of each `captest_requests_total` series, by entry name:
/// (timestamp, value) in time order.
fn stored_samples(prometheus: &Prometheus) -> HashMap<String, Vec<(f64, f64)>> {
    let number = |v: &serde_json::Value| -> f64 {
        v.as_str().map_or_else(
            || v.as_f64().expect("a number"),
            |s| s.parse().expect("a number"),
        )
    };
    prometheus
        .query("captest_requests_total[10m]", None)
        .iter()
        .map(|series| {
            let name = series["metric"]["name"]
                .as_str()
                .expect("a name label")
                .to_owned();
            let values = series["values"].as_array().expect("values");
            (
                name,
                values
                    .iter()
                    .map(|p| (number(&p[0]), number(&p[1])))
                    .collect(),
            )
        })
        .collect()
}

/// For every entry: Prometheus' `increase()` over the run (evaluated at the last scrape, so
/// nothing is extrapolated past it) equals the file's Request Count within one scrape's worth
/// (the largest increase between two consecutive scrapes).
fn assert_prometheus_matches_the_files(prometheus: &Prometheus, prefix: &Path) {
    let counts = counts_by_name(prefix);
    let samples = stored_samples(prometheus);
    assert_eq!(
        samples.len(),
        counts.len(),
        "series {:?} vs entries {:?}",
        samples.keys(),
        counts
    );
    let first = samples.values().map(|s| s[0].0).fold(f64::MAX, f64::min);
    let last = samples
        .values()
        .map(|s| s[s.len() - 1].0)
        .fold(f64::MIN, f64::max);
    let range = (last - first).ceil() as u64 + 2;
    let increases = prometheus.query(
        &format!("increase(captest_requests_total[{range}s])"),
        Some(last),
    );
    for series in increases {
        let name = series["metric"]["name"].as_str().expect("name");
        let increase: f64 = series["value"][1]
            .as_str()
            .expect("value")
            .parse()
            .expect("number");
        let stored = &samples[name];
        let worth = stored
            .windows(2)
            .map(|w| w[1].1 - w[0].1)
            .fold(0.0, f64::max);
        let count = counts[name];
        eprintln!(
            "{name:?}: increase {increase:.1}, file {count}, one scrape's worth {worth}, {} scrapes, last stored {}",
            stored.len(),
            stored[stored.len() - 1].1
        );
        assert!(stored.len() >= 5, "{name:?}: only {} scrapes", stored.len());
        assert!(
            worth > 0.0 && worth < count / 3.0,
            "{name:?}: one scrape's worth {worth} of {count}"
        );
        assert!(
            (increase - count).abs() <= worth,
            "{name:?}: increase {increase} vs {count} (worth {worth})"
        );
    }
}

#[test]
fn prometheus_scrapes_a_run_and_stores_the_counts_of_its_files() {
    let server = DemoServer::start(&[]);
    let metrics = format!("127.0.0.1:{}", closed_port());
    let prometheus = Prometheus::start(&metrics);
    let dir = tempfile::tempdir().expect("temp dir");
    let scenario = write(dir.path(), "watched.toml", SCENARIO);
    let prefix = dir.path().join("watched");
    let mut child = captest()
        .args([
            "run",
            scenario.to_str().expect("utf-8"),
            "--host",
            &server.url,
        ])
        .args([
            "-u",
            "4",
            "-r",
            "4",
            "-t",
            "10s",
            "--metrics",
            &metrics,
            "-q",
        ])
        .args(["--csv", prefix.to_str().expect("utf-8")])
        .spawn()
        .expect("captest runs");
    let live = exposition_showing(&metrics, "captest_request_failures_total{");
    let exit = wait_for_exit(&mut child, Duration::from_secs(60));
    assert_eq!(exit.code(), Some(1), "the 404s are failures");
    assert!(live.lines().any(|l| l.contains(ESCAPED_NAME)), "{live}");
    let (accepted, said) = promtool_check(&live);
    assert!(accepted, "promtool check metrics: {said}\n{live}");
    assert!(
        http_get(&metrics, "/metrics").is_none(),
        "the server stopped with the run"
    );
    assert_prometheus_matches_the_files(&prometheus, &prefix);
}

#[test]
fn rate_shows_its_offered_rate_and_the_host_without_credentials() {
    let server = DemoServer::start(&[]);
    let metrics = format!("127.0.0.1:{}", closed_port());
    let host = server.url.replace("http://", "http://user:secret@");
    let mut child = captest()
        .args([
            "rate", "--host", &host, "--path", "/items", "--rps", "20", "-t", "3s", "-q",
        ])
        .arg(format!("--metrics={metrics}"))
        .spawn()
        .expect("captest runs");
    // The first second's figures (the snapshot before them has no duration sum yet).
    let live = exposition_showing(&metrics, "captest_offered_rate 20\n");
    assert_eq!(
        wait_for_exit(&mut child, Duration::from_secs(30)).code(),
        Some(0)
    );
    for line in [
        "captest_offered_rate 20",
        "captest_dropped_iterations_total 0",
    ] {
        assert!(live.lines().any(|l| l == line), "{line} missing:\n{live}");
    }
    let info = live
        .lines()
        .find(|l| l.starts_with("captest_run_info{"))
        .expect("run info");
    assert!(
        info.contains("command=\"rate\"") && !info.contains("secret"),
        "{info}"
    );
    let (accepted, said) = promtool_check(&live);
    assert!(accepted, "promtool check metrics: {said}\n{live}");
}

#[test]
fn a_metrics_address_that_cannot_serve_is_an_error_before_any_request() {
    let bad = run_captest(&[
        "run",
        "--host",
        "http://127.0.0.1:9",
        "-t",
        "1s",
        "--metrics=nonsense",
    ]);
    assert_eq!(bad.status.code(), Some(2));
    let said = String::from_utf8_lossy(&bad.stderr);
    assert!(
        said.lines()
            .next()
            .is_some_and(|l| l.contains("expected IP:PORT")),
        "{said}"
    );
    let busy = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = busy.local_addr().expect("address").to_string();
    let taken = run_captest(&[
        "run",
        "--host",
        "http://127.0.0.1:9",
        "-t",
        "1s",
        "--metrics",
        &address,
    ]);
    assert_eq!(taken.status.code(), Some(2));
    let said = String::from_utf8_lossy(&taken.stderr);
    assert_eq!(said.lines().count(), 1, "{said}");
    assert!(
        said.contains(&format!("--metrics {address}: cannot listen")),
        "{said}"
    );
}

#[test]
fn the_grafana_dashboard_is_json_and_queries_only_metrics_captest_serves() {
    let served = [
        "captest_run_info",
        "captest_users",
        "captest_requests_total",
        "captest_request_failures_total",
        "captest_request_duration_seconds_bucket",
        "captest_events_total",
        "captest_offered_rate",
        "captest_dropped_iterations_total",
    ];
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/grafana/captest.json");
    let text = std::fs::read_to_string(&path).expect("the dashboard");
    let dashboard: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let names = regex::Regex::new(r"captest_[a-z_]+").expect("regex");
    let panels = dashboard["panels"].as_array().expect("panels");
    assert!(panels.len() >= 6, "{} panels", panels.len());
    for panel in panels {
        for target in panel["targets"].as_array().expect("targets") {
            let expr = target["expr"].as_str().expect("an expression");
            for name in names.find_iter(expr) {
                assert!(
                    served.contains(&name.as_str()),
                    "{expr}: {} is not served",
                    name.as_str()
                );
            }
        }
    }
}

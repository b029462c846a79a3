//! End-to-end tests of the gate's statistics (#20): percentiles tested through each run's
//! distribution (order statistics, Price–Bonett), every test of one compare adjusted together
//! (Holm), on the real one-minute Locust pair and on a copy with a planted +30 % p95.

use std::path::Path;

use crate::support::compare::*;
use crate::support::*;
use captest_format::columns::{NAME, PERCENTILE_COLUMNS, TYPE};
use captest_format::files;

/// The entry slowed down on purpose in `current` (≈ +11 % response time).
const SLOWED: &str = "GET /item/[id]";

fn failures(json: &serde_json::Value) -> Vec<String> {
    json["failures"]
        .as_array()
        .expect("failures")
        .iter()
        .map(|f| f["entry"].as_str().expect("entry").to_owned())
        .collect()
}

fn entry<'a>(json: &'a serde_json::Value, name: &str) -> &'a serde_json::Value {
    json["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .find(|e| e["entry"] == name)
        .unwrap_or_else(|| panic!("{name} in {json}"))
}

#[test]
fn innocent_entries_of_a_one_minute_pair_do_not_fail() {
    // 60 s runs, 20 s of warmup: 40 s of steady window, too few 10 s samples for Mann-Whitney;
    // before #20 DELETE /item/[id] (+10.6 % on p95, 116 requests) failed untested.
    let (baseline, current) = (locust("baseline"), locust("current"));
    for warmup in [&["--warmup", "20s"][..], &[]] {
        let args = [
            &["compare", &baseline, &current][..],
            &["--fail-on", "p95+10%", "--fail-on", "p99+20%"],
            warmup,
        ]
        .concat();
        let (_, json) = gate(&args);
        let entries = json["entries"].as_array().expect("entries");
        assert!(
            entries
                .iter()
                .all(|e| e["test"] == "price-bonett" && e["p_adjusted"].is_number()),
            "{warmup:?}: {entries:?}"
        );
        let failed = failures(&json);
        assert!(failed.iter().all(|f| f == SLOWED), "{warmup:?}: {failed:?}");
        assert_eq!(json["significance"]["method"], "holm-bonferroni");
        assert_eq!(json["significance"]["tests"], entries.len());
    }
    let (_, json) = gate(&[
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "p95+10%",
        "--warmup",
        "20s",
    ]);
    let delete = entry(&json, "DELETE /item/[id]");
    assert!(
        delete["delta_pct"].as_f64().is_some_and(|d| d > 10.0),
        "{delete}"
    );
    assert_eq!(delete["within_noise"], true, "{delete}");
    assert_eq!(delete["failed"], false, "{delete}");
}

/// Locust's rounding of a response time before its percentiles: 1 ms below 100 ms, 10 ms below
/// 1 s, 100 ms above.
fn locust_round(ms: f64) -> f64 {
    let step = if ms < 100.0 {
        1.0
    } else if ms < 1_000.0 {
        10.0
    } else {
        100.0
    };
    (ms / step).round() * step
}

/// Copies `file` to `to` with the 95 % column of `entry`'s rows multiplied by `factor` (rounded as
/// Locust rounds), and the higher percentiles raised to stay at or above it.
fn plant(file: &Path, to: &Path, entry: &str, factor: f64) {
    let mut reader = csv::Reader::from_path(file).expect("a fixture");
    let headers = reader.headers().expect("a header").clone();
    let column = |name: &str| headers.iter().position(|h| h == name).expect(name);
    let (kind, name) = (column(TYPE), column(NAME));
    let percentiles: Vec<usize> = PERCENTILE_COLUMNS[5..].iter().map(|c| column(c)).collect();
    let mut writer = csv::Writer::from_path(to).expect("a copy");
    writer.write_record(&headers).expect("header");
    for record in reader.records() {
        let record = record.expect("a row");
        let mut cells: Vec<String> = record.iter().map(str::to_owned).collect();
        let target = format!("{} {}", &cells[kind], &cells[name]) == entry;
        if let (true, Ok(p95)) = (target, cells[percentiles[0]].parse::<f64>()) {
            let planted = locust_round(p95 * factor);
            for &i in &percentiles {
                let value: f64 = cells[i].parse().expect("a percentile");
                cells[i] = format!("{}", value.max(planted));
            }
        }
        writer.write_record(&cells).expect("a row");
    }
    writer.flush().expect("written");
}

#[test]
fn a_planted_30_percent_p95_regression_is_detected_and_nothing_else_fails() {
    let dir = tempfile::tempdir().expect("temp dir");
    let planted = dir.path().join("planted");
    let from = Path::new(&locust("current")).to_path_buf();
    for suffix in [files::STATS, files::HISTORY] {
        plant(
            &with_suffix(&from, suffix),
            &with_suffix(&planted, suffix),
            "GET /items",
            1.3,
        );
    }
    let planted = planted.to_str().expect("utf-8");
    let baseline = locust("baseline");
    for warmup in [&["--warmup", "20s"][..], &[]] {
        let args = [
            &["compare", &baseline, planted, "--fail-on", "p95+10%"][..],
            warmup,
        ]
        .concat();
        let (code, json) = gate(&args);
        assert_eq!(code, 1, "{warmup:?}: {json}");
        let items = entry(&json, "GET /items");
        assert_eq!(items["failed"], true, "{warmup:?}: {items}");
        assert!(
            items["p_adjusted"].as_f64().is_some_and(|p| p < 0.01),
            "{items}"
        );
        let failed = failures(&json);
        assert!(
            failed.iter().all(|f| f == "GET /items" || f == SLOWED),
            "{warmup:?}: {failed:?}"
        );
    }
}

#[test]
fn the_family_wise_control_is_printed_in_every_format() {
    let base = [
        "compare",
        &locust("baseline"),
        &locust("current"),
        "--fail-on",
        "avg+8%",
        "--fail-on",
        "p95+10%",
        "--fail-on",
        "rps-5%",
    ];
    let (_, json) = gate(&base);
    let entries = json["entries"].as_array().expect("entries");
    assert_eq!(entries.len(), 27);
    let tested = entries.iter().filter(|e| e["p_value"].is_number()).count();
    assert_eq!(json["significance"]["tests"], tested);
    assert_eq!(json["significance"]["alpha"], 0.05);
    for e in entries.iter().filter(|e| e["p_value"].is_number()) {
        let (p, adjusted) = (e["p_value"].as_f64(), e["p_adjusted"].as_f64());
        assert!(adjusted >= p && adjusted <= Some(1.0), "{e}");
    }
    let line = format!("significance: Holm–Bonferroni over {tested} tests, α = 0.05");
    for format in [&[][..], &["--markdown"]] {
        let output = run_captest(&[&base[..], format].concat());
        let shown = String::from_utf8_lossy(&output.stdout);
        assert!(shown.contains(&line), "{format:?}: {shown}");
    }
    let dir = tempfile::tempdir().expect("temp dir");
    let junit = dir.path().join("gate.xml");
    let junit_arg = junit.to_str().expect("utf-8");
    run_captest(&[&base[..], &["--junit", junit_arg]].concat());
    let xml = std::fs::read_to_string(&junit).expect("the JUnit file");
    let expected = format!(
        "<property name=\"significance\" value=\"Holm–Bonferroni over {tested} tests, α = 0.05\"/>"
    );
    assert!(xml.contains(&expected), "{xml}");
}

/// A short captest run of `GET /items` against a demo server answering in `service_time`.
fn captest_run(dir: &Path, name: &str, service_time: &str) -> String {
    let server = DemoServer::start(&["--service-time", service_time]);
    let prefix = dir.join(name).to_str().expect("utf-8").to_owned();
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
        "5s",
        "-q",
        "--csv",
        &prefix,
        "--csv-full-history",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(with_suffix(Path::new(&prefix), files::LATENCY_HDR).exists());
    prefix
}

#[test]
fn captest_runs_are_tested_on_their_exact_histograms() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fast = captest_run(dir.path(), "fast", "2ms");
    let slow = captest_run(dir.path(), "slow", "8ms");
    let rules = ["--fail-on", "p95+10%", "--fail-on", "avg+10%"];
    for warmup in [&[][..], &["--warmup", "1s"]] {
        let (code, json) = gate(&[&["compare", &fast, &slow][..], &rules, warmup].concat());
        assert_eq!(code, 1, "{warmup:?}: {json}");
        for e in json["entries"].as_array().expect("entries") {
            let test = if e["metric"] == "avg" {
                "welch-z"
            } else {
                "price-bonett"
            };
            assert_eq!(e["test"], test, "{e}");
            assert_eq!(e["failed"], true, "a 2 ms service made 8 ms: {e}");
        }
        // A run compared with itself: no change, nothing significant.
        let (code, json) = gate(&[&["compare", &fast, &fast][..], &rules, warmup].concat());
        assert_eq!(code, 0, "{json}");
    }
}

//! End-to-end tests of `captest report`: every set of real Locust files and a captest run render
//! with their tables and charts, a long run stays small, and HTML is written at the end of runs.

use std::time::{Duration, Instant};

use crate::support::report::*;
use crate::support::*;
use captest_format::files;

const LOCUST_RUNS: [&str; 6] = [
    "step",
    "constant",
    "baseline",
    "current",
    "failing",
    "no-full-history",
];

#[test]
fn renders_every_locust_run_with_its_tables_and_charts() {
    let dir = tempfile::tempdir().expect("temp dir");
    for run in LOCUST_RUNS {
        let prefix = locust_dir().join(run).join(run);
        let out = dir.path().join(format!("{run}.html"));
        let html = report(&[
            prefix.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--warmup",
            "10s",
        ]);
        for id in [
            "table-analysis",
            "table-statistics",
            "table-steady",
            "table-failures",
            "table-exceptions",
        ] {
            assert!(html.contains(&format!("id=\"{id}\"")), "{run}: {id}");
        }
        let expected_charts = if run == "step" { 6 } else { 4 };
        assert_eq!(svg_count(&html), expected_charts, "{run}");
        assert!(has_data(&html), "{run}: data");
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{run}: nothing loaded from the network"
        );
        assert!(!html.to_lowercase().contains("<script"), "{run}: no script");
        assert!(html.len() < 2_000_000, "{run}: {} bytes", html.len());
    }
    with_a_baseline_overlays_and_verdicts(dir.path());
}

/// With a baseline (the Locust pair, report written in `dir`): overlays, the delta chart and the
/// compare verdicts.
fn with_a_baseline_overlays_and_verdicts(dir: &std::path::Path) {
    let current = locust_dir().join("current").join("current");
    let baseline = locust_dir().join("baseline").join("baseline");
    let out = dir.join("versus.html");
    let html = report(&[
        current.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--baseline",
        baseline.to_str().expect("utf-8"),
        "--warmup",
        "9s",
    ]);
    // 9 s: the 10-s samples of the old `--warmup 10s` window (see compare_locust.rs).
    assert!(html.contains("id=\"chart-delta\"") && html.contains("id=\"table-baseline\""));
    // The compare verdicts, as `captest compare --warmup 9s` finds them: GET /item/[id]'s p95
    // regressed; each row says the unit of its figures.
    let start = html
        .find("id=\"table-verdicts\"")
        .expect("compare verdicts");
    let verdicts = &html[start..start + html[start..].find("</section>").expect("end")];
    assert!(verdicts.contains("FAILED"), "the check failed");
    let regressed: Vec<&str> = verdicts
        .lines()
        .filter(|l| l.contains("<tr class=\"regressed\">"))
        .collect();
    assert!(
        regressed
            .iter()
            .any(|l| l.contains("GET &#x2f;item&#x2f;[id]") && l.contains("p95+10%")),
        "{regressed:?}"
    );
    for unit in [
        "<th class=\"text\">Unit</th>",
        "<td class=\"text\">ms</td>",
        "<td class=\"text\">req&#x2f;s</td>",
        "<td class=\"text\">% of requests</td>",
    ] {
        assert!(verdicts.contains(unit), "{unit}");
    }
    for overlay in [
        "baseline requests/s",
        "baseline failures/s",
        "baseline p50",
        "baseline p95",
        "baseline p99",
        "baseline users",
    ] {
        assert!(
            html.contains(&format!(">\n{overlay}\n</text>")),
            "{overlay}"
        );
    }
}

#[test]
fn a_captest_run_renders_and_bad_input_is_exit_2() {
    let server = DemoServer::start(&["--service-time", "2ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = dir.path().join("mine");
    let output = run_captest(&[
        "run",
        "--host",
        &server.url,
        "--path",
        "/items",
        "-u",
        "4",
        "-r",
        "4",
        "-t",
        "3s",
        "-q",
        "--csv",
        prefix.to_str().expect("utf-8"),
        "--csv-full-history",
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html = report(&[prefix.to_str().expect("utf-8")]);
    assert!(html.contains("GET /items") && svg_count(&html) >= 4);
    let missing = run_captest(&["report", dir.path().join("nope").to_str().expect("utf-8")]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no run files"));
}

#[test]
fn an_hour_of_full_history_with_50_entries_stays_under_2_mb() {
    let dir = tempfile::tempdir().expect("temp dir");
    let source = locust_dir().join("step").join("step_stats_history.csv");
    let header = String::from_utf8(first_line(&source)).expect("utf-8");
    let mut text = header.clone();
    let start = 1_795_000_000u64;
    for second in 0..3_600u64 {
        let mut total = 0u64;
        for entry in 0..50u64 {
            let requests = second * 10 + entry;
            total += requests;
            let p = 20 + (second + entry * 7) % 40;
            text.push_str(&format!(
                "{},50,GET,/endpoint/{entry},10.0,0.1,{p},{p},{p},{p},{p},{},{},{},{},{},{},{requests},{},{p},{p}.5,1.0,{},100\r\n",
                start + second, p + 5, p + 9, p + 12, p + 20, p + 30, p + 40, requests / 100, p + 50
            ));
        }
        // Noisy totals (a real hour jitters every second): the worst case for line size.
        let noise = |k: u64| (second * 7_919 + k * 104_729) % 97;
        let (rps, failures, base) = (400 + noise(1), noise(2) / 4, 20 + noise(3) / 2);
        text.push_str(&format!(
            "{},50,,Aggregated,{rps}.0,{failures}.0,{base},{},{},{},{},{},{},{},{},{},{},{total},{},30,30.5,1.0,120,100\r\n",
            start + second,
            base + 2 + noise(4) / 10,
            base + 12,
            base + 14,
            base + 18 + noise(5) / 5,
            base + 30 + noise(6) / 3,
            base + 45,
            base + 60 + noise(7),
            base + 160,
            base + 170,
            base + 200,
            total / 100
        ));
    }
    let prefix = dir.path().join("hour");
    std::fs::write(with_suffix(&prefix, files::HISTORY), text).expect("write history");
    let out = dir.path().join("hour.html");
    let html = report(&[
        prefix.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--warmup",
        "60s",
    ]);
    assert!(html.len() < 2_000_000, "{} bytes", html.len());
    assert!(html.contains("/endpoint/49") && svg_count(&html) >= 4);
    // With an hour-long baseline overlaid on every time chart, and the delta chart.
    let html = report(&[
        prefix.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--warmup",
        "60s",
        "--baseline",
        prefix.to_str().expect("utf-8"),
    ]);
    assert!(html.contains("id=\"chart-delta\""));
    assert!(
        html.len() < 2_000_000,
        "with a baseline: {} bytes",
        html.len()
    );
}

/// The sections a report of a run holds.
fn assert_run_report(html: &str, entry: &str, charts: &[&str]) {
    assert!(html.contains(entry), "{entry}");
    for id in charts {
        assert!(html.contains(&format!("id=\"chart-{id}\"")), "chart {id}");
    }
    for id in ["analysis", "statistics", "steady", "failures", "exceptions"] {
        assert!(html.contains(&format!("id=\"table-{id}\"")), "table {id}");
    }
    assert!(html.contains("<polyline"), "data lines");
    assert!(!html.to_lowercase().contains("<script"));
}

#[test]
fn html_is_written_at_the_end_of_step_and_rate_runs() {
    let server = DemoServer::start(&["--service-time", "2ms"]);
    let dir = tempfile::tempdir().expect("temp dir");
    // Three 2-second steps of 2, 4 and 6 users; no --csv: the report is all that is asked for.
    let step_html = dir.path().join("step.html");
    let started = Instant::now();
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
        "--max-users",
        "6",
        "--no-auto-stop",
        "-q",
        "--html",
        step_html.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    assert!(started.elapsed() < Duration::from_secs(20), "bounded");
    let html = std::fs::read_to_string(&step_html).expect("step --html wrote the report");
    assert_run_report(
        &html,
        "GET /items",
        &[
            "throughput",
            "latency",
            "users",
            "scalability",
            "latency-throughput",
        ],
    );
    let steps = html
        .split("id=\"table-steps\"")
        .nth(1)
        .expect("steps table")
        .split("</table>")
        .next()
        .expect("table end")
        .matches("<tr>")
        .count()
        - 1;
    assert!((2..=3).contains(&steps), "{steps} steps");
    // Open model: 40 requests/s for 6 s (the report needs two history rows after the first; under
    // the suite's load a 3 s run once kept one, a 4 s run two: six on a quiet machine).
    let rate_html = dir.path().join("rate.html");
    let output = run_captest(&[
        "rate",
        "--host",
        &server.url,
        "--path",
        "/items",
        "--rps",
        "40",
        "-t",
        "6s",
        "-q",
        "--html",
        rate_html.to_str().expect("utf-8"),
    ]);
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html = std::fs::read_to_string(&rate_html).expect("rate --html wrote the report");
    assert_run_report(
        &html,
        "GET /items",
        &["throughput", "latency", "users", "entries-p95"],
    );
    let counters = server.counters();
    assert!(
        counters.to_string().contains("items"),
        "the demo server saw the runs: {counters}"
    );
}

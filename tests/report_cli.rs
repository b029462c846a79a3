//! End-to-end tests of `captest report`: every set of real Locust files and a captest run render,
//! names from the data are escaped, and a real browser (headless Chromium) builds every chart and
//! table and paints a non-blank page.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::*;

const LOCUST_RUNS: [&str; 6] = [
    "step",
    "constant",
    "baseline",
    "current",
    "failing",
    "no-full-history",
];

fn report(args: &[&str]) -> String {
    let output = run_captest(&[&["report"][..], args].concat());
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let path = stdout.trim().strip_prefix("wrote ").expect("wrote PATH");
    std::fs::read_to_string(path).expect("the report file")
}

fn svg_count(html: &str) -> usize {
    html.matches("<svg").count()
}

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
        assert!(
            html.contains("<polyline") || html.contains("<path"),
            "{run}: data paths"
        );
        assert!(
            !html.contains("src=\"http") && !html.contains("href=\"http"),
            "{run}: nothing loaded from the network"
        );
        assert!(!html.to_lowercase().contains("<script"), "{run}: no script");
        assert!(html.len() < 2_000_000, "{run}: {} bytes", html.len());
    }
    // With a baseline: overlays and the delta chart.
    let current = locust_dir().join("current").join("current");
    let baseline = locust_dir().join("baseline").join("baseline");
    let out = dir.path().join("versus.html");
    let html = report(&[
        current.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--baseline",
        baseline.to_str().expect("utf-8"),
    ]);
    assert!(html.contains("id=\"chart-delta\"") && html.contains("id=\"table-baseline\""));
    assert!(
        html.contains("id=\"table-verdicts\"") && html.contains("regressed"),
        "compare verdicts"
    );
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
fn names_from_the_data_are_escaped() {
    let dir = tempfile::tempdir().expect("temp dir");
    let evil = "<script>alert(1)</script>";
    for suffix in ["_stats_history.csv", "_stats.csv", "_failures.csv"] {
        let source = locust_dir()
            .join("baseline")
            .join(format!("baseline{suffix}"));
        let text = std::fs::read_to_string(source)
            .expect("source file")
            .replace("/item/[id]", evil);
        std::fs::write(dir.path().join(format!("evil{suffix}")), text).expect("write");
    }
    let prefix = dir.path().join("evil");
    let html = report(&[prefix.to_str().expect("utf-8")]);
    assert!(!html.contains(evil), "the raw tag must not appear");
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;")
            || html.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt;")
    );
    assert!(!html.to_lowercase().contains("<script"));
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

/// Runs headless Chromium with `args` on `page`, killing it after 60 s.
fn chromium(page: &Path, args: &[String]) -> Vec<u8> {
    let profile = tempfile::tempdir().expect("profile dir");
    let mut child = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium is installed (.ci/run installs Debian's chromium package)");
    let started = Instant::now();
    let mut stdout = child.stdout.take().expect("stdout");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut stdout, &mut bytes).expect("read chromium output");
        bytes
    });
    loop {
        if child.try_wait().expect("wait").is_some() {
            break;
        }
        if started.elapsed() > Duration::from_secs(60) {
            let _ = child.kill();
            panic!("chromium did not finish within 60 s");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    reader.join().expect("reader")
}

/// The `<section>` of chart `id` in `dom`, asserted to hold an SVG with data in it.
fn chart_in_dom<'a>(dom: &'a str, id: &str) -> &'a str {
    let start = dom
        .find(&format!("id=\"chart-{id}\""))
        .unwrap_or_else(|| panic!("chart {id} in the DOM"));
    let section = &dom[start..];
    let section = &section[..section.find("</section>").expect("section end")];
    assert!(section.contains("<svg"), "{id}: an svg element");
    assert!(
        section.contains("<polyline") || section.contains("<rect") || section.contains("<path"),
        "{id}: data"
    );
    section
}

/// Screenshots `page` at `width`×`height` and returns the share of pixels that differ from the
/// first one (0 for a blank page).
fn painted_share(page: &Path, width: u32, height: u32) -> f64 {
    let dir = tempfile::tempdir().expect("temp dir");
    let shot = dir.path().join("shot.png");
    chromium(
        page,
        &[
            format!("--screenshot={}", shot.display()),
            format!("--window-size={width},{height}"),
        ],
    );
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(&shot).expect("a screenshot"),
    ));
    let mut reader = decoder.read_info().expect("a PNG");
    let mut pixels = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut pixels).expect("a frame");
    assert_eq!((info.width, info.height), (width, height));
    let pixels = &pixels[..info.buffer_size()];
    let first = &pixels[..3];
    let differing = pixels
        .chunks(info.color_type.samples())
        .filter(|p| &p[..3] != first)
        .count();
    differing as f64 / (f64::from(info.width) * f64::from(info.height))
}

#[test]
fn chromium_builds_every_chart_and_table_and_paints_the_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = locust_dir().join("step").join("step");
    let page: PathBuf = dir.path().join("step.html");
    let html = report(&[
        prefix.to_str().expect("utf-8"),
        "-o",
        page.to_str().expect("utf-8"),
        "--warmup",
        "10s",
    ]);
    let dom = String::from_utf8(chromium(&page, &["--dump-dom".to_owned()])).expect("utf-8 DOM");
    assert!(dom.contains("</html>"), "a whole DOM");
    for id in [
        "throughput",
        "latency",
        "users",
        "scalability",
        "latency-throughput",
        "entries-p95",
    ] {
        chart_in_dom(&dom, id);
    }
    let tables = dom.matches("<table").count();
    assert_eq!(tables, html.matches("<table").count());
    assert!(tables >= 5, "{tables} tables");
    let share = painted_share(&page, 1280, 2400);
    assert!(
        share > 0.05,
        "the screenshot is not blank: {share:.3} of pixels differ from the first"
    );
}

#[test]
fn chromium_shows_the_baseline_overlays_delta_chart_and_verdicts() {
    let dir = tempfile::tempdir().expect("temp dir");
    let current = locust_dir().join("current").join("current");
    let baseline = locust_dir().join("baseline").join("baseline");
    let page: PathBuf = dir.path().join("versus.html");
    let html = report(&[
        current.to_str().expect("utf-8"),
        "-o",
        page.to_str().expect("utf-8"),
        "--baseline",
        baseline.to_str().expect("utf-8"),
        "--warmup",
        "10s",
    ]);
    let dom = String::from_utf8(chromium(&page, &["--dump-dom".to_owned()])).expect("utf-8 DOM");
    assert!(dom.contains("</html>"), "a whole DOM");
    // The time charts carry the baseline's lines, drawn lighter.
    for (id, overlay) in [
        ("throughput", "baseline failures/s"),
        ("latency", "baseline p99"),
        ("users", "baseline users"),
    ] {
        let section = chart_in_dom(&dom, id);
        assert!(section.contains(overlay), "{id}: {overlay}");
        assert!(
            section.contains("opacity=\"0.55\""),
            "{id}: lighter overlay"
        );
    }
    chart_in_dom(&dom, "entries-p95");
    // The delta chart: one bar (or n/a) and one value label per entry of the steady state.
    let delta = chart_in_dom(&dom, "delta");
    let entries = {
        let start = dom.find("id=\"table-steady\"").expect("steady table");
        let table = &dom[start..];
        let table = &table[..table.find("</table>").expect("table end")];
        table.matches("<tr>").count() + table.matches("<tr ").count() - 2
    };
    let labelled = delta.matches(" %\n</text>").count() + delta.matches(">\nn/a\n</text>").count();
    assert_eq!(labelled, entries, "a label per entry in the delta chart");
    // The compare verdicts table with its rows, a regression among them (as `captest compare`).
    let start = dom
        .find("id=\"table-verdicts\"")
        .expect("the compare verdicts table in the DOM");
    let verdicts = &dom[start..];
    let verdicts = &verdicts[..verdicts.find("</section>").expect("section end")];
    assert!(verdicts.contains("<table") && verdicts.contains("Verdict"));
    assert!(verdicts.contains("class=\"regressed\""), "a regressed row");
    assert!(dom.contains("id=\"table-baseline\""));
    assert_eq!(
        dom.matches("<table").count(),
        html.matches("<table").count()
    );
    // The whole page, verdicts at the bottom included, is painted.
    let share = painted_share(&page, 1280, 5600);
    assert!(
        share > 0.05,
        "the screenshot is not blank: {share:.3} of pixels differ from the first"
    );
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
        text.push_str(&format!(
            "{},50,,Aggregated,500.0,5.0,30,32,34,36,40,45,50,55,60,65,70,{total},{},30,30.5,1.0,120,100\r\n",
            start + second, total / 100
        ));
    }
    let prefix = dir.path().join("hour");
    std::fs::write(with_suffix(&prefix, "_stats_history.csv"), text).expect("write history");
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
}

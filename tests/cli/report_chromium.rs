//! End-to-end tests of `captest report` in a real browser (headless Chromium): names from the
//! data are shown as text, every chart and table is built and the page is painted.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::report::*;
use crate::support::*;

/// Markup in the data, each shown as text and never run.
const SCRIPT: &str = "<script>alert(1)</script>";
const IMG: &str = "<img src=x onerror=alert(1)>";

/// `text` as the page shows it (minijinja also escapes `/`; plotters' SVG text does not).
fn escaped_forms(text: &str) -> [String; 2] {
    let html = text
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;");
    [html.replace('/', "&#x2f;"), html]
}

/// Asserts `page` (the file or the DOM Chromium built from it) runs nothing of the data's markup:
/// no script element, no img element, and every `onerror=` is text between tags, not an attribute.
fn assert_inert(page: &str) {
    let lower = page.to_lowercase();
    assert!(!lower.contains("<script"), "a script element");
    assert!(!lower.contains("<img"), "an img element");
    for (at, _) in lower.match_indices("onerror=") {
        let before = &lower[..at];
        let open = before.rfind('<');
        let close = before.rfind('>');
        assert!(
            close > open,
            "onerror= inside a tag: {}",
            &page[at.saturating_sub(80)..at + 20]
        );
    }
}

#[test]
fn names_errors_and_tracebacks_from_the_data_are_shown_as_text() {
    let dir = tempfile::tempdir().expect("temp dir");
    // Endpoints: one named with a script, one with an img.
    for suffix in ["_stats_history.csv", "_stats.csv", "_failures.csv"] {
        let source = locust_dir()
            .join("baseline")
            .join(format!("baseline{suffix}"));
        let text = std::fs::read_to_string(source)
            .expect("source file")
            .replace("/item/[id]", SCRIPT)
            .replace("/items", IMG);
        std::fs::write(dir.path().join(format!("evil{suffix}")), text).expect("write");
    }
    // An error message holding both, as Locust quotes it in _failures.csv.
    let failures = dir.path().join("evil_failures.csv");
    let mut text = std::fs::read_to_string(&failures).expect("failures");
    text.push_str(&format!(
        "GET,/health,\"HTTPError('500: {SCRIPT} {IMG}')\",7,2026-11-22T18:05:30Z,2026-11-22T18:06:12Z\r\n"
    ));
    std::fs::write(&failures, text).expect("write failures");
    // An exception whose message and multi-line traceback hold both.
    std::fs::write(
        dir.path().join("evil_exceptions.csv"),
        format!(
            "Count,Message,Traceback,Nodes\r\n\
             3,\"ValueError: {IMG} {SCRIPT}\",\"  File \"\"./locustfile.py\"\", line 9, in task\n    \
             raise ValueError(\"\"{SCRIPT}\"\")\n  {IMG}\n\",local\r\n"
        ),
    )
    .expect("write exceptions");
    let prefix = dir.path().join("evil");
    let page = dir.path().join("evil.html");
    let html = report(&[
        prefix.to_str().expect("utf-8"),
        "-o",
        page.to_str().expect("utf-8"),
    ]);
    assert!(!html.contains(SCRIPT) && !html.contains(IMG), "a raw tag");
    assert_inert(&html);
    let section = |id: &str| {
        let start = html
            .find(&format!("id=\"table-{id}\""))
            .unwrap_or_else(|| panic!("table {id}"));
        html[start..start + html[start..].find("</section>").expect("end")].to_owned()
    };
    let [script, _] = escaped_forms(SCRIPT);
    let [img, _] = escaped_forms(IMG);
    // Shown as text where they belong: the error, the message and the traceback.
    let failures = section("failures");
    assert!(
        failures.contains(&format!("HTTPError(&#x27;500: {script} {img}&#x27;)")),
        "{failures}"
    );
    let exceptions = section("exceptions");
    assert!(exceptions.contains(&format!("<pre>ValueError: {img} {script}</pre>")));
    assert!(exceptions.contains(&format!("raise ValueError(&quot;{script}&quot;)\n  {img}")));
    // Endpoint names in tables and in the charts' SVG text.
    assert!(section("statistics").contains(&script) && section("statistics").contains(&img));
    let [_, svg_img] = escaped_forms(IMG);
    assert!(
        html.contains(&format!(">\nGET {svg_img}\n</text>")),
        "bar label"
    );
    // What a browser builds from it: the texts, no elements.
    let dom = String::from_utf8(chromium(&page, &["--dump-dom".to_owned()])).expect("utf-8 DOM");
    assert!(dom.contains("</html>"), "a whole DOM");
    assert_inert(&dom);
    let [_, dom_script] = escaped_forms(SCRIPT);
    let [_, dom_img] = escaped_forms(IMG);
    assert!(
        dom.contains(&format!("ValueError: {dom_img} {dom_script}")),
        "message as text"
    );
    assert!(
        dom.contains(&format!("500: {dom_script} {dom_img}")),
        "error as text"
    );
}

/// Runs headless Chromium with `args` on `page`, killing it after 60 s; not beside load (`cores`).
fn chromium(page: &Path, args: &[String]) -> Vec<u8> {
    let _browser = crate::support::cores::Browser::start();
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
        .expect("chromium is installed (./test.sh installs Debian's chromium package)");
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
    assert!(has_data(section), "{id}: data");
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
        "9s",
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

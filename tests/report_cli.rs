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
        assert!(has_data(&html), "{run}: data");
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
        "--warmup",
        "10s",
    ]);
    assert!(html.contains("id=\"chart-delta\"") && html.contains("id=\"table-baseline\""));
    // The compare verdicts, as `captest compare --warmup 10s` finds them: GET /item/[id]'s p95
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
    assert!(has_data(section), "{id}: data");
    section
}

/// Whether an SVG holds data: a line through 3 points or more (axes and grid lines have 2), or
/// a bar in a series colour (the background and the warmup shade are white and grey).
fn has_data(svg: &str) -> bool {
    let line = svg.split("points=\"").skip(1).any(|rest| {
        rest.split('"')
            .next()
            .map_or(0, |p| p.split_whitespace().count())
            >= 3
    });
    let bar = svg.split("<rect").skip(1).any(|rest| {
        let tag = rest.split('>').next().unwrap_or_default().to_uppercase();
        ["#0072B2", "#D55E00", "#009E73"]
            .iter()
            .any(|c| tag.contains(&format!("FILL=\"{c}\"")))
    });
    line || bar
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

/// Runs `captest` with `args` in `dir` (where `baselines/` is looked up).
fn captest_in(dir: &Path, args: &[&str]) -> std::process::Output {
    captest()
        .current_dir(dir)
        .args(args)
        .output()
        .expect("the captest binary runs")
}

/// Asserts a bad-input failure: exit 2 and one line on stderr holding every one of `needles`.
fn assert_one_line_exit_2(output: &std::process::Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} in {stderr}");
    }
}

#[test]
fn template_dir_overrides_the_templates_and_a_broken_one_is_one_line_exit_2() {
    let dir = tempfile::tempdir().expect("temp dir");
    let prefix = locust_dir().join("baseline").join("baseline");
    let prefix = prefix.to_str().expect("utf-8");
    let out = dir.path().join("out.html");
    let out = out.to_str().expect("utf-8");
    // report.html overridden: the page is the override's, the charts and CSS still ours.
    let html_dir = dir.path().join("html");
    std::fs::create_dir(&html_dir).expect("mkdir");
    std::fs::write(
        html_dir.join("report.html"),
        "<!DOCTYPE html><html><head><style>{% include \"report.css\" %}</style></head><body>\n\
         <h1 class=\"house-style\">{{ title }}</h1>\n\
         {% for chart in charts %}<figure id=\"fig-{{ chart.id }}\">{{ chart.svg | safe }}</figure>{% endfor %}\n\
         <p class=\"count\">{{ tables | length }} tables</p></body></html>\n",
    )
    .expect("write template");
    let default = report(&[prefix, "-o", out]);
    let custom = report(&[
        prefix,
        "-o",
        out,
        "--template-dir",
        html_dir.to_str().expect("utf-8"),
    ]);
    assert_ne!(custom, default);
    assert!(custom.contains("<h1 class=\"house-style\">captest report — baseline</h1>"));
    assert!(!custom.contains("id=\"summary\"") && default.contains("id=\"summary\""));
    let tables = default.matches("<section id=\"table-").count();
    assert!(custom.contains(&format!("<p class=\"count\">{tables} tables</p>")));
    assert_eq!(
        custom.matches("<figure id=\"fig-").count(),
        svg_count(&default)
    );
    assert_eq!(svg_count(&custom), svg_count(&default));
    assert!(
        custom.contains("--ink:"),
        "the built-in report.css is still included"
    );
    // report.css alone overridden: the built-in page with the override's style.
    let css_dir = dir.path().join("css");
    std::fs::create_dir(&css_dir).expect("mkdir");
    std::fs::write(css_dir.join("report.css"), "body { color: #123456; }\n").expect("write css");
    let styled = report(&[
        prefix,
        "-o",
        out,
        "--template-dir",
        css_dir.to_str().expect("utf-8"),
    ]);
    assert!(styled.contains("body { color: #123456; }") && !styled.contains("--ink:"));
    assert!(styled.contains("id=\"summary\""));
    // A syntax error (line 2) and an unknown filter (line 3): the file and the line, exit 2.
    let broken = dir.path().join("broken");
    std::fs::create_dir(&broken).expect("mkdir");
    let file = broken.join("report.html");
    for (text, line) in [
        ("<h1>{{ title }}</h1>\n{% for chart in %}\n", "line 2"),
        (
            "<h1>{{ title }}</h1>\n\n<p>{{ title | no_such_filter }}</p>\n",
            "line 3",
        ),
    ] {
        std::fs::write(&file, text).expect("write template");
        let output = run_captest(&[
            "report",
            prefix,
            "-o",
            out,
            "--template-dir",
            broken.to_str().expect("utf-8"),
        ]);
        assert_one_line_exit_2(&output, &[file.to_str().expect("utf-8"), line]);
    }
    let missing = dir.path().join("no-such-dir");
    let output = run_captest(&[
        "report",
        prefix,
        "--template-dir",
        missing.to_str().expect("utf-8"),
    ]);
    assert_one_line_exit_2(&output, &["no-such-dir", "not a directory"]);
}

#[test]
fn baseline_by_name_is_the_one_stored_in_baselines() {
    let work = tempfile::tempdir().expect("temp dir");
    let stored = locust_dir().join("baseline").join("baseline");
    let current = locust_dir().join("current").join("current");
    let current = current.to_str().expect("utf-8");
    // Stored the way people store them: `captest baseline save NAME PREFIX`.
    let saved = captest_in(
        work.path(),
        &[
            "baseline",
            "save",
            "nightly",
            stored.to_str().expect("utf-8"),
        ],
    );
    assert_eq!(saved.status.code(), Some(0), "{saved:?}");
    assert!(work
        .path()
        .join("baselines/nightly/nightly_stats_history.csv")
        .is_file());
    let output = captest_in(
        work.path(),
        &[
            "report",
            current,
            "-o",
            "versus.html",
            "--baseline",
            "nightly",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{output:?}");
    let html = std::fs::read_to_string(work.path().join("versus.html")).expect("the report");
    assert!(
        html.contains("<p>Baseline: nightly</p>"),
        "named after the stored run"
    );
    assert!(html.contains("id=\"chart-delta\"") && html.contains("id=\"table-verdicts\""));
    assert!(html.contains(">\nbaseline p95\n</text>"));
    // The same figures as naming the stored files' prefix directly.
    let direct = captest_in(
        work.path(),
        &[
            "report",
            current,
            "-o",
            "direct.html",
            "--baseline",
            "baselines/nightly/nightly",
        ],
    );
    assert_eq!(direct.status.code(), Some(0), "{direct:?}");
    let direct = std::fs::read_to_string(work.path().join("direct.html")).expect("the report");
    let verdicts = |page: &str| {
        let start = page.find("id=\"table-verdicts\"").expect("verdicts");
        page[start..start + page[start..].find("</section>").expect("end")].to_owned()
    };
    assert_eq!(verdicts(&html), verdicts(&direct));
    // Elsewhere the name means nothing: one line, exit 2.
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let output = captest_in(
        elsewhere.path(),
        &["report", current, "-o", "x.html", "--baseline", "nightly"],
    );
    assert_one_line_exit_2(
        &output,
        &["--baseline nightly", "baselines/nightly", "no run files"],
    );
    assert!(!elsewhere.path().join("x.html").exists());
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
    // Open model: 40 requests/s for 3 s.
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
        "3s",
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

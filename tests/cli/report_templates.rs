//! End-to-end tests of `captest report`: a template directory overrides the built-in templates,
//! and a baseline given by name is the one stored in `baselines/`.

use std::path::Path;

use crate::support::report::*;
use crate::support::*;

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
    broken_templates_are_one_line_exit_2(dir.path(), prefix, out);
}

/// A syntax error (line 2) and an unknown filter (line 3) in a template of a directory in `dir`,
/// and a template directory that does not exist: the file and the line, one line, exit 2.
fn broken_templates_are_one_line_exit_2(dir: &Path, prefix: &str, out: &str) {
    let broken = dir.join("broken");
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
    let missing = dir.join("no-such-dir");
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

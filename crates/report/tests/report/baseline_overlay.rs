//! With a baseline, every chart carries the baseline's same series: the time charts its
//! requests/s, failures/s, p50, p95, p99 and users; the step charts its steps and USL curve.

use std::path::PathBuf;

use captest_analyze::{analyze, Analysis, AnalyzeOptions, Run};
use captest_report::{build_page, ReportPage};

fn locust(run: &str) -> (Run, Analysis) {
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/locust")
        .join(run)
        .join(run);
    let run = Run::load(&prefix).expect("the Locust fixtures load");
    let analysis = analyze(&run, &AnalyzeOptions::default()).expect("they analyze");
    (run, analysis)
}

fn svg<'a>(page: &'a ReportPage, id: &str) -> &'a str {
    &page
        .charts
        .iter()
        .find(|c| c.id == id)
        .unwrap_or_else(|| panic!("chart {id}"))
        .svg
}

/// Texts reading exactly `name` (plotters writes each legend label as its own `<text>`, the
/// content on a line of its own).
fn legend(svg: &str, name: &str) -> usize {
    svg.matches(&format!(">\n{name}\n</text>")).count()
}

/// Dashed, half-transparent lines with at least `points` points: the overlays (the run's own
/// lines are solid and opaque; legend samples have 2 points).
fn overlays(svg: &str, points: usize) -> usize {
    svg.split("<polyline fill=\"none\" opacity=\"0.55\"")
        .skip(1)
        .filter(|rest| {
            let tag = rest.split("/>").next().unwrap_or_default();
            tag.contains("stroke-dasharray=")
                && tag
                    .split("points=\"")
                    .nth(1)
                    .map_or(0, |p| p.split_whitespace().count())
                    >= points
        })
        .count()
}

#[test]
fn time_charts_overlay_every_series_of_the_baseline() {
    let (run, analysis) = locust("current");
    let (base_run, base) = locust("baseline");
    let alone = build_page(&run, &analysis, None).expect("page");
    let page = build_page(&run, &analysis, Some((&base_run, &base))).expect("page");
    for (id, names) in [
        ("throughput", &["requests/s", "failures/s"][..]),
        ("latency", &["p50", "p95", "p99"][..]),
        ("users", &["users"][..]),
    ] {
        let with = svg(&page, id);
        let without = svg(&alone, id);
        for name in names {
            assert!(legend(with, name) >= 1, "{id}: {name}");
            assert_eq!(
                legend(with, &format!("baseline {name}")),
                1,
                "{id}: baseline {name}"
            );
            assert_eq!(
                legend(without, &format!("baseline {name}")),
                0,
                "{id}: no baseline"
            );
        }
        // Each overlay is drawn: one dashed, lighter line through the baseline's points.
        assert_eq!(overlays(with, 10), names.len(), "{id}");
        assert_eq!(overlays(without, 0), 0, "{id}");
    }
}

#[test]
fn step_charts_overlay_the_baselines_steps_and_usl_curve() {
    let (run, analysis) = locust("step");
    assert!(analysis.usl.is_some() && analysis.steps.len() >= 4);
    let page = build_page(&run, &analysis, Some((&run, &analysis))).expect("page");
    let scalability = svg(&page, "scalability");
    assert_eq!(legend(scalability, "baseline measured"), 1);
    let usl = analysis.usl.as_ref().map(|u| u.r2).unwrap_or_default();
    assert_eq!(
        legend(scalability, &format!("baseline USL fit (R²={usl:.3})")),
        1,
        "the baseline's USL curve"
    );
    // The baseline's steps are dotted like the run's: one dot per step for each.
    let dots = scalability.matches("<circle").count();
    assert!(dots >= 2 * analysis.steps.len(), "{dots} dots");
    let latency = svg(&page, "latency-throughput");
    assert_eq!(legend(latency, "baseline p95"), 1);
    let steps = analysis.steps.len();
    assert_eq!(overlays(scalability, steps), 2, "steps and USL curve");
    assert_eq!(overlays(latency, steps), 1);
    // A baseline without steps adds nothing to the step charts.
    let (constant_run, constant) = locust("constant");
    let page = build_page(&run, &analysis, Some((&constant_run, &constant))).expect("page");
    assert_eq!(legend(svg(&page, "scalability"), "baseline measured"), 0);
}

//! The HTML report is an exporter of `captest_analyze::output`: through the trait it renders the
//! same page as `Html::page`, and a template error comes back from it as the report's own error.

use std::path::PathBuf;

use captest_analyze::{analyze, AnalyzeOptions, Exporter, OutputError, Run};
use captest_report::{Html, ReportError, RunReport, Templates};

fn locust(run: &str) -> Run {
    let prefix = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/locust")
        .join(run)
        .join(run);
    Run::load(&prefix).expect("the Locust fixtures load")
}

#[test]
fn the_exporter_renders_the_page_and_keeps_template_errors_typed() {
    let run = locust("constant");
    let analysis = analyze(&run, &AnalyzeOptions::default()).expect("analyzes");
    let report = RunReport {
        run: &run,
        analysis: &analysis,
        baseline: None,
    };
    let templates = Templates::embedded();
    let html = Html {
        templates: &templates,
    };
    let page = html.page(&report).expect("the page");
    assert!(page.contains("<html"), "an HTML page");
    let exporter: &dyn Exporter<RunReport<'_>> = &html;
    assert_eq!(exporter.render(&report).expect("rendered"), page);

    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("report.html"), "{% if %}").expect("a broken template");
    let broken = Templates::from_dir(dir.path()).expect("the override directory");
    let error: OutputError = Html { templates: &broken }
        .render(&report)
        .expect_err("the template does not parse");
    assert!(matches!(
        ReportError::from(error),
        ReportError::Template { line: 1, .. }
    ));
}

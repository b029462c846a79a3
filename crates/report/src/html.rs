//! The HTML report as an exporter of [`captest_analyze::output`]: a run, its analysis and an
//! optional baseline rendered into one self-contained page.

use captest_analyze::{Analysis, Exporter, OutputError, Run};

use crate::build::build_page;
use crate::render::Templates;
use crate::ReportError;

/// What the HTML report shows: a run, its analysis, and a baseline run with its analysis.
#[derive(Debug, Clone, Copy)]
pub struct RunReport<'a> {
    /// The run.
    pub run: &'a Run,
    /// Its analysis.
    pub analysis: &'a Analysis,
    /// A baseline to overlay and compare with.
    pub baseline: Option<(&'a Run, &'a Analysis)>,
}

/// Renders a [`RunReport`] as a self-contained HTML page with these templates.
#[derive(Debug, Clone, Copy)]
pub struct Html<'t> {
    /// The templates to render with.
    pub templates: &'t Templates,
}

impl Html<'_> {
    /// The page, with the report's own error type.
    pub fn page(&self, report: &RunReport<'_>) -> Result<String, ReportError> {
        let page = build_page(report.run, report.analysis, report.baseline)?;
        self.templates.render(&page)
    }
}

impl<'a> Exporter<RunReport<'a>> for Html<'_> {
    fn render(&self, report: &RunReport<'a>) -> Result<String, OutputError> {
        self.page(report)
            .map_err(|error| OutputError::Other(Box::new(error)))
    }
}

impl From<OutputError> for ReportError {
    /// The report's own error back when the exporter was [`Html`], else the output error.
    fn from(error: OutputError) -> Self {
        match error {
            OutputError::Other(inner) => match inner.downcast::<ReportError>() {
                Ok(report) => *report,
                Err(other) => ReportError::Output(OutputError::Other(other)),
            },
            other => ReportError::Output(other),
        }
    }
}

//! Errors of report rendering.

use std::path::PathBuf;

/// What can go wrong while building a report.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A chart could not be drawn.
    #[error("chart {chart:?}: {message}")]
    Chart {
        /// The chart's title.
        chart: String,
        /// What went wrong.
        message: String,
    },
    /// A template is broken (syntax, unknown filter, ...).
    #[error("template {name}: line {line}: {message}")]
    Template {
        /// The template's file name.
        name: String,
        /// 1-based line in the template (0 when unknown).
        line: usize,
        /// What went wrong.
        message: String,
    },
    /// A file could not be read or written (the reason is in the message, not chained again).
    #[error("{path}: {error}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// `--template-dir` does not name a directory.
    #[error("{path}: --template-dir is not a directory")]
    TemplateDir {
        /// The path given.
        path: PathBuf,
    },
    /// A result could not be rendered.
    #[error(transparent)]
    Output(captest_analyze::OutputError),
    /// The run's files could not be analyzed.
    #[error(transparent)]
    Analyze(#[from] captest_analyze::AnalyzeError),
}

impl From<minijinja::Error> for ReportError {
    fn from(error: minijinja::Error) -> Self {
        let mut message = error.kind().to_string();
        if let Some(detail) = error.detail() {
            message = format!("{message}: {detail}");
        }
        ReportError::Template {
            name: error.name().unwrap_or("?").to_owned(),
            line: error.line().unwrap_or(0),
            message,
        }
    }
}

//! Errors of the analyzer: each names the file, the line when there is one, and what was expected.

use std::path::PathBuf;

/// What can be wrong with the input of an analysis.
#[derive(Debug, thiserror::Error)]
pub enum AnalyzeError {
    /// A file could not be read.
    #[error("{path}: cannot read: {message}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// A required column is missing.
    #[error("{path}: line 1: missing column {column:?}; expected a {kind} header with it")]
    MissingColumn {
        /// The file.
        path: PathBuf,
        /// The column.
        column: String,
        /// What kind of file was expected, e.g. `Locust _stats_history.csv`.
        kind: &'static str,
    },
    /// A cell does not hold what its column needs.
    #[error("{path}: line {line}: column {column:?} holds {value:?}; expected {expected}")]
    BadCell {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file (the header is line 1).
        line: usize,
        /// The column.
        column: String,
        /// The cell as read.
        value: String,
        /// What was expected.
        expected: &'static str,
    },
    /// No run files were found for a path or prefix.
    #[error(
        "no run files for {given:?}: tried {tried}; pass a _stats_history.csv file or its prefix"
    )]
    NoRunFiles {
        /// The path as given.
        given: String,
        /// The files looked for.
        tried: String,
    },
    /// The history has too few rows for the analysis.
    #[error("{path}: {rows} Aggregated row(s) {when}; need at least 2 — {hint}")]
    TooFewRows {
        /// The file.
        path: PathBuf,
        /// Rows left.
        rows: usize,
        /// In which situation, e.g. `after a 60s warmup`.
        when: String,
        /// What to do.
        hint: &'static str,
    },
    /// A line of `_latency.hdr` is not what captest writes there.
    #[error("{path}: line {line}: {problem}; expected {expected}")]
    BadLatencyLine {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// What is wrong with it.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// A line of a CSV file cannot be read (too long, not UTF-8, not the header's cells) or
    /// breaks the file's order (a second Aggregated row, a timestamp going back).
    #[error("{path}: line {line}: {problem}; expected {expected}")]
    BadLine {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file.
        line: usize,
        /// What is wrong with it.
        problem: String,
        /// What was expected.
        expected: &'static str,
    },
    /// An option given on the command line is not valid.
    #[error("{0}")]
    InvalidOption(String),
}

impl AnalyzeError {
    /// A read error on `path`.
    pub fn read(path: &std::path::Path, message: impl std::fmt::Display) -> Self {
        AnalyzeError::Read {
            path: path.to_owned(),
            message: message.to_string(),
        }
    }
}

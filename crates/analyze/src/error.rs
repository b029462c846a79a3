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

/// A `--fail-on` or `--threshold` rule that does not parse: an invalid option, said as the format
/// crate says it.
impl From<captest_format::RuleError> for AnalyzeError {
    fn from(error: captest_format::RuleError) -> Self {
        AnalyzeError::InvalidOption(error.to_string())
    }
}

/// A `--warmup` that is not a duration: an invalid option, said as the format crate says it.
impl From<captest_format::WarmupError> for AnalyzeError {
    fn from(error: captest_format::WarmupError) -> Self {
        AnalyzeError::InvalidOption(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use captest_format::{FailOn, Threshold, Warmup};

    #[test]
    fn format_parse_errors_become_invalid_options_said_the_same() {
        let rule = "p95+5kg".parse::<FailOn>().expect_err("not a unit");
        let said = rule.to_string();
        assert_eq!(
            said,
            "--fail-on \"p95+5kg\": unit \"kg\" does not fit metric p95 at character 6"
        );
        assert!(matches!(AnalyzeError::from(rule), AnalyzeError::InvalidOption(m) if m == said));
        let gate = "avg<fast".parse::<Threshold>().expect_err("not a number");
        let said = gate.to_string();
        assert_eq!(AnalyzeError::from(gate).to_string(), said);
        let warmup = "soon".parse::<Warmup>().expect_err("not a duration");
        let said = warmup.to_string();
        assert!(said.starts_with("\"soon\": expected a duration like 30s, 5m or 1h30m ("));
        assert!(matches!(AnalyzeError::from(warmup), AnalyzeError::InvalidOption(m) if m == said));
    }
}

//! Scenario errors: file, line and column, and what was expected.

use std::path::{Path, PathBuf};

/// A problem in a scenario file, found before any request is sent.
#[derive(Debug, thiserror::Error)]
#[error("{}:{line}:{column}: {message}", path.display())]
pub struct ScenarioError {
    /// The scenario file.
    pub path: PathBuf,
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

impl ScenarioError {
    /// An error at byte `offset` of `source`.
    pub fn at(path: &Path, source: &str, offset: usize, message: impl Into<String>) -> Self {
        let before = &source[..offset.min(source.len())];
        let line = before.matches('\n').count() + 1;
        let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        ScenarioError {
            path: path.to_owned(),
            line,
            column,
            message: message.into(),
        }
    }
}

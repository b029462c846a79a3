//! A run's files, loaded: history, final stats, failures, steps and event weights.

use std::path::Path;

use crate::error::AnalyzeError;
use crate::files::RunFiles;
use crate::history::{History, Percentiles};
use crate::stats::{
    read_event_weights, read_exceptions, read_failures, read_stats, read_steps, ExceptionRow,
    FailureRow, StatsRow, StepFileRow,
};

/// Everything read from one run's files (from captest or from Locust).
#[derive(Debug, Clone)]
pub struct Run {
    /// Which files were found.
    pub files: RunFiles,
    /// `_stats_history.csv`, if present.
    pub history: Option<History>,
    /// `_stats.csv` rows (empty if absent).
    pub stats: Vec<StatsRow>,
    /// `_failures.csv` rows (empty if absent).
    pub failures: Vec<FailureRow>,
    /// `_exceptions.csv` rows (empty if absent).
    pub exceptions: Vec<ExceptionRow>,
    /// `_steps.csv` rows (captest step runs).
    pub steps: Vec<StepFileRow>,
    /// Events per request from `_events.csv`: (`METHOD name`, weight).
    pub event_weights: Vec<(String, f64)>,
}

impl Run {
    /// Finds and reads the run of `path` (a file of the run or its prefix), every history
    /// column included.
    pub fn load(path: &Path) -> Result<Run, AnalyzeError> {
        Run::load_with(path, Percentiles::All)
    }

    /// Like [`Run::load`], reading the history's current-window `percentiles` only.
    pub fn load_with(path: &Path, percentiles: Percentiles) -> Result<Run, AnalyzeError> {
        let files = RunFiles::locate(path)?;
        Ok(Run {
            history: files
                .history
                .as_deref()
                .map(|h| History::read_with(h, percentiles))
                .transpose()?,
            stats: files
                .stats
                .as_deref()
                .map(read_stats)
                .transpose()?
                .unwrap_or_default(),
            failures: files
                .failures
                .as_deref()
                .map(read_failures)
                .transpose()?
                .unwrap_or_default(),
            exceptions: files
                .exceptions
                .as_deref()
                .map(read_exceptions)
                .transpose()?
                .unwrap_or_default(),
            steps: files
                .steps
                .as_deref()
                .map(read_steps)
                .transpose()?
                .unwrap_or_default(),
            event_weights: files
                .events
                .as_deref()
                .map(read_event_weights)
                .transpose()?
                .unwrap_or_default(),
            files,
        })
    }

    /// The Aggregated row of `_stats.csv`.
    pub fn aggregated_stats(&self) -> Option<&StatsRow> {
        self.stats
            .iter()
            .find(|r| r.entry.method.is_empty() && r.entry.name == "Aggregated")
    }

    /// The per-entry rows of `_stats.csv` (without Aggregated).
    pub fn entry_stats(&self) -> impl Iterator<Item = &StatsRow> {
        self.stats
            .iter()
            .filter(|r| !(r.entry.method.is_empty() && r.entry.name == "Aggregated"))
    }
}

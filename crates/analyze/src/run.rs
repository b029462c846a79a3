//! A run's files, loaded: history, final stats, failures, steps, event weights and latency histograms.

use std::path::{Path, PathBuf};

use captest_format::files::{self, prefixed};
use captest_format::{RunTables, SteadyWindow, Warmup};

use crate::error::AnalyzeError;
use crate::files::RunFiles;
use crate::history::{History, Percentiles};
use crate::latency::LatencyLog;
use crate::stats::{
    read_event_weights, read_exceptions, read_failures, read_stats, read_steps, ExceptionRow,
    FailureRow, StatsRow, StepFileRow,
};
use crate::table::CsvSource;

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
    /// `_latency.hdr`'s per-second histograms (captest runs; `None` without the file, as for
    /// Locust's runs).
    pub latency: Option<LatencyLog>,
    /// The warmup the run was loaded for ([`Run::steady_window`]).
    warmup: Warmup,
}

impl Run {
    /// Finds and reads the run of `path` (a file of the run or its prefix), every history
    /// column included.
    pub fn load(path: &Path) -> Result<Run, AnalyzeError> {
        Run::load_with(path, Percentiles::All)
    }

    /// Like [`Run::load`], reading the history's current-window `percentiles` only.
    pub fn load_with(path: &Path, percentiles: Percentiles) -> Result<Run, AnalyzeError> {
        Run::load_with_warmup(path, percentiles, Warmup::ZERO)
    }

    /// Like [`Run::load_with`], every row kept, for [`analyze`](crate::analyze) with `warmup`.
    pub fn load_with_warmup(
        path: &Path,
        percentiles: Percentiles,
        warmup: Warmup,
    ) -> Result<Run, AnalyzeError> {
        Run::load_reading(path, warmup, |history, _| {
            History::read_with(history, percentiles)
        })
    }

    /// Loads the run for [`analyze`](crate::analyze) with `warmup`, the one place it is given:
    /// the history is read with [`History::read_steady`] (each entry's rows summed over the
    /// steady window as the file is read, not kept), unless `_failures.csv` holds 429s, whose
    /// split per step needs every entry's rows.
    pub fn load_for_analysis(path: &Path, warmup: Warmup) -> Result<Run, AnalyzeError> {
        Run::load_reading(path, warmup, |history, failures| {
            if failures.iter().any(FailureRow::is_rate_limit) {
                History::read_with(history, Percentiles::Named)
            } else {
                History::read_steady(history, warmup)
            }
        })
    }

    fn load_reading(
        path: &Path,
        warmup: Warmup,
        read_history: impl FnOnce(&Path, &[FailureRow]) -> Result<History, AnalyzeError>,
    ) -> Result<Run, AnalyzeError> {
        let files = RunFiles::locate(path)?;
        let failures = files
            .failures
            .as_deref()
            .map(read_failures)
            .transpose()?
            .unwrap_or_default();
        Ok(Run {
            history: files
                .history
                .as_deref()
                .map(|h| read_history(h, &failures))
                .transpose()?,
            stats: files
                .stats
                .as_deref()
                .map(read_stats)
                .transpose()?
                .unwrap_or_default(),
            failures,
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
            latency: files.latency.as_deref().map(LatencyLog::read).transpose()?,
            files,
            warmup,
        })
    }

    /// The run whose files' contents are `tables` (a run handed over in memory by the runner),
    /// read by the readers of [`Run::load_with`], so its figures are those of its files: `prefix`
    /// names it, and its `files` name the tables it has under that prefix (nothing is read from
    /// disk). The tables hold no `_latency.hdr`: its `latency` is `None`.
    pub fn from_tables(
        prefix: &Path,
        tables: &RunTables,
        percentiles: Percentiles,
    ) -> Result<Run, AnalyzeError> {
        let table = |suffix: &str| {
            tables
                .table(suffix)
                .map(|bytes| (prefixed(prefix, suffix), bytes))
        };
        let named = |suffix: &str| table(suffix).map(|(name, _)| name);
        fn read<T>(
            table: Option<(PathBuf, &[u8])>,
            reader: impl FnOnce(CsvSource<'_>) -> Result<Vec<T>, AnalyzeError>,
        ) -> Result<Vec<T>, AnalyzeError> {
            match table {
                Some((name, bytes)) => reader(CsvSource::Memory { name: &name, bytes }),
                None => Ok(Vec::new()),
            }
        }
        Ok(Run {
            history: table(files::HISTORY)
                .map(|(name, bytes)| History::from_bytes(&name, bytes, percentiles))
                .transpose()?,
            stats: read(table(files::STATS), |source| read_stats(source))?,
            failures: read(table(files::FAILURES), |source| read_failures(source))?,
            exceptions: read(table(files::EXCEPTIONS), |source| read_exceptions(source))?,
            steps: read(table(files::STEPS), |source| read_steps(source))?,
            event_weights: read(table(files::EVENTS), |source| read_event_weights(source))?,
            files: RunFiles {
                prefix: prefix.to_owned(),
                history: named(files::HISTORY),
                stats: named(files::STATS),
                failures: named(files::FAILURES),
                exceptions: named(files::EXCEPTIONS),
                steps: named(files::STEPS),
                events: named(files::EVENTS),
                latency: None,
            },
            latency: None,
            warmup: Warmup::default(),
        })
    }

    /// The warmup the run was loaded for (zero for [`Run::load`] and [`Run::load_with`]).
    pub fn warmup(&self) -> Warmup {
        self.warmup
    }

    /// The steady window of the run's history for the warmup it was loaded for; `None` without
    /// a history.
    pub fn steady_window(&self) -> Option<SteadyWindow> {
        Some(self.history.as_ref()?.window(self.warmup))
    }

    /// The Aggregated row of `_stats.csv`.
    pub fn aggregated_stats(&self) -> Option<&StatsRow> {
        self.stats.iter().find(|r| r.entry.is_aggregated())
    }

    /// The per-entry rows of `_stats.csv` (without Aggregated).
    pub fn entry_stats(&self) -> impl Iterator<Item = &StatsRow> {
        self.stats.iter().filter(|r| !r.entry.is_aggregated())
    }
}

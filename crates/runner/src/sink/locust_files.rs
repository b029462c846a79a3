//! Writes Locust's four CSV files under a prefix: `_stats.csv`, `_failures.csv` and
//! `_exceptions.csv` rewritten atomically (temp file + fsync + rename) at every interval, so a
//! reader never sees half a file and a killed run or a full disk keeps the last complete one;
//! `_stats_history.csv` appended at every interval with one write, so `kill -9` loses at most the
//! last interval. A batch that cannot be appended whole (a full disk) is cut off again, and the
//! history is not appended any more: it ends at its last complete second, without a gap.

use std::path::{Path, PathBuf};

use captest_format::atomic;
use captest_format::columns::{EXCEPTIONS_HEADER, FAILURES_HEADER, HISTORY_HEADER, STATS_HEADER};
use captest_format::files::{self, prefixed};

use super::append_only::AppendOnly;
use crate::error::RunnerError;
use crate::locust::{exception_rows, failure_rows, history_rows, stats_rows};
use crate::metrics::RunStats;

/// Renders rows as Python's `csv` module does: minimal quoting, doubled quotes, CRLF line ends.
pub fn render_csv<S: AsRef<str>>(header: &[&str], rows: &[Vec<S>]) -> Vec<u8> {
    let mut writer = csv::WriterBuilder::new()
        .terminator(csv::Terminator::CRLF)
        .quote_style(csv::QuoteStyle::Necessary)
        .from_writer(Vec::new());
    // Writing into a Vec cannot fail.
    if !header.is_empty() {
        let _ = writer.write_record(header);
    }
    for row in rows {
        let _ = writer.write_record(row.iter().map(|c| c.as_ref()));
    }
    writer.into_inner().unwrap_or_default()
}

/// Replaces `path` with `bytes` atomically (see [`atomic::write_atomically`]).
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunnerError> {
    atomic::write_atomically(path, bytes).map_err(|(path, e)| RunnerError::io(&path, e))
}

/// The open set of Locust CSV files of one run, and the history kept in memory when asked for
/// (the run's tables handed to the caller at the end, see [`LocustCsvFiles::in_memory`]).
#[derive(Debug)]
pub struct LocustCsvFiles {
    /// The prefix and the open history file; `None` when nothing is written to disk.
    written: Option<(PathBuf, AppendOnly)>,
    full_history: bool,
    /// The history's bytes (header included), when kept.
    kept_history: Option<Vec<u8>>,
    last_history_second: Option<i64>,
}

impl LocustCsvFiles {
    /// Creates the four files with their headers (failing early if the directory is not writable).
    pub fn create(prefix: &Path, full_history: bool) -> Result<Self, RunnerError> {
        if let Some(dir) = prefix.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| RunnerError::io(dir, e))?;
        }
        let mut history = AppendOnly::create(&prefixed(prefix, files::HISTORY))?;
        history.append(&render_csv::<&str>(&HISTORY_HEADER, &[]))?;
        let created = LocustCsvFiles {
            written: Some((prefix.to_owned(), history)),
            full_history,
            kept_history: None,
            last_history_second: None,
        };
        write_atomically(
            &prefixed(prefix, files::STATS),
            &render_csv::<&str>(&STATS_HEADER, &[]),
        )?;
        write_atomically(
            &prefixed(prefix, files::FAILURES),
            &render_csv::<&str>(&FAILURES_HEADER, &[]),
        )?;
        write_atomically(
            &prefixed(prefix, files::EXCEPTIONS),
            &render_csv::<&str>(&EXCEPTIONS_HEADER, &[]),
        )?;
        Ok(created)
    }

    /// No file: the history (every entry when `full_history`) is only kept in memory.
    pub fn in_memory(full_history: bool) -> Self {
        LocustCsvFiles {
            written: None,
            full_history,
            kept_history: None,
            last_history_second: None,
        }
        .keeping_history()
    }

    /// Also keeps the history's bytes in memory, for [`LocustCsvFiles::take_history`].
    pub fn keeping_history(mut self) -> Self {
        self.kept_history = Some(render_csv::<&str>(&HISTORY_HEADER, &[]));
        self
    }

    /// The history kept in memory (header and every batch so far), exactly the bytes of the file.
    pub fn take_history(&mut self) -> Option<Vec<u8>> {
        self.kept_history.take()
    }

    /// The paths of the four files, when they are written (`None` in memory, or when the
    /// history could not be written whole).
    pub fn paths(&self) -> Option<Vec<PathBuf>> {
        let written = self.written.as_ref().filter(|(_, h)| !h.failed());
        written.map(|(prefix, _)| {
            files::LOCUST_SUFFIXES
                .iter()
                .map(|suffix| prefixed(prefix, suffix))
                .collect()
        })
    }

    /// Appends one history batch for epoch second `now` and rewrites the other three files.
    /// A second batch for the same second is skipped in the history (timestamps stay unique).
    pub fn write_interval(
        &mut self,
        stats: &RunStats,
        now: i64,
        users: usize,
    ) -> Result<(), RunnerError> {
        self.append_history(stats, now, users)?;
        self.write_snapshots(stats)
    }

    /// Appends one history batch for epoch second `now` (skipped when `now` repeats the last),
    /// without rewriting the snapshot files (a merge of shards writes those once, at the end).
    pub fn append_history(
        &mut self,
        stats: &RunStats,
        now: i64,
        users: usize,
    ) -> Result<(), RunnerError> {
        if self.last_history_second != Some(now) {
            let rows = history_rows(stats, now, users, self.full_history);
            let bytes = render_csv::<String>(&[], &rows);
            if let Some(kept) = self.kept_history.as_mut() {
                kept.extend_from_slice(&bytes);
            }
            if let Some((_, history)) = self.written.as_mut() {
                history.append(&bytes)?;
            }
            self.last_history_second = Some(now);
        }
        Ok(())
    }

    /// Rewrites `_stats.csv`, `_failures.csv` and `_exceptions.csv` from `stats` (nothing in
    /// memory: those are rendered once at the end, see [`snapshot_tables`]).
    pub fn write_snapshots(&self, stats: &RunStats) -> Result<(), RunnerError> {
        let Some((prefix, _)) = &self.written else {
            return Ok(());
        };
        let [stats_csv, failures_csv, exceptions_csv] = snapshot_tables(stats);
        write_atomically(&prefixed(prefix, files::STATS), &stats_csv)?;
        write_atomically(&prefixed(prefix, files::FAILURES), &failures_csv)?;
        write_atomically(&prefixed(prefix, files::EXCEPTIONS), &exceptions_csv)
    }
}

/// `_stats.csv`, `_failures.csv` and `_exceptions.csv` of `stats`, as written.
pub fn snapshot_tables(stats: &RunStats) -> [Vec<u8>; 3] {
    [
        render_csv(&STATS_HEADER, &stats_rows(stats)),
        render_csv(&FAILURES_HEADER, &failure_rows(stats.failures())),
        render_csv(&EXCEPTIONS_HEADER, &exception_rows(stats)),
    ]
}

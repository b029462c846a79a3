//! Writes Locust's four CSV files under a prefix: `_stats.csv`, `_failures.csv` and
//! `_exceptions.csv` rewritten atomically (temp file + rename) at every interval, so a reader never
//! sees half a file and a killed run keeps the last complete one; `_stats_history.csv` appended and
//! flushed at every interval, so `kill -9` loses at most the last interval.

use std::fs::{File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use captest_format::columns::{EXCEPTIONS_HEADER, FAILURES_HEADER, HISTORY_HEADER, STATS_HEADER};
use captest_format::files::{self, prefixed};

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

/// Replaces `path` with `bytes` atomically.
pub(crate) fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), RunnerError> {
    let temporary = prefixed(path, ".tmp");
    std::fs::write(&temporary, bytes).map_err(|e| RunnerError::io(&temporary, e))?;
    std::fs::rename(&temporary, path).map_err(|e| RunnerError::io(path, e))
}

/// The open set of Locust CSV files of one run.
#[derive(Debug)]
pub struct LocustCsvFiles {
    prefix: PathBuf,
    full_history: bool,
    history: BufWriter<File>,
    last_history_second: Option<i64>,
}

impl LocustCsvFiles {
    /// Creates the four files with their headers (failing early if the directory is not writable).
    pub fn create(prefix: &Path, full_history: bool) -> Result<Self, RunnerError> {
        if let Some(dir) = prefix.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| RunnerError::io(dir, e))?;
        }
        let history_path = prefixed(prefix, files::HISTORY);
        let file = OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .open(&history_path)
            .map_err(|e| RunnerError::io(&history_path, e))?;
        let mut history = BufWriter::new(file);
        history
            .write_all(&render_csv::<&str>(&HISTORY_HEADER, &[]))
            .and_then(|_| history.flush())
            .map_err(|e| RunnerError::io(&history_path, e))?;
        let created = LocustCsvFiles {
            prefix: prefix.to_owned(),
            full_history,
            history,
            last_history_second: None,
        };
        write_atomically(
            &created.path(files::STATS),
            &render_csv::<&str>(&STATS_HEADER, &[]),
        )?;
        write_atomically(
            &created.path(files::FAILURES),
            &render_csv::<&str>(&FAILURES_HEADER, &[]),
        )?;
        write_atomically(
            &created.path(files::EXCEPTIONS),
            &render_csv::<&str>(&EXCEPTIONS_HEADER, &[]),
        )?;
        Ok(created)
    }

    /// The path of one of the files (`suffix` one of `captest_format::files`' suffixes).
    pub fn path(&self, suffix: &str) -> PathBuf {
        prefixed(&self.prefix, suffix)
    }

    /// Appends one history batch for epoch second `now` and rewrites the other three files.
    /// A second batch for the same second is skipped in the history (timestamps stay unique).
    pub fn write_interval(
        &mut self,
        stats: &RunStats,
        now: i64,
        users: usize,
    ) -> Result<(), RunnerError> {
        if self.last_history_second != Some(now) {
            let rows = history_rows(stats, now, users, self.full_history);
            let bytes = render_csv::<String>(&[], &rows);
            let path = self.path(files::HISTORY);
            self.history
                .write_all(&bytes)
                .and_then(|_| self.history.flush())
                .map_err(|e| RunnerError::io(&path, e))?;
            self.last_history_second = Some(now);
        }
        self.write_snapshots(stats)
    }

    /// Rewrites `_stats.csv`, `_failures.csv` and `_exceptions.csv` from `stats`.
    pub fn write_snapshots(&self, stats: &RunStats) -> Result<(), RunnerError> {
        write_atomically(
            &self.path(files::STATS),
            &render_csv(&STATS_HEADER, &stats_rows(stats)),
        )?;
        write_atomically(
            &self.path(files::FAILURES),
            &render_csv(&FAILURES_HEADER, &failure_rows(stats.failures())),
        )?;
        write_atomically(
            &self.path(files::EXCEPTIONS),
            &render_csv(&EXCEPTIONS_HEADER, &exception_rows(stats)),
        )
    }
}

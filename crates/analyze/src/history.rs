//! `_stats_history.csv`: one batch of rows per second (Locust 2.x and captest write the same
//! format): the Aggregated row always, every entry's row too with `--csv-full-history`.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use captest_format::columns::{
    FAILURES_PER_S, NAME, PERCENTILE_COLUMNS, REQUESTS_PER_S, TIMESTAMP,
    TOTAL_AVERAGE_RESPONSE_TIME, TOTAL_FAILURE_COUNT, TOTAL_REQUEST_COUNT, TYPE, USER_COUNT,
};
use captest_format::entry::is_aggregated_row;
use captest_format::{Entry, SteadyWindow, Warmup, WindowRow};
use serde::Serialize;

use crate::error::AnalyzeError;
use crate::history_order::check_time_order;
use crate::history_scan::{
    first_timestamp, is_read, last_running_timestamp, scan, EntryRows, Rows, Scan, COLUMNS,
    FIRST_PERCENTILE_SLOT,
};
use crate::steady::WindowSums;
use crate::table::{read_header, CsvSource, CsvTable};
use crate::window_percentiles::{WindowPercentiles, P50, P95, P99};

const KIND: &str = "Locust _stats_history.csv";

/// One row of the history: the state at `timestamp` of one entry (or Aggregated).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HistoryRow {
    /// Unix time, seconds.
    pub timestamp: f64,
    /// Users running.
    pub user_count: f64,
    /// Requests per second over Locust's current window (about the last 10 s).
    pub rps: f64,
    /// Failures per second over the current window.
    pub failures_per_s: f64,
    /// The current-window percentiles (50 % … 99.99 %, and 100 %: the window's slowest
    /// response), ms, stored compactly (exact for whole milliseconds, as Locust writes them).
    pub window_percentiles_ms: WindowPercentiles,
    /// Requests since the start (cumulative).
    pub total_requests: f64,
    /// Failures since the start (cumulative).
    pub total_failures: f64,
    /// Average response time since the start, ms (cumulative).
    pub total_avg_ms: f64,
}

/// The steady window reads a history row's Timestamp and User Count.
impl WindowRow for HistoryRow {
    fn timestamp(&self) -> f64 {
        self.timestamp
    }

    fn user_count(&self) -> f64 {
        self.user_count
    }
}

impl HistoryRow {
    /// The current-window `p`th percentile, ms (`p` in percent: 50, 66, 75, 80, 90, 95, 98, 99,
    /// 99.9, 99.99 or 100, the window's slowest response); `None` for `N/A` or another `p`.
    pub fn percentile_ms(&self, p: f64) -> Option<f64> {
        self.window_percentiles_ms.get(p)
    }

    /// The current-window median, ms (`None` for N/A).
    pub fn p50_ms(&self) -> Option<f64> {
        self.window_percentiles_ms.at(P50)
    }

    /// The current-window 95th percentile, ms.
    pub fn p95_ms(&self) -> Option<f64> {
        self.window_percentiles_ms.at(P95)
    }

    /// The current-window 99th percentile, ms.
    pub fn p99_ms(&self) -> Option<f64> {
        self.window_percentiles_ms.at(P99)
    }
}

/// A whole history file.
#[derive(Debug, Clone, Serialize)]
pub struct History {
    /// The file.
    pub path: PathBuf,
    /// The Aggregated rows in file order.
    pub aggregated: Vec<HistoryRow>,
    /// Each entry's rows in file order (empty without full history, and when read with
    /// [`History::read_steady`]).
    pub entries: BTreeMap<Entry, Vec<HistoryRow>>,
    /// Each entry's rows summed over the steady window as the file was read, when read with
    /// [`History::read_steady`] (`None` otherwise).
    #[serde(skip)]
    pub entry_windows: Option<EntryWindows>,
}

/// Each entry's rows summed over one steady window as the history was read, instead of keeping
/// them.
#[derive(Debug, Clone, PartialEq)]
pub struct EntryWindows {
    /// The window the rows were summed over.
    pub window: SteadyWindow,
    /// Each entry's sums (an entry whose rows all came before the window has empty ones).
    pub sums: BTreeMap<Entry, WindowSums>,
}

/// Which current-window percentile columns a history is read with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Percentiles {
    /// 50 %, 95 % and 99 % only (what the analysis and the report use); the others read as
    /// unknown, which saves a third of the parsing of a large full history.
    Named,
    /// Every percentile column, 50 % to 100 % (what `compare` tests for noise).
    All,
}

/// Reads the history with polars (any CSV dialect polars accepts; exact errors).
pub(crate) fn read_with_polars<'a>(
    source: impl Into<CsvSource<'a>>,
    percentiles: Percentiles,
) -> Result<Rows, AnalyzeError> {
    let columns: Vec<&str> = COLUMNS
        .iter()
        .enumerate()
        .filter(|(slot, _)| is_read(*slot, percentiles))
        .map(|(_, c)| *c)
        .collect();
    let table = CsvTable::read(source, &columns, &[], KIND)?;
    let timestamps = table.numbers(TIMESTAMP)?;
    let users = table.numbers(USER_COUNT)?;
    let rps = table.numbers(REQUESTS_PER_S)?;
    let fails = table.numbers(FAILURES_PER_S)?;
    let percentile_cells = PERCENTILE_COLUMNS
        .iter()
        .enumerate()
        .map(|(k, column)| {
            if is_read(FIRST_PERCENTILE_SLOT + k, percentiles) {
                table.optional_numbers(column)
            } else {
                Ok(vec![None; table.rows()])
            }
        })
        .collect::<Result<Vec<_>, _>>()?;
    let total_requests = table.numbers(TOTAL_REQUEST_COUNT)?;
    let total_failures = table.numbers(TOTAL_FAILURE_COUNT)?;
    let total_avg = table.numbers(TOTAL_AVERAGE_RESPONSE_TIME)?;
    let mut aggregated = Vec::new();
    // Rows grouped per (type, name) without copying the names of every row.
    let mut groups: Vec<(&str, &str, Vec<HistoryRow>)> = Vec::new();
    let mut index_of: HashMap<(&str, &str), usize> = HashMap::new();
    let keys = table.str_cells(TYPE)?.zip(table.str_cells(NAME)?);
    for (index, (kind, name)) in keys.enumerate() {
        let row = HistoryRow {
            timestamp: timestamps[index],
            user_count: users[index],
            rps: rps[index],
            failures_per_s: fails[index],
            window_percentiles_ms: WindowPercentiles::new(std::array::from_fn(|k| {
                percentile_cells[k][index]
            })),
            total_requests: total_requests[index],
            total_failures: total_failures[index],
            total_avg_ms: total_avg[index],
        };
        if is_aggregated_row(kind.as_bytes(), name.as_bytes()) {
            aggregated.push(row);
        } else {
            let group = *index_of.entry((kind, name)).or_insert_with(|| {
                groups.push((kind, name, Vec::new()));
                groups.len() - 1
            });
            groups[group].2.push(row);
        }
    }
    let entries = groups
        .into_iter()
        .map(|(kind, name, rows)| (Entry::from_row(kind, name), rows))
        .collect();
    Ok((aggregated, entries))
}

impl History {
    /// Reads and checks a history file with every percentile column.
    pub fn read(path: &Path) -> Result<History, AnalyzeError> {
        History::read_with(path, Percentiles::All)
    }

    /// Reads and checks a history file: the fast path for the files Locust and captest write,
    /// the polars reader for anything else (it names the line of a bad cell).
    pub fn read_with(path: &Path, percentiles: Percentiles) -> Result<History, AnalyzeError> {
        let (header, header_bytes) = read_header(path)?;
        let (aggregated, entries) =
            match scan(path, &header, header_bytes, percentiles, EntryRows::Kept)? {
                Scan::Read(rows) => rows,
                Scan::Summed(_) | Scan::NeedsGeneralReader => read_with_polars(path, percentiles)?,
            };
        History::checked(
            History {
                path: path.to_owned(),
                aggregated,
                entries: entries.into_iter().collect(),
                entry_windows: None,
            },
            CsvSource::File(path),
        )
    }

    /// Reads and checks a history file for the steady state after `warmup`: the Aggregated rows
    /// (current-window 50/95/99 % only) are kept, each entry's rows are summed into its
    /// [`WindowSums`] over the history's [`SteadyWindow`] as the file is read (a million rows of a
    /// full history need not be kept to compute the entries' steady figures).
    pub fn read_steady(path: &Path, warmup: Warmup) -> Result<History, AnalyzeError> {
        let (header, header_bytes) = read_header(path)?;
        let start = first_timestamp(path, &header, header_bytes)?;
        let until = last_running_timestamp(path, &header, header_bytes)?;
        if let (Some(start), Some(until)) = (start, until) {
            let window = SteadyWindow::new(start, warmup, until);
            let summed = scan(
                path,
                &header,
                header_bytes,
                Percentiles::Named,
                EntryRows::Summed(window),
            )?;
            if let Scan::Summed((aggregated, sums)) = summed {
                // The window found from the file's ends is the one of the rows read.
                if SteadyWindow::of_history(&aggregated, start, warmup) == window
                    && aggregated.first().is_some_and(|r| r.timestamp >= start)
                {
                    return History::checked(
                        History {
                            path: path.to_owned(),
                            aggregated,
                            entries: BTreeMap::new(),
                            entry_windows: Some(EntryWindows {
                                window,
                                sums: sums.into_iter().collect(),
                            }),
                        },
                        CsvSource::File(path),
                    );
                }
            }
        }
        // Not a file for the fast path: every row read, then summed.
        let mut history = History::read_with(path, Percentiles::Named)?;
        let window = history.window(warmup);
        let sums = std::mem::take(&mut history.entries)
            .into_iter()
            .map(|(entry, rows)| (entry, WindowSums::of_rows(&rows, &window)))
            .collect();
        history.entry_windows = Some(EntryWindows { window, sums });
        Ok(history)
    }

    /// Reads a history held in memory (the bytes of the file a run that wrote none would have
    /// written, named `name` in errors) with the general reader, which gives the rows the file
    /// would give.
    pub fn from_bytes(
        name: &Path,
        bytes: &[u8],
        percentiles: Percentiles,
    ) -> Result<History, AnalyzeError> {
        let (aggregated, entries) =
            read_with_polars(CsvSource::Memory { name, bytes }, percentiles)?;
        History::checked(
            History {
                path: name.to_owned(),
                aggregated,
                entries: entries.into_iter().collect(),
                entry_windows: None,
            },
            CsvSource::Memory { name, bytes },
        )
    }

    /// The steady window of this history for `warmup` (the one it was summed over, when read
    /// with [`History::read_steady`] for the same warmup).
    pub fn window(&self, warmup: Warmup) -> SteadyWindow {
        match &self.entry_windows {
            Some(summed) if summed.window.warmup == warmup => summed.window,
            _ => SteadyWindow::of_history(&self.aggregated, self.start(), warmup),
        }
    }

    /// `history`, read from `source`, if it can be analyzed: two Aggregated rows at least, in
    /// time order ([`check_time_order`]).
    fn checked(history: History, source: CsvSource<'_>) -> Result<History, AnalyzeError> {
        check_time_order(source, &history.aggregated)?;
        if history.aggregated.len() < 2 {
            return Err(AnalyzeError::TooFewRows {
                path: history.path,
                rows: history.aggregated.len(),
                when: "in the file".to_owned(),
                hint: "the run was too short to analyze; run it for a few seconds at least",
            });
        }
        Ok(history)
    }

    /// Whether every entry has its own rows (`--csv-full-history`), kept or summed.
    pub fn is_full(&self) -> bool {
        !self.entries.is_empty()
            || self
                .entry_windows
                .as_ref()
                .is_some_and(|w| !w.sums.is_empty())
    }

    /// The smallest Timestamp of the file, seconds (the first Aggregated row's in the files
    /// Locust and captest write, whose rows are in time order).
    pub fn start(&self) -> f64 {
        let first = |rows: &[HistoryRow]| rows.first().map_or(f64::INFINITY, |r| r.timestamp);
        let start = (self.entries.values())
            .map(|rows| first(rows))
            .fold(first(&self.aggregated), f64::min);
        if start.is_finite() {
            start
        } else {
            0.0
        }
    }
}

//! `_stats.csv` (final totals per entry), `_failures.csv`, `_steps.csv` and `_events.csv`.

use std::path::Path;

use serde::Serialize;

use crate::error::AnalyzeError;
use crate::history::EntryName;
use crate::table::CsvTable;

/// One row of `_stats.csv`: an entry's totals over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    /// The entry (`Aggregated` has an empty method).
    pub entry: EntryName,
    /// Requests.
    pub requests: f64,
    /// Failed requests.
    pub failures: f64,
    /// Median response time, ms.
    pub median_ms: Option<f64>,
    /// Average response time, ms.
    pub avg_ms: f64,
    /// Fastest, ms.
    pub min_ms: Option<f64>,
    /// Slowest, ms.
    pub max_ms: Option<f64>,
    /// Average response size, bytes.
    pub avg_content_bytes: f64,
    /// Requests per second over the whole run.
    pub rps: f64,
    /// Failures per second over the whole run.
    pub failures_per_s: f64,
    /// Percentiles (50, 66, 75, 80, 90, 95, 98, 99, 99.9, 99.99, 100), ms.
    pub percentiles_ms: Vec<(String, Option<f64>)>,
}

/// The percentile columns of `_stats.csv`.
pub const PERCENTILE_COLUMNS: [&str; 11] = [
    "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
];

/// Reads `_stats.csv`.
pub fn read_stats(path: &Path) -> Result<Vec<StatsRow>, AnalyzeError> {
    let mut required = vec![
        "Type",
        "Name",
        "Request Count",
        "Failure Count",
        "Median Response Time",
        "Average Response Time",
        "Min Response Time",
        "Max Response Time",
        "Average Content Size",
        "Requests/s",
        "Failures/s",
    ];
    required.extend(PERCENTILE_COLUMNS);
    let table = CsvTable::read(path, &required, &[], "Locust _stats.csv")?;
    let types = table.strings("Type")?;
    let names = table.strings("Name")?;
    let requests = table.numbers("Request Count")?;
    let failures = table.numbers("Failure Count")?;
    let median = table.optional_numbers("Median Response Time")?;
    let avg = table.numbers("Average Response Time")?;
    let min = table.optional_numbers("Min Response Time")?;
    let max = table.optional_numbers("Max Response Time")?;
    let size = table.numbers("Average Content Size")?;
    let rps = table.numbers("Requests/s")?;
    let fails = table.numbers("Failures/s")?;
    let percentiles = PERCENTILE_COLUMNS
        .iter()
        .map(|c| table.optional_numbers(c))
        .collect::<Result<Vec<_>, _>>()?;
    Ok((0..table.rows())
        .map(|i| StatsRow {
            entry: EntryName {
                method: types[i].clone(),
                name: names[i].clone(),
            },
            requests: requests[i],
            failures: failures[i],
            median_ms: median[i],
            avg_ms: avg[i],
            min_ms: min[i],
            max_ms: max[i],
            avg_content_bytes: size[i],
            rps: rps[i],
            failures_per_s: fails[i],
            percentiles_ms: PERCENTILE_COLUMNS
                .iter()
                .zip(&percentiles)
                .map(|(c, values)| ((*c).to_owned(), values[i]))
                .collect(),
        })
        .collect())
}

/// One row of `_failures.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailureRow {
    /// The entry that failed.
    pub entry: EntryName,
    /// The error as Locust words it.
    pub error: String,
    /// How many times.
    pub occurrences: f64,
}

impl FailureRow {
    /// Whether the failure is an HTTP 429 Too Many Requests (a rate limit).
    pub fn is_rate_limit(&self) -> bool {
        self.error.contains("429")
    }
}

/// Reads `_failures.csv`.
pub fn read_failures(path: &Path) -> Result<Vec<FailureRow>, AnalyzeError> {
    let table = CsvTable::read(
        path,
        &["Method", "Name", "Error", "Occurrences"],
        &[],
        "Locust _failures.csv",
    )?;
    let methods = table.strings("Method")?;
    let names = table.strings("Name")?;
    let errors = table.strings("Error")?;
    let occurrences = table.numbers("Occurrences")?;
    Ok((0..table.rows())
        .map(|i| FailureRow {
            entry: EntryName {
                method: methods[i].clone(),
                name: names[i].clone(),
            },
            error: errors[i].clone(),
            occurrences: occurrences[i],
        })
        .collect())
}

/// One row of captest's `_steps.csv`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepFileRow {
    /// Users (or offered rate) of the step.
    pub users: f64,
    /// Start, unix seconds.
    pub start: f64,
    /// End, unix seconds.
    pub end: f64,
    /// Requests per second over the step's steady part.
    pub rps: f64,
    /// Median, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Failed requests, percent.
    pub error_pct: f64,
    /// Why the run stopped (last row only).
    pub stop_reason: String,
}

/// Reads captest's `_steps.csv`.
pub fn read_steps(path: &Path) -> Result<Vec<StepFileRow>, AnalyzeError> {
    let table = CsvTable::read(
        path,
        &[
            "Step",
            "User Count",
            "Start",
            "End",
            "Requests/s",
            "50%",
            "95%",
            "99%",
            "Error %",
            "Stop Reason",
        ],
        &[],
        "captest _steps.csv",
    )?;
    let users = table.numbers("User Count")?;
    let start = table.numbers("Start")?;
    let end = table.numbers("End")?;
    let rps = table.numbers("Requests/s")?;
    let p50 = table.optional_numbers("50%")?;
    let p95 = table.optional_numbers("95%")?;
    let p99 = table.optional_numbers("99%")?;
    let errors = table.numbers("Error %")?;
    let reasons = table.strings("Stop Reason")?;
    Ok((0..table.rows())
        .map(|i| StepFileRow {
            users: users[i],
            start: start[i],
            end: end[i],
            rps: rps[i],
            p50_ms: p50[i],
            p95_ms: p95[i],
            p99_ms: p99[i],
            error_pct: errors[i],
            stop_reason: reasons[i].clone(),
        })
        .collect())
}

/// Reads captest's `_events.csv` into (entry as `METHOD name`, events per request).
pub fn read_event_weights(path: &Path) -> Result<Vec<(String, f64)>, AnalyzeError> {
    let table = CsvTable::read(
        path,
        &["Name", "Requests", "Events"],
        &[],
        "captest _events.csv",
    )?;
    let names = table.strings("Name")?;
    let requests = table.numbers("Requests")?;
    let events = table.numbers("Events")?;
    Ok((0..table.rows())
        .filter(|i| requests[*i] > 0.0)
        .map(|i| (names[i].clone(), events[i] / requests[i]))
        .collect())
}

/// One row of `_exceptions.csv`: an error raised by task code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExceptionRow {
    /// How many times.
    pub count: f64,
    /// The message.
    pub message: String,
    /// Where it was raised.
    pub traceback: String,
}

/// Reads `_exceptions.csv`.
pub fn read_exceptions(path: &Path) -> Result<Vec<ExceptionRow>, AnalyzeError> {
    let table = CsvTable::read(
        path,
        &["Count", "Message", "Traceback"],
        &[],
        "Locust _exceptions.csv",
    )?;
    let counts = table.numbers("Count")?;
    let messages = table.strings("Message")?;
    let tracebacks = table.strings("Traceback")?;
    Ok((0..table.rows())
        .map(|i| ExceptionRow {
            count: counts[i],
            message: messages[i].clone(),
            traceback: tracebacks[i].clone(),
        })
        .collect())
}

//! `_stats.csv` (final totals per entry), `_failures.csv`, `_steps.csv` and `_events.csv`.

use captest_format::columns::{
    AVERAGE_CONTENT_SIZE, AVERAGE_RESPONSE_TIME, COUNT, END, ERROR, ERROR_PCT, EVENTS,
    FAILURES_PER_S, FAILURE_COUNT, MAX_RESPONSE_TIME, MEDIAN_RESPONSE_TIME, MESSAGE, METHOD,
    MIN_RESPONSE_TIME, NAME, OCCURRENCES, P50, P95, P99, PERCENTILE_COLUMNS, REQUESTS,
    REQUESTS_PER_S, REQUEST_COUNT, START, STEP, STOP_REASON, TRACEBACK, TYPE, USER_COUNT,
};
use captest_format::Entry;
use serde::Serialize;

use crate::error::AnalyzeError;
use crate::lines::bad_line;
use crate::table::{CsvSource, CsvTable};

/// One row of `_stats.csv`: an entry's totals over the whole run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StatsRow {
    /// The entry (or the Aggregated row).
    pub entry: Entry,
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

/// Reads `_stats.csv`.
pub fn read_stats<'a>(source: impl Into<CsvSource<'a>>) -> Result<Vec<StatsRow>, AnalyzeError> {
    let mut required = vec![
        TYPE,
        NAME,
        REQUEST_COUNT,
        FAILURE_COUNT,
        MEDIAN_RESPONSE_TIME,
        AVERAGE_RESPONSE_TIME,
        MIN_RESPONSE_TIME,
        MAX_RESPONSE_TIME,
        AVERAGE_CONTENT_SIZE,
        REQUESTS_PER_S,
        FAILURES_PER_S,
    ];
    required.extend(PERCENTILE_COLUMNS);
    let table = CsvTable::read(source, &required, &[], "Locust _stats.csv")?;
    let types = table.strings(TYPE)?;
    let names = table.strings(NAME)?;
    let requests = table.numbers(REQUEST_COUNT)?;
    let failures = table.numbers(FAILURE_COUNT)?;
    let median = table.optional_numbers(MEDIAN_RESPONSE_TIME)?;
    let avg = table.numbers(AVERAGE_RESPONSE_TIME)?;
    let min = table.optional_numbers(MIN_RESPONSE_TIME)?;
    let max = table.optional_numbers(MAX_RESPONSE_TIME)?;
    let size = table.numbers(AVERAGE_CONTENT_SIZE)?;
    let rps = table.numbers(REQUESTS_PER_S)?;
    let fails = table.numbers(FAILURES_PER_S)?;
    let percentiles = PERCENTILE_COLUMNS
        .iter()
        .map(|c| table.optional_numbers(c))
        .collect::<Result<Vec<_>, _>>()?;
    let aggregated: Vec<usize> = (0..table.rows())
        .filter(|&i| Entry::from_row(&types[i], &names[i]).is_aggregated())
        .collect();
    if let [first, second, ..] = aggregated[..] {
        return Err(bad_line(
            table.path(),
            second + 2,
            format!(
                "a second Aggregated row (the first is on line {})",
                first + 2
            ),
            "one Aggregated row, the whole run's totals",
        ));
    }
    Ok((0..table.rows())
        .map(|i| StatsRow {
            entry: Entry::from_row(&types[i], &names[i]),
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
    pub entry: Entry,
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
pub fn read_failures<'a>(
    source: impl Into<CsvSource<'a>>,
) -> Result<Vec<FailureRow>, AnalyzeError> {
    let table = CsvTable::read(
        source,
        &[METHOD, NAME, ERROR, OCCURRENCES],
        &[],
        "Locust _failures.csv",
    )?;
    let methods = table.strings(METHOD)?;
    let names = table.strings(NAME)?;
    let errors = table.strings(ERROR)?;
    let occurrences = table.numbers(OCCURRENCES)?;
    Ok((0..table.rows())
        .map(|i| FailureRow {
            entry: Entry::from_row(&methods[i], &names[i]),
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
pub fn read_steps<'a>(source: impl Into<CsvSource<'a>>) -> Result<Vec<StepFileRow>, AnalyzeError> {
    let table = CsvTable::read(
        source,
        &[
            STEP,
            USER_COUNT,
            START,
            END,
            REQUESTS_PER_S,
            P50,
            P95,
            P99,
            ERROR_PCT,
            STOP_REASON,
        ],
        &[],
        "captest _steps.csv",
    )?;
    let users = table.numbers(USER_COUNT)?;
    let start = table.numbers(START)?;
    let end = table.numbers(END)?;
    let rps = table.numbers(REQUESTS_PER_S)?;
    let p50 = table.optional_numbers(P50)?;
    let p95 = table.optional_numbers(P95)?;
    let p99 = table.optional_numbers(P99)?;
    let errors = table.numbers(ERROR_PCT)?;
    let reasons = table.strings(STOP_REASON)?;
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
pub fn read_event_weights<'a>(
    source: impl Into<CsvSource<'a>>,
) -> Result<Vec<(String, f64)>, AnalyzeError> {
    let table = CsvTable::read(
        source,
        &[NAME, REQUESTS, EVENTS],
        &[],
        "captest _events.csv",
    )?;
    let names = table.strings(NAME)?;
    let requests = table.numbers(REQUESTS)?;
    let events = table.numbers(EVENTS)?;
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
pub fn read_exceptions<'a>(
    source: impl Into<CsvSource<'a>>,
) -> Result<Vec<ExceptionRow>, AnalyzeError> {
    let table = CsvTable::read(
        source,
        &[COUNT, MESSAGE, TRACEBACK],
        &[],
        "Locust _exceptions.csv",
    )?;
    let counts = table.numbers(COUNT)?;
    let messages = table.strings(MESSAGE)?;
    let tracebacks = table.strings(TRACEBACK)?;
    Ok((0..table.rows())
        .map(|i| ExceptionRow {
            count: counts[i],
            message: messages[i].clone(),
            traceback: tracebacks[i].clone(),
        })
        .collect())
}

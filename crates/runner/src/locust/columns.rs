//! Locust's CSV column lists, defined once and used by every writer (and by tests that compare
//! against files real Locust wrote).

/// The percentiles Locust reports, as fractions (`PERCENTILES_TO_REPORT`).
pub const PERCENTILES: [f64; 11] = [
    0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
];

/// Header of `_stats.csv`.
pub const STATS_HEADER: [&str; 22] = [
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
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
];

/// Header of `_stats_history.csv`.
pub const HISTORY_HEADER: [&str; 24] = [
    "Timestamp",
    "User Count",
    "Type",
    "Name",
    "Requests/s",
    "Failures/s",
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
    "Total Request Count",
    "Total Failure Count",
    "Total Median Response Time",
    "Total Average Response Time",
    "Total Min Response Time",
    "Total Max Response Time",
    "Total Average Content Size",
];

/// Header of `_failures.csv` (Locust ≥ 2.44).
pub const FAILURES_HEADER: [&str; 6] = [
    "Method",
    "Name",
    "Error",
    "Occurrences",
    "First Seen",
    "Last Seen",
];

/// Header of `_exceptions.csv`.
pub const EXCEPTIONS_HEADER: [&str; 4] = ["Count", "Message", "Traceback", "Nodes"];

/// The `Name` of the row that sums every entry.
pub const AGGREGATED: &str = "Aggregated";

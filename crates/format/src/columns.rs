//! Column names and the header of every CSV file of a run. The Locust files (`_stats.csv`,
//! `_stats_history.csv`, `_failures.csv`, `_exceptions.csv`) have Locust 2.x's exact headers;
//! `_steps.csv` and `_events.csv` are captest's own. Each name is defined once and the headers
//! are built from the names, so a reader asking for a column asks for the writer's column.

/// `Type`: the request type (HTTP method); empty on the Aggregated row.
pub const TYPE: &str = "Type";
/// `Name`: the request name (`/item/[id]`), `Aggregated` on the row that sums every entry; in
/// `_events.csv`, the entry as `METHOD name`.
pub const NAME: &str = "Name";
/// `Method` (in `_failures.csv`, where the other files say `Type`).
pub const METHOD: &str = "Method";

/// `Request Count`: requests since the start.
pub const REQUEST_COUNT: &str = "Request Count";
/// `Failure Count`: failed requests since the start.
pub const FAILURE_COUNT: &str = "Failure Count";
/// `Median Response Time`, ms.
pub const MEDIAN_RESPONSE_TIME: &str = "Median Response Time";
/// `Average Response Time`, ms.
pub const AVERAGE_RESPONSE_TIME: &str = "Average Response Time";
/// `Min Response Time`, ms.
pub const MIN_RESPONSE_TIME: &str = "Min Response Time";
/// `Max Response Time`, ms.
pub const MAX_RESPONSE_TIME: &str = "Max Response Time";
/// `Average Content Size`, bytes.
pub const AVERAGE_CONTENT_SIZE: &str = "Average Content Size";
/// `Requests/s`: over the whole run in `_stats.csv`, over Locust's current window (≈10 s) in the
/// history, over the step's steady part in `_steps.csv`.
pub const REQUESTS_PER_S: &str = "Requests/s";
/// `Failures/s`, over the same span as [`REQUESTS_PER_S`].
pub const FAILURES_PER_S: &str = "Failures/s";

/// The percentiles Locust reports, as fractions (`PERCENTILES_TO_REPORT`).
pub const PERCENTILES: [f64; 11] = [
    0.50, 0.66, 0.75, 0.80, 0.90, 0.95, 0.98, 0.99, 0.999, 0.9999, 1.0,
];
/// The median column, ms.
pub const P50: &str = "50%";
/// The 95th percentile column, ms.
pub const P95: &str = "95%";
/// The 99th percentile column, ms.
pub const P99: &str = "99%";
/// The percentile columns, one per [`PERCENTILES`] entry, in the same order; ms.
pub const PERCENTILE_COLUMNS: [&str; 11] = [
    P50, "66%", "75%", "80%", "90%", P95, "98%", P99, "99.9%", "99.99%", "100%",
];

/// `Timestamp`: unix seconds of a history row.
pub const TIMESTAMP: &str = "Timestamp";
/// `User Count`: users running (at the row's second; at a step's end in `_steps.csv`).
pub const USER_COUNT: &str = "User Count";
/// `Total Request Count`: requests since the start (history).
pub const TOTAL_REQUEST_COUNT: &str = "Total Request Count";
/// `Total Failure Count`: failures since the start (history).
pub const TOTAL_FAILURE_COUNT: &str = "Total Failure Count";
/// `Total Median Response Time`, ms since the start (history).
pub const TOTAL_MEDIAN_RESPONSE_TIME: &str = "Total Median Response Time";
/// `Total Average Response Time`, ms since the start (history).
pub const TOTAL_AVERAGE_RESPONSE_TIME: &str = "Total Average Response Time";
/// `Total Min Response Time`, ms since the start (history).
pub const TOTAL_MIN_RESPONSE_TIME: &str = "Total Min Response Time";
/// `Total Max Response Time`, ms since the start (history).
pub const TOTAL_MAX_RESPONSE_TIME: &str = "Total Max Response Time";
/// `Total Average Content Size`, bytes since the start (history).
pub const TOTAL_AVERAGE_CONTENT_SIZE: &str = "Total Average Content Size";

/// `Error`: the error as Locust words it (`_failures.csv`).
pub const ERROR: &str = "Error";
/// `Occurrences`: how many times (`_failures.csv`).
pub const OCCURRENCES: &str = "Occurrences";
/// `First Seen`, unix seconds (`_failures.csv`, Locust ≥ 2.44).
pub const FIRST_SEEN: &str = "First Seen";
/// `Last Seen`, unix seconds (`_failures.csv`, Locust ≥ 2.44).
pub const LAST_SEEN: &str = "Last Seen";

/// `Count`: how many times (`_exceptions.csv`).
pub const COUNT: &str = "Count";
/// `Message` (`_exceptions.csv`).
pub const MESSAGE: &str = "Message";
/// `Traceback`: where it was raised (`_exceptions.csv`).
pub const TRACEBACK: &str = "Traceback";
/// `Nodes`: the workers that raised it (`_exceptions.csv`).
pub const NODES: &str = "Nodes";

/// `Step`: the step's number, from 1 (`_steps.csv`).
pub const STEP: &str = "Step";
/// `Start`, unix seconds (`_steps.csv`).
pub const START: &str = "Start";
/// `End`, unix seconds (`_steps.csv`).
pub const END: &str = "End";
/// `Requests`: requests completed (`_steps.csv`, `_events.csv`).
pub const REQUESTS: &str = "Requests";
/// `Failures`: failed requests (`_steps.csv`).
pub const FAILURES: &str = "Failures";
/// `Events/s`: business events per second (`_steps.csv`).
pub const EVENTS_PER_S: &str = "Events/s";
/// `Error %`: failed requests, percent (`_steps.csv`).
pub const ERROR_PCT: &str = "Error %";
/// `Stop Reason`: why the run stopped, on the last step (`_steps.csv`).
pub const STOP_REASON: &str = "Stop Reason";
/// `Offered Rate`: the step's target rate in the open model, per second (`_steps.csv`).
pub const OFFERED_RATE: &str = "Offered Rate";

/// `Events`: business events delivered (`_events.csv`).
pub const EVENTS: &str = "Events";

/// Header of `_stats.csv`.
pub const STATS_HEADER: [&str; 22] = [
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
    PERCENTILE_COLUMNS[0],
    PERCENTILE_COLUMNS[1],
    PERCENTILE_COLUMNS[2],
    PERCENTILE_COLUMNS[3],
    PERCENTILE_COLUMNS[4],
    PERCENTILE_COLUMNS[5],
    PERCENTILE_COLUMNS[6],
    PERCENTILE_COLUMNS[7],
    PERCENTILE_COLUMNS[8],
    PERCENTILE_COLUMNS[9],
    PERCENTILE_COLUMNS[10],
];

/// Header of `_stats_history.csv`.
pub const HISTORY_HEADER: [&str; 24] = [
    TIMESTAMP,
    USER_COUNT,
    TYPE,
    NAME,
    REQUESTS_PER_S,
    FAILURES_PER_S,
    PERCENTILE_COLUMNS[0],
    PERCENTILE_COLUMNS[1],
    PERCENTILE_COLUMNS[2],
    PERCENTILE_COLUMNS[3],
    PERCENTILE_COLUMNS[4],
    PERCENTILE_COLUMNS[5],
    PERCENTILE_COLUMNS[6],
    PERCENTILE_COLUMNS[7],
    PERCENTILE_COLUMNS[8],
    PERCENTILE_COLUMNS[9],
    PERCENTILE_COLUMNS[10],
    TOTAL_REQUEST_COUNT,
    TOTAL_FAILURE_COUNT,
    TOTAL_MEDIAN_RESPONSE_TIME,
    TOTAL_AVERAGE_RESPONSE_TIME,
    TOTAL_MIN_RESPONSE_TIME,
    TOTAL_MAX_RESPONSE_TIME,
    TOTAL_AVERAGE_CONTENT_SIZE,
];

/// Header of `_failures.csv` (Locust ≥ 2.44).
pub const FAILURES_HEADER: [&str; 6] = [METHOD, NAME, ERROR, OCCURRENCES, FIRST_SEEN, LAST_SEEN];

/// Header of `_exceptions.csv`.
pub const EXCEPTIONS_HEADER: [&str; 4] = [COUNT, MESSAGE, TRACEBACK, NODES];

/// Header of captest's `_steps.csv`. `User Count` is the users running at the end of the step
/// (in-flight iterations in the open model); `Offered Rate` is the step's target rate in the open
/// model.
pub const STEPS_HEADER: [&str; 14] = [
    STEP,
    USER_COUNT,
    START,
    END,
    REQUESTS,
    FAILURES,
    REQUESTS_PER_S,
    EVENTS_PER_S,
    P50,
    P95,
    P99,
    ERROR_PCT,
    STOP_REASON,
    OFFERED_RATE,
];

/// Header of captest's `_events.csv`: the entry as `METHOD name`, its requests, the events they
/// delivered.
pub const EVENTS_HEADER: [&str; 3] = [NAME, REQUESTS, EVENTS];

/// The column of `percentile` (a fraction of [`PERCENTILES`]): `0.95` → `95%`.
pub fn percentile_column(percentile: f64) -> Option<&'static str> {
    PERCENTILES
        .iter()
        .position(|p| *p == percentile)
        .map(|i| PERCENTILE_COLUMNS[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentile_columns_name_the_percentiles() {
        for (p, column) in PERCENTILES.iter().zip(PERCENTILE_COLUMNS) {
            // Python's `f"{p * 100:g}%"`, as Locust names them.
            let percent = format!("{}%", (p * 100.0 * 1e6).round() / 1e6);
            assert_eq!(percent, column);
        }
        assert_eq!(percentile_column(0.95), Some("95%"));
        assert_eq!(percentile_column(0.42), None);
    }

    #[test]
    fn headers_are_locust_2x_headers() {
        // The literal text real Locust 2.x writes (see tests/fixtures/locust).
        assert_eq!(
            STATS_HEADER.join(","),
            "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,\
             Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,\
             50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%"
        );
        assert_eq!(
            HISTORY_HEADER.join(","),
            "Timestamp,User Count,Type,Name,Requests/s,Failures/s,\
             50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%,\
             Total Request Count,Total Failure Count,Total Median Response Time,\
             Total Average Response Time,Total Min Response Time,Total Max Response Time,\
             Total Average Content Size"
        );
        assert_eq!(
            FAILURES_HEADER.join(","),
            "Method,Name,Error,Occurrences,First Seen,Last Seen"
        );
        assert_eq!(EXCEPTIONS_HEADER.join(","), "Count,Message,Traceback,Nodes");
    }
}

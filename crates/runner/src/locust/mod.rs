//! Locust's file formats and statistics rules: columns, bucketed percentiles, Python number
//! formatting and the rows of each CSV file.

mod buckets;
mod columns;
mod pyfmt;
mod rows;

pub use buckets::{bucket_key_ms, LocustBuckets};
pub use columns::{
    AGGREGATED, EXCEPTIONS_HEADER, FAILURES_HEADER, HISTORY_HEADER, PERCENTILES, STATS_HEADER,
};
pub use pyfmt::{py_fixed6, py_float, py_str_repr};
pub use rows::{
    exception_rows, failure_rows, failure_sort_key, history_rows, stats_rows, HistoryPercentiles,
};

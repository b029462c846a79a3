//! Locust's statistics rules: bucketed percentiles, Python number formatting and the rows of each
//! CSV file (the columns and headers are `captest_format`'s).

mod buckets;
mod pyfmt;
mod rows;

pub use buckets::{bucket_key_ms, LocustBuckets};
pub use pyfmt::{py_fixed6, py_float, py_str_repr};
pub use rows::{
    exception_rows, failure_rows, failure_sort_key, history_rows, stats_rows, HistoryPercentiles,
};

//! captest format: the contract between the files a run writes and the tools that read them,
//! written once. The runner writes with these headers and suffixes, analyze and report read
//! through them, and the CLI names files with them — so a column renamed here is renamed for
//! every writer and reader at once.
//!
//! - [`columns`]: every column name and the header of every CSV file (`_stats.csv`,
//!   `_stats_history.csv`, `_failures.csv`, `_exceptions.csv`, `_steps.csv`, `_events.csv`), and
//!   the percentiles Locust reports.
//! - [`files`]: the files' suffixes and the prefix ↔ path helpers (`results/run` ↔
//!   `results/run_stats.csv`).
//! - [`entry`]: the key of a statistics row, a request (method + name) or the Aggregated row.
//! - [`tables`]: a run's CSV files' contents in memory, for a run that wrote no files.
//! - [`stop_rule`]: the breaking-point rules of a stepped run (`errors>1%`, `p95>5x`,
//!   `rps-growth<5%`), their grammar and their evaluation on a step's figures.
//! - [`hdr_tag`]: an entry ↔ the tag of its histograms in `_latency.hdr`.
//! - [`atomic`]: files replaced whole or not at all (temp file, fsync, rename).
//!
//! It sits at the bottom of the workspace: it depends on no other captest crate.

pub mod atomic;
pub mod columns;
pub mod entry;
pub mod files;
pub mod hdr_tag;
pub mod stop_rule;
pub mod tables;

pub use entry::{Entry, RequestKey, AGGREGATED};
pub use hdr_tag::TagError;
pub use stop_rule::{StopRule, StopRuleError, DEFAULT_STOP_RULES};
pub use tables::RunTables;

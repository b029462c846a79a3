//! captest format: the contract between the files a run writes and the tools that read them,
//! and the model they share, written once. The runner writes with these headers and suffixes,
//! analyze and report read through them, and the CLI names files with them — so a column renamed
//! here is renamed for every writer and reader at once. The rules over a run's figures (the steady
//! window, the metrics, `--fail-on`, `--threshold` and `--stop-on`) are typed here too, so the
//! runner, analyze, report and the CLI judge a run by one definition of each.
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
//! - [`window`]: the typed [`Warmup`] and the [`SteadyWindow`] of a history, the one window every
//!   figure of `analyze`, `compare` and `report` is taken over, read through [`WindowRow`].
//! - [`metric`]: the [`Metric`]s a rule measures (`avg`, `p95`, `rps`, `errors`, …).
//! - [`scope`]: which entries a rule applies to ([`Scope`], [`EntryPattern`]).
//! - [`threshold`]: the `--fail-on` ([`FailOn`]) and `--threshold` ([`Threshold`]) grammars, and
//!   whether a value passes a threshold.
//!
//! Parse failures are typed ([`StopRuleError`], [`WarmupError`], [`RuleError`], [`TagError`]):
//! each says what was expected, and where.
//!
//! It sits at the bottom of the workspace: it depends on no other captest crate.

pub mod atomic;
pub mod columns;
pub mod entry;
pub mod files;
pub mod hdr_tag;
pub mod metric;
pub mod scope;
pub mod stop_rule;
pub mod tables;
pub mod threshold;
pub mod window;

pub use entry::{Entry, RequestKey, AGGREGATED};
pub use hdr_tag::TagError;
pub use metric::{Metric, METRIC_NAMES};
pub use scope::{EntryPattern, Scope};
pub use stop_rule::{StopRule, StopRuleError, DEFAULT_STOP_RULES};
pub use tables::RunTables;
pub use threshold::{Amount, FailOn, Grammar, RuleError, Threshold};
pub use window::{SteadyWindow, Warmup, WarmupError, WindowRow};

//! Regression gates: `compare` a run with a baseline under `--fail-on` rules, telling real
//! changes from noise, and `check` one run against absolute `--threshold`s.

pub mod distribution;
pub mod hdr;
pub mod measure;
pub mod missing;
pub mod noise;
pub mod output;
pub mod quantile;
pub mod significance;
pub mod spread;
pub mod verdict;
pub mod window;

/// The rules the gates apply are defined in `captest-format` (one definition for every tool);
/// re-exported for callers of [`compare()`] and [`check()`], which take them.
pub use captest_format::{Amount, EntryPattern, FailOn, Metric, Scope, Threshold};
pub use missing::require_matching_entries;
pub use spread::{compare_spread, Spread, SpreadReport};
pub use verdict::{check, compare, CompareOptions, Comparison, GateReport, Verdict};
pub use window::Source;

//! Metrics: samples recorded per worker thread, merged once a second into cumulative per-entry
//! statistics with Locust's "current" windows.

mod clock;
mod entry;
mod interval;
mod registry;
mod run_stats;
mod sample;
mod shard;

pub use captest_format::RequestKey;
pub use clock::{epoch_now, RunClock};
pub use entry::{EntryStats, Median, CURRENT_WINDOW_SECONDS};
pub use interval::{new_latency_histogram, IntervalStats, HDR_SIGNIFICANT_DIGITS};
pub use registry::EntryRegistry;
pub use run_stats::{EpochTally, ExceptionRecord, FailureRecord, RunStats};
pub use sample::{EntryId, FailureKind, Sample};
pub use shard::{FailureTally, Recorder, Shard};

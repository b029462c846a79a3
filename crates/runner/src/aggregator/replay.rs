//! The aggregator of a replayed run: a merge of shards feeds it the shards' seconds instead of
//! workers feeding it samples, and it writes the same files with the same writers.

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;

use super::{AbortCheck, Aggregator, AggregatorOutcome, AggregatorSettings};
use crate::error::RunnerError;
use crate::metrics::{
    EntryId, EntryRegistry, EpochTally, FailureKind, IntervalStats, Recorder, RunClock, RunStats,
};
use crate::steps::StopRequest;

impl Aggregator {
    /// An aggregator fed by [`replay_second`](Self::replay_second) instead of workers (a merge of
    /// shards), for a run that started at `start` (unix seconds).
    pub fn replaying(
        registry: EntryRegistry,
        settings: AggregatorSettings,
        start: f64,
    ) -> Result<Self, RunnerError> {
        let stats = RunStats::starting_at(registry, RunClock::start(), start);
        let users = Arc::new(AtomicUsize::new(0));
        let mut aggregator = Self::with_stats(Recorder::new(), stats, settings, users)?;
        aggregator.replaying = true;
        Ok(aggregator)
    }

    /// Merges one tick of a replayed run (see [`RunStats::absorb_second`]) and writes what is
    /// due, as [`run`](Self::run) does after every second.
    pub fn replay_second(
        &mut self,
        now: i64,
        users: usize,
        entries: &mut Vec<IntervalStats>,
        failures: &[((EntryId, FailureKind), EpochTally)],
        last_request: Option<f64>,
    ) {
        self.stats
            .absorb_second(now - 1, entries, failures, last_request);
        self.after_second(now - 1, now, users);
    }

    /// Checks `abort` on the merged statistics after every replayed second, raising `stop` with
    /// its reason (a coordinator's `--abort-on-fail`).
    pub fn with_abort(mut self, abort: Option<(AbortCheck, Arc<StopRequest>)>) -> Self {
        self.settings.abort = abort;
        self
    }

    /// Counts a task-logic error (a replayed shard's `_exceptions.csv` rows).
    pub fn record_exception(&mut self, message: &str, traceback: &str, count: u64) {
        self.stats.record_exception(message, traceback, count);
    }

    /// Ends a replayed run as [`run`](Self::run) ends a live one, at `ended_at` (unix seconds;
    /// `None`: now).
    pub fn finish_replay(mut self, reason: &str, ended_at: Option<f64>) -> AggregatorOutcome {
        self.ended_at = ended_at;
        self.finish(reason)
    }
}

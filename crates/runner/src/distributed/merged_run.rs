//! The one aggregator a merge feeds: shards' ticks, grouped by history Timestamp, replayed into
//! the aggregator a single process uses. `captest merge` feeds it from bundles on disk, the
//! coordinator from shards' reports as they arrive; both write the same files.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use super::decode::EntryDecoder;
use super::error::BundleError;
use super::meta::{ShardMeta, StepPlan};
use super::record::{EntryRecord, SecondRecord};
use crate::aggregator::{AbortCheck, Aggregator, AggregatorOutcome, AggregatorSettings};
use crate::live::{LiveFeed, LiveState};
use crate::metrics::{EntryId, EntryRegistry, EpochTally, FailureKind, IntervalStats, RequestKey};
use crate::progress::ProgressSink;
use crate::steps::{StepTracker, StopRequest};

/// A merged run being replayed.
#[derive(Debug)]
pub(crate) struct MergedRun {
    aggregator: Aggregator,
    registry: EntryRegistry,
    /// Each shard's users at its latest own tick, by shard key.
    users: BTreeMap<usize, usize>,
    /// The tick [`tick`](Self::tick) reads into (a merge's reader thread keeps its own).
    tick: MergedTick,
    decoder: TickDecoder,
    event_weights: Vec<f64>,
    stop: Arc<StopRequest>,
}

/// One tick of the shards that reported it, read and added up: what the aggregator replays.
/// Its buffers are kept from tick to tick.
#[derive(Debug, Default)]
pub(crate) struct MergedTick {
    now: i64,
    /// (shard key, its users at this tick).
    users: Vec<(usize, usize)>,
    /// The shards' intervals summed, by entry id.
    entries: Vec<IntervalStats>,
    failures: Vec<((EntryId, FailureKind), EpochTally)>,
    last_request: Option<f64>,
}

/// Reads shards' tick records into [`MergedTick`]s, interning entry names in the merged run's
/// registry (so it may run on a thread of its own, ahead of the aggregator).
#[derive(Debug)]
pub(crate) struct TickDecoder {
    registry: EntryRegistry,
    entry: EntryDecoder,
    /// By shard key, the entries its last record named, in order: a shard lists the same entries
    /// in the same order tick after tick, so a name is checked against the one at its place
    /// instead of being copied into a key and looked up (millions of times in a large merge).
    named: Vec<Vec<(RequestKey, EntryId)>>,
}

impl TickDecoder {
    /// A decoder interning entry names in `registry` (the merged run's).
    fn new(registry: EntryRegistry) -> Self {
        TickDecoder {
            registry,
            entry: EntryDecoder::default(),
            named: Vec::new(),
        }
    }

    /// The id of the `place`-th entry of shard `shard`'s record, `entry`.
    fn id_of(&mut self, shard: usize, place: usize, entry: &EntryRecord) -> EntryId {
        if self.named.len() <= shard {
            self.named.resize_with(shard + 1, Vec::new);
        }
        let named = &mut self.named[shard];
        match named.get(place) {
            Some((seen, id)) if seen.method == entry.method && seen.name == entry.name => *id,
            _ => {
                let seen = entry.key();
                let id = self.registry.intern(&seen);
                if place < named.len() {
                    named[place] = (seen, id);
                } else {
                    named.push((seen, id));
                }
                id
            }
        }
    }

    /// Reads the tick `now` of the shards `parts` (shard key, its record) into `tick`. An error
    /// names the part that does not read, and what is wrong with it.
    pub(crate) fn decode(
        &mut self,
        now: i64,
        parts: &[(usize, &SecondRecord)],
        tick: &mut MergedTick,
    ) -> Result<(), (usize, String)> {
        tick.now = now;
        tick.entries.iter_mut().for_each(IntervalStats::clear);
        tick.users.clear();
        tick.failures.clear();
        tick.last_request = None;
        for (part, (shard, record)) in parts.iter().enumerate() {
            tick.users.push((*shard, record.users));
            if let Some(last) = record.last_request {
                tick.last_request = Some(tick.last_request.map_or(last.0, |l| l.max(last.0)));
            }
            for (place, entry) in record.entries.iter().enumerate() {
                let id = self.id_of(*shard, place, entry).0 as usize;
                if tick.entries.len() <= id {
                    tick.entries.resize_with(id + 1, IntervalStats::default);
                }
                self.entry
                    .add_into(entry, &mut tick.entries[id])
                    .map_err(|message| (part, message))?;
            }
            for failure in &record.failures {
                let (key, kind, tally) = failure.parts();
                tick.failures
                    .push(((self.registry.intern(&key), kind), tally));
            }
        }
        Ok(())
    }
}

impl MergedRun {
    /// A merged run of shards described like `first`, started at `start` (unix seconds), its
    /// files under `output`; a step plan's rules raise `stop`. An unreadable plan is reported
    /// against `plan_source`.
    pub(crate) fn new(
        first: &ShardMeta,
        start: f64,
        output: &Path,
        stop: Arc<StopRequest>,
        plan_source: &Path,
    ) -> Result<Self, BundleError> {
        let registry = EntryRegistry::new();
        let mut weights = Vec::new();
        for weight in &first.event_weights {
            let id = registry.intern(&RequestKey::new(
                weight.method.as_str(),
                weight.name.as_str(),
            ));
            if weights.len() <= id.0 as usize {
                weights.resize(id.0 as usize + 1, 0.0);
            }
            weights[id.0 as usize] = weight.weight.0;
        }
        let settings = AggregatorSettings {
            csv: Some((output.to_owned(), first.full_history)),
            run_time: None,
            event_weights: weights.clone(),
            open_model: first.open_model,
            abort: None,
            keep_history: false,
            shard: None,
        };
        let mut aggregator = Aggregator::replaying(registry.clone(), settings, start)?;
        if let Some(plan) = &first.steps {
            let tracker = step_tracker(plan, start, first.open_model, stop.clone(), plan_source)?;
            aggregator = aggregator.with_steps(tracker);
        }
        Ok(MergedRun {
            aggregator,
            decoder: TickDecoder::new(registry.clone()),
            registry,
            users: BTreeMap::new(),
            tick: MergedTick::default(),
            event_weights: weights,
            stop,
        })
    }

    /// Shows the live view to `progress`.
    pub(crate) fn with_progress(mut self, progress: Option<ProgressSink>) -> Self {
        self.aggregator = self.aggregator.with_progress(progress);
        self
    }

    /// Checks `abort` (`--abort-on-fail`'s thresholds) on the merged figures every second; a
    /// reason raises the run's stop.
    pub(crate) fn with_abort(mut self, abort: Option<AbortCheck>) -> Self {
        let abort = abort.map(|check| (check, self.stop.clone()));
        self.aggregator = self.aggregator.with_abort(abort);
        self
    }

    /// Publishes the merged figures to `state` every second (`--metrics`).
    pub(crate) fn with_live(mut self, state: Option<LiveState>) -> Self {
        if let Some(state) = state {
            let feed = LiveFeed::new(state, self.registry.clone(), self.event_weights.clone());
            self.aggregator = self.aggregator.with_live(Some(feed));
        }
        self
    }

    /// Counts the task-logic errors a shard reported when it ended.
    pub(crate) fn record_exceptions(&mut self, meta: &ShardMeta) {
        for line in &meta.exceptions {
            self.aggregator
                .record_exception(&line.message, &line.traceback, line.count);
        }
    }

    /// Replays the tick `now` of the shards `parts` (shard key, its record); a shard's users
    /// count at every tick as at its latest own tick. An error names the part that does not
    /// read, and what is wrong with it.
    pub(crate) fn tick(
        &mut self,
        now: i64,
        parts: &[(usize, &SecondRecord)],
    ) -> Result<(), (usize, String)> {
        let mut tick = std::mem::take(&mut self.tick);
        let decoded = self.decoder.decode(now, parts, &mut tick);
        if decoded.is_ok() {
            self.replay(&mut tick);
        }
        self.tick = tick;
        decoded
    }

    /// A decoder of shards' records for this run (sharing its entry names), for a thread that
    /// reads ahead of [`replay`](Self::replay).
    pub(crate) fn decoder(&self) -> TickDecoder {
        TickDecoder::new(self.registry.clone())
    }

    /// Replays a tick read by a [`TickDecoder`] of this run. `tick` comes back holding buffers
    /// to read the next one into.
    pub(crate) fn replay(&mut self, tick: &mut MergedTick) {
        for &(shard, users) in &tick.users {
            self.users.insert(shard, users);
        }
        let users = self.users.values().sum();
        self.aggregator.replay_second(
            tick.now,
            users,
            &mut tick.entries,
            &tick.failures,
            tick.last_request,
        );
    }

    /// Requests counted so far, and how many failed.
    pub(crate) fn totals(&self) -> (u64, u64) {
        let total = &self.aggregator.stats().total().total;
        (total.requests, total.failures)
    }

    /// Ends the run (why, and when: the latest shard end) and writes its final files.
    pub(crate) fn finish(self, reason: &str, ended_at: Option<f64>) -> AggregatorOutcome {
        self.aggregator.finish_replay(reason, ended_at)
    }
}

/// The tracker that cuts the merged figures into the plan's (unsharded) steps.
fn step_tracker(
    plan: &StepPlan,
    start: f64,
    open_model: bool,
    stop: Arc<StopRequest>,
    plan_source: &Path,
) -> Result<StepTracker, BundleError> {
    let (shape, settings) = plan.parts().map_err(|message| BundleError::Parse {
        path: plan_source.to_owned(),
        line: 1,
        message,
    })?;
    let tracker = StepTracker::new(
        Arc::new(shape),
        start,
        settings.settle,
        settings.rules,
        stop,
    );
    Ok(if open_model {
        tracker.in_rate_terms()
    } else {
        tracker
    })
}

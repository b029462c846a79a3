//! The aggregator's side of the live state: after it merged a second into the run's statistics,
//! [`LiveFeed`] copies what the views show into a [`LiveSnapshot`] and publishes it. The
//! requests are counted once, by the aggregator; this only reads its figures.

use std::collections::HashMap;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use super::snapshot::{
    ArrivalCounts, LiveEntry, LiveException, LiveFailure, LiveSnapshot, LiveStep, DURATION_BUCKETS,
};
use super::state::LiveState;
use crate::engine::{LoadModel, RunSettings};
use crate::metrics::{EntryId, EntryRegistry, EntryStats, IntervalStats, RunStats};
use crate::scheduler::OpenModelCounters;
use crate::shape::LoadShape;
use crate::steps::StepResult;

/// Bucket bounds in microseconds, the unit of the HDR histograms.
fn bound_us(index: usize) -> u64 {
    (DURATION_BUCKETS[index] * 1e6).round() as u64
}

/// Response times per bucket of one entry (not cumulative; the last slot is `+Inf`).
type BucketCounts = [u64; DURATION_BUCKETS.len() + 1];

/// Builds and publishes the run's snapshots, on the aggregator's thread.
#[derive(Debug)]
pub struct LiveFeed {
    state: LiveState,
    registry: EntryRegistry,
    event_weights: Vec<f64>,
    arrivals: Option<(Arc<dyn LoadShape>, Arc<OpenModelCounters>)>,
    buckets: Vec<BucketCounts>,
    steps: Vec<LiveStep>,
}

impl LiveFeed {
    /// A feed into `state` for the entries of `registry`, with the events of `event_weights`
    /// (indexed by entry id; empty when none are declared).
    pub fn new(state: LiveState, registry: EntryRegistry, event_weights: Vec<f64>) -> Self {
        LiveFeed {
            state,
            registry,
            event_weights,
            arrivals: None,
            buckets: Vec::new(),
            steps: Vec::new(),
        }
    }

    /// The feed of a run's live state, when something watches it ([`RunSettings::live`]).
    pub(crate) fn of_run(
        settings: &RunSettings,
        counters: &Arc<OpenModelCounters>,
    ) -> Option<LiveFeed> {
        let state = settings.live.clone()?;
        let feed = LiveFeed::new(
            state,
            settings.registry.clone(),
            settings.event_weights.clone(),
        );
        Some(match settings.model {
            LoadModel::Open { .. } => feed.with_arrivals(settings.shape.clone(), counters.clone()),
            LoadModel::Closed { .. } => feed,
        })
    }

    /// Also shows the open model's offered rate (the shape's level) and dropped iterations.
    pub fn with_arrivals(
        mut self,
        shape: Arc<dyn LoadShape>,
        counters: Arc<OpenModelCounters>,
    ) -> Self {
        self.arrivals = Some((shape, counters));
        self
    }

    /// Adds the second [`RunStats::absorb`] just merged to the response-time buckets; call it
    /// once after each merge.
    pub fn observe(&mut self, stats: &RunStats) {
        let (_, entries) = stats.last_second();
        if self.buckets.len() < entries.len() {
            self.buckets
                .resize(entries.len(), [0; DURATION_BUCKETS.len() + 1]);
        }
        for (interval, counts) in entries.iter().zip(self.buckets.iter_mut()) {
            add_to_buckets(interval, counts);
        }
    }

    /// Shows `steps` (a stepped run's completed steps) from the next snapshot on.
    pub fn show_steps(&mut self, steps: &[StepResult]) {
        self.steps = steps.iter().map(LiveStep::of).collect();
    }

    /// Publishes the run as `stats` has it, with `users` running; `stopped` says why the run
    /// ended, in its last snapshot.
    pub fn publish(&self, stats: &RunStats, users: usize, stopped: Option<&str>) {
        let elapsed_seconds = (stats.clock().now() - stats.start()).max(0.0);
        let seen: HashMap<EntryId, &EntryStats> = stats
            .entries_with_ids()
            .into_iter()
            .map(|(id, _, entry)| (id, entry))
            .collect();
        let mut entries: Vec<LiveEntry> = self
            .registry
            .keys()
            .into_iter()
            .enumerate()
            .map(|(index, key)| {
                let id = EntryId(index as u32);
                let mut live = match seen.get(&id) {
                    Some(entry) => live_entry(stats, entry, key),
                    None => zero_entry(key),
                };
                if let Some(counts) = self.buckets.get(index) {
                    live.duration_buckets = cumulative(counts);
                }
                live
            })
            .collect();
        entries.sort_by(|a, b| (&a.key.name, &a.key.method).cmp(&(&b.key.name, &b.key.method)));
        let mut failures: Vec<LiveFailure> = stats
            .failures()
            .map(|record| LiveFailure {
                error: record.kind.describe(&record.entry.name),
                key: record.entry.clone(),
                occurrences: record.occurrences,
            })
            .collect();
        failures.sort_by(|a, b| {
            (&a.key.name, &a.key.method, &a.error).cmp(&(&b.key.name, &b.key.method, &b.error))
        });
        let arrivals = self
            .arrivals
            .as_ref()
            .map(|(shape, counters)| ArrivalCounts {
                offered_rate: shape
                    .level_at(Duration::from_secs_f64(elapsed_seconds))
                    .unwrap_or(0.0),
                dropped: counters.dropped.load(Ordering::Relaxed),
            });
        let total = stats.total();
        let now = stats.clock().now().floor() as i64;
        // As the history writes them: 0 while there is no window yet.
        let current = (total.total.requests > 0)
            .then(|| [0.5, 0.95, 0.99].map(|p| total.current_percentile_ms(now, p).unwrap_or(0)));
        self.state.publish(LiveSnapshot {
            elapsed_seconds,
            users,
            entries,
            total: Some(live_entry(
                stats,
                total,
                captest_format::RequestKey::new("", "Aggregated"),
            )),
            current_percentiles_ms: current,
            failures,
            exceptions: stats
                .exceptions()
                .iter()
                .map(|e| LiveException {
                    count: e.count,
                    message: e.message.clone(),
                    traceback: e.traceback.clone(),
                })
                .collect(),
            has_events: self.event_weights.iter().any(|w| *w > 0.0),
            arrivals,
            steps: self.steps.clone(),
            stopped: stopped.map(str::to_owned),
        });
    }
}

/// Counts the response times of `interval` into `counts`, by the highest time each HDR bucket
/// stands for.
fn add_to_buckets(interval: &IntervalStats, counts: &mut BucketCounts) {
    if interval.is_empty() {
        return;
    }
    for value in interval.hdr.iter_recorded() {
        let micros = value.value_iterated_to();
        let slot = (0..DURATION_BUCKETS.len())
            .find(|&i| micros <= bound_us(i))
            .unwrap_or(DURATION_BUCKETS.len());
        counts[slot] += value.count_since_last_iteration();
    }
}

/// Per-bucket counts made cumulative (Prometheus' `le`), `+Inf` left out.
fn cumulative(counts: &BucketCounts) -> [u64; DURATION_BUCKETS.len()] {
    let mut running = 0;
    let mut out = [0; DURATION_BUCKETS.len()];
    for (slot, count) in out.iter_mut().zip(counts) {
        running += count;
        *slot = running;
    }
    out
}

fn zero_entry(key: captest_format::RequestKey) -> LiveEntry {
    LiveEntry {
        key,
        requests: 0,
        failures: 0,
        duration_sum_seconds: 0.0,
        duration_buckets: [0; DURATION_BUCKETS.len()],
        events: 0.0,
        current_rps: 0.0,
        current_fail_per_sec: 0.0,
        percentiles_ms: None,
        min_max_ms: None,
        content_bytes: 0,
    }
}

fn live_entry(stats: &RunStats, entry: &EntryStats, key: captest_format::RequestKey) -> LiveEntry {
    let total = &entry.total;
    let (last, start) = (stats.last_request(), stats.start());
    LiveEntry {
        key,
        requests: total.requests,
        failures: total.failures,
        duration_sum_seconds: total.sum_ns as f64 / 1e9,
        duration_buckets: [0; DURATION_BUCKETS.len()],
        events: total.events,
        current_rps: entry.current_rps(last, start),
        current_fail_per_sec: entry.current_fail_per_sec(last, start),
        percentiles_ms: (total.requests > 0)
            .then(|| [0.5, 0.95, 0.99].map(|percent| entry.percentile_ms(percent))),
        min_max_ms: entry.min_ms().zip(entry.max_ms()),
        content_bytes: total.content_bytes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::snapshot::RunInfo;
    use crate::metrics::{Recorder, RunClock, Sample};
    use captest_format::RequestKey;
    use std::time::Instant;

    fn sample(entry: EntryId, ms: u64, failed: bool) -> Sample {
        Sample {
            entry,
            elapsed_ns: ms * 1_000_000,
            content_length: 1,
            finished: Instant::now(),
            failure: failed.then_some(crate::metrics::FailureKind::Status(500)),
            events: 0.0,
        }
    }

    #[test]
    fn snapshots_count_what_the_statistics_merged_and_start_every_entry_at_zero() {
        let registry = EntryRegistry::new();
        let get = registry.intern(&RequestKey::new("GET", "/a"));
        registry.intern(&RequestKey::new("POST", "/b"));
        let state = LiveState::new(RunInfo {
            command: "run".into(),
            host: "http://127.0.0.1:1".into(),
            version: "0".into(),
        });
        let mut feed = LiveFeed::new(state.clone(), registry.clone(), Vec::new());
        let recorder = Recorder::new();
        let mut stats = RunStats::new(registry, RunClock::start());
        for (ms, failed) in [(1, false), (7, false), (300, true), (70_000, false)] {
            recorder.record(sample(get, ms, failed));
        }
        let mut shards = Vec::new();
        recorder.drain(&mut shards);
        stats.absorb(stats.start().floor() as i64, &shards);
        feed.observe(&stats);
        feed.publish(&stats, 3, None);
        let snapshot = state.snapshot();
        assert_eq!(snapshot.users, 3);
        let names: Vec<&str> = snapshot
            .entries
            .iter()
            .map(|e| e.key.name.as_str())
            .collect();
        assert_eq!(names, ["/a", "/b"]);
        let a = &snapshot.entries[0];
        assert_eq!((a.requests, a.failures), (4, 1));
        // le 1ms: 1; 10ms: 2; 0.5s: 3; 60s: still 3 (the 70 s one is only in +Inf).
        assert_eq!(a.duration_buckets[0], 1);
        assert_eq!(a.duration_buckets[3], 2);
        assert_eq!(a.duration_buckets[8], 3);
        assert_eq!(a.duration_buckets[14], 3);
        assert!((a.duration_sum_seconds - 70.308).abs() < 1e-9);
        assert_eq!(snapshot.entries[1].requests, 0);
        let total = snapshot.total.as_ref().expect("the Aggregated row");
        assert_eq!((total.requests, total.failures), (4, 1));
        assert_eq!(total.min_max_ms.map(|(min, _)| min.round()), Some(1.0));
        assert!(snapshot.current_percentiles_ms.is_some());
        assert_eq!(snapshot.failures.len(), 1);
        assert_eq!(snapshot.failures[0].occurrences, 1);
        assert!(!snapshot.is_final());
        feed.publish(&stats, 0, Some("time limit"));
        assert!(state.snapshot().is_final());
    }
}

//! The run's statistics as the aggregator keeps them: every entry, the Aggregated row and the
//! failures, updated once a second from the worker shards. Single-threaded; readers (CSV writers,
//! console) borrow it between updates.

use std::collections::HashMap;

use captest_format::RequestKey;

use super::clock::RunClock;
use super::entry::EntryStats;
use super::interval::IntervalStats;
use super::registry::EntryRegistry;
use super::sample::{EntryId, FailureKind};
use super::shard::Shard;

/// One kind of failure of one entry, with wall-clock first and last occurrence (epoch seconds).
#[derive(Debug, Clone)]
pub struct FailureRecord {
    /// The entry that failed.
    pub entry: RequestKey,
    /// Why.
    pub kind: FailureKind,
    /// How many times.
    pub occurrences: u64,
    /// First occurrence, epoch seconds.
    pub first_seen: f64,
    /// Last occurrence, epoch seconds.
    pub last_seen: f64,
}

/// An error raised by task logic rather than by a request (a failed capture, say): Locust's
/// `_exceptions.csv` rows, in first-seen order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExceptionRecord {
    /// How many times it occurred.
    pub count: u64,
    /// The error message.
    pub message: String,
    /// Where it happened (the task and step), Locust's `Traceback` column.
    pub traceback: String,
}

/// Everything measured in a run so far.
#[derive(Debug)]
pub struct RunStats {
    registry: EntryRegistry,
    clock: RunClock,
    start: f64,
    last_request: Option<f64>,
    entries: Vec<Option<EntryStats>>,
    total: EntryStats,
    failures: HashMap<(EntryId, FailureKind), FailureRecord>,
    exceptions: Vec<ExceptionRecord>,
    scratch: Vec<IntervalStats>,
    last_total: IntervalStats,
    last_failures: HashMap<(EntryId, FailureKind), EpochTally>,
}

/// Occurrences of one failure kind of one entry, first and last seen in epoch seconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochTally {
    /// How many times.
    pub occurrences: u64,
    /// First occurrence, epoch seconds.
    pub first_seen: f64,
    /// Last occurrence, epoch seconds.
    pub last_seen: f64,
}

fn merge_tally(
    into: &mut HashMap<(EntryId, FailureKind), EpochTally>,
    key: (EntryId, FailureKind),
    tally: EpochTally,
) {
    into.entry(key)
        .and_modify(|t| {
            t.occurrences += tally.occurrences;
            t.first_seen = t.first_seen.min(tally.first_seen);
            t.last_seen = t.last_seen.max(tally.last_seen);
        })
        .or_insert(tally);
}

impl RunStats {
    /// Empty statistics of a run that starts now (per `clock`).
    pub fn new(registry: EntryRegistry, clock: RunClock) -> Self {
        let start = clock.now();
        RunStats {
            registry,
            clock,
            start,
            last_request: None,
            entries: Vec::new(),
            total: EntryStats::new(start.floor() as i64),
            failures: HashMap::new(),
            exceptions: Vec::new(),
            scratch: Vec::new(),
            last_total: IntervalStats::default(),
            last_failures: HashMap::new(),
        }
    }

    /// Empty statistics of a run whose start was `start` (epoch seconds), as a merge of shards
    /// rebuilds them.
    pub fn starting_at(registry: EntryRegistry, clock: RunClock, start: f64) -> Self {
        let mut stats = RunStats::new(registry, clock);
        stats.start = start;
        stats.total = EntryStats::new(start.floor() as i64);
        stats
    }

    /// Merges what the shards recorded during wall-clock `second` (epoch seconds).
    pub fn absorb(&mut self, second: i64, shards: &[Shard]) {
        let width = shards.iter().map(|s| s.entries.len()).max().unwrap_or(0);
        self.scratch.resize_with(width, IntervalStats::default);
        self.scratch.iter_mut().for_each(IntervalStats::clear);
        self.last_failures.clear();
        let mut last_finished: Option<f64> = None;
        for shard in shards {
            for (index, interval) in shard.entries.iter().enumerate() {
                if !interval.is_empty() {
                    self.scratch[index] += interval;
                }
            }
            for ((message, traceback), count) in &shard.exceptions {
                self.record_exception(message, traceback, *count);
            }
            if let Some(finished) = shard.last_finished {
                let epoch = self.clock.epoch_of(finished);
                last_finished = Some(last_finished.map_or(epoch, |l| l.max(epoch)));
            }
            for ((entry, kind), tally) in &shard.failures {
                let tally = EpochTally {
                    occurrences: tally.occurrences,
                    first_seen: self.clock.epoch_of(tally.first_seen),
                    last_seen: self.clock.epoch_of(tally.last_seen),
                };
                merge_tally(&mut self.last_failures, (*entry, kind.clone()), tally);
            }
        }
        self.commit(second, last_finished);
    }

    /// Merges one second given as merged intervals (indexed by [`EntryId`]), failure tallies in
    /// epoch seconds and the latest request's end: what [`absorb`](Self::absorb) computes from
    /// worker shards, read back from shard bundles by a merge. The intervals are taken, not
    /// copied: `entries` is handed back holding an earlier second's, to be cleared before reuse.
    pub fn absorb_second(
        &mut self,
        second: i64,
        entries: &mut Vec<IntervalStats>,
        failures: &[((EntryId, FailureKind), EpochTally)],
        last_finished: Option<f64>,
    ) {
        std::mem::swap(&mut self.scratch, entries);
        self.last_failures.clear();
        for (key, tally) in failures {
            merge_tally(&mut self.last_failures, key.clone(), *tally);
        }
        self.commit(second, last_finished);
    }

    /// Adds the merged second in `scratch` and `last_failures` to the run's figures.
    fn commit(&mut self, second: i64, last_finished: Option<f64>) {
        if let Some(epoch) = last_finished {
            self.last_request = Some(self.last_request.map_or(epoch, |l| l.max(epoch)));
        }
        self.last_total.clear();
        for ((entry, kind), tally) in &self.last_failures {
            let key = self
                .registry
                .key(*entry)
                .unwrap_or_else(|| RequestKey::new("", ""));
            self.failures
                .entry((*entry, kind.clone()))
                .and_modify(|r| {
                    r.occurrences += tally.occurrences;
                    r.first_seen = r.first_seen.min(tally.first_seen);
                    r.last_seen = r.last_seen.max(tally.last_seen);
                })
                .or_insert(FailureRecord {
                    entry: key,
                    kind: kind.clone(),
                    occurrences: tally.occurrences,
                    first_seen: tally.first_seen,
                    last_seen: tally.last_seen,
                });
        }
        let width = self.scratch.len();
        if self.entries.len() < width {
            self.entries.resize_with(width, || None);
        }
        for (index, interval) in self.scratch.iter().enumerate() {
            if interval.is_empty() {
                continue;
            }
            self.last_total += interval;
            self.entries[index]
                .get_or_insert_with(|| EntryStats::new(second))
                .absorb(second, interval);
        }
        self.total.absorb(second, &self.last_total);
    }

    /// The failures the last [`absorb`](Self::absorb) merged, per entry and kind, in epoch seconds.
    pub fn last_failures(&self) -> impl Iterator<Item = (&(EntryId, FailureKind), &EpochTally)> {
        self.last_failures.iter()
    }

    /// The registry the entry ids come from.
    pub fn registry(&self) -> &EntryRegistry {
        &self.registry
    }

    /// What the last [`absorb`](Self::absorb) merged: the Aggregated interval and the per-entry
    /// intervals indexed by [`EntryId`].
    pub fn last_second(&self) -> (&IntervalStats, &[IntervalStats]) {
        (&self.last_total, &self.scratch)
    }

    /// Counts one task-logic error (see [`ExceptionRecord`]).
    pub fn record_exception(&mut self, message: &str, traceback: &str, count: u64) {
        match self
            .exceptions
            .iter_mut()
            .find(|e| e.message == message && e.traceback == traceback)
        {
            Some(existing) => existing.count += count,
            None => self.exceptions.push(ExceptionRecord {
                count,
                message: message.to_owned(),
                traceback: traceback.to_owned(),
            }),
        }
    }

    /// Entries that have seen a request with their id (the index of per-entry settings such as
    /// event weights), in id order.
    pub fn entries_with_ids(&self) -> Vec<(EntryId, RequestKey, &EntryStats)> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let id = EntryId(index as u32);
                Some((id, self.registry.key(id)?, entry.as_ref()?))
            })
            .collect()
    }

    /// Entries that have seen a request, sorted as Locust sorts them: by (name, method).
    pub fn sorted_entries(&self) -> Vec<(RequestKey, &EntryStats)> {
        let mut rows: Vec<(RequestKey, &EntryStats)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| {
                let entry = entry.as_ref()?;
                let key = self.registry.key(EntryId(index as u32))?;
                Some((key, entry))
            })
            .collect();
        rows.sort_by(|(a, _), (b, _)| (&a.name, &a.method).cmp(&(&b.name, &b.method)));
        rows
    }

    /// The Aggregated row.
    pub fn total(&self) -> &EntryStats {
        &self.total
    }

    /// Every failure kind seen so far (unordered).
    pub fn failures(&self) -> impl Iterator<Item = &FailureRecord> {
        self.failures.values()
    }

    /// Task-logic errors in first-seen order.
    pub fn exceptions(&self) -> &[ExceptionRecord] {
        &self.exceptions
    }

    /// Epoch seconds at which the run's statistics started.
    pub fn start(&self) -> f64 {
        self.start
    }

    /// Epoch seconds of the latest completed request, if any.
    pub fn last_request(&self) -> Option<f64> {
        self.last_request
    }

    /// The clock the run's instants are converted with.
    pub fn clock(&self) -> &RunClock {
        &self.clock
    }

    /// Locust's `total_rps` of `entry`: its requests ÷ (last request − start), 0 before any request.
    pub fn total_rps(&self, entry: &EntryStats) -> f64 {
        self.rate(entry.total.requests)
    }

    /// Locust's `total_fail_per_sec` of `entry`.
    pub fn total_fail_per_sec(&self, entry: &EntryStats) -> f64 {
        self.rate(entry.total.failures)
    }

    fn rate(&self, count: u64) -> f64 {
        match self.last_request {
            Some(last) if last > self.start => count as f64 / (last - self.start),
            _ => 0.0,
        }
    }
}

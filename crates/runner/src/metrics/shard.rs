//! Per-thread shards: the hot path records into the shard of the worker thread it runs on (an
//! uncontended lock), and the aggregator swaps each shard out once a second. No global lock is taken
//! per request.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Instant;

use super::interval::IntervalStats;
use super::sample::{EntryId, FailureKind, Sample};

/// Occurrences of one failure kind of one entry within an interval.
#[derive(Debug, Clone, Copy)]
pub struct FailureTally {
    /// How many times it occurred.
    pub occurrences: u64,
    /// When it first occurred in the interval.
    pub first_seen: Instant,
    /// When it last occurred in the interval.
    pub last_seen: Instant,
}

impl FailureTally {
    /// Merges another tally of the same failure.
    pub fn absorb(&mut self, other: &FailureTally) {
        self.occurrences += other.occurrences;
        self.first_seen = self.first_seen.min(other.first_seen);
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}

/// What one worker thread measured since the aggregator last took its shard.
#[derive(Debug, Default)]
pub struct Shard {
    /// Per-entry statistics, indexed by [`EntryId`].
    pub entries: Vec<IntervalStats>,
    /// Failure occurrences per entry and kind.
    pub failures: HashMap<(EntryId, FailureKind), FailureTally>,
    /// Completion time of the latest request.
    pub last_finished: Option<Instant>,
    /// Errors of the scenario's own logic (a template that failed, so nothing was sent), by
    /// (message, where), with their count: `_exceptions.csv` rows, not requests.
    pub exceptions: HashMap<(String, String), u64>,
}

impl Shard {
    /// Records one sample.
    #[inline]
    pub fn record(&mut self, sample: Sample) {
        let index = sample.entry.0 as usize;
        if index >= self.entries.len() {
            self.entries.resize_with(index + 1, IntervalStats::default);
        }
        self.entries[index].record(
            sample.elapsed_ns,
            sample.content_length,
            sample.failure.is_some(),
        );
        self.entries[index].events += sample.events;
        if let Some(kind) = sample.failure {
            self.failures
                .entry((sample.entry, kind))
                .and_modify(|t| {
                    t.occurrences += 1;
                    t.last_seen = t.last_seen.max(sample.finished);
                })
                .or_insert(FailureTally {
                    occurrences: 1,
                    first_seen: sample.finished,
                    last_seen: sample.finished,
                });
        }
        self.last_finished = Some(match self.last_finished {
            Some(previous) => previous.max(sample.finished),
            None => sample.finished,
        });
    }

    /// Empties the shard, keeping the memory of its histograms.
    pub fn clear(&mut self) {
        self.entries.iter_mut().for_each(IntervalStats::clear);
        self.failures.clear();
        self.last_finished = None;
        self.exceptions.clear();
    }
}

/// Identifies a recorder, so a thread that served an earlier run registers a fresh shard.
static NEXT_RECORDER_ID: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static THREAD_SHARD: RefCell<Option<(u64, Arc<Mutex<Shard>>)>> = const { RefCell::new(None) };
}

/// The handle users record samples through. Cheap to clone; each thread records into its own shard.
#[derive(Debug, Clone)]
pub struct Recorder {
    id: u64,
    shards: Arc<Mutex<Vec<Arc<Mutex<Shard>>>>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    /// A recorder with no shards yet.
    pub fn new() -> Self {
        Recorder {
            id: NEXT_RECORDER_ID.fetch_add(1, Ordering::Relaxed),
            shards: Arc::new(Mutex::new(Vec::new())),
        }
    }

    /// Records one sample into the calling thread's shard.
    #[inline]
    pub fn record(&self, sample: Sample) {
        self.with_shard(|shard| shard.record(sample));
    }

    /// Runs `update` on the calling thread's shard (registering one on first use).
    #[inline]
    fn with_shard(&self, update: impl FnOnce(&mut Shard)) {
        THREAD_SHARD.with(|cell| {
            let mut slot = cell.borrow_mut();
            if !matches!(slot.as_ref(), Some((id, _)) if *id == self.id) {
                let shard = Arc::new(Mutex::new(Shard::default()));
                self.shards
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .push(shard.clone());
                *slot = Some((self.id, shard));
            }
            if let Some((_, shard)) = slot.as_ref() {
                update(&mut shard.lock().unwrap_or_else(PoisonError::into_inner));
            }
        });
    }

    /// Counts one error of the scenario's own logic (`message`, raised at `traceback`, e.g. the
    /// request whose template failed) into the calling thread's shard: not a request.
    pub fn record_exception(&self, message: String, traceback: &str) {
        self.with_shard(|shard| {
            *shard
                .exceptions
                .entry((message, traceback.to_owned()))
                .or_insert(0) += 1;
        });
    }

    /// Swaps every thread's shard with one of `into` (cleared first), so that `into` holds what was
    /// recorded since the last call and the threads go on with empty shards whose memory is reused.
    pub fn drain(&self, into: &mut Vec<Shard>) {
        let shards = self
            .shards
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        into.resize_with(shards.len(), Shard::default);
        for (shard, target) in shards.iter().zip(into.iter_mut()) {
            target.clear();
            let mut guard = shard.lock().unwrap_or_else(PoisonError::into_inner);
            std::mem::swap(&mut *guard, target);
        }
    }
}

//! The coordinator's bookkeeping, without the network: which shards registered (refusing those
//! of another run), the common start, each shard's ticks as they come, merged in time order
//! once every running shard has reported the tick (as `captest merge` groups them), shards that
//! stopped reporting, and whether the run must stop.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use super::error::BundleError;
use super::events::{HubEvent, HubSettings};
use super::merge::{finish_merged, MergeOutcome, MergedEnd};
use super::merged_run::MergedRun;
use super::meta::{ShardMeta, ShardPosition};
use super::record::SecondRecord;
use super::report::{ReportPost, ReportReply, ShardReport};
use crate::steps::StopRequest;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Waiting,
    Registered,
    Running,
    Finished,
    Lost,
}

#[derive(Debug)]
struct Slot {
    state: State,
    meta: Option<ShardMeta>,
    latest: Option<i64>,
    last_seen: Instant,
}

/// The coordinator's state.
#[derive(Debug)]
pub(crate) struct Hub {
    settings: HubSettings,
    slots: Vec<Slot>,
    start_at: Option<f64>,
    pending: BTreeMap<i64, Vec<(usize, SecondRecord)>>,
    run: Option<(MergedRun, f64)>,
    stop: Arc<StopRequest>,
    error: Option<BundleError>,
    /// The latest tick merged.
    merged_through: Option<i64>,
}

impl Hub {
    /// A hub waiting for the shards `settings.expected` describes.
    pub(crate) fn new(settings: HubSettings, now: Instant) -> Self {
        let count = settings.expected.shard_count();
        let slots = (0..count)
            .map(|_| Slot {
                state: State::Waiting,
                meta: None,
                latest: None,
                last_seen: now,
            })
            .collect();
        Hub {
            settings,
            slots,
            start_at: None,
            pending: BTreeMap::new(),
            run: None,
            stop: Arc::new(StopRequest::default()),
            error: None,
            merged_through: None,
        }
    }

    /// The stop every shard is told of.
    pub(crate) fn stop(&self) -> &Arc<StopRequest> {
        &self.stop
    }

    /// The common start, once every shard registered.
    pub(crate) fn start_at(&self) -> Option<f64> {
        self.start_at
    }

    /// Registers the shard `meta` describes, or says why it is refused.
    pub(crate) fn register(&mut self, meta: &ShardMeta, now: Instant) -> Result<(), String> {
        let ShardPosition::One { index, count } = meta.shard else {
            return Err("a merged run is not a shard".to_owned());
        };
        let expected = &self.settings.expected;
        if count != self.slots.len() || index >= count {
            return Err(format!(
                "shard {index}/{count}, but this coordinator expects {} shards (--expect-shards)",
                self.slots.len()
            ));
        }
        let same_run = meta.run_identity() == expected.run_identity()
            && meta.full_history == expected.full_history
            && meta.event_weights == expected.event_weights
            && meta.steps == expected.steps;
        if !same_run {
            return Err(format!(
                "not a shard of this run ({} vs {})",
                meta.run_identity(),
                expected.run_identity()
            ));
        }
        let slot = &mut self.slots[index];
        match slot.state {
            State::Waiting => slot.state = State::Registered,
            State::Registered => {}
            _ => {
                return Err(format!(
                    "shard {index} already started: a second one would count its load twice"
                ))
            }
        }
        let registered = self
            .slots
            .iter()
            .filter(|s| s.state != State::Waiting)
            .count();
        let count = self.slots.len();
        (self.settings.on_event)(&HubEvent::Registered {
            shard: index,
            registered,
            count,
        });
        if registered == count && self.start_at.is_none() {
            let margin = self.settings.start_margin;
            let start_at = unix_now() + margin.as_secs_f64();
            self.start_at = Some(start_at);
            for slot in &mut self.slots {
                slot.last_seen = now + margin;
            }
            (self.settings.on_event)(&HubEvent::Starting { start_at });
        }
        Ok(())
    }

    /// Takes a shard's report; the answer says whether to stop. An error (a shard that did not
    /// register, or was given up on) is the reason the report is refused.
    pub(crate) fn report(&mut self, post: ReportPost, now: Instant) -> Result<ReportReply, String> {
        let index = post.shard;
        let Some(slot) = self.slots.get_mut(index) else {
            return Err(format!("no shard {index} in this run"));
        };
        match slot.state {
            State::Waiting => return Err(format!("shard {index} did not register")),
            State::Lost => {
                return Err(format!(
                    "shard {index} was given up on (silent too long); its bundle keeps the rest"
                ))
            }
            _ => {}
        }
        slot.last_seen = now;
        match post.report {
            ShardReport::Started(meta) => {
                slot.meta = Some(meta);
                slot.state = State::Running;
            }
            ShardReport::Second(record) => {
                if slot.latest.is_none_or(|latest| record.now > latest) {
                    slot.latest = Some(record.now);
                    self.pending
                        .entry(record.now)
                        .or_default()
                        .push((index, record));
                }
            }
            ShardReport::Finished(meta) => {
                let reason = meta.ended.clone().unwrap_or_default();
                slot.meta = Some(meta);
                slot.state = State::Finished;
                (self.settings.on_event)(&HubEvent::Finished {
                    shard: index,
                    reason,
                });
            }
        }
        self.advance(false);
        Ok(ReportReply {
            stop: self.stop_reason(),
        })
    }

    /// Why every shard must stop, once decided.
    pub(crate) fn stop_reason(&self) -> Option<String> {
        self.stop.reason().filter(|_| self.stop.is_raised())
    }

    /// The latest tick merged.
    pub(crate) fn merged_through(&self) -> Option<i64> {
        self.merged_through
    }

    /// Gives up on the shards silent for longer than `lost_after` at `now`.
    pub(crate) fn watch(&mut self, now: Instant) {
        if self.start_at.is_none() {
            return;
        }
        let lost_after = self.settings.lost_after;
        for index in 0..self.slots.len() {
            let slot = &mut self.slots[index];
            let silent = now.saturating_duration_since(slot.last_seen);
            if matches!(slot.state, State::Registered | State::Running) && silent > lost_after {
                slot.state = State::Lost;
                (self.settings.on_event)(&HubEvent::Lost {
                    shard: index,
                    silent,
                });
                if self.settings.require_all {
                    self.stop
                        .raise(format!("shard {index} lost (--require-all-shards)"));
                }
            }
        }
        self.advance(false);
    }

    /// Stops the run: every shard is told to stop; before the start, the run is given up.
    pub(crate) fn interrupt(&mut self, reason: &str) {
        self.stop.raise(reason.to_owned());
        if self.start_at.is_none() {
            self.error.get_or_insert(BundleError::Mismatch(format!(
                "{reason} before every shard registered ({} of {})",
                self.slots
                    .iter()
                    .filter(|s| s.state != State::Waiting)
                    .count(),
                self.slots.len()
            )));
        }
    }

    /// Whether every shard finished or was lost (or the run was given up before its start).
    pub(crate) fn is_done(&self) -> bool {
        (self.start_at.is_none() && self.error.is_some())
            || self.start_at.is_some()
                && self
                    .slots
                    .iter()
                    .all(|s| matches!(s.state, State::Finished | State::Lost))
    }

    /// The shards lost.
    pub(crate) fn lost(&self) -> Vec<usize> {
        self.indexes(|s| s.state == State::Lost)
    }

    fn indexes(&self, keep: impl Fn(&Slot) -> bool) -> Vec<usize> {
        (0..self.slots.len())
            .filter(|&i| keep(&self.slots[i]))
            .collect()
    }

    /// Opens the merged run once every shard started (or was lost), then merges every tick
    /// each running shard has reported (every tick left, with `all`).
    fn advance(&mut self, all: bool) {
        if self.run.is_none() && self.error.is_none() {
            self.open_run();
        }
        let Some((run, _)) = self.run.as_mut() else {
            return;
        };
        while let Some(entry) = self.pending.first_entry() {
            let now = *entry.key();
            let ready = all
                || self.slots.iter().all(|s| {
                    s.state != State::Running && s.state != State::Registered
                        || s.latest.is_some_and(|latest| latest >= now)
                });
            if !ready {
                break;
            }
            let mut parts = entry.remove();
            parts.sort_by_key(|(shard, _)| *shard);
            let borrowed: Vec<(usize, &SecondRecord)> = parts
                .iter()
                .map(|(shard, record)| (*shard, record))
                .collect();
            self.merged_through = Some(now);
            if let Err((_, message)) = run.tick(now, &borrowed) {
                self.error.get_or_insert(BundleError::Mismatch(format!(
                    "a shard's report of tick {now}: {message}"
                )));
            }
        }
    }

    fn open_run(&mut self) {
        let started = self
            .slots
            .iter()
            .all(|s| matches!(s.state, State::Running | State::Finished | State::Lost));
        let metas: Vec<&ShardMeta> = self.slots.iter().filter_map(|s| s.meta.as_ref()).collect();
        let Some(first) = metas.first() else {
            return;
        };
        if !started {
            return;
        }
        let start = metas
            .iter()
            .map(|m| m.start.0)
            .fold(f64::INFINITY, f64::min);
        let source = PathBuf::from("the shards' step plan");
        match MergedRun::new(
            first,
            start,
            &self.settings.output,
            self.stop.clone(),
            &source,
        ) {
            Ok(run) => {
                let run = run
                    .with_progress(self.settings.progress.take())
                    .with_live(self.settings.live.take())
                    .with_abort(self.settings.abort.take());
                self.run = Some((run, start));
            }
            Err(error) => self.error = Some(error),
        }
    }

    /// Merges what is left and writes the merged run's final files.
    pub(crate) fn finish(mut self) -> Result<MergeOutcome, BundleError> {
        self.advance(true);
        if let Some(error) = self.error.take() {
            return Err(error);
        }
        let Some((mut run, start)) = self.run.take() else {
            return Err(BundleError::Mismatch(
                "no shard started: nothing to merge".to_owned(),
            ));
        };
        let metas: Vec<&ShardMeta> = self.slots.iter().filter_map(|s| s.meta.as_ref()).collect();
        for meta in &metas {
            run.record_exceptions(meta);
        }
        let lost = self.lost();
        let missing = self.indexes(|s| s.meta.is_none());
        let end = MergedEnd {
            start,
            position: ShardPosition::Merged {
                merged: self.indexes(|s| s.meta.is_some()),
                count: self.slots.len(),
                partial: !missing.is_empty() || !lost.is_empty(),
                missing,
                lost,
            },
            reason: metas
                .iter()
                .find_map(|m| m.ended.clone())
                .unwrap_or_else(|| "merged".to_owned()),
            ended_at: metas
                .iter()
                .filter_map(|m| m.ended_at.map(|t| t.0))
                .reduce(f64::max),
        };
        let first = metas[0].clone();
        finish_merged(run, &first, end, &self.settings.output)
    }
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default()
}

//! The aggregator thread: once a wall-clock second it takes every worker shard, merges it into the
//! run's statistics, appends the history batch, rewrites the snapshot files and refreshes the
//! console. It runs outside the async runtime so file I/O never stalls a user.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use captest_format::files::{self, prefixed};

use crate::console;
use crate::distributed::{ShardBundle, ShardRun};
use crate::error::RunnerError;
use crate::live::LiveFeed;
use crate::metrics::{EntryRegistry, Recorder, RunClock, RunStats, Shard};
use crate::progress::ProgressSink;
use crate::sink::{write_events_csv, write_steps_csv, HdrIntervalLog, LocustCsvFiles};
use crate::steps::{StepResult, StepTracker, StopRequest};

mod replay;

/// Delay after a second boundary before the tick, so the batch is stamped with the new second.
const TICK_DELAY: Duration = Duration::from_millis(3);

/// A check of the statistics after every second; `Some(reason)` ends the run early
/// (`--abort-on-fail` thresholds).
#[derive(Clone)]
pub struct AbortCheck(pub Arc<AbortFn>);

/// The function of an [`AbortCheck`]: the reason to stop, if any.
pub type AbortFn = dyn Fn(&RunStats) -> Option<String> + Send + Sync;

impl std::fmt::Debug for AbortCheck {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AbortCheck")
    }
}

/// Where and how the aggregator writes.
#[derive(Debug, Clone)]
pub struct AggregatorSettings {
    /// `--csv PREFIX` and whether every entry goes into the history.
    pub csv: Option<(PathBuf, bool)>,
    /// The run's time limit, for the progress line.
    pub run_time: Option<Duration>,
    /// Which entries carry business events (non-zero), indexed by entry id (empty: none). The
    /// counts themselves come with the samples.
    pub event_weights: Vec<f64>,
    /// Whether the level is an arrival rate (open model), for the step file.
    pub open_model: bool,
    /// Checked after every second, with where to raise the stop.
    pub abort: Option<(AbortCheck, Arc<StopRequest>)>,
    /// Keep the history in memory for [`AggregatorOutcome::history`] (every entry when there
    /// is no `csv`).
    pub keep_history: bool,
    /// A shard of a distributed run: its bundle is written beside the `csv` files.
    pub shard: Option<ShardRun>,
}

/// What the aggregator hands back when the run is over.
#[derive(Debug)]
pub struct AggregatorOutcome {
    /// The final statistics.
    pub stats: RunStats,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The first error met while writing files (the run went on, its figures complete in
    /// `stats`).
    pub write_error: Option<RunnerError>,
    /// Per-step results of a stepped run (empty otherwise).
    pub steps: Vec<StepResult>,
    /// The `_stats_history.csv` bytes, when kept ([`AggregatorSettings::keep_history`]).
    pub history: Option<Vec<u8>>,
}

/// The aggregator's state.
#[derive(Debug)]
pub struct Aggregator {
    recorder: Recorder,
    stats: RunStats,
    files: Option<LocustCsvFiles>,
    latency_log: Option<HdrIntervalLog>,
    settings: AggregatorSettings,
    users: Arc<AtomicUsize>,
    started: Instant,
    scratch: Vec<Shard>,
    write_error: Option<RunnerError>,
    ticks: u64,
    steps: Option<StepTracker>,
    progress: Option<ProgressSink>,
    bundle: Option<ShardBundle>,
    /// The end of a replayed run (a live one ends when it finishes).
    ended_at: Option<f64>,
    /// Fed by [`Aggregator::replay_second`]: the snapshot files are written once, at the end.
    replaying: bool,
    live: Option<LiveFeed>,
}

impl Aggregator {
    /// Prepares the statistics and creates the CSV files (failing early if they can't be written),
    /// writing the first history batch (no users yet), as Locust does.
    pub fn new(
        recorder: Recorder,
        registry: EntryRegistry,
        settings: AggregatorSettings,
        users: Arc<AtomicUsize>,
        clock: RunClock,
    ) -> Result<Self, RunnerError> {
        Self::with_stats(recorder, RunStats::new(registry, clock), settings, users)
    }

    pub(crate) fn with_stats(
        recorder: Recorder,
        stats: RunStats,
        settings: AggregatorSettings,
        users: Arc<AtomicUsize>,
    ) -> Result<Self, RunnerError> {
        let mut files = match (&settings.csv, settings.keep_history) {
            (Some((prefix, full_history)), keep) => {
                let files = LocustCsvFiles::create(prefix, *full_history)?;
                Some(if keep { files.keeping_history() } else { files })
            }
            (None, true) => Some(LocustCsvFiles::in_memory(true)),
            (None, false) => None,
        };
        if let Some(files) = files.as_mut() {
            files.write_interval(&stats, stats.start().floor() as i64, 0)?;
        }
        let latency_log = match &settings.csv {
            Some((prefix, _)) => Some(HdrIntervalLog::create(
                &prefixed(prefix, files::LATENCY_HDR),
                stats.start(),
            )?),
            None => None,
        };
        let bundle = match (&settings.csv, &settings.shard) {
            (Some((prefix, _)), Some(shard)) => {
                Some(ShardBundle::create(prefix, shard, stats.start())?)
            }
            _ => None,
        };
        Ok(Aggregator {
            recorder,
            stats,
            files,
            latency_log,
            settings,
            users,
            started: Instant::now(),
            scratch: Vec::new(),
            write_error: None,
            ticks: 0,
            steps: None,
            progress: None,
            bundle,
            ended_at: None,
            replaying: false,
            live: None,
        })
    }

    /// Shows the run's live view and write errors to `progress` as they happen.
    pub fn with_progress(mut self, progress: Option<ProgressSink>) -> Self {
        self.progress = progress;
        self
    }

    /// Publishes the run's live state through `feed` after every second and once at the end.
    /// The first snapshot, published at once, has every entry at zero, so that counters start
    /// from 0 for a scraper that comes before the first second ends.
    pub fn with_live(mut self, feed: Option<LiveFeed>) -> Self {
        if let Some(feed) = &feed {
            feed.publish(&self.stats, 0, None);
        }
        self.live = feed;
        self
    }

    /// Cuts the run into steps with `tracker` (for shapes made of steps).
    pub fn with_steps(mut self, tracker: StepTracker) -> Self {
        self.steps = Some(tracker);
        self
    }

    fn note_error(&mut self, error: RunnerError) {
        if self.write_error.is_none() {
            if let Some(ProgressSink(progress)) = &mut self.progress {
                progress.write_failed(&error);
            }
            self.write_error = Some(error);
        }
    }

    fn write_steps(&mut self, steps: &[StepResult]) {
        if let Some((prefix, _)) = &self.settings.csv {
            let path = prefixed(prefix, files::STEPS);
            let with_events = !self.settings.event_weights.is_empty();
            if let Err(error) = write_steps_csv(&path, steps, self.settings.open_model, with_events)
            {
                self.note_error(error);
            }
        }
    }

    fn until_next_second(&self) -> Duration {
        let now = self.stats.clock().now();
        let next = now.floor() + 1.0;
        Duration::from_secs_f64(next - now) + TICK_DELAY
    }

    /// Merges the shards and writes what is due. `second_ended` is the second the data belongs to.
    pub(crate) fn tick(&mut self, second_ended: i64, now: i64) {
        self.recorder.drain(&mut self.scratch);
        self.stats.absorb(second_ended, &self.scratch);
        let users = self.users.load(Ordering::Relaxed);
        if let Some(bundle) = self.bundle.as_mut() {
            if let Err(error) = bundle.append(&self.stats, now, users) {
                self.note_error(error);
            }
        }
        self.after_second(second_ended, now, users);
    }

    /// Writes what the second merged into the statistics calls for.
    fn after_second(&mut self, second_ended: i64, now: i64, users: usize) {
        if let Some(files) = self.files.as_mut() {
            let written = if self.replaying {
                files.append_history(&self.stats, now, users)
            } else {
                files.write_interval(&self.stats, now, users)
            };
            if let Err(error) = written {
                self.note_error(error);
            }
        }
        if let Some(log) = self.latency_log.as_mut() {
            if let Err(error) = log.append(&self.stats, now) {
                self.note_error(error);
            }
        }
        if let Some((check, stop)) = &self.settings.abort {
            if !stop.is_raised() {
                if let Some(reason) = (check.0)(&self.stats) {
                    stop.raise(reason);
                }
            }
        }
        if let Some(mut tracker) = self.steps.take() {
            let (total, entries) = self.stats.last_second();
            let events: f64 = entries.iter().map(|interval| interval.events).sum();
            if tracker.observe(second_ended, total, events, users) {
                self.write_steps(tracker.steps());
                if let Some(live) = self.live.as_mut() {
                    live.show_steps(tracker.steps());
                }
            }
            self.steps = Some(tracker);
        }
        if let Some(live) = self.live.as_mut() {
            live.observe(&self.stats);
            live.publish(&self.stats, users, None);
        }
        self.ticks += 1;
        if let Some(ProgressSink(progress)) = &mut self.progress {
            let every = progress.every().max(1);
            if self.ticks.is_multiple_of(every) {
                let view = console::live_view(
                    &self.stats,
                    self.started.elapsed(),
                    self.settings.run_time,
                    users,
                );
                progress.live(&view);
            }
        }
    }

    /// Runs until `finish` receives why the run stopped (or its sender is dropped), then waits for
    /// the next second boundary, takes the last samples and writes the final files.
    pub fn run(mut self, finish: Receiver<String>) -> AggregatorOutcome {
        let reason = loop {
            match finish.recv_timeout(self.until_next_second()) {
                Err(RecvTimeoutError::Timeout) => {
                    let now = self.stats.clock().now().floor() as i64;
                    self.tick(now - 1, now);
                }
                Ok(reason) => break reason,
                Err(RecvTimeoutError::Disconnected) => break "stopped".to_owned(),
            }
        };
        // Final batch: at the next boundary so history timestamps stay unique, with every sample.
        std::thread::sleep(self.until_next_second());
        let now = self.stats.clock().now().floor() as i64;
        self.tick(now - 1, now);
        self.finish(&reason)
    }

    fn finish(mut self, reason: &str) -> AggregatorOutcome {
        let ended_at = self.ended_at.unwrap_or_else(|| self.stats.clock().now());
        if let Some(Err(error)) = self
            .files
            .as_ref()
            .filter(|_| self.replaying)
            .map(|files| files.write_snapshots(&self.stats))
        {
            self.note_error(error);
        }
        let mut bundle_files = Vec::new();
        if let Some(mut bundle) = self.bundle.take() {
            match bundle.finish(&self.stats, reason, ended_at) {
                Ok(()) => bundle_files.extend(bundle.paths()),
                Err(error) => self.note_error(error),
            }
        }
        let mut steps = Vec::new();
        if let Some(mut tracker) = self.steps.take() {
            steps = tracker.finish(ended_at, reason).to_vec();
            self.write_steps(&steps);
            if let Some(live) = self.live.as_mut() {
                live.show_steps(&steps);
            }
        }
        let mut files_written = self
            .files
            .as_ref()
            .and_then(LocustCsvFiles::paths)
            .unwrap_or_default();
        let history = self.files.as_mut().and_then(LocustCsvFiles::take_history);
        if let Some(mut log) = self.latency_log.take() {
            match log.finish(&self.stats) {
                Ok(()) if !log.failed() => files_written.push(log.path().to_owned()),
                Ok(()) => {}
                Err(error) => self.note_error(error),
            }
        }
        if let Some((prefix, _)) = self.settings.csv.clone() {
            if !steps.is_empty() {
                files_written.push(prefixed(&prefix, files::STEPS));
            }
            if self.settings.event_weights.iter().any(|w| *w > 0.0) {
                let path = prefixed(&prefix, files::EVENTS);
                match write_events_csv(&path, &self.stats, &self.settings.event_weights) {
                    Ok(()) => files_written.push(path),
                    Err(error) => self.note_error(error),
                }
            }
        }
        files_written.extend(bundle_files);
        if let Some(live) = &self.live {
            live.publish(
                &self.stats,
                self.users.load(Ordering::Relaxed),
                Some(reason),
            );
        }
        AggregatorOutcome {
            stats: self.stats,
            files: files_written,
            write_error: self.write_error,
            steps,
            history,
        }
    }

    /// The statistics so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }
}

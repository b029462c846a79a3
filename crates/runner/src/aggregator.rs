//! The aggregator thread: once a wall-clock second it takes every worker shard, merges it into the
//! run's statistics, appends the history batch, rewrites the snapshot files and refreshes the
//! console. It runs outside the async runtime so file I/O never stalls a user.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::console;
use crate::error::RunnerError;
use crate::metrics::{EntryRegistry, Recorder, RunClock, RunStats, Shard};
use crate::sink::{prefixed, write_hdr_log, LocustCsvFiles};

/// Delay after a second boundary before the tick, so the batch is stamped with the new second.
const TICK_DELAY: Duration = Duration::from_millis(3);

/// Where and how the aggregator writes.
#[derive(Debug, Clone)]
pub struct AggregatorSettings {
    /// `--csv PREFIX` and whether every entry goes into the history.
    pub csv: Option<(PathBuf, bool)>,
    /// Seconds between live console views (0: no live view).
    pub console_every: u64,
    /// The run's time limit, for the progress line.
    pub run_time: Option<Duration>,
}

/// What the aggregator hands back when the run is over.
#[derive(Debug)]
pub struct AggregatorOutcome {
    /// The final statistics.
    pub stats: RunStats,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// The first error met while writing files (the run went on).
    pub write_error: Option<RunnerError>,
}

/// The aggregator's state.
#[derive(Debug)]
pub struct Aggregator {
    recorder: Recorder,
    stats: RunStats,
    files: Option<LocustCsvFiles>,
    settings: AggregatorSettings,
    users: Arc<AtomicUsize>,
    started: Instant,
    scratch: Vec<Shard>,
    write_error: Option<RunnerError>,
    ticks: u64,
}

impl Aggregator {
    /// Prepares the statistics and creates the CSV files (failing early if they can't be written),
    /// writing the first history batch (no users yet), as Locust does.
    pub fn new(
        recorder: Recorder,
        registry: EntryRegistry,
        settings: AggregatorSettings,
        users: Arc<AtomicUsize>,
    ) -> Result<Self, RunnerError> {
        let clock = RunClock::start();
        let stats = RunStats::new(registry, clock);
        let mut files = match &settings.csv {
            Some((prefix, full_history)) => Some(LocustCsvFiles::create(prefix, *full_history)?),
            None => None,
        };
        if let Some(files) = files.as_mut() {
            files.write_interval(&stats, stats.start().floor() as i64, 0)?;
        }
        Ok(Aggregator {
            recorder,
            stats,
            files,
            settings,
            users,
            started: Instant::now(),
            scratch: Vec::new(),
            write_error: None,
            ticks: 0,
        })
    }

    fn until_next_second(&self) -> Duration {
        let now = self.stats.clock().now();
        let next = now.floor() + 1.0;
        Duration::from_secs_f64(next - now) + TICK_DELAY
    }

    /// Merges the shards and writes what is due. `second_ended` is the second the data belongs to.
    fn tick(&mut self, second_ended: i64, now: i64) {
        self.recorder.drain(&mut self.scratch);
        self.stats.absorb(second_ended, &self.scratch);
        let users = self.users.load(Ordering::Relaxed);
        if let Some(files) = self.files.as_mut() {
            if let Err(error) = files.write_interval(&self.stats, now, users) {
                if self.write_error.is_none() {
                    eprintln!("error: {error}");
                    self.write_error = Some(error);
                }
            }
        }
        self.ticks += 1;
        let every = self.settings.console_every;
        if every > 0 && self.ticks % every == 0 {
            print!(
                "{}",
                console::live_view(
                    &self.stats,
                    self.started.elapsed(),
                    self.settings.run_time,
                    users
                )
            );
        }
    }

    /// Runs until `finish` receives a message (or its sender is dropped), then waits for the next
    /// second boundary, takes the last samples and writes the final files.
    pub fn run(mut self, finish: Receiver<()>) -> AggregatorOutcome {
        loop {
            match finish.recv_timeout(self.until_next_second()) {
                Err(RecvTimeoutError::Timeout) => {
                    let now = self.stats.clock().now().floor() as i64;
                    self.tick(now - 1, now);
                }
                Ok(()) | Err(RecvTimeoutError::Disconnected) => break,
            }
        }
        // Final batch: at the next boundary so history timestamps stay unique, with every sample.
        std::thread::sleep(self.until_next_second());
        let now = self.stats.clock().now().floor() as i64;
        self.tick(now - 1, now);
        self.finish()
    }

    fn finish(mut self) -> AggregatorOutcome {
        let mut files_written = Vec::new();
        if let Some(files) = &self.files {
            for suffix in [
                "_stats.csv",
                "_stats_history.csv",
                "_failures.csv",
                "_exceptions.csv",
            ] {
                files_written.push(files.path(suffix));
            }
        }
        if let Some((prefix, _)) = &self.settings.csv {
            let path = prefixed(prefix, "_latency.hdr");
            match write_hdr_log(&path, &self.stats, self.stats.clock().now()) {
                Ok(()) => files_written.push(path),
                Err(error) => {
                    if self.write_error.is_none() {
                        self.write_error = Some(error);
                    }
                }
            }
        }
        AggregatorOutcome {
            stats: self.stats,
            files: files_written,
            write_error: self.write_error,
        }
    }

    /// The statistics so far.
    pub fn stats(&self) -> &RunStats {
        &self.stats
    }
}

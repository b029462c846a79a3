//! The engine: builds the runtime, spawns and stops users as the load shape asks (at the spawn
//! rate), ends the run on its time limit, the shape's end or a signal, and hands the statistics to
//! the aggregator for the final files. One engine serves every shape.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use tokio::task::JoinHandle;

use crate::aggregator::{Aggregator, AggregatorSettings};
use crate::client::Target;
use crate::console;
use crate::error::RunnerError;
use crate::metrics::{EntryRegistry, Recorder, RunStats};
use crate::shape::LoadShape;
use crate::task::{ClassMix, Scenario};
use crate::user::{run_user, StopSignal, UserEnvironment};

/// How often the scheduler re-reads the shape when it has nothing else to do.
const SHAPE_POLL: Duration = Duration::from_millis(100);

/// Everything one experiment needs, validated.
#[derive(Debug)]
pub struct RunSettings {
    /// The service under test.
    pub target: Target,
    /// What users do.
    pub scenario: Arc<Scenario>,
    /// The entries the scenario's requests are counted under.
    pub registry: EntryRegistry,
    /// How many users over time.
    pub shape: Box<dyn LoadShape>,
    /// Users started per second when the shape asks for more.
    pub spawn_rate: f64,
    /// Stop after this long (`None`: until the shape ends or a signal arrives).
    pub run_time: Option<Duration>,
    /// Worker threads of the runtime (1: a single-threaded runtime).
    pub threads: usize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How long users may take to finish their request in flight once stopped.
    pub stop_timeout: Duration,
    /// `--csv PREFIX` and `--csv-full-history`.
    pub csv: Option<(PathBuf, bool)>,
    /// No live console output.
    pub quiet: bool,
}

/// Why a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StopCause {
    /// The run time (`-t`) was reached.
    TimeLimit,
    /// The load shape ended.
    ShapeEnded,
    /// SIGINT or SIGTERM.
    Signal,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct RunReport {
    /// Final statistics.
    pub stats: RunStats,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// How long users ran.
    pub elapsed: Duration,
    /// Why the run ended.
    pub stop_cause: StopCause,
}

impl RunReport {
    /// Requests that failed over the whole run.
    pub fn failures(&self) -> u64 {
        self.stats.total().total.failures
    }
}

fn validate(settings: &RunSettings) -> Result<(), RunnerError> {
    if !(settings.spawn_rate > 0.0 && settings.spawn_rate.is_finite()) {
        return Err(RunnerError::InvalidSetting(format!(
            "spawn rate must be a positive number of users per second, got {}",
            settings.spawn_rate
        )));
    }
    if settings.threads == 0 {
        return Err(RunnerError::InvalidSetting(
            "--threads must be at least 1".to_owned(),
        ));
    }
    if settings.scenario.classes.is_empty() {
        return Err(RunnerError::InvalidSetting(
            "the scenario has no user class".to_owned(),
        ));
    }
    Ok(())
}

fn build_runtime(threads: usize) -> Result<tokio::runtime::Runtime, RunnerError> {
    let mut builder = if threads == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads);
        builder
    };
    builder
        .enable_all()
        .thread_name("captest-worker")
        .build()
        .map_err(RunnerError::Runtime)
}

/// SIGINT and SIGTERM as one awaitable source.
struct ShutdownSignals {
    #[cfg(unix)]
    terminate: Option<tokio::signal::unix::Signal>,
}

impl ShutdownSignals {
    fn new() -> Self {
        ShutdownSignals {
            #[cfg(unix)]
            terminate: tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                .ok(),
        }
    }

    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let terminate = async {
                match self.terminate.as_mut() {
                    Some(signal) => {
                        signal.recv().await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = terminate => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

struct RunningUser {
    stop: Arc<StopSignal>,
    handle: JoinHandle<()>,
}

/// Spawns and stops users following the shape until the run ends; returns why it ended.
async fn schedule(
    settings: &RunSettings,
    env: UserEnvironment,
    users: Arc<AtomicUsize>,
    signals: &mut ShutdownSignals,
    started: Instant,
) -> (StopCause, Vec<RunningUser>, Vec<RunningUser>) {
    let deadline = settings.run_time.map(|t| started + t);
    let spawn_interval = Duration::from_secs_f64(1.0 / settings.spawn_rate);
    let mut mix = ClassMix::new(&settings.scenario);
    let mut running: Vec<RunningUser> = Vec::new();
    let mut retiring: Vec<RunningUser> = Vec::new();
    let mut next_spawn = started;
    let cause = loop {
        let now = Instant::now();
        if deadline.is_some_and(|d| now >= d) {
            break StopCause::TimeLimit;
        }
        let Some(wanted) = settings.shape.users_at(now - started) else {
            break StopCause::ShapeEnded;
        };
        if running.len() < wanted {
            if next_spawn + spawn_interval < now && running.is_empty() {
                next_spawn = now;
            }
            while running.len() < wanted && next_spawn <= now {
                let class = Arc::new(settings.scenario.classes[mix.next_class()].clone());
                let stop = Arc::new(StopSignal::default());
                let handle = tokio::spawn(run_user(env.clone(), class, stop.clone()));
                running.push(RunningUser { stop, handle });
                next_spawn += spawn_interval;
            }
        } else {
            next_spawn = next_spawn.max(now);
            while running.len() > wanted {
                if let Some(user) = running.pop() {
                    user.stop.stop();
                    retiring.push(user);
                }
            }
        }
        retiring.retain(|u| !u.handle.is_finished());
        users.store(running.len(), Ordering::Relaxed);
        let mut wake = now + SHAPE_POLL;
        if running.len() < wanted {
            wake = wake.min(next_spawn);
        }
        if let Some(deadline) = deadline {
            wake = wake.min(deadline);
        }
        tokio::select! {
            _ = tokio::time::sleep_until(wake.into()) => {}
            _ = signals.recv() => break StopCause::Signal,
        }
    };
    (cause, running, retiring)
}

/// Stops every user: they finish the request in flight (so every request the target answered is
/// counted) within `stop_timeout`, or a second signal, after which the rest are aborted.
async fn stop_users(
    users: Vec<RunningUser>,
    stop_timeout: Duration,
    signals: &mut ShutdownSignals,
) {
    for user in &users {
        user.stop.stop();
    }
    let handles: Vec<JoinHandle<()>> = users.into_iter().map(|u| u.handle).collect();
    let aborts: Vec<_> = handles.iter().map(|h| h.abort_handle()).collect();
    let all = async {
        for handle in handles {
            let _ = handle.await;
        }
    };
    tokio::select! {
        _ = all => {}
        _ = tokio::time::sleep(stop_timeout) => {}
        _ = signals.recv() => {}
    }
    for abort in aborts {
        abort.abort();
    }
}

/// Runs one experiment to its end and returns its statistics. Files are written every second while
/// it runs and once more at the end.
pub fn run_experiment(settings: RunSettings) -> Result<RunReport, RunnerError> {
    validate(&settings)?;
    let recorder = Recorder::new();
    let users = Arc::new(AtomicUsize::new(0));
    let aggregator = Aggregator::new(
        recorder.clone(),
        settings.registry.clone(),
        AggregatorSettings {
            csv: settings.csv.clone(),
            console_every: if settings.quiet { 0 } else { 2 },
            run_time: settings.run_time,
        },
        users.clone(),
    )?;
    let runtime = build_runtime(settings.threads)?;
    let (finish, finished) = mpsc::channel();
    let aggregator = std::thread::Builder::new()
        .name("captest-aggregator".to_owned())
        .spawn(move || aggregator.run(finished))
        .map_err(RunnerError::Runtime)?;
    let env = UserEnvironment {
        target: Arc::new(settings.target.clone()),
        recorder,
        request_timeout: settings.request_timeout,
    };
    let started = Instant::now();
    let (stop_cause, elapsed) = runtime.block_on(async {
        let mut signals = ShutdownSignals::new();
        let (cause, running, retiring) =
            schedule(&settings, env, users.clone(), &mut signals, started).await;
        let elapsed = started.elapsed();
        let mut all = running;
        all.extend(retiring);
        stop_users(all, settings.stop_timeout, &mut signals).await;
        users.store(0, Ordering::Relaxed);
        (cause, elapsed)
    });
    runtime.shutdown_timeout(Duration::from_millis(200));
    let _ = finish.send(());
    let outcome = aggregator
        .join()
        .map_err(|_| RunnerError::InvalidSetting("the aggregator thread panicked".to_owned()))?;
    if let Some(error) = outcome.write_error {
        return Err(error);
    }
    if !settings.quiet {
        print!("{}", console::final_summary(&outcome.stats, elapsed));
    }
    Ok(RunReport {
        stats: outcome.stats,
        files: outcome.files,
        elapsed,
        stop_cause,
    })
}

//! The engine: builds the runtime, runs the scheduler of the load model against the shape, ends
//! the run on its time limit, the shape's end, a stop rule or a signal, lets in-flight requests
//! finish, and hands everything to the aggregator for the final files.

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use captest_format::RunTables;

use crate::aggregator::AbortCheck;
use crate::aggregator::{Aggregator, AggregatorSettings};
use crate::client::{ClientSettings, HttpClient, Target};
use crate::distributed::ShardRun;
use crate::error::RunnerError;
use crate::in_flight::{abort_iterations, abort_users, drain};
use crate::live::{LiveFeed, LiveState};
use crate::metrics::{EntryRegistry, Recorder, RunClock, RunStats};
use crate::progress::ProgressSink;
use crate::scheduler::{
    schedule_arrivals, schedule_users, OpenModelCounters, ScheduleContext, StopCause,
};
use crate::shape::LoadShape;
use crate::signals::ShutdownSignals;
use crate::sink::run_tables;
use crate::steps::{StepResult, StepTracker, StopRequest, StopRule};
use crate::task::Scenario;
use crate::user::UserEnvironment;

/// Users started per second: a positive, finite number.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SpawnRate(f64);

impl SpawnRate {
    /// `per_second` users per second, or an error if it is not a positive, finite number.
    pub fn new(per_second: f64) -> Result<SpawnRate, RunnerError> {
        if per_second > 0.0 && per_second.is_finite() {
            Ok(SpawnRate(per_second))
        } else {
            Err(RunnerError::InvalidSetting(format!(
                "the spawn rate must be a positive number of users per second, got {per_second}"
            )))
        }
    }

    /// Users per second.
    pub fn per_second(self) -> f64 {
        self.0
    }
}

/// How load is applied.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum LoadModel {
    /// Users that each send their next request when the previous one finished; the shape's level
    /// is a number of users, started at `spawn_rate` per second.
    Closed {
        /// Users started per second.
        spawn_rate: SpawnRate,
    },
    /// Iterations started on schedule; the shape's level is iterations per second.
    Open {
        /// Most iterations in flight at once (as many more may wait; beyond that they are dropped).
        max_in_flight: NonZeroUsize,
    },
}

/// How a stepped run is cut and when it stops at the breaking point.
#[derive(Debug, Clone)]
pub struct StepSettings {
    /// The first part of each step left out of its figures (ramp-up and window lag).
    pub settle: Duration,
    /// Breaking-point rules checked at the end of each step.
    pub rules: Vec<StopRule>,
}

/// Everything one experiment needs, validated.
#[derive(Debug)]
pub struct RunSettings {
    /// The service under test.
    pub target: Target,
    /// TLS, HTTP/2, cookies, keep-alive, proxies and default headers.
    pub client: ClientSettings,
    /// What users do.
    pub scenario: Arc<Scenario>,
    /// The entries the scenario's requests are counted under.
    pub registry: EntryRegistry,
    /// The load over time.
    pub shape: Arc<dyn LoadShape>,
    /// Closed (users) or open (arrival rate) model.
    pub model: LoadModel,
    /// Per-step figures and stop rules, for stepped shapes.
    pub steps: Option<StepSettings>,
    /// Stop after this long (`None`: until the shape ends, a rule fires or a signal arrives).
    pub run_time: Option<Duration>,
    /// Worker threads of the runtime (1: a single-threaded runtime).
    pub threads: NonZeroUsize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// How long in-flight requests may take to finish once the run stops.
    pub stop_timeout: Duration,
    /// `--csv PREFIX` and `--csv-full-history`.
    pub csv: Option<(PathBuf, bool)>,
    /// Business events per request, indexed by entry id (empty: none declared).
    pub event_weights: Vec<f64>,
    /// Where the live view and write errors go while the run lasts (`None`: nowhere, `-q`).
    pub progress: Option<ProgressSink>,
    /// Checked after every second; a reason ends the run (`--abort-on-fail`).
    pub abort_check: Option<AbortCheck>,
    /// Hand the run's tables back in [`RunReport::tables`] (the history is kept in memory while
    /// the run lasts; every entry's when there is no `csv`).
    pub keep_tables: bool,
    /// A shard of a distributed run: which one (an open model starts only its arrivals; a
    /// closed model's shape and spawn rate are already its share) and its bundle's description.
    pub shard: Option<ShardRun>,
    /// Where the aggregator publishes the run's live state every second (`--metrics`).
    pub live: Option<LiveState>,
    /// The handle that may stop the run or change its level while it goes (`--web`).
    pub control: Option<crate::control::RunControl>,
}

/// The outcome of a run.
#[derive(Debug)]
pub struct RunReport {
    /// Final statistics.
    pub stats: RunStats,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// How long the run took: from its start until the last request landed or was aborted
    /// (the stop timeout included), as "Run finished after" prints it.
    pub elapsed: Duration,
    /// Why the run ended.
    pub stop_cause: StopCause,
    /// Per-step results of a stepped run.
    pub steps: Vec<StepResult>,
    /// Open model: iterations started.
    pub iterations_started: u64,
    /// Open model: iterations that could not start (in-flight limit and waiting line full).
    pub iterations_dropped: u64,
    /// The protocol the connections spoke (`HTTP/2 (20 connections, 20 over TLS)`).
    pub protocol: Option<String>,
    /// Whether the load was an arrival rate (open model): then iterations were started and
    /// possibly dropped.
    pub open_model: bool,
    /// The run's tables, byte for byte what its CSV files hold (or would hold), when
    /// [`RunSettings::keep_tables`] asked for them.
    pub tables: Option<RunTables>,
    /// The first file that could not be written while the run went on (a full disk): the run's
    /// figures here are complete, its files are not (each holds its last complete state).
    pub write_error: Option<RunnerError>,
}

impl RunReport {
    /// Requests that failed over the whole run.
    pub fn failures(&self) -> u64 {
        self.stats.total().total.failures
    }
}

/// The settings' types hold every limit (spawn rate, in-flight limit, threads); what is left is
/// a scenario with users to run.
fn validate(settings: &RunSettings) -> Result<(), RunnerError> {
    if settings.scenario.classes.is_empty() {
        return Err(RunnerError::InvalidSetting(
            "the scenario has no user class".to_owned(),
        ));
    }
    Ok(())
}

fn build_runtime(threads: NonZeroUsize) -> Result<tokio::runtime::Runtime, RunnerError> {
    let mut builder = if threads.get() == 1 {
        tokio::runtime::Builder::new_current_thread()
    } else {
        let mut builder = tokio::runtime::Builder::new_multi_thread();
        builder.worker_threads(threads.get());
        builder
    };
    builder
        .enable_all()
        .thread_name("captest-worker")
        .build()
        .map_err(RunnerError::Runtime)
}

/// Runs one experiment to its end and returns its statistics. Files are written every second while
/// it runs and once more at the end; an error writing them does not stop the run, it comes back
/// in [`RunReport::write_error`] with the figures measured. An error before the first request
/// (settings, a results file that cannot be created) is this function's error.
pub fn run_experiment(mut settings: RunSettings) -> Result<RunReport, RunnerError> {
    validate(&settings)?;
    let client = HttpClient::new(&settings.client)?;
    client.check_origin(settings.target.origin())?;
    // Every user holds its own connection: like Locust, lift the soft open-file limit to the
    // hard one (best effort; where it cannot be raised, connections beyond it fail and are counted).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    let recorder = Recorder::new();
    let active = Arc::new(AtomicUsize::new(0));
    let stop_request = settings
        .control
        .as_ref()
        .map_or_else(Default::default, |c| c.stop_request());
    let clock = RunClock::start();
    let counters = Arc::new(OpenModelCounters::default());
    let aggregator = aggregator(&mut settings, &recorder, &active, &stop_request, clock)?
        .with_live(LiveFeed::of_run(&settings, &counters));
    let runtime = build_runtime(settings.threads)?;
    let (finish, finished) = mpsc::channel::<String>();
    let aggregator = std::thread::Builder::new()
        .name("captest-aggregator".to_owned())
        .spawn(move || aggregator.run(finished))
        .map_err(RunnerError::Runtime)?;
    let started = Instant::now();
    let ctx = ScheduleContext {
        scenario: settings.scenario.clone(),
        shape: settings.shape.clone(),
        env: UserEnvironment {
            target: Arc::new(settings.target.clone()),
            recorder,
            request_timeout: settings.request_timeout,
            client: client.clone(),
        },
        active: active.clone(),
        stop_request,
        started,
        deadline: settings.run_time.map(|t| started + t),
        slice: settings.shard.as_ref().map(|s| s.slice).unwrap_or_default(),
    };
    let (stop_cause, elapsed) = runtime.block_on(apply_load(
        &ctx,
        settings.model,
        settings.stop_timeout,
        &counters,
    ));
    active.store(0, Ordering::Relaxed);
    runtime.shutdown_timeout(Duration::from_millis(200));
    let _ = finish.send(stop_cause.to_string());
    let outcome = aggregator
        .join()
        .map_err(|_| RunnerError::InvalidSetting("the aggregator thread panicked".to_owned()))?;
    let open_model = matches!(settings.model, LoadModel::Open { .. });
    let tables = outcome.history.map(|history| {
        run_tables(
            history,
            &outcome.stats,
            &outcome.steps,
            open_model,
            &settings.event_weights,
        )
    });
    let report = RunReport {
        stats: outcome.stats,
        files: outcome.files,
        elapsed,
        stop_cause,
        steps: outcome.steps,
        iterations_started: counters.started.load(Ordering::Relaxed),
        iterations_dropped: counters.dropped.load(Ordering::Relaxed),
        protocol: client.counts.summary(),
        open_model,
        tables,
        write_error: outcome.write_error,
    };
    Ok(report)
}

/// The run's aggregator (its CSV files created): with a step tracker for a stepped run, and the
/// progress sink taken from `settings`.
fn aggregator(
    settings: &mut RunSettings,
    recorder: &Recorder,
    active: &Arc<AtomicUsize>,
    stop_request: &Arc<StopRequest>,
    clock: RunClock,
) -> Result<Aggregator, RunnerError> {
    let mut aggregator = Aggregator::new(
        recorder.clone(),
        settings.registry.clone(),
        AggregatorSettings {
            csv: settings.csv.clone(),
            run_time: settings.run_time,
            event_weights: settings.event_weights.clone(),
            open_model: matches!(settings.model, LoadModel::Open { .. }),
            abort: settings
                .abort_check
                .clone()
                .map(|check| (check, stop_request.clone())),
            keep_history: settings.keep_tables,
            shard: settings.shard.clone(),
        },
        active.clone(),
        clock,
    )?;
    if let Some(steps) = &settings.steps {
        aggregator = aggregator.with_steps(step_tracker(settings, steps, clock, stop_request));
    }
    Ok(aggregator.with_progress(settings.progress.take()))
}

/// The tracker that cuts the run into the shape's steps (in rate terms for an open model).
fn step_tracker(
    settings: &RunSettings,
    steps: &StepSettings,
    clock: RunClock,
    stop_request: &Arc<StopRequest>,
) -> StepTracker {
    let tracker = StepTracker::new(
        settings.shape.clone(),
        clock.anchor_epoch(),
        steps.settle,
        steps.rules.clone(),
        stop_request.clone(),
    );
    if matches!(settings.model, LoadModel::Open { .. }) {
        tracker.in_rate_terms()
    } else {
        tracker
    }
}

/// Applies the load of `model` until the run stops, then lets in-flight work finish; returns why
/// it stopped and how long the run took (the stop timeout included).
async fn apply_load(
    ctx: &ScheduleContext,
    model: LoadModel,
    stop_timeout: Duration,
    counters: &Arc<OpenModelCounters>,
) -> (StopCause, Duration) {
    let mut signals = ShutdownSignals::new();
    match model {
        LoadModel::Closed { spawn_rate } => {
            run_users(ctx, spawn_rate.per_second(), stop_timeout, &mut signals).await
        }
        LoadModel::Open { max_in_flight } => {
            run_arrivals(
                ctx,
                max_in_flight.get(),
                stop_timeout,
                counters,
                &mut signals,
            )
            .await
        }
    }
}

/// Closed model: starts users at `spawn_rate` until the run stops, then stops them, waits for
/// them to finish and aborts the rest.
async fn run_users(
    ctx: &ScheduleContext,
    spawn_rate: f64,
    stop_timeout: Duration,
    signals: &mut ShutdownSignals,
) -> (StopCause, Duration) {
    let (cause, users) = schedule_users(ctx, spawn_rate, signals).await;
    let (stops, mut handles): (Vec<_>, Vec<_>) = users.into_iter().unzip();
    for stop in &stops {
        stop.stop();
    }
    let all_done = async {
        for handle in handles.iter_mut() {
            let _ = handle.await;
        }
    };
    drain(all_done, stop_timeout, signals).await;
    abort_users(handles).await;
    (cause, ctx.started.elapsed())
}

/// Open model: starts iterations on schedule until the run stops, then waits for those in
/// flight.
async fn run_arrivals(
    ctx: &ScheduleContext,
    max_in_flight: usize,
    stop_timeout: Duration,
    counters: &Arc<OpenModelCounters>,
    signals: &mut ShutdownSignals,
) -> (StopCause, Duration) {
    let (cause, mut in_flight) =
        schedule_arrivals(ctx, max_in_flight, counters.clone(), signals).await;
    let all_done = async { while in_flight.join_next().await.is_some() {} };
    drain(all_done, stop_timeout, signals).await;
    abort_iterations(&mut in_flight).await;
    (cause, ctx.started.elapsed())
}

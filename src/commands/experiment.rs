//! One validated value per load experiment, like ripgrep's `HiArgs`: `run`, `step`, `rate` and
//! `demo` turn their flags into an [`Experiment`] through [`Experiment::new`], where every check
//! happens (target, scenario, thresholds, spawn rate, limits) before any request; running it
//! needs no further check.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use captest_format::Threshold;
use captest_runner::client::{ClientSettings, Target};
use captest_runner::control::RunControl;
use captest_runner::distributed::{
    scenario_hash, CoordinatorLink, ExactF64, HdrSettings, ShardMeta, ShardPosition, ShardRun,
    Slice, SliceShape, StepPlan, BUNDLE_FORMAT,
};
use captest_runner::engine::{
    run_experiment, LoadModel, RunReport, RunSettings, SpawnRate, StepSettings,
};
use captest_runner::live::{LiveState, MetricsServer, RunInfo};
use captest_runner::metrics::EntryRegistry;
use captest_runner::scenario::{load_scenario, ScenarioClient, Selection};
use captest_runner::shape::{LoadShape, Steps};
use captest_runner::task::Scenario;

use super::load::{default_threads, path_scenario, target_of, wait_for, OutputArgs, TargetArgs};
use super::output_paths;
use super::shard::{event_weights, scenario_definition, ShardArgs, StartBarrier};

/// The load of an experiment: its shape over time, the model that applies it, how steps are cut
/// and when it ends.
pub struct Load {
    /// The load over time.
    pub shape: Arc<dyn LoadShape>,
    /// Closed or open model.
    pub model: LoadModel,
    /// Step cutting and stop rules (stepped shapes).
    pub steps: Option<StepSettings>,
    /// Time limit (`None`: until the shape ends, a rule fires or a signal arrives).
    pub run_time: Option<Duration>,
}

/// What the users do, against which target: the scenario, loaded.
pub struct Workload {
    /// The service under test.
    pub target: Target,
    /// What users do.
    pub scenario: Scenario,
    /// The entries the scenario's requests are counted under.
    pub registry: EntryRegistry,
    /// Business events per request, by entry id (empty: none declared).
    pub event_weights: Vec<f64>,
    /// TLS, HTTP/2, cookies, keep-alive, proxy and default headers.
    pub client: ClientSettings,
}

/// How the load generator runs and how long requests may take.
#[derive(Debug, Clone, Copy)]
pub struct Engine {
    /// Worker threads.
    pub threads: NonZeroUsize,
    /// Per-request timeout.
    pub request_timeout: Duration,
    /// Time in-flight requests get to finish when the run stops.
    pub stop_timeout: Duration,
    /// Before starting, wait up to this long for the target to accept connections.
    pub wait_for_target: Option<Duration>,
}

/// What the run leaves behind and how it is judged.
#[derive(Debug, Clone, Default)]
pub struct Outputs {
    /// `--csv PREFIX` and whether the history holds every entry.
    pub csv: Option<(PathBuf, bool)>,
    /// `--html FILE`.
    pub html: Option<PathBuf>,
    /// `--threshold` gates, parsed.
    pub thresholds: Vec<Threshold>,
    /// Check the thresholds every second and stop at the first crossed.
    pub abort_on_fail: bool,
    /// No live view, no summary.
    pub quiet: bool,
    /// `--metrics ADDR`: serve the live state to Prometheus there while the run lasts.
    pub metrics: Option<SocketAddr>,
}

/// A load experiment, validated and ready to run.
pub struct Experiment {
    workload: Workload,
    load: Load,
    engine: Engine,
    outputs: Outputs,
    shard: Option<(Slice, ShardMeta)>,
    barrier: Option<StartBarrier>,
    /// `--coordinator` URL and start grace.
    coordinator: Option<(String, Duration)>,
    views: super::live_views::LiveViews,
}

impl Experiment {
    /// The one place an experiment is assembled; checks what the parts' types do not hold: a
    /// time limit and a request timeout above zero, and every output writable (before the
    /// first request).
    pub fn new(
        workload: Workload,
        load: Load,
        engine: Engine,
        outputs: Outputs,
    ) -> anyhow::Result<Experiment> {
        if workload.scenario.classes.is_empty() {
            anyhow::bail!("the scenario has no user class");
        }
        if outputs.abort_on_fail && outputs.thresholds.is_empty() {
            anyhow::bail!("--abort-on-fail needs at least one --threshold");
        }
        if load.run_time.is_some_and(|t| t.is_zero()) {
            anyhow::bail!("-t/--run-time must be longer than 0 (e.g. 30s, 5m)");
        }
        if engine.request_timeout.is_zero() {
            anyhow::bail!("--timeout must be longer than 0 (e.g. 10s)");
        }
        // Every output is checked before the first request.
        if let Some((prefix, _)) = &outputs.csv {
            output_paths::prepare_prefix(prefix, "--csv")?;
        }
        if let Some(html) = &outputs.html {
            output_paths::check_file(html, "--html")?;
        }
        Ok(Experiment {
            workload,
            load,
            engine,
            outputs,
            shard: None,
            barrier: None,
            coordinator: None,
            views: Default::default(),
        })
    }

    /// The experiment cut to the shard `args` name, if any (its share of the users and spawn
    /// rate, or of the arrivals; a bundle beside its `--csv` files), started at `--start-at`.
    /// `target` names the scenario, whose hash the bundle carries.
    pub fn sharded(mut self, args: &ShardArgs, target: &TargetArgs) -> anyhow::Result<Self> {
        self.barrier = args.barrier();
        self.coordinator = args.coordinator();
        let Some(slice) = args.slice()? else {
            if self.coordinator.is_some() {
                bail!(
                    "--coordinator needs --shard I/N (or JOB_COMPLETION_INDEX and CAPTEST_SHARDS)"
                );
            }
            return Ok(self);
        };
        let Some((_, full_history)) = self.outputs.csv.clone() else {
            bail!("--shard needs --csv PREFIX: the shard's bundle is written beside its files");
        };
        let meta = ShardMeta {
            format: BUNDLE_FORMAT,
            shard: ShardPosition::One {
                index: slice.index(),
                count: slice.count(),
            },
            scenario_hash: scenario_hash(&scenario_definition(target)?),
            load: format!(
                "{:?}; {:?}; run time {:?}; steps {:?}",
                self.load.shape, self.load.model, self.load.run_time, self.load.steps
            ),
            hdr: HdrSettings::default(),
            start: ExactF64(0.0),
            open_model: matches!(self.load.model, LoadModel::Open { .. }),
            full_history,
            event_weights: event_weights(&self.workload.registry, &self.workload.event_weights),
            exceptions: Vec::new(),
            ended: None,
            ended_at: None,
            steps: None,
        };
        if let LoadModel::Closed { spawn_rate } = self.load.model {
            self.load.shape = Arc::new(SliceShape::new(self.load.shape.clone(), slice));
            self.load.model = LoadModel::Closed {
                spawn_rate: SpawnRate::new(slice.share_of_rate(spawn_rate.per_second()))?,
            };
        }
        self.shard = Some((slice, meta));
        Ok(self)
    }

    /// The experiment the load flags describe: target, scenario (loaded and checked), outputs
    /// and engine from `target` and `output`, with the command's `load`.
    pub fn from_flags(
        target: &TargetArgs,
        output: &OutputArgs,
        load: Load,
    ) -> anyhow::Result<Experiment> {
        let outputs = Outputs {
            csv: output
                .csv
                .clone()
                .map(|prefix| (prefix, output.csv_full_history)),
            html: output.html.clone(),
            thresholds: super::check::parse_thresholds(&output.threshold)?,
            abort_on_fail: output.abort_on_fail,
            quiet: output.quiet,
            metrics: output.metrics,
        };
        let engine = Engine {
            threads: output.threads.unwrap_or_else(default_threads),
            request_timeout: target.timeout,
            stop_timeout: output.stop_timeout,
            wait_for_target: target.wait_for_target,
        };
        Experiment::new(workload_of(target)?, load, engine, outputs)
    }

    /// Records a sharded `step` run's unsharded plan in its bundle, so a merge cuts the merged
    /// figures into the same steps (nothing when the run is not a shard).
    pub fn with_step_plan(mut self, shape: &Steps) -> Self {
        if let (Some((_, meta)), Some(settings)) = (self.shard.as_mut(), &self.load.steps) {
            meta.steps = Some(StepPlan::new(shape, settings));
        }
        self
    }

    /// Shows the run on the web page of `session`, which may stop and steer it.
    pub fn with_web(mut self, session: crate::web::Session) -> Self {
        self.views.web = Some(session);
        self
    }

    /// Serves `--metrics` through `server`, already serving (a run that waited for Start).
    pub fn with_metrics_server(mut self, server: MetricsServer) -> Self {
        self.views.metrics = Some(server);
        self
    }

    /// Whether nothing is printed while it runs.
    pub fn quiet(&self) -> bool {
        self.outputs.quiet
    }

    /// Runs it and returns the report and, with `--threshold`, whether every gate passed. The
    /// `--metrics` server starts first and stops once the run's files are written; with a web
    /// page, the run is attached to it first.
    pub fn run(mut self) -> anyhow::Result<(RunReport, Option<bool>)> {
        let info = RunInfo {
            command: command_name(&self.load).to_owned(),
            host: self.workload.target.url().to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        let views = std::mem::take(&mut self.views).open(
            info,
            self.outputs.metrics,
            &mut self.load.shape,
            &mut self.outputs.csv,
        )?;
        if let Some(limit) = self.engine.wait_for_target {
            wait_for(&self.workload.target, limit)?;
        }
        let link = self.join_coordinator()?;
        if let Some(barrier) = self.barrier.take() {
            barrier.wait()?;
        }
        let outputs = self.outputs.clone();
        let control = views.steering.as_ref().map(|s| s.control.clone());
        let settings = self.settings(views.state.clone(), control, link.clone());
        let mut report = run_experiment(settings).context("the run could not start")?;
        if let Some(steering) = &views.steering {
            steering.forget_temporary(&mut report.files);
        }
        if let Some(link) = &link {
            let prefix = outputs.csv.as_ref().map(|(prefix, _)| prefix.as_path());
            super::coordinated::warn_if_lost(link, prefix);
        }
        super::console::print_summary(&report, outputs.quiet);
        let gates_passed = match &report.tables {
            Some(tables) => super::verdict::of_tables(tables, &outputs)?,
            None => None,
        };
        views.close();
        Ok((report, gates_passed))
    }

    /// The runner's settings of this experiment.
    fn settings(
        self,
        live: Option<LiveState>,
        control: Option<RunControl>,
        link: Option<Arc<CoordinatorLink>>,
    ) -> RunSettings {
        let Experiment {
            workload,
            mut load,
            engine,
            outputs,
            shard,
            ..
        } = self;
        let mut abort_check = outputs
            .abort_on_fail
            .then(|| super::live_gates::abort_check(outputs.thresholds.clone()));
        if let Some(link) = &link {
            // The coordinator checks the stop rules and thresholds on the merged figures.
            if let Some(steps) = load.steps.as_mut() {
                steps.rules.clear();
            }
            abort_check = Some(super::coordinated::abort_check(link.clone()));
        }
        RunSettings {
            target: workload.target,
            client: workload.client,
            scenario: Arc::new(workload.scenario),
            registry: workload.registry,
            shape: load.shape,
            model: load.model,
            steps: load.steps,
            run_time: load.run_time,
            threads: engine.threads,
            request_timeout: engine.request_timeout,
            stop_timeout: engine.stop_timeout,
            csv: outputs.csv.clone(),
            event_weights: workload.event_weights,
            progress: super::console::progress(outputs.quiet),
            abort_check,
            keep_tables: outputs.html.is_some() || !outputs.thresholds.is_empty(),
            shard: shard.map(|(slice, meta)| ShardRun { slice, meta, link }),
            live,
            control,
        }
    }
}

impl Experiment {
    /// With `--coordinator`: registers with it and sets the barrier to the common start.
    fn join_coordinator(&mut self) -> anyhow::Result<Option<std::sync::Arc<CoordinatorLink>>> {
        let (Some((url, grace)), Some((_, meta))) = (&self.coordinator, &self.shard) else {
            return Ok(None);
        };
        let (link, barrier) = super::coordinated::join(url, meta, *grace)?;
        self.barrier = Some(barrier);
        Ok(Some(link))
    }

    /// The run a coordinator merges: its description (as its shards give theirs), its outputs
    /// and the target's URL. `None` when the flags describe no shard.
    pub fn coordinated(self) -> Option<(ShardMeta, Outputs, String)> {
        let host = self.workload.target.url().to_owned();
        self.shard.map(|(_, meta)| (meta, self.outputs, host))
    }
}

/// The command a load is run by, as `captest_run_info` names it: stepped shapes are `step`'s,
/// other arrival rates `rate`'s, other user counts `run`'s.
fn command_name(load: &Load) -> &'static str {
    match (&load.steps, load.model) {
        (Some(_), _) => "step",
        (None, LoadModel::Open { .. }) => "rate",
        (None, LoadModel::Closed { .. }) => "run",
    }
}

/// The target and the scenario the flags name, the scenario loaded (every mistake in it is an
/// error here, before any request).
fn workload_of(args: &TargetArgs) -> anyhow::Result<Workload> {
    let target = target_of(args)?;
    let (scenario_file, classes) = args.scenario_and_classes()?;
    let registry = EntryRegistry::new();
    let (scenario, event_weights, scenario_client) = match &scenario_file {
        Some(file) => {
            let selection = Selection {
                classes,
                tags: args.tags.iter().cloned().collect(),
                exclude_tags: args.exclude_tags.iter().cloned().collect(),
            };
            let loaded = load_scenario(file, &target, &registry, &selection)?;
            (loaded.scenario, loaded.event_weights, loaded.client)
        }
        None => (
            path_scenario(&target, args, &registry)?,
            Vec::new(),
            ScenarioClient::default(),
        ),
    };
    Ok(Workload {
        client: args.client.settings(&scenario_client),
        target,
        scenario,
        registry,
        event_weights,
    })
}

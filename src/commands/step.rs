//! `captest step`: step load that stops at the breaking point and says which limit it hit.

use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};

use captest_runner::engine::{LoadModel, SpawnRate, StepSettings};
use captest_runner::shape::Steps;
use captest_runner::steps::StopRule;

use super::experiment::{Experiment, Load};
use super::load::{
    parse_at_least_one, parse_duration, parse_positive_duration, print_steps, OutputArgs,
    TargetArgs,
};
use super::rate::check_rate;
use super::web_run::run_load;
use crate::web::{LoadCommand, Session, StartForm};

/// Seconds added to each step's ramp before its figures count.
const SETTLE_MARGIN: Duration = Duration::from_secs(2);

/// Arguments of `captest step`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    shard: super::shard::ShardArgs,
    /// Users in the first step (with --rate: requests per second).
    #[arg(long, default_value_t = 10.0, env = "CAPTEST_START")]
    start: f64,
    /// Users added at each step (with --rate: requests per second added).
    #[arg(long, default_value_t = 10.0, env = "CAPTEST_STEP")]
    step: f64,
    /// Length of each step.
    #[arg(long, default_value = "1m", value_parser = parse_duration, env = "CAPTEST_EVERY")]
    every: Duration,
    /// Highest user count (or rate): the run ends after the step that reaches it.
    #[arg(long = "max-users", env = "CAPTEST_MAX_USERS")]
    max_users: Option<f64>,
    /// Number of steps: the run ends after this many.
    #[arg(long = "max-steps", env = "CAPTEST_MAX_STEPS")]
    max_steps: Option<usize>,
    /// Users started per second at each step boundary (default: the whole step in one second).
    #[arg(short = 'r', long = "spawn-rate", env = "CAPTEST_SPAWN_RATE")]
    spawn_rate: Option<f64>,
    /// Steps in arrival rate (open model, requests per second, at most 1000000; steps beyond it
    /// drop what the dispatcher cannot start) instead of users.
    #[arg(long, env = "CAPTEST_RATE")]
    rate: bool,
    /// Most requests in flight at once with --rate.
    #[arg(
        long = "max-in-flight",
        default_value = "1000",
        env = "CAPTEST_MAX_IN_FLIGHT",
        value_parser = parse_at_least_one
    )]
    max_in_flight: NonZeroUsize,
    /// Stop after this long whatever the steps.
    #[arg(short = 't', long = "run-time", value_parser = parse_positive_duration, env = "CAPTEST_RUN_TIME")]
    run_time: Option<Duration>,
    /// Breaking-point rule checked at the end of each step (repeatable; replaces the defaults
    /// errors>1%, p95>5x, rps-growth<5%); from the environment, separated by ';'.
    #[arg(long = "stop-on", env = "CAPTEST_STOP_ON", value_delimiter = ';')]
    stop_on: Vec<String>,
    /// Do not stop at the breaking point.
    #[arg(long = "no-auto-stop", env = "CAPTEST_NO_AUTO_STOP")]
    no_auto_stop: bool,
    /// Left out at the start of each step before its figures count (default: ramp + 2s).
    #[arg(long, value_parser = parse_duration, env = "CAPTEST_SETTLE")]
    settle: Option<Duration>,
}

/// The breaking-point rules the flags ask for: none with `--no-auto-stop`, the defaults without
/// `--stop-on`.
fn stop_rules(args: &Args) -> anyhow::Result<Vec<StopRule>> {
    Ok(if args.no_auto_stop {
        Vec::new()
    } else {
        StopRule::parse_or_default(&args.stop_on)?
    })
}

/// The experiment `captest step`'s flags describe, validated.
fn experiment(args: &Args) -> anyhow::Result<Experiment> {
    let shape = Steps::new(
        args.start,
        args.step,
        args.every,
        args.max_users,
        args.max_steps,
    )?;
    let spawn_rate = args
        .spawn_rate
        .unwrap_or_else(|| args.start.max(args.step).max(1.0));
    let spawn_rate = SpawnRate::new(spawn_rate).context("-r/--spawn-rate")?;
    let ramp = if args.rate {
        Duration::ZERO
    } else {
        Duration::from_secs_f64(args.start.max(args.step) / spawn_rate.per_second())
    };
    let settle = args
        .settle
        .unwrap_or_else(|| (ramp + SETTLE_MARGIN).min(args.every / 2));
    if args.every < settle + Duration::from_secs(1) {
        bail!(
            "--every {} leaves no steady second after --settle {}: make --every at least --settle + 1s",
            humantime::format_duration(args.every),
            humantime::format_duration(settle)
        );
    }
    let model = if args.rate {
        check_rate("--start", args.start)?;
        check_rate("--step", args.step)?;
        LoadModel::Open {
            max_in_flight: args.max_in_flight,
        }
    } else {
        LoadModel::Closed { spawn_rate }
    };
    let load = Load {
        shape: Arc::new(shape.clone()),
        model,
        steps: Some(StepSettings {
            settle,
            rules: stop_rules(args)?,
        }),
        run_time: args.run_time,
    };
    Ok(Experiment::from_flags(&args.target, &args.output, load)?
        .sharded(&args.shard, &args.target)?
        .with_step_plan(&shape))
}

/// The experiment a coordinator of `count` shards merges: these flags, as shard 0 of `count`
/// describes them.
pub fn coordinated(mut args: Args, count: usize) -> anyhow::Result<Experiment> {
    args.shard
        .as_coordinator_of(count, args.output.csv.as_deref())?;
    experiment(&args)
}

/// Runs `captest step` (with `--web`, the page shows it at once: its flags are the experiment).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let defaults = || {
        let form = StartForm {
            users: 0,
            spawn_rate: 0.0,
            host: args.target.host.clone().unwrap_or_default(),
        };
        Session::new(LoadCommand::Step, form)
    };
    run_load(
        &args.output,
        defaults,
        false,
        &mut |_| experiment(&args),
        |report| print_steps(&report.steps),
    )
}

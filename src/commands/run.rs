//! `captest run`: a constant-load (or staged) experiment with Locust's headless flags.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use captest_runner::engine::{LoadModel, SpawnRate};
use captest_runner::shape::{Constant, LoadShape, Stages};

use super::experiment::{Experiment, Load};
use super::load::{finish, parse_positive_duration, stages_text, OutputArgs, TargetArgs};

/// Arguments of `captest run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    shard: super::shard::ShardArgs,
    /// Number of concurrent users.
    #[arg(
        short = 'u',
        long = "users",
        default_value_t = 1,
        env = "CAPTEST_USERS"
    )]
    users: usize,
    /// Users started per second.
    #[arg(
        short = 'r',
        long = "spawn-rate",
        default_value_t = 1.0,
        env = "CAPTEST_SPAWN_RATE"
    )]
    spawn_rate: f64,
    /// Stop after this long (30s, 5m, 1h30m); without it the run lasts until SIGINT/SIGTERM.
    #[arg(short = 't', long = "run-time", value_parser = parse_positive_duration, env = "CAPTEST_RUN_TIME")]
    run_time: Option<Duration>,
    /// Users over time instead of -u: DURATION:USERS stages with linear ramps, e.g. 30s:1,10s:50,1m:50,10s:1.
    #[arg(long, env = "CAPTEST_STAGES")]
    stages: Option<String>,
    /// Read the stages from a file (one DURATION:USERS per line).
    #[arg(long = "stages-file", env = "CAPTEST_STAGES_FILE")]
    stages_file: Option<PathBuf>,
}

/// The experiment `captest run`'s flags describe, validated.
fn experiment(args: &Args) -> anyhow::Result<Experiment> {
    if args.users == 0 {
        bail!("-u/--users must be at least 1");
    }
    let shape: Arc<dyn LoadShape> =
        match stages_text(args.stages.as_deref(), args.stages_file.as_ref())? {
            Some(text) => Arc::new(Stages::parse(&text)?),
            None => Arc::new(Constant(args.users as f64)),
        };
    let load = Load {
        shape,
        model: LoadModel::Closed {
            spawn_rate: SpawnRate::new(args.spawn_rate).context("-r/--spawn-rate")?,
        },
        steps: None,
        run_time: args.run_time,
    };
    Experiment::from_flags(&args.target, &args.output, load)?.sharded(&args.shard, &args.target)
}

/// The experiment a coordinator of `count` shards merges: these flags, as shard 0 of `count`
/// describes them.
pub fn coordinated(mut args: Args, count: usize) -> anyhow::Result<Experiment> {
    if args.output.csv.is_none() {
        bail!(
            "captest coordinator needs --csv PREFIX (after the command) for the merged run's files"
        );
    }
    args.shard.as_coordinator_of(count)?;
    experiment(&args)
}

/// Runs `captest run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let experiment = experiment(&args)?;
    let quiet = experiment.quiet();
    let (report, gates_passed) = experiment.run()?;
    Ok(finish(&report, gates_passed, quiet))
}

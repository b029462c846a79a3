//! `captest run`: a constant-load (or staged) experiment with Locust's headless flags.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use captest_runner::engine::{LoadModel, SpawnRate};
use captest_runner::shape::{Constant, LoadShape, Stages};

use super::experiment::{Experiment, Load};
use super::load::{parse_positive_duration, stages_text, OutputArgs, TargetArgs};
use super::web_run::run_load;
use crate::web::{LoadCommand, Session, StartForm};

/// Arguments of `captest run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    shard: super::shard::ShardArgs,
    /// Number of concurrent users [default: 1].
    #[arg(short = 'u', long = "users", env = "CAPTEST_USERS")]
    users: Option<usize>,
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

/// The experiment `captest run`'s flags describe, validated; with the web page's start `form`,
/// its users, spawn rate and host replace the flags'.
fn experiment(args: &Args, form: Option<&StartForm>) -> anyhow::Result<Experiment> {
    let users = form.map_or(args.users.unwrap_or(1), |f| f.users);
    if users == 0 {
        bail!("-u/--users must be at least 1");
    }
    let shape: Arc<dyn LoadShape> =
        match stages_text(args.stages.as_deref(), args.stages_file.as_ref())? {
            Some(text) if form.is_none() => Arc::new(Stages::parse(&text)?),
            _ => Arc::new(Constant(users as f64)),
        };
    let spawn_rate = form.map_or(args.spawn_rate, |f| f.spawn_rate);
    let load = Load {
        shape,
        model: LoadModel::Closed {
            spawn_rate: SpawnRate::new(spawn_rate).context("-r/--spawn-rate")?,
        },
        steps: None,
        run_time: args.run_time,
    };
    let mut target = args.target.clone();
    if let Some(host) = form.map(|f| f.host.trim()).filter(|h| !h.is_empty()) {
        target.host = Some(host.to_owned());
    }
    Experiment::from_flags(&target, &args.output, load)?.sharded(&args.shard, &target)
}

/// The experiment a coordinator of `count` shards merges: these flags, as shard 0 of `count`
/// describes them.
pub fn coordinated(mut args: Args, count: usize) -> anyhow::Result<Experiment> {
    args.shard
        .as_coordinator_of(count, args.output.csv.as_deref())?;
    experiment(&args, None)
}

/// Runs `captest run`: with `--web` and neither -u, -t, --stages nor --autostart, the run waits
/// for Start on the page (Locust's default workflow).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let described = args.users.is_some()
        || args.run_time.is_some()
        || args.stages.is_some()
        || args.stages_file.is_some();
    let waits = !described && !args.output.web.autostart;
    let defaults = || {
        let form = StartForm {
            users: args.users.unwrap_or(1),
            spawn_rate: args.spawn_rate,
            host: args.target.host.clone().unwrap_or_default(),
        };
        Session::new(LoadCommand::Run, form)
    };
    run_load(
        &args.output,
        defaults,
        waits,
        &mut |form| experiment(&args, form),
        |_| {},
    )
}

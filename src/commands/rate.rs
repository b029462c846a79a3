//! `captest rate`: the open model — requests start on schedule whatever the target does, and
//! response times count from the intended start (coordinated-omission correction, as wrk2 does).

use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::bail;
use captest_runner::engine::LoadModel;
use captest_runner::scheduler::MAX_ARRIVAL_RATE;
use captest_runner::shape::{Constant, LoadShape, Stages};

use super::experiment::{Experiment, Load};
use super::load::{
    parse_at_least_one, parse_positive_duration, stages_text, OutputArgs, TargetArgs,
};
use super::web_run::run_load;
use crate::web::{LoadCommand, Session, StartForm};

/// Arguments of `captest rate`.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(flatten)]
    target: TargetArgs,
    #[command(flatten)]
    output: OutputArgs,
    #[command(flatten)]
    shard: super::shard::ShardArgs,
    /// Requests (iterations) started per second, at most 1000000 (what one dispatcher can start;
    /// beyond, arrivals it cannot start on time are counted as dropped).
    #[arg(long, env = "CAPTEST_RPS")]
    rps: Option<f64>,
    /// Rate over time: DURATION:RPS stages with linear ramps, e.g. 30s:100,2m:100,30s:500 (each
    /// RPS at most 1000000).
    #[arg(long = "rps-stages", env = "CAPTEST_RPS_STAGES")]
    rps_stages: Option<String>,
    /// Read the rate stages from a file (one DURATION:RPS per line).
    #[arg(long = "rps-stages-file", env = "CAPTEST_RPS_STAGES_FILE")]
    rps_stages_file: Option<PathBuf>,
    /// Most requests in flight at once; as many more may wait, beyond that they are dropped.
    #[arg(
        long = "max-in-flight",
        default_value = "1000",
        env = "CAPTEST_MAX_IN_FLIGHT",
        value_parser = parse_at_least_one
    )]
    max_in_flight: NonZeroUsize,
    /// Stop after this long; without it the run lasts until SIGINT/SIGTERM (or the stages end).
    #[arg(short = 't', long = "run-time", value_parser = parse_positive_duration, env = "CAPTEST_RUN_TIME")]
    run_time: Option<Duration>,
}

/// The experiment `captest rate`'s flags describe, validated.
fn experiment(args: &Args) -> anyhow::Result<Experiment> {
    let stages = stages_text(args.rps_stages.as_deref(), args.rps_stages_file.as_ref())?;
    let shape: Arc<dyn LoadShape> = match (args.rps, stages) {
        (Some(_), Some(_)) => bail!("give either --rps or --rps-stages, not both"),
        (Some(rps), None) if rps > 0.0 && rps.is_finite() => Arc::new(Constant(rps)),
        (Some(rps), None) => bail!("--rps must be a positive number, got {rps}"),
        (None, Some(text)) => {
            let stages = Stages::parse(&text)?;
            for stage in stages.stages() {
                check_rate("--rps-stages", stage.target)?;
            }
            Arc::new(stages)
        }
        (None, None) => bail!("give the arrival rate with --rps N or --rps-stages"),
    };
    if let Some(rps) = args.rps {
        check_rate("--rps", rps)?;
    }
    let load = Load {
        shape,
        model: LoadModel::Open {
            max_in_flight: args.max_in_flight,
        },
        steps: None,
        run_time: args.run_time,
    };
    Experiment::from_flags(&args.target, &args.output, load)?.sharded(&args.shard, &args.target)
}

/// Refuses an arrival rate above [`MAX_ARRIVAL_RATE`]: the dispatcher could not start it, and a
/// run that drops nearly every arrival would measure nothing of what was asked.
pub fn check_rate(flag: &str, rps: f64) -> anyhow::Result<()> {
    if rps > MAX_ARRIVAL_RATE {
        bail!(
            "{flag} {rps}: above the most captest can start, {MAX_ARRIVAL_RATE} requests per second per process; run several captest processes for more"
        );
    }
    Ok(())
}

/// The experiment a coordinator of `count` shards merges: these flags, as shard 0 of `count`
/// describes them.
pub fn coordinated(mut args: Args, count: usize) -> anyhow::Result<Experiment> {
    args.shard
        .as_coordinator_of(count, args.output.csv.as_deref())?;
    experiment(&args)
}

/// Runs `captest rate` (with `--web`, the page shows it at once: its flags are the experiment).
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let defaults = || {
        let form = StartForm {
            users: 0,
            spawn_rate: 0.0,
            host: args.target.host.clone().unwrap_or_default(),
        };
        Session::new(LoadCommand::Rate, form)
    };
    run_load(
        &args.output,
        defaults,
        false,
        &mut |_| experiment(&args),
        |_| {},
    )
}

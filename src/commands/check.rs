//! `captest check PREFIX --threshold 'p95<500ms'`: absolute gates on one run (k6-style thresholds).

use std::process::ExitCode;

use captest_analyze::compare::check;
use captest_format::Threshold;

use super::gate::{finish, load_run, weights, GateOutput};
use super::store::Store;

/// Arguments of `captest check`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The run: a name stored in baselines/, a run prefix, or one of its files.
    pub run: String,
    /// Gate such as 'avg<200ms', 'errors<1%', 'p95<500ms', 'GET /items:p99<1s' (repeatable;
    /// without a scope it applies to Aggregated).
    #[arg(long = "threshold", required = true)]
    pub threshold: Vec<String>,
    /// Business events per request for the `events` metric.
    #[arg(long = "events")]
    pub events: Vec<String>,
    #[command(flatten)]
    pub output: GateOutput,
}

/// Parses `--threshold` flags.
pub fn parse_thresholds(texts: &[String]) -> anyhow::Result<Vec<Threshold>> {
    Ok(texts.iter().map(|t| t.parse()).collect::<Result<_, _>>()?)
}

/// Runs `captest check`.
pub fn run(args: Args, store: &Store) -> anyhow::Result<ExitCode> {
    args.output.check_paths()?;
    let gates = parse_thresholds(&args.threshold)?;
    let run = load_run(&args.run, store)?;
    let report = check(&run, &gates, &weights(&args.events)?);
    finish(&report, &args.output)
}

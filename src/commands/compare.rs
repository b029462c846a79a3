//! `captest compare BASELINE CURRENT --fail-on p95+10%`: a regression gate that tells real changes
//! from noise.

use std::process::ExitCode;

use captest_analyze::compare::{compare, require_matching_entries, CompareOptions, FailOn};
use captest_analyze::Warmup;

use super::gate::{finish, load_run, weights, GateOutput};
use super::store::Store;

/// Arguments of `captest compare`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The baseline: a name stored in baselines/, a run prefix, or one of its files.
    pub baseline: String,
    /// The run to judge: a name stored in baselines/, a run prefix, or one of its files.
    pub current: String,
    /// Regression rule, e.g. p95+10%, 'GET /item/[id]:p99+50ms', rps-5%, errors+1pp (repeatable).
    #[arg(long = "fail-on", required = true)]
    pub fail_on: Vec<String>,
    /// Left out at the start of both runs for the noise test.
    #[arg(long, default_value = "0s")]
    pub warmup: Warmup,
    /// Significance level of the noise test.
    #[arg(long, default_value_t = 0.05)]
    pub alpha: f64,
    /// Fail on any change beyond a rule, even one within noise.
    #[arg(long)]
    pub strict: bool,
    /// Business events per request for the `events` metric, e.g. 'POST /api/v1/event/batch=20'.
    #[arg(long = "events")]
    pub events: Vec<String>,
    /// Let a rule whose entry pattern matches no entry of either run pass (by default it is bad
    /// input: a typo would otherwise compare nothing and pass).
    #[arg(long = "allow-missing-entries")]
    pub allow_missing_entries: bool,
    #[command(flatten)]
    pub output: GateOutput,
}

/// Runs `captest compare`.
pub fn run(args: Args, store: &Store) -> anyhow::Result<ExitCode> {
    let rules: Vec<FailOn> = args
        .fail_on
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        anyhow::bail!("--alpha must be between 0 and 1, got {}", args.alpha);
    }
    let baseline = load_run(&args.baseline, store)?;
    let current = load_run(&args.current, store)?;
    if !args.allow_missing_entries {
        require_matching_entries(&rules, &baseline, &current)?;
    }
    let options = CompareOptions {
        warmup: args.warmup,
        alpha: args.alpha,
        strict: args.strict,
        weights: weights(&args.events)?,
    };
    let report = compare(&baseline, &current, &rules, &options);
    finish(&report, &args.output)
}

//! `captest compare BASELINE CURRENT --fail-on p95+10%`: a regression gate that tells real changes
//! from noise.

use std::process::ExitCode;

use captest_analyze::compare::{
    compare, compare_spread, require_matching_entries, CompareOptions, GateReport, SpreadReport,
};
use captest_analyze::{Exporter, Format, Run};
use captest_format::{FailOn, Warmup};

use super::gate::{finish, load_run, weights, write_junit, GateOutput};
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
    args.output.check_paths()?;
    let rules: Vec<FailOn> = args
        .fail_on
        .iter()
        .map(|r| r.parse())
        .collect::<Result<_, _>>()?;
    if !(args.alpha > 0.0 && args.alpha < 1.0) {
        anyhow::bail!("--alpha must be between 0 and 1, got {}", args.alpha);
    }
    let baselines = baseline_runs(&args.baseline, store)?;
    let current = load_run(&args.current, store)?;
    if !args.allow_missing_entries {
        for baseline in &baselines {
            require_matching_entries(&rules, baseline, &current)?;
        }
    }
    let options = CompareOptions {
        warmup: args.warmup,
        alpha: args.alpha,
        strict: args.strict,
        weights: weights(&args.events)?,
    };
    match baselines.as_slice() {
        [baseline] => finish(&compare(baseline, &current, &rules, &options), &args.output),
        _ => finish_spread(
            &compare_spread(&baselines, &current, &rules, &options),
            &args.output,
        ),
    }
}

/// The baseline's runs: every run stored under a baseline name (several after `baseline save
/// --append`), else the one run given.
fn baseline_runs(given: &str, store: &Store) -> anyhow::Result<Vec<Run>> {
    match store.stored_runs(given)? {
        Some(prefixes) if prefixes.len() > 1 => prefixes
            .iter()
            .map(|prefix| {
                let run = Run::load(prefix)?;
                super::gate::warn_about(&run);
                Ok(run)
            })
            .collect(),
        _ => Ok(vec![load_run(given, store)?]),
    }
}

/// The line that says a baseline of several runs was used and what failing means then.
fn spread_line(report: &SpreadReport) -> String {
    format!(
        "baseline: {} runs; a rule fails only when it fails against each of them (beyond their spread)",
        report.baseline_runs
    )
}

/// Prints a comparison with a baseline of several runs (JSON adds `baseline_runs` and `spread`),
/// writes JUnit if asked, and maps it to an exit code (0 pass, 1 fail).
fn finish_spread(report: &SpreadReport, out: &GateOutput) -> anyhow::Result<ExitCode> {
    match out.format() {
        Format::Json => outln!("{}", serde_json::to_string_pretty(report)?),
        format => {
            let exporter: Box<dyn Exporter<GateReport>> = format.exporter()?;
            out!("{}", exporter.render(&report.report)?);
            outln!("\n{}", spread_line(report));
        }
    }
    if let Some(path) = &out.junit {
        write_junit(path, &Format::Junit.render(&report.report)?)?;
    }
    Ok(match report.report.passed {
        true => ExitCode::SUCCESS,
        false => ExitCode::from(1),
    })
}

//! `captest analyze`: steady state, steps, knee, USL, capacity, events and rate limits of a run
//! (captest's or Locust's CSV files).

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use captest_analyze::options::EventsFile;
use captest_analyze::{analyze, AnalyzeOptions, EventWeight, Format, Run, Slo};
use captest_format::{StopRule, Warmup};

use super::load::parse_duration;

/// Arguments of `captest analyze`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// A `_stats_history.csv` file, any file of the run, or its prefix (`results/baseline`).
    pub path: PathBuf,
    /// Left out at the start of the run.
    #[arg(long, default_value = "0s")]
    pub warmup: Warmup,
    /// Left out at the start of each step found in the history.
    #[arg(long = "step-settle", default_value = "10s", value_parser = parse_duration)]
    pub step_settle: Duration,
    /// Business events per request of an entry, e.g. 'POST /api/v1/event/batch=20' (repeatable;
    /// default: the run's _events.csv).
    #[arg(long = "events")]
    pub events: Vec<String>,
    /// A file of event weights, one 'ENTRY=WEIGHT' per line ('#' comments); --events wins over it,
    /// it wins over the run's _events.csv.
    #[arg(long = "events-file")]
    pub events_file: Option<PathBuf>,
    /// Latency objective for the capacity estimate, e.g. 'p95<200ms'.
    #[arg(long)]
    pub slo: Option<String>,
    /// Think time per user between requests, for Little's law.
    #[arg(long = "think-time", default_value = "0s", value_parser = parse_duration)]
    pub think_time: Duration,
    /// A planned user count: Little's law estimates its throughput (capacity.max_rps_for_users).
    #[arg(long, value_parser = parse_users)]
    pub users: Option<f64>,
    /// Breaking-point rule checked on the steps, as `captest step --stop-on` takes it (repeatable;
    /// replaces the defaults errors>1%, p95>5x, rps-growth<5%).
    #[arg(long = "stop-on")]
    pub stop_on: Vec<String>,
    /// Print JSON (stable keys, see README).
    #[arg(long, conflicts_with = "markdown")]
    pub json: bool,
    /// Print Markdown (for CI step summaries).
    #[arg(long)]
    pub markdown: bool,
}

fn parse_users(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(users) if users.is_finite() && users > 0.0 => Ok(users),
        _ => Err(format!(
            "{text:?} is not a user count; expected a number above 0 such as 50"
        )),
    }
}

impl Args {
    /// The format printed: `--json`, `--markdown`, else text.
    pub fn format(&self) -> Format {
        Format::from_flags(self.json, self.markdown)
    }

    /// The analysis options these flags describe.
    pub fn options(&self) -> anyhow::Result<AnalyzeOptions> {
        Ok(AnalyzeOptions {
            step_settle: self.step_settle,
            events: self
                .events
                .iter()
                .map(|e| e.parse::<EventWeight>())
                .collect::<Result<_, _>>()?,
            events_file: self
                .events_file
                .as_deref()
                .map(EventsFile::read)
                .transpose()?,
            slo: self.slo.as_deref().map(str::parse::<Slo>).transpose()?,
            think_time: self.think_time,
            users: self.users,
            stop_rules: StopRule::parse_or_default(&self.stop_on)?,
        })
    }
}

/// Runs `captest analyze`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let options = args.options()?;
    let exporter = args.format().exporter()?;
    let run = Run::load_for_analysis(&args.path, args.warmup)?;
    super::merge::warn_if_partial(&run.files.prefix);
    super::gate::warn_about(&run);
    if run.history.is_none() && !args.warmup.is_zero() {
        eprintln!(
            "warning: {}: no _stats_history.csv, so --warmup {} cannot be applied; the figures are _stats.csv's whole-run totals",
            run.files.prefix.display(),
            args.warmup
        );
    }
    let analysis = analyze(&run, &options)?;
    out!("{}", exporter.render(&analysis)?);
    Ok(ExitCode::SUCCESS)
}

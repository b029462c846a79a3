//! `captest run`: a constant-load experiment with Locust's headless flags.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{bail, Context};
use captest_runner::client::Target;
use captest_runner::engine::{run_experiment, RunReport, RunSettings};
use captest_runner::metrics::{EntryKey, EntryRegistry};
use captest_runner::shape::ConstantUsers;
use captest_runner::task::{Acceptance, RequestStep, Scenario, Task, UserClass, WaitTime};

/// Parses a duration such as `30s`, `5m`, `1h30m` or `250ms`.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    humantime::parse_duration(text.trim())
        .map_err(|e| format!("expected a duration like 30s, 5m or 1h30m ({e})"))
}

/// Arguments of `captest run`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Base URL of the service under test, e.g. http://127.0.0.1:8080.
    #[arg(short = 'H', long)]
    pub host: String,
    /// Number of concurrent users.
    #[arg(short = 'u', long = "users", default_value_t = 1)]
    pub users: usize,
    /// Users started per second.
    #[arg(short = 'r', long = "spawn-rate", default_value_t = 1.0)]
    pub spawn_rate: f64,
    /// Stop after this long (30s, 5m, 1h30m); without it the run lasts until SIGINT/SIGTERM.
    #[arg(short = 't', long = "run-time", value_parser = parse_duration)]
    pub run_time: Option<Duration>,
    /// Path each user requests (GET) when no scenario is given.
    #[arg(long, default_value = "/")]
    pub path: String,
    /// Pause between a user's requests (0s: none).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub wait: Duration,
    /// Write Locust-compatible CSV files under this prefix (PREFIX_stats.csv, ...).
    #[arg(long = "csv")]
    pub csv: Option<PathBuf>,
    /// Write every entry (not only Aggregated) to PREFIX_stats_history.csv.
    #[arg(long = "csv-full-history")]
    pub csv_full_history: bool,
    /// Worker threads of the load generator (default: one per core).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Per-request timeout (connect, send and whole body).
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Time users get to finish their request in flight when the run stops.
    #[arg(long = "stop-timeout", default_value = "10s", value_parser = parse_duration)]
    pub stop_timeout: Duration,
    /// No live table, no final summary.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// A one-class, one-task scenario: GET `path` with a constant `wait`.
fn path_scenario(
    target: &Target,
    path: &str,
    wait: Duration,
    registry: &EntryRegistry,
) -> anyhow::Result<Scenario> {
    if !path.starts_with('/') {
        bail!("--path must start with '/', got {path:?}");
    }
    let entry = registry.intern(&EntryKey::new("GET", path));
    let step = RequestStep {
        method: http::Method::GET,
        uri: target.request_uri(path)?,
        headers: http::HeaderMap::new(),
        body: bytes::Bytes::new(),
        entry,
        accept: Acceptance::Below400,
    };
    Ok(Scenario {
        classes: vec![UserClass {
            name: "User".to_owned(),
            weight: 1,
            wait: WaitTime::Constant(wait),
            on_start: vec![],
            tasks: vec![Task {
                name: "get".to_owned(),
                weight: 1,
                steps: vec![step],
            }],
        }],
    })
}

/// Default worker threads: one per core.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
}

/// Prints where the files went and maps the outcome to Locust's exit code (1 if any request failed).
pub fn finish(report: &RunReport, quiet: bool) -> ExitCode {
    if !quiet {
        for file in &report.files {
            println!("wrote {}", file.display());
        }
    }
    if report.failures() > 0 {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}

/// Runs `captest run`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    if args.users == 0 {
        bail!("-u/--users must be at least 1");
    }
    let target = Target::parse(&args.host)?;
    let registry = EntryRegistry::new();
    let scenario = path_scenario(&target, &args.path, args.wait, &registry)?;
    let settings = RunSettings {
        target,
        scenario: Arc::new(scenario),
        registry,
        shape: Box::new(ConstantUsers(args.users)),
        spawn_rate: args.spawn_rate,
        run_time: args.run_time,
        threads: args.threads.unwrap_or_else(default_threads),
        request_timeout: args.timeout,
        stop_timeout: args.stop_timeout,
        csv: args.csv.clone().map(|p| (p, args.csv_full_history)),
        quiet: args.quiet,
    };
    let report = run_experiment(settings).context("the run could not start")?;
    Ok(finish(&report, args.quiet))
}

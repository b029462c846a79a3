//! `captest demo`: the whole job on the built-in target — starts the demo server in-process on a
//! free loopback port, runs a step load until the breaking point, checks the counts against what
//! the server received, analyzes the run and writes the HTML report.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use captest_analyze::{analyze, AnalyzeOptions, Exporter, Format, Run};
use captest_format::atomic::write_atomically;
use captest_format::Warmup;
use captest_report::{Html, RunReport, Templates};
use captest_runner::client::{ClientSettings, Target};
use captest_runner::demo_server::{demo_scenario, DemoServer, DemoServerConfig};
use captest_runner::engine::{LoadModel, SpawnRate, StepSettings};
use captest_runner::metrics::EntryRegistry;
use captest_runner::shape::Steps;
use captest_runner::steps::DEFAULT_STOP_RULES;

use super::experiment::{Engine, Experiment, Load, Outputs, Workload};
use super::load::{default_threads, parse_at_least_one, parse_duration, print_steps};

/// Arguments of `captest demo`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Directory for the run's files (`DIR/demo_stats.csv`, …, `DIR/demo_report.html`).
    #[arg(long, default_value = "results")]
    pub out: PathBuf,
    /// Users in the first step.
    #[arg(long, default_value_t = 2.0)]
    pub start: f64,
    /// Users added at each step.
    #[arg(long, default_value_t = 2.0)]
    pub step: f64,
    /// Length of each step.
    #[arg(long, default_value = "8s", value_parser = parse_duration)]
    pub every: Duration,
    /// Highest user count.
    #[arg(long = "max-users", default_value_t = 20.0)]
    pub max_users: f64,
    /// Demo server capacity (slots); its throughput saturates at capacity / service time.
    #[arg(long, default_value_t = 8)]
    pub capacity: usize,
    /// Demo server service time per request.
    #[arg(long = "service-time", default_value = "20ms", value_parser = parse_duration)]
    pub service_time: Duration,
    /// Worker threads of the load generator (default: one per core).
    #[arg(long, value_parser = parse_at_least_one)]
    pub threads: Option<NonZeroUsize>,
    /// No live table.
    #[arg(short = 'q', long)]
    pub quiet: bool,
}

/// Runs the demo.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    std::fs::create_dir_all(&args.out).with_context(|| {
        format!(
            "{}: cannot create the results directory",
            args.out.display()
        )
    })?;
    let load = demo_load(&args)?;
    let config = DemoServerConfig {
        capacity: args.capacity,
        service_time: args.service_time,
        ..DemoServerConfig::default()
    };
    let capacity_rps = config.max_throughput();
    let server = DemoServer::spawn_background(config, SocketAddr::from(([127, 0, 0, 1], 0)))?;
    outln!(
        "demo server on {} — capacity {} slots × {:?} = {capacity_rps:.0} req/s (the knee to find)",
        server.url(),
        args.capacity,
        args.service_time
    );
    let target = Target::parse(&server.url())?;
    let registry = EntryRegistry::new();
    let (scenario, event_weights) = demo_scenario(&target, &registry)?;
    let prefix = args.out.join("demo");
    let experiment = Experiment::new(
        Workload {
            target,
            scenario,
            registry,
            event_weights,
            client: ClientSettings::default(),
        },
        load,
        Engine {
            threads: args.threads.unwrap_or_else(default_threads),
            request_timeout: Duration::from_secs(30),
            stop_timeout: Duration::from_secs(10),
            wait_for_target: None,
        },
        Outputs {
            csv: Some((prefix.clone(), true)),
            quiet: args.quiet,
            ..Outputs::default()
        },
    )?;
    let (report, _) = experiment.run()?;
    let counted = report.stats.total().total.requests;
    let received = server.counters().total;
    server.shutdown();
    print_steps(&report.steps);
    outln!(
        "\nrequests counted by captest: {counted}; received by the server: {received}{}",
        if counted == received {
            " (nothing lost)"
        } else {
            " (MISMATCH)"
        }
    );
    if let Some(error) = report.write_error {
        anyhow::bail!("{error}; the run's files end at their last complete second");
    }
    for file in &report.files {
        outln!("wrote {}", file.display());
    }
    analyze_and_report(&prefix, capacity_rps, args.capacity)?;
    Ok(if report.failures() > 0 || counted != received {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Steps of `--step` users every `--every` from `--start` up to `--max-users`, started at twice a
/// step per second, each step's first 2 s left out, stopping at the default breaking-point rules.
fn demo_load(args: &Args) -> anyhow::Result<Load> {
    let shape = Steps::new(
        args.start,
        args.step,
        args.every,
        Some(args.max_users),
        None,
    )?;
    let spawn_rate =
        SpawnRate::new(args.start.max(args.step).max(1.0) * 2.0).context("--start/--step")?;
    Ok(Load {
        shape: Arc::new(shape),
        model: LoadModel::Closed { spawn_rate },
        steps: Some(StepSettings {
            settle: Duration::from_secs(2).min(args.every / 2),
            rules: DEFAULT_STOP_RULES.to_vec(),
        }),
        run_time: None,
    })
}

/// Analyzes the demo run at `prefix`, prints the summary and how far the knee found is from the
/// server's true capacity, and writes `demo_report.html` beside the run.
fn analyze_and_report(prefix: &Path, capacity_rps: f64, capacity: usize) -> anyhow::Result<()> {
    let run = Run::load_for_analysis(prefix, Warmup::ZERO)?;
    let analysis = analyze(&run, &AnalyzeOptions::default())?;
    outln!("\n{}", Format::Text.render(&analysis)?);
    match &analysis.knee {
        Some(knee) => outln!(
            "truth: the server saturates at {capacity_rps:.0} req/s ({} users); the knee found is {:+.1}% off",
            capacity,
            (knee.rps / capacity_rps - 1.0) * 100.0
        ),
        None => outln!("truth: the server saturates at {capacity_rps:.0} req/s; {}", analysis.knee_note),
    }
    let html = prefix.with_file_name("demo_report.html");
    let report_page = RunReport {
        run: &run,
        analysis: &analysis,
        baseline: None,
    };
    let templates = Templates::embedded();
    let exporter = Html {
        templates: &templates,
    };
    let page = exporter.render(&report_page)?;
    write_atomically(&html, page.as_bytes())
        .map_err(|(path, e)| anyhow::anyhow!("{}: cannot write the report: {e}", path.display()))?;
    outln!("\nreport: {}", html.display());
    Ok(())
}

//! `captest`: load experiments, capacity analysis and performance-regression gates.
//!
//! This binary only wires things: it parses flags (clap derive), hands validated settings to the
//! library crates and maps the outcome to an exit code. Exit codes: 0 success, 1 the run or the gate
//! found failures (like Locust's exit code on error), 2 bad input, 3 a shard started after
//! --start-grace, 4 a coordinator lost a shard with --require-all-shards.

// First: its macros (`out!`, `outln!`) are used by the commands.
#[macro_use]
mod out;
mod commands;
mod config;
mod web;

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};

/// captest: Locust-compatible load tests, capacity analysis and regression gates.
#[derive(Debug, Parser)]
#[command(name = "captest", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Config file with default flags and [profiles.NAME] (default: ./captest.toml if present).
    #[arg(long, global = true)]
    config: Option<std::path::PathBuf>,
    /// Profile of the config file to apply (e.g. basic, stress, spike).
    #[arg(long, global = true)]
    profile: Option<String>,
    /// Directory of stored baselines, where `baseline save` writes and `compare`, `check` and
    /// `report --baseline` look names up.
    #[arg(
        long,
        global = true,
        env = "CAPTEST_BASELINES",
        default_value = "baselines"
    )]
    baselines: std::path::PathBuf,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run a constant-load or staged experiment (Locust's headless mode, same flags).
    Run(commands::run::Args),
    /// Step load that stops at the breaking point (errors, latency spike, throughput plateau).
    Step(commands::step::Args),
    /// Open-model load at a fixed arrival rate, latency corrected for coordinated omission.
    Rate(commands::rate::Args),
    /// Start the demo target server (known capacity, fault switches) on loopback.
    DemoServer(commands::demo_server::Args),
    /// Run the whole job on the built-in demo target: load, analysis, report.
    Demo(commands::demo::Args),
    /// Analyze a run's CSV files (captest or Locust): steady state, steps, knee, capacity, events.
    Analyze(commands::analyze::Args),
    /// Render a self-contained HTML report from a run's CSV files.
    Report(commands::report::Args),
    /// Compare a run with a baseline under regression rules (exit 1 on a real regression).
    Compare(commands::compare::Args),
    /// Check one run against absolute thresholds (exit 1 when one is crossed).
    Check(commands::check::Args),
    /// Save and list stored baselines (baselines/NAME/).
    Baseline(commands::baseline::Args),
    /// Merge the bundles of a sharded run (`--shard I/N`) into one run's files, exactly.
    Merge(commands::merge::Args),
    /// Coordinate a live distributed run: start barrier, live merge of the shards' figures,
    /// step stop rules on the merged figures (shards join with --coordinator URL).
    Coordinator(commands::coordinator::Args),
    /// Kubernetes manifests of a distributed run (`k8s render --shards N run …`).
    K8s(commands::k8s::Args),
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let defaults = match config::load(&args) {
        Ok(defaults) => defaults,
        Err(error) => {
            eprintln!("error: {error:#}");
            return ExitCode::from(2);
        }
    };
    let parsed = defaults
        .apply(Cli::command())
        .try_get_matches_from(&args)
        .and_then(|matches| Cli::from_arg_matches(&matches));
    let cli = match parsed {
        Ok(cli) => cli,
        Err(error) => return usage_error(error),
    };
    let store = commands::store::Store::new(cli.baselines);
    let outcome = match cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Step(args) => commands::step::run(args),
        Command::Rate(args) => commands::rate::run(args),
        Command::DemoServer(args) => commands::demo_server::run(args),
        Command::Demo(args) => commands::demo::run(args),
        Command::Analyze(args) => commands::analyze::run(args),
        Command::Report(args) => commands::report::run(args, &store),
        Command::Compare(args) => commands::compare::run(args, &store),
        Command::Check(args) => commands::check::run(args, &store),
        Command::Baseline(args) => commands::baseline::run(args, &store),
        Command::Merge(args) => commands::merge::run(args),
        Command::Coordinator(args) => commands::coordinator::run(args),
        Command::K8s(args) => commands::k8s::run(args),
    };
    match outcome {
        Ok(code) => out::finish(code),
        Err(error) => {
            eprintln!("error: {error:#}");
            if error.is::<commands::shard::LateStart>() {
                ExitCode::from(commands::shard::LATE_START_EXIT)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

/// A command line clap refused: `--help` and `--version` print as clap prints them; any other
/// error is clap's first line alone (`error: invalid value 'x' for '--users <USERS>': …`), without
/// the usage block and tips, and exit 2 — one line, like every other bad input.
fn usage_error(error: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(
        error.kind(),
        ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        error.exit();
    }
    let rendered = error.render().to_string();
    let line = rendered
        .lines()
        .find(|line| !line.trim().is_empty())
        .unwrap_or("error: invalid command line");
    eprintln!("{line}");
    ExitCode::from(2)
}

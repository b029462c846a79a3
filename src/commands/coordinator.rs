//! `captest coordinator --expect-shards N COMMAND [FLAGS…]`: the live side of a distributed run
//! (Locust's master). Shards (`captest COMMAND … --shard I/N --coordinator http://HOST:5557`)
//! register, start together, and post each second's figures; it merges them as they come with
//! `captest merge`'s code, shows the live view, writes the merged files as one process would,
//! runs `step`'s stop rules on the merged figures and stops every shard when one fires; with
//! `--metrics` it serves the merged figures to Prometheus.

use std::net::SocketAddr;
use std::num::NonZeroUsize;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::bail;
use captest_runner::distributed::{Coordinator, HubEvent, HubSettings};
use captest_runner::live::{LiveState, MetricsServer, RunInfo};

use super::experiment::Experiment;
use super::load::{parse_at_least_one, parse_positive_duration};

/// Exit code of a coordinated run stopped because a shard was lost with `--require-all-shards`.
pub const SHARD_LOST_EXIT: u8 = 4;

/// Where the coordinator listens by default (Locust's master port).
pub const DEFAULT_LISTEN: &str = "0.0.0.0:5557";

/// Between the last shard's registration and the common start.
const START_MARGIN: Duration = Duration::from_secs(1);

/// `captest coordinator` flags.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Number of shards taking part (each runs with --shard I/N, this N).
    #[arg(long = "expect-shards", value_name = "N", env = "CAPTEST_EXPECT_SHARDS", value_parser = parse_at_least_one)]
    expect_shards: NonZeroUsize,
    /// Address the shards reach it at (IP:PORT; port 0 picks a free one).
    #[arg(long, default_value = DEFAULT_LISTEN, env = "CAPTEST_LISTEN", value_parser = parse_listen)]
    listen: SocketAddr,
    /// Stop every shard, and the run, when one is lost (exit code 4); without it the run goes
    /// on with the others.
    #[arg(long = "require-all-shards", env = "CAPTEST_REQUIRE_ALL_SHARDS")]
    require_all_shards: bool,
    /// A running shard that sends nothing for this long is lost (its figures end at its last
    /// report).
    #[arg(long = "lost-after", default_value = "5s", value_parser = parse_positive_duration, env = "CAPTEST_LOST_AFTER")]
    lost_after: Duration,
    /// The load the shards run, with the same flags (--csv names the merged run's files).
    #[command(subcommand)]
    load: LoadCommand,
}

/// The command the shards run.
#[derive(Debug, clap::Subcommand)]
pub enum LoadCommand {
    /// `captest run`'s load.
    Run(super::run::Args),
    /// `captest step`'s load (its stop rules run on the merged figures).
    Step(super::step::Args),
    /// `captest rate`'s load.
    Rate(super::rate::Args),
}

fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse::<SocketAddr>().map_err(|_| {
        format!("expected IP:PORT such as {DEFAULT_LISTEN} or 127.0.0.1:0, got {text:?}")
    })
}

/// Runs `captest coordinator`.
pub fn run(args: Args) -> anyhow::Result<ExitCode> {
    let count = args.expect_shards.get();
    let experiment: Experiment = match args.load {
        LoadCommand::Run(load) => super::run::coordinated(load, count)?,
        LoadCommand::Step(load) => super::step::coordinated(load, count)?,
        LoadCommand::Rate(load) => super::rate::coordinated(load, count)?,
    };
    let Some((expected, outputs, host)) = experiment.coordinated() else {
        bail!("the load flags describe no sharded run");
    };
    let Some((prefix, _)) = outputs.csv.clone() else {
        bail!(
            "captest coordinator needs --csv PREFIX (after the command) for the merged run's files"
        );
    };
    let quiet = outputs.quiet;
    let live = outputs.metrics.map(|address| {
        let info = RunInfo {
            command: "coordinator".to_owned(),
            host,
            version: env!("CARGO_PKG_VERSION").to_owned(),
        };
        (address, LiveState::new(info))
    });
    let metrics = match &live {
        Some((address, state)) => Some(MetricsServer::start(*address, state.clone())?),
        None => None,
    };
    let settings = HubSettings {
        expected,
        output: prefix.clone(),
        require_all: args.require_all_shards,
        lost_after: args.lost_after,
        start_margin: START_MARGIN,
        progress: super::console::progress(quiet),
        live: live.map(|(_, state)| state),
        abort: outputs
            .abort_on_fail
            .then(|| super::live_gates::abort_check(outputs.thresholds.clone())),
        on_event: Box::new(move |event| tell(event, quiet)),
    };
    let coordinator = Coordinator::start(args.listen, settings)?;
    eprintln!(
        "captest coordinator listening on {} for {count} shards",
        coordinator.local_addr()
    );
    let outcome = coordinator.wait()?;
    if let Some(server) = metrics {
        server.stop();
    }
    if !quiet {
        for file in &outcome.merged.files {
            outln!("wrote {}", file.display());
        }
    }
    super::merge::warn_if_partial(&prefix);
    if let Some(reason) = &outcome.stopped {
        outln!("stopped every shard: {reason}");
    }
    let gates_passed = super::verdict::of_files(&prefix, &outputs)?;
    if args.require_all_shards && !outcome.lost.is_empty() {
        eprintln!(
            "error: shard(s) {:?} lost with --require-all-shards: the run was stopped (exit code {SHARD_LOST_EXIT})",
            outcome.lost
        );
        return Ok(ExitCode::from(SHARD_LOST_EXIT));
    }
    let failed = match gates_passed {
        Some(passed) => !passed,
        None => outcome.merged.failures,
    };
    Ok(ExitCode::from(u8::from(failed)))
}

/// What happened to a shard, on stderr (a lost shard even with `-q`).
fn tell(event: &HubEvent, quiet: bool) {
    match event {
        HubEvent::Lost { shard, silent } => eprintln!(
            "warning: shard {shard} lost: nothing for {silent:.1?}; its figures end at its last report, the run goes on with the others"
        ),
        _ if quiet => {}
        HubEvent::Registered {
            shard,
            registered,
            count,
        } => eprintln!("shard {shard} registered ({registered} of {count})"),
        HubEvent::Starting { start_at } => {
            let at = std::time::UNIX_EPOCH + Duration::from_secs_f64(start_at.max(0.0));
            eprintln!(
                "every shard registered: they start at {}",
                humantime::format_rfc3339_millis(at)
            );
        }
        HubEvent::Finished { shard, reason } => eprintln!("shard {shard} ended: {reason}"),
    }
}

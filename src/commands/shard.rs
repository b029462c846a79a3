//! The shard flags of `run`, `step` and `rate` (`--shard I/N`, or `JOB_COMPLETION_INDEX` with
//! `CAPTEST_SHARDS=N` as a Kubernetes Indexed Job sets them; `--start-at`, `--start-grace`) and
//! the start barrier they describe.

use std::time::{Duration, SystemTime};

use anyhow::{bail, Context};
use captest_runner::distributed::{EventWeight, ExactF64, Slice};
use captest_runner::metrics::{EntryId, EntryRegistry};

use super::load::{parse_duration, TargetArgs};

/// The exit code of a shard that reached `--start-at` later than `--start-grace` allows: it sent
/// nothing, so its share of the load can be re-run without counting anything twice.
pub const LATE_START_EXIT: u8 = 3;

/// Shard flags.
#[derive(Debug, Clone, clap::Args)]
pub struct ShardArgs {
    /// Run shard I (from 0) of N: its exact share of the users, spawn rate and steps, or every
    /// Nth arrival of `rate`; writes a bundle for `captest merge` beside the --csv files.
    #[arg(long, value_name = "I/N", value_parser = parse_slice, env = "CAPTEST_SHARD")]
    shard: Option<Slice>,
    /// Start the load at this instant (RFC 3339, e.g. 2026-01-01T12:00:00Z), the shards' shared clock.
    #[arg(long = "start-at", value_name = "RFC3339", value_parser = parse_start_at, env = "CAPTEST_START_AT")]
    start_at: Option<SystemTime>,
    /// How late after --start-at a shard may still start; later it exits with code 3, sending nothing.
    #[arg(long = "start-grace", default_value = "10s", value_parser = parse_duration, env = "CAPTEST_START_GRACE")]
    start_grace: Duration,
    /// Join the live run of `captest coordinator` at this URL (http://HOST:5557): start when
    /// every shard has registered, send it each second's figures, stop when it says so.
    #[arg(
        long,
        value_name = "URL",
        env = "CAPTEST_COORDINATOR",
        conflicts_with = "start_at"
    )]
    coordinator: Option<String>,
}

/// The start barrier of a shard: wait until `at`, fail when later than `at + grace`.
#[derive(Debug, Clone, Copy)]
pub struct StartBarrier {
    at: SystemTime,
    grace: Duration,
}

/// The shard started after its grace period (exit code [`LATE_START_EXIT`]).
#[derive(Debug)]
pub struct LateStart {
    late: Duration,
    grace: Duration,
}

impl std::fmt::Display for LateStart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "--start-at passed {:.1?} ago, more than --start-grace {:?}: this shard sent nothing (exit code {LATE_START_EXIT})",
            self.late, self.grace
        )
    }
}

impl std::error::Error for LateStart {}

impl ShardArgs {
    /// The slice to run: `--shard`, else `JOB_COMPLETION_INDEX` of `CAPTEST_SHARDS`, else none.
    pub fn slice(&self) -> anyhow::Result<Option<Slice>> {
        if self.shard.is_some() {
            return Ok(self.shard);
        }
        let index = std::env::var("JOB_COMPLETION_INDEX").ok();
        let count = std::env::var("CAPTEST_SHARDS").ok();
        match (index, count) {
            (Some(index), Some(count)) => parse_slice(&format!("{index}/{count}"))
                .map(Some)
                .map_err(anyhow::Error::msg)
                .context("JOB_COMPLETION_INDEX and CAPTEST_SHARDS"),
            (None, Some(_)) => {
                bail!("CAPTEST_SHARDS is set but JOB_COMPLETION_INDEX is not: give --shard I/N")
            }
            _ => Ok(None),
        }
    }

    /// `--coordinator`'s URL, with the grace a late start is allowed.
    pub fn coordinator(&self) -> Option<(String, Duration)> {
        self.coordinator.clone().map(|url| (url, self.start_grace))
    }

    /// Makes these flags describe shard 0 of `count`: the coordinator describes its run as its
    /// shards do, to refuse those of another run. `csv`, the command's `--csv`, is required: it
    /// names the merged run's files.
    pub fn as_coordinator_of(
        &mut self,
        count: usize,
        csv: Option<&std::path::Path>,
    ) -> anyhow::Result<()> {
        if csv.is_none() {
            anyhow::bail!(
                "captest coordinator needs --csv PREFIX (after the command) for the merged run's files"
            );
        }
        self.shard = Some(Slice::new(0, count).map_err(anyhow::Error::msg)?);
        self.start_at = None;
        self.coordinator = None;
        Ok(())
    }

    /// The start barrier, when `--start-at` is given.
    pub fn barrier(&self) -> Option<StartBarrier> {
        self.start_at.map(|at| StartBarrier {
            at,
            grace: self.start_grace,
        })
    }
}

impl StartBarrier {
    /// A barrier at `at`, `grace` late at most.
    pub fn new(at: SystemTime, grace: Duration) -> Self {
        StartBarrier { at, grace }
    }

    /// Sleeps until the start time; a [`LateStart`] error when it passed more than the grace ago.
    pub fn wait(&self) -> Result<(), LateStart> {
        let now = SystemTime::now();
        match self.at.duration_since(now) {
            Ok(ahead) => {
                std::thread::sleep(ahead);
                Ok(())
            }
            Err(passed) if passed.duration() <= self.grace => Ok(()),
            Err(passed) => Err(LateStart {
                late: passed.duration(),
                grace: self.grace,
            }),
        }
    }
}

fn parse_slice(text: &str) -> Result<Slice, String> {
    text.parse()
}

fn parse_start_at(text: &str) -> Result<SystemTime, String> {
    humantime::parse_rfc3339_weak(text.trim_end_matches('Z')).map_err(|e| {
        format!("expected an RFC 3339 time such as 2026-01-01T12:00:00Z, got {text:?}: {e}")
    })
}

/// What defines the scenario for a shard's bundle: the file's bytes and the selection, or the
/// flags a path scenario is made of.
pub fn scenario_definition(args: &TargetArgs) -> anyhow::Result<Vec<u8>> {
    let (file, classes) = args.scenario_and_classes()?;
    let mut definition = match &file {
        Some(file) => std::fs::read(file).with_context(|| format!("{}", file.display()))?,
        None => format!("path {:?} wait {:?}", args.path, args.wait).into_bytes(),
    };
    let selection = format!(
        "\nclasses {classes:?} tags {:?} exclude {:?}",
        args.tags, args.exclude_tags
    );
    definition.extend_from_slice(selection.as_bytes());
    Ok(definition)
}

/// The workload's event weights by entry name (a bundle's form).
pub fn event_weights(registry: &EntryRegistry, weights: &[f64]) -> Vec<EventWeight> {
    weights
        .iter()
        .enumerate()
        .filter(|(_, weight)| **weight > 0.0)
        .filter_map(|(id, weight)| {
            let key = registry.key(EntryId(id as u32))?;
            Some(EventWeight {
                method: key.method,
                name: key.name,
                weight: ExactF64(*weight),
            })
        })
        .collect()
}

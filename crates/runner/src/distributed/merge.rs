//! `captest merge`: the shards' bundles replayed, tick by tick, into one aggregator that writes
//! the run's files with the writers a single process uses — so the merged files are, byte for
//! byte, those of one process that recorded every request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use captest_format::files::{self, prefixed};

use super::error::BundleError;
use super::merged_run::MergedRun;
use super::meta::{ShardMeta, ShardPosition};
use super::read::ShardBundleData;
use super::replay::replay;
use super::writer::write_meta;
use crate::steps::StopRequest;

/// What to merge into what.
#[derive(Debug, Clone)]
pub struct MergeOptions {
    /// The merged run's `--csv` prefix.
    pub output: PathBuf,
    /// Merge even when shards are missing (the run is marked partial).
    pub allow_partial: bool,
}

/// What a merge did.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged run's description (also written as its `_shard.json`).
    pub meta: ShardMeta,
    /// Files written.
    pub files: Vec<PathBuf>,
    /// Requests the merged run counted.
    pub requests: u64,
    /// Whether any request failed or a task-logic error was counted (Locust's exit code 1).
    pub failures: bool,
    /// Each `_shard_seconds.jsonl` whose last line was cut short (a shard killed while writing
    /// it), and that line, merged without it.
    pub cut_lines: Vec<(PathBuf, usize)>,
}

/// Merges `shards` (read with [`super::read_bundle`]) into the files under `options.output`,
/// reading their ticks as it replays them.
pub fn merge(
    shards: &[ShardBundleData],
    options: &MergeOptions,
) -> Result<MergeOutcome, BundleError> {
    let (merged, missing) = check_shards(shards, options.allow_partial)?;
    let first = &shards[0].meta;
    let start = shards
        .iter()
        .map(|s| s.meta.start.0)
        .fold(f64::INFINITY, f64::min);
    let mut run = MergedRun::new(
        first,
        start,
        &options.output,
        Arc::new(StopRequest::default()),
        &prefixed(&shards[0].prefix, files::SHARD_META),
    )?;
    let ended_at = shards
        .iter()
        .filter_map(|s| s.meta.ended_at.map(|t| t.0))
        .reduce(f64::max);
    // Before the ticks, so the snapshot files written at the last one hold them.
    for shard in shards {
        run.record_exceptions(&shard.meta);
    }
    let cut_lines = replay(&mut run, shards)?;
    let reason = shards
        .iter()
        .find_map(|s| s.meta.ended.clone())
        .unwrap_or_else(|| "merged".to_owned());
    let position = ShardPosition::Merged {
        merged,
        count: first.shard_count(),
        partial: !missing.is_empty(),
        missing,
        lost: Vec::new(),
    };
    let end = MergedEnd {
        start,
        position,
        reason,
        ended_at,
    };
    let outcome = finish_merged(run, first, end, &options.output)?;
    Ok(MergeOutcome {
        cut_lines,
        ..outcome
    })
}

/// How a merged run ends: when it started, which shards it holds, why and when it ended.
#[derive(Debug, Clone)]
pub(crate) struct MergedEnd {
    /// Unix seconds.
    pub start: f64,
    /// The shards it holds.
    pub position: ShardPosition,
    /// Why it ended.
    pub reason: String,
    /// When (the latest shard end).
    pub ended_at: Option<f64>,
}

/// Ends the merged `run` and writes its `_shard.json` (`first`'s description, as `end` says)
/// under `output`.
pub(crate) fn finish_merged(
    run: MergedRun,
    first: &ShardMeta,
    end: MergedEnd,
    output: &Path,
) -> Result<MergeOutcome, BundleError> {
    let (requests, _) = run.totals();
    let outcome = run.finish(&end.reason, end.ended_at);
    if let Some(error) = outcome.write_error {
        return Err(error.into());
    }
    let failures =
        outcome.stats.total().total.failures > 0 || !outcome.stats.exceptions().is_empty();
    let meta = ShardMeta {
        shard: end.position,
        start: super::exact::ExactF64(end.start),
        exceptions: Vec::new(),
        ended: Some(end.reason),
        ended_at: end.ended_at.map(super::exact::ExactF64),
        ..first.clone()
    };
    let meta_path = prefixed(output, files::SHARD_META);
    write_meta(&meta_path, &meta)?;
    let mut files = outcome.files;
    files.push(meta_path);
    Ok(MergeOutcome {
        meta,
        files,
        requests,
        failures,
        cut_lines: Vec::new(),
    })
}

/// The shards' indexes, and those missing; an error when they are not parts of one run, when
/// one repeats, or when one is missing without `allow_partial`.
fn check_shards(
    shards: &[ShardBundleData],
    allow_partial: bool,
) -> Result<(Vec<usize>, Vec<usize>), BundleError> {
    let Some(first) = shards.first() else {
        return Err(BundleError::Mismatch("no shard to merge".to_owned()));
    };
    let identity = first.meta.run_identity();
    let mut seen = BTreeMap::new();
    for shard in shards {
        let ShardPosition::One { index, .. } = shard.meta.shard else {
            return Err(mismatch(
                &shard.prefix,
                "is a merged run, not a shard".to_owned(),
            ));
        };
        if shard.meta.run_identity() != identity
            || shard.meta.full_history != first.meta.full_history
            || shard.meta.event_weights != first.meta.event_weights
        {
            return Err(mismatch(
                &shard.prefix,
                format!(
                    "is not a shard of the same run as {} ({} vs {})",
                    first.prefix.display(),
                    shard.meta.run_identity(),
                    identity
                ),
            ));
        }
        if let Some(other) = seen.insert(index, &shard.prefix) {
            return Err(mismatch(
                &shard.prefix,
                format!("is shard {index} again (also {})", other.display()),
            ));
        }
    }
    let missing: Vec<usize> = (0..first.meta.shard_count())
        .filter(|i| !seen.contains_key(i))
        .collect();
    if !missing.is_empty() && !allow_partial {
        return Err(BundleError::Mismatch(format!(
            "shard{} {} of {} missing (give every shard, or --allow-partial to merge the others)",
            if missing.len() > 1 { "s" } else { "" },
            join(&missing),
            first.meta.shard_count()
        )));
    }
    Ok((seen.into_keys().collect(), missing))
}

fn mismatch(prefix: &Path, what: String) -> BundleError {
    BundleError::Mismatch(format!("{}: {what}", prefix.display()))
}

fn join(indexes: &[usize]) -> String {
    let texts: Vec<String> = indexes.iter().map(usize::to_string).collect();
    texts.join(", ")
}

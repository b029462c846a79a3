//! `captest merge`: the shards' bundles replayed, tick by tick, into one aggregator that writes
//! the run's files with the writers a single process uses — so the merged files are, byte for
//! byte, those of one process that recorded every request.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use captest_format::files::{self, prefixed};

use super::error::BundleError;
use super::meta::{ShardMeta, ShardPosition, StepPlan};
use super::read::ShardBundleData;
use super::writer::write_meta;
use crate::aggregator::{Aggregator, AggregatorSettings};
use crate::metrics::{EntryId, EntryRegistry, EpochTally, FailureKind, IntervalStats};
use crate::steps::{StepTracker, StopRequest};

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
}

/// Merges `shards` (read with [`super::read_bundle`]) into the files under `options.output`.
pub fn merge(
    shards: &[ShardBundleData],
    options: &MergeOptions,
) -> Result<MergeOutcome, BundleError> {
    let (merged, missing) = check_shards(shards, options.allow_partial)?;
    let first = &shards[0].meta;
    let registry = EntryRegistry::new();
    let mut weights = Vec::new();
    for weight in &first.event_weights {
        let id = registry.intern(&crate::metrics::RequestKey::new(
            weight.method.as_str(),
            weight.name.as_str(),
        ));
        if weights.len() <= id.0 as usize {
            weights.resize(id.0 as usize + 1, 0.0);
        }
        weights[id.0 as usize] = weight.weight.0;
    }
    let start = shards
        .iter()
        .map(|s| s.meta.start.0)
        .fold(f64::INFINITY, f64::min);
    let settings = AggregatorSettings {
        csv: Some((options.output.clone(), first.full_history)),
        run_time: None,
        event_weights: weights,
        open_model: first.open_model,
        abort: None,
        keep_history: false,
        shard: None,
    };
    let mut aggregator = Aggregator::replaying(registry.clone(), settings, start)?;
    if let Some(plan) = &first.steps {
        aggregator =
            aggregator.with_steps(step_tracker(plan, start, first.open_model, &shards[0])?);
    }
    let ended_at = shards
        .iter()
        .filter_map(|s| s.meta.ended_at.map(|t| t.0))
        .reduce(f64::max);
    // Before the ticks, so the snapshot files written at the last one hold them.
    for shard in shards {
        for line in &shard.meta.exceptions {
            aggregator.record_exception(&line.message, &line.traceback, line.count);
        }
    }
    replay(&mut aggregator, shards, &registry)?;
    let reason = shards
        .iter()
        .find_map(|s| s.meta.ended.clone())
        .unwrap_or_else(|| "merged".to_owned());
    let outcome = aggregator.finish_replay(&reason, ended_at);
    if let Some(error) = outcome.write_error {
        return Err(error.into());
    }
    let meta = ShardMeta {
        shard: ShardPosition::Merged {
            merged,
            count: first.shard_count(),
            partial: !missing.is_empty(),
            missing,
        },
        start: super::exact::ExactF64(start),
        exceptions: Vec::new(),
        ended: Some(reason),
        ended_at: ended_at.map(super::exact::ExactF64),
        ..first.clone()
    };
    let meta_path = prefixed(&options.output, files::SHARD_META);
    write_meta(&meta_path, &meta)?;
    let mut files = outcome.files;
    files.push(meta_path);
    Ok(MergeOutcome { meta, files })
}

/// The tracker that cuts the merged figures into the plan's (unsharded) steps.
fn step_tracker(
    plan: &StepPlan,
    start: f64,
    open_model: bool,
    shard: &ShardBundleData,
) -> Result<StepTracker, BundleError> {
    let (shape, settings) = plan.parts().map_err(|message| BundleError::Parse {
        path: prefixed(&shard.prefix, files::SHARD_META),
        line: 1,
        message,
    })?;
    let tracker = StepTracker::new(
        Arc::new(shape),
        start,
        settings.settle,
        settings.rules,
        Arc::new(StopRequest::default()),
    );
    Ok(if open_model {
        tracker.in_rate_terms()
    } else {
        tracker
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

/// Feeds every tick of every shard, grouped by history Timestamp in time order; a shard's users
/// count at every tick as at its latest own tick.
fn replay(
    aggregator: &mut Aggregator,
    shards: &[ShardBundleData],
    registry: &EntryRegistry,
) -> Result<(), BundleError> {
    let mut ticks: BTreeMap<i64, Vec<(usize, usize)>> = BTreeMap::new();
    for (shard, data) in shards.iter().enumerate() {
        for (line, record) in data.seconds.iter().enumerate() {
            ticks.entry(record.now).or_default().push((shard, line));
        }
    }
    let mut users = vec![0usize; shards.len()];
    let mut entries: Vec<IntervalStats> = Vec::new();
    for (now, parts) in ticks {
        entries.iter_mut().for_each(IntervalStats::clear);
        let mut failures: Vec<((EntryId, FailureKind), EpochTally)> = Vec::new();
        let mut last_request: Option<f64> = None;
        for (shard, line) in parts {
            let record = &shards[shard].seconds[line];
            users[shard] = record.users;
            if let Some(last) = record.last_request {
                last_request = Some(last_request.map_or(last.0, |l| l.max(last.0)));
            }
            for entry in &record.entries {
                let interval = entry
                    .interval()
                    .map_err(|message| parse_error(shards, shard, line, message))?;
                let id = registry.intern(&entry.key()).0 as usize;
                if entries.len() <= id {
                    entries.resize_with(id + 1, IntervalStats::default);
                }
                entries[id] += &interval;
            }
            for failure in &record.failures {
                let (key, kind, tally) = failure.parts();
                failures.push(((registry.intern(&key), kind), tally));
            }
        }
        aggregator.replay_second(now, users.iter().sum(), &entries, &failures, last_request);
    }
    Ok(())
}

fn parse_error(
    shards: &[ShardBundleData],
    shard: usize,
    line: usize,
    message: String,
) -> BundleError {
    BundleError::Parse {
        path: prefixed(&shards[shard].prefix, files::SHARD_SECONDS),
        line: line + 1,
        message,
    }
}

//! Distributed runs without a coordinator: a shard runs its exact share of the load
//! ([`Slice`]) and writes a bundle beside its files ([`ShardBundle`]: `_shard.json` and
//! `_shard_seconds.jsonl`); [`merge`] rebuilds from the bundles the aggregate one process would
//! have held and writes the run's files with the same writers, byte for byte.

mod error;
mod exact;
mod merge;
mod meta;
mod read;
mod record;
mod slice;
mod writer;

pub use error::BundleError;
pub use exact::ExactF64;
pub use merge::{merge, MergeOptions, MergeOutcome};
pub use meta::{
    scenario_hash, EventWeight, ExceptionLine, HdrSettings, ShardMeta, ShardPosition, StepPlan,
    BUNDLE_FORMAT,
};
pub use read::{read_bundle, read_meta, ShardBundleData};
pub use record::{EntryRecord, FailureLine, SecondRecord};
pub use slice::{Slice, SliceShape};
pub use writer::ShardBundle;

#[cfg(test)]
mod tests;

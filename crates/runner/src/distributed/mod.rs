//! Distributed runs. Without a coordinator: a shard runs its exact share of the load
//! ([`Slice`]) and writes a bundle beside its files ([`ShardBundle`]: `_shard.json` and
//! `_shard_seconds.jsonl`); [`merge`] rebuilds from the bundles the aggregate one process would
//! have held and writes the run's files with the same writers, byte for byte. With one
//! ([`Coordinator`]), shards register, start together and post what their bundles get
//! ([`CoordinatorLink`]); the coordinator merges it as it comes, with the same code.

mod decode;
mod error;
mod events;
mod exact;
mod hub;
mod link;
mod merge;
mod merged_run;
mod meta;
mod read;
mod record;
mod replay;
mod report;
mod server;
mod slice;
mod v2_counts;
mod writer;

pub use error::BundleError;
pub use events::{HubEvent, HubSettings};
pub use exact::ExactF64;
pub use link::{CoordinatorLink, LinkError};
pub use merge::{merge, MergeOptions, MergeOutcome};
pub use meta::{
    scenario_hash, EventWeight, ExceptionLine, HdrSettings, ShardMeta, ShardPosition, StepPlan,
    BUNDLE_FORMAT,
};
pub use read::{read_bundle, read_meta, SecondsReader, ShardBundleData};
pub use record::{EntryRecord, FailureLine, SecondRecord};
pub use report::{ReportPost, ReportReply, ShardReport, StartReply, REGISTER_PATH, REPORT_PATH};
pub use server::{Coordinator, CoordinatorOutcome};
pub use slice::{Slice, SliceShape};
pub use writer::{ShardBundle, ShardRun};

#[cfg(test)]
mod hub_tests;
#[cfg(test)]
mod tests;

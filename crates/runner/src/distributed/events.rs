//! What the coordinator's [`Hub`](super::hub) is told (its settings) and tells (the events of
//! its shards).

use std::path::PathBuf;
use std::time::Duration;

use super::meta::ShardMeta;
use crate::aggregator::AbortCheck;
use crate::live::LiveState;
use crate::progress::ProgressSink;

/// What happened to a shard, for the coordinator's console.
#[derive(Debug, Clone, PartialEq)]
pub enum HubEvent {
    /// Shard `shard` registered; `registered` of `count` have.
    Registered {
        /// Its index.
        shard: usize,
        /// How many have registered.
        registered: usize,
        /// How many are expected.
        count: usize,
    },
    /// Every shard registered: they start at `start_at` (unix seconds).
    Starting {
        /// The common start.
        start_at: f64,
    },
    /// Shard `shard` sent nothing for `silent`: its figures end at its last report.
    Lost {
        /// Its index.
        shard: usize,
        /// How long it had been silent.
        silent: Duration,
    },
    /// Shard `shard` ended (`reason`).
    Finished {
        /// Its index.
        shard: usize,
        /// Why it ended.
        reason: String,
    },
}

/// How the coordinator runs.
pub struct HubSettings {
    /// The run the shards must be part of (its position is ignored).
    pub expected: ShardMeta,
    /// Prefix of the merged run's files.
    pub output: PathBuf,
    /// Stop every shard when one is lost.
    pub require_all: bool,
    /// Silence after which a running shard counts as lost.
    pub lost_after: Duration,
    /// Between the last registration and the common start.
    pub start_margin: Duration,
    /// Where the merged live view goes.
    pub progress: Option<ProgressSink>,
    /// Where the merged figures are published every second (`--metrics`).
    pub live: Option<LiveState>,
    /// Checked on the merged figures every second; a reason stops every shard
    /// (`--abort-on-fail`).
    pub abort: Option<AbortCheck>,
    /// Told each [`HubEvent`].
    pub on_event: Box<dyn FnMut(&HubEvent) + Send>,
}

impl std::fmt::Debug for HubSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HubSettings")
            .field("output", &self.output)
            .field("require_all", &self.require_all)
            .finish_non_exhaustive()
    }
}

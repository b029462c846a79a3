//! What a shard and its coordinator say to each other over HTTP (JSON bodies): a shard registers
//! with its description (`POST /register`, answered once every shard has registered with their
//! common start), then posts what its bundle gets (`POST /report`), and the answer to each post
//! says whether the run must stop.

use serde::{Deserialize, Serialize};

use super::exact::ExactF64;
use super::meta::ShardMeta;
use super::record::SecondRecord;

/// The path shards register at.
pub const REGISTER_PATH: &str = "/register";

/// The path shards post their reports to.
pub const REPORT_PATH: &str = "/report";

/// What a shard's bundle gets, as it gets it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShardReport {
    /// The shard's statistics started (its description, with its start).
    Started(ShardMeta),
    /// One tick's record (a `_shard_seconds.jsonl` line).
    Second(SecondRecord),
    /// The shard ended (its description, with its exceptions and why and when it ended).
    Finished(ShardMeta),
}

/// A report, from shard `shard`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReportPost {
    /// The shard's 0-based index.
    pub shard: usize,
    /// What it reports.
    pub report: ShardReport,
}

/// The coordinator's answer to a registration: when to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StartReply {
    /// The common start, unix seconds.
    pub start_at: ExactF64,
}

/// The coordinator's answer to a report.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ReportReply {
    /// Why every shard must stop now, once the coordinator decided it.
    pub stop: Option<String>,
}

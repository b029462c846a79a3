//! One line of `_shard_seconds.jsonl`: what a shard's aggregator merged at one tick, every figure
//! the run's writers read (see `captest_format::files::SHARD_SECONDS`).

use std::sync::Arc;

use base64::Engine as _;
use hdrhistogram::serialization::{Serializer as _, V2Serializer};
use serde::{Deserialize, Serialize};

use super::exact::ExactF64;
use crate::in_flight::RUN_ENDED;
use crate::metrics::{EpochTally, FailureKind, IntervalStats, RequestKey, RunStats};

/// What one tick of a shard merged.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct SecondRecord {
    /// The tick's history Timestamp (the data belongs to the second before it).
    pub now: i64,
    /// Users running (closed model) or iterations in flight (open model) at the tick.
    pub users: usize,
    /// When the latest request of the tick ended (unix seconds).
    pub last_request: Option<ExactF64>,
    /// Each entry that completed requests.
    pub entries: Vec<EntryRecord>,
    /// Each failure kind seen.
    pub failures: Vec<FailureLine>,
}

/// One entry's interval ([`IntervalStats`]) as a bundle holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EntryRecord {
    /// Request method (or Locust's request type).
    pub method: String,
    /// Entry name.
    pub name: String,
    /// Requests completed.
    pub requests: u64,
    /// Requests failed.
    pub failures: u64,
    /// Sum of response times, ns.
    pub sum_ns: u64,
    /// Smallest response time, ns.
    pub min_ns: u64,
    /// Largest response time, ns.
    pub max_ns: u64,
    /// Sum of body lengths, bytes.
    pub content_bytes: u64,
    /// Business events delivered.
    pub events: ExactF64,
    /// Locust's buckets, as (dense index, count).
    pub buckets: Vec<(usize, u64)>,
    /// The HDR histogram (µs), V2 deflate, base64.
    pub hdr: String,
}

/// One failure kind of one entry in one tick.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct FailureLine {
    /// Request method.
    pub method: String,
    /// Entry name.
    pub name: String,
    /// Why it failed.
    pub kind: KindRecord,
    /// How many times.
    pub occurrences: u64,
    /// First occurrence, unix seconds.
    pub first_seen: ExactF64,
    /// Last occurrence, unix seconds.
    pub last_seen: ExactF64,
}

/// A [`FailureKind`] as a bundle holds it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum KindRecord {
    /// An HTTP status.
    Status(u16),
    /// An OS error number.
    Os(i32),
    /// A timeout, ms.
    Timeout(u64),
    /// A request aborted in flight when the run stopped.
    RunEnded,
    /// Any other text.
    Other(String),
}

impl From<&FailureKind> for KindRecord {
    fn from(kind: &FailureKind) -> Self {
        match kind {
            FailureKind::Status(code) => KindRecord::Status(*code),
            FailureKind::Os(errno) => KindRecord::Os(*errno),
            FailureKind::Timeout(ms) => KindRecord::Timeout(*ms),
            FailureKind::RunEnded => KindRecord::RunEnded,
            FailureKind::Other(text) => KindRecord::Other(text.to_string()),
        }
    }
}

impl From<&KindRecord> for FailureKind {
    fn from(kind: &KindRecord) -> Self {
        match kind {
            KindRecord::Status(code) => FailureKind::Status(*code),
            KindRecord::Os(errno) => FailureKind::Os(*errno),
            KindRecord::Timeout(ms) => FailureKind::Timeout(*ms),
            KindRecord::RunEnded => FailureKind::RunEnded,
            // Bundles written before RunEnded was a kind of its own carry its text.
            KindRecord::Other(text) if text == RUN_ENDED => FailureKind::RunEnded,
            KindRecord::Other(text) => FailureKind::Other(Arc::from(text.as_str())),
        }
    }
}

impl SecondRecord {
    /// What `stats` merged last ([`RunStats::last_second`] and [`RunStats::last_failures`]).
    pub fn of_last_second(
        stats: &RunStats,
        now: i64,
        users: usize,
        last_request: Option<f64>,
        serializer: &mut V2Serializer,
    ) -> Result<SecondRecord, String> {
        let registry = stats.registry();
        let (_, intervals) = stats.last_second();
        let mut entries = Vec::new();
        for (index, interval) in intervals.iter().enumerate() {
            if interval.is_empty() {
                continue;
            }
            let key = registry
                .key(crate::metrics::EntryId(index as u32))
                .ok_or_else(|| format!("entry {index} has no name"))?;
            entries.push(EntryRecord::of(&key, interval, serializer)?);
        }
        let failures = stats
            .last_failures()
            .filter_map(|((entry, kind), tally)| {
                let key = registry.key(*entry)?;
                Some(FailureLine {
                    method: key.method,
                    name: key.name,
                    kind: kind.into(),
                    occurrences: tally.occurrences,
                    first_seen: ExactF64(tally.first_seen),
                    last_seen: ExactF64(tally.last_seen),
                })
            })
            .collect();
        Ok(SecondRecord {
            now,
            users,
            last_request: last_request.map(ExactF64),
            entries,
            failures,
        })
    }
}

impl EntryRecord {
    /// `interval` of the entry `key`.
    pub fn of(
        key: &RequestKey,
        interval: &IntervalStats,
        serializer: &mut V2Serializer,
    ) -> Result<EntryRecord, String> {
        let mut bytes = Vec::new();
        serializer
            .serialize(&interval.hdr, &mut bytes)
            .map_err(|e| format!("{e:?}"))?;
        Ok(EntryRecord {
            method: key.method.clone(),
            name: key.name.clone(),
            requests: interval.requests,
            failures: interval.failures,
            sum_ns: interval.sum_ns,
            min_ns: interval.min_ns,
            max_ns: interval.max_ns,
            content_bytes: interval.content_bytes,
            events: ExactF64(interval.events),
            buckets: interval.buckets.index_counts(),
            hdr: base64::engine::general_purpose::STANDARD.encode(bytes),
        })
    }

    /// The entry's key.
    pub fn key(&self) -> RequestKey {
        RequestKey::new(self.method.as_str(), self.name.as_str())
    }

    /// The interval back, or what is wrong with the record.
    pub fn interval(&self) -> Result<IntervalStats, String> {
        let mut interval = IntervalStats::default();
        super::decode::EntryDecoder::default().add_into(self, &mut interval)?;
        Ok(interval)
    }
}

impl FailureLine {
    /// The entry's key, the kind and the tally.
    pub fn parts(&self) -> (RequestKey, FailureKind, EpochTally) {
        (
            RequestKey::new(self.method.as_str(), self.name.as_str()),
            (&self.kind).into(),
            EpochTally {
                occurrences: self.occurrences,
                first_seen: self.first_seen.0,
                last_seen: self.last_seen.0,
            },
        )
    }
}

#[cfg(test)]
mod kind_tests {
    use super::*;

    #[test]
    fn a_run_ended_failure_keeps_its_kind_through_a_bundle_old_or_new() {
        let record = KindRecord::from(&FailureKind::RunEnded);
        let json = serde_json::to_string(&record).unwrap();
        let back: KindRecord = serde_json::from_str(&json).unwrap();
        assert_eq!(FailureKind::from(&back), FailureKind::RunEnded);
        // A bundle written when the kind was still text.
        let old = KindRecord::Other(RUN_ENDED.to_owned());
        assert_eq!(FailureKind::from(&old), FailureKind::RunEnded);
        let other = KindRecord::Other("CaptureError('id')".to_owned());
        assert!(matches!(FailureKind::from(&other), FailureKind::Other(_)));
    }
}

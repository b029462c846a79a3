//! `PREFIX_latency.hdr`: the run's response times at full resolution, per second, in
//! HdrHistogram's interval-log format (V2 deflate-compressed histograms, base64), so any window of
//! a run can be summed exactly and runs (or shards of one run) merged exactly.
//!
//! - Header: comments, `#[StartTime: …]` the run's start (unix seconds, ms precision) and
//!   `#[BaseTime: …]` the whole second it falls in, the Timestamp of the first `_stats_history.csv`
//!   row; an interval's unix start is BaseTime + its start column.
//! - Intervals: at every history batch (Timestamp `T`, the aggregator's tick after the second
//!   boundary) one line per entry that completed requests since the previous batch (Timestamp
//!   `P`), in `_stats.csv`'s order, then one for Aggregated (their sum): start `P` − BaseTime,
//!   length `T − P` — 1 s, more only when the aggregator fell a whole second behind, as the
//!   history then does too. So an entry's counts over the intervals ending in (`P`, `T`] equal
//!   the difference of its `Total Request Count` between the history rows `P` and `T`, and the
//!   whole run is the sum of every interval. Seconds without requests have no line.
//! - Each batch is appended with one `write` as it is measured, so a killed run keeps every
//!   second already written; the final batch (the last, partial second) is written when the run
//!   ends, as the history's.
//! - Values and the max column are microseconds. Tags: [`captest_format::hdr_tag`].

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;
use hdrhistogram::Histogram;

use captest_format::Entry;

use crate::error::RunnerError;
use crate::metrics::{new_latency_histogram, RunStats};

/// The open `_latency.hdr` of a running run, appended at every history batch.
pub struct HdrIntervalLog {
    path: PathBuf,
    file: File,
    serializer: V2DeflateSerializer,
    buffer: Vec<u8>,
    base_second: i64,
    /// The end (a history Timestamp) of the last batch written.
    last_end: i64,
    /// What each entry (by id) recorded since the last batch written, and their sum.
    pending: Vec<Histogram<u64>>,
    pending_total: Histogram<u64>,
    /// Each entry's tag, by id, made at its first request.
    tags: Vec<Option<String>>,
}

impl std::fmt::Debug for HdrIntervalLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HdrIntervalLog")
            .field("path", &self.path)
            .field("last_end", &self.last_end)
            .finish_non_exhaustive()
    }
}

impl HdrIntervalLog {
    /// Creates `path` with the log's header for a run that started at `start` (unix seconds).
    pub fn create(path: &Path, start: f64) -> Result<Self, RunnerError> {
        let io = |e: std::io::Error| RunnerError::io(path, e);
        let base_second = start.floor() as i64;
        let mut file = File::create(path).map_err(io)?;
        let mut buffer = Vec::new();
        let mut serializer = V2DeflateSerializer::new();
        IntervalLogWriterBuilder::new()
            .add_comment("captest latency histograms: one per entry and second, values and max in microseconds")
            .add_comment("tags: METHOD%20name, percent-encoded; 'Aggregated' sums every entry")
            .add_comment("StartTime is the run's start, BaseTime the first history row's Timestamp (unix s)")
            .with_start_time(UNIX_EPOCH + Duration::from_secs_f64(start.max(0.0)))
            .with_base_time(UNIX_EPOCH + Duration::from_secs(base_second.max(0) as u64))
            .begin_log_with(&mut buffer, &mut serializer)
            .map_err(io)?;
        file.write_all(&buffer).map_err(io)?;
        Ok(HdrIntervalLog {
            path: path.to_owned(),
            file,
            serializer,
            buffer,
            base_second,
            last_end: base_second,
            pending: Vec::new(),
            pending_total: new_latency_histogram(),
            tags: Vec::new(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes what `stats` merged last (its [`RunStats::last_second`]) and, when `end` is a new
    /// history Timestamp, appends the batch of intervals that ends there.
    pub fn append(&mut self, stats: &RunStats, end: i64) -> Result<(), RunnerError> {
        let (total, entries) = stats.last_second();
        if self.pending.len() < entries.len() {
            self.pending
                .resize_with(entries.len(), new_latency_histogram);
            self.tags.resize(entries.len(), None);
        }
        for (pending, interval) in self.pending.iter_mut().zip(entries) {
            add(pending, &interval.hdr, &self.path)?;
        }
        add(&mut self.pending_total, &total.hdr, &self.path)?;
        if end <= self.last_end {
            return Ok(());
        }
        self.write_batch(stats, end)
    }

    /// Writes what is still pending (a last batch whose Timestamp repeated the previous one's) as
    /// the second after the last batch, so nothing measured is left out.
    pub fn finish(&mut self, stats: &RunStats) -> Result<(), RunnerError> {
        if self.pending_total.is_empty() {
            return Ok(());
        }
        self.write_batch(stats, self.last_end + 1)
    }

    fn write_batch(&mut self, stats: &RunStats, end: i64) -> Result<(), RunnerError> {
        let mut ids: Vec<(usize, Entry)> = stats
            .entries_with_ids()
            .into_iter()
            .map(|(id, key, _)| (id.0 as usize, Entry::from(key)))
            .filter(|(id, _)| self.pending.get(*id).is_some_and(|h| !h.is_empty()))
            .collect();
        ids.sort_by(|(_, a), (_, b)| (a.name(), a.method()).cmp(&(b.name(), b.method())));
        let start = Duration::from_secs((self.last_end - self.base_second).max(0) as u64);
        let length = Duration::from_secs((end - self.last_end) as u64);
        let to_io = |e: String| RunnerError::io(&self.path, std::io::Error::other(e));
        self.buffer.clear();
        {
            let mut writer = IntervalLogWriterBuilder::new()
                .begin_log_with(&mut self.buffer, &mut self.serializer)
                .map_err(|e| to_io(e.to_string()))?;
            let mut write = |histogram: &Histogram<u64>, tag: &str| {
                let tag = Tag::new(tag).ok_or_else(|| to_io(format!("tag {tag:?} not allowed")))?;
                writer
                    .write_histogram(histogram, start, length, Some(tag))
                    .map_err(|e| to_io(e.to_string()))
            };
            for (id, entry) in &ids {
                let tag = self.tags[*id].get_or_insert_with(|| entry.hdr_tag());
                write(&self.pending[*id], tag)?;
            }
            if !self.pending_total.is_empty() {
                write(&self.pending_total, &Entry::Aggregated.hdr_tag())?;
            }
        }
        self.file
            .write_all(&self.buffer)
            .map_err(|e| RunnerError::io(&self.path, e))?;
        self.pending.iter_mut().for_each(Histogram::reset);
        self.pending_total.reset();
        self.last_end = end;
        Ok(())
    }
}

/// Adds `interval` into `pending` (auto-resizing, so only a histogram too large for memory fails).
fn add(
    pending: &mut Histogram<u64>,
    interval: &Histogram<u64>,
    path: &Path,
) -> Result<(), RunnerError> {
    pending
        .add(interval)
        .map_err(|e| RunnerError::io(path, std::io::Error::other(format!("{e:?}"))))
}

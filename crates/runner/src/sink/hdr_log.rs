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
//!   ends, as the history's. A batch that cannot be written whole is cut off again and ends the
//!   log ([`AppendOnly`]).
//! - Values and the max column are microseconds. Tags: [`captest_format::hdr_tag`].

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::Histogram;

use captest_format::Entry;

use super::append_only::AppendOnly;
use super::hdr_deflate::ReusedDeflateSerializer;
use crate::error::RunnerError;
use crate::metrics::{new_latency_histogram, RunStats};

/// The open `_latency.hdr` of a running run, appended at every history batch.
pub struct HdrIntervalLog {
    path: PathBuf,
    file: AppendOnly,
    serializer: ReusedDeflateSerializer,
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
        let mut file = AppendOnly::create(path)?;
        let mut buffer = Vec::new();
        let mut serializer = ReusedDeflateSerializer::default();
        IntervalLogWriterBuilder::new()
            .add_comment("captest latency histograms: one per entry and second, values and max in microseconds")
            .add_comment("tags: METHOD%20name, percent-encoded; 'Aggregated' sums every entry")
            .add_comment("StartTime is the run's start, BaseTime the first history row's Timestamp (unix s)")
            .with_start_time(UNIX_EPOCH + Duration::from_secs_f64(start.max(0.0)))
            .with_base_time(UNIX_EPOCH + Duration::from_secs(base_second.max(0) as u64))
            .begin_log_with(&mut buffer, &mut serializer)
            .map_err(io)?;
        file.append(&buffer)?;
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

    /// Whether a batch could not be written (the log ends at the last batch written whole).
    pub fn failed(&self) -> bool {
        self.file.failed()
    }

    /// Takes what `stats` merged last (its [`RunStats::last_second`]) and, when `end` is a new
    /// history Timestamp, appends the batch of intervals that ends there.
    pub fn append(&mut self, stats: &RunStats, end: i64) -> Result<(), RunnerError> {
        let (total, entries) = stats.last_second();
        if end > self.last_end && self.pending_total.is_empty() {
            // The usual batch: this second alone, written from the run's own histograms (the
            // serializer writes the same bytes for the same counts whatever holds them).
            return self.write_batch(stats, end, Batch::LastSecond);
        }
        if self.pending.len() < entries.len() {
            self.pending
                .resize_with(entries.len(), new_latency_histogram);
        }
        for (pending, interval) in self.pending.iter_mut().zip(entries) {
            add(pending, &interval.hdr, &self.path)?;
        }
        add(&mut self.pending_total, &total.hdr, &self.path)?;
        if end <= self.last_end {
            return Ok(());
        }
        self.write_batch(stats, end, Batch::Pending)
    }

    /// Writes what is still pending (a last batch whose Timestamp repeated the previous one's) as
    /// the second after the last batch, so nothing measured is left out.
    pub fn finish(&mut self, stats: &RunStats) -> Result<(), RunnerError> {
        if self.pending_total.is_empty() {
            return Ok(());
        }
        self.write_batch(stats, self.last_end + 1, Batch::Pending)
    }

    /// Appends the batch of intervals that ends at `end`, from `batch`'s histograms.
    fn write_batch(&mut self, stats: &RunStats, end: i64, batch: Batch) -> Result<(), RunnerError> {
        let (last_total, last_entries) = stats.last_second();
        let (entries, total): (Vec<&Histogram<u64>>, &Histogram<u64>) = match batch {
            Batch::LastSecond => (
                last_entries.iter().map(|interval| &interval.hdr).collect(),
                &last_total.hdr,
            ),
            Batch::Pending => (self.pending.iter().collect(), &self.pending_total),
        };
        if self.tags.len() < entries.len() {
            self.tags.resize(entries.len(), None);
        }
        let mut ids: Vec<(usize, Entry)> = stats
            .entries_with_ids()
            .into_iter()
            .map(|(id, key, _)| (id.0 as usize, Entry::from(key)))
            .filter(|(id, _)| entries.get(*id).is_some_and(|h| !h.is_empty()))
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
                write(entries[*id], tag)?;
            }
            if !total.is_empty() {
                write(total, &Entry::Aggregated.hdr_tag())?;
            }
        }
        self.file.append(&self.buffer)?;
        if batch == Batch::Pending {
            self.pending.iter_mut().for_each(Histogram::reset);
            self.pending_total.reset();
        }
        self.last_end = end;
        Ok(())
    }
}

/// Where a batch's histograms come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Batch {
    /// The run's last second alone (nothing was pending).
    LastSecond,
    /// What [`HdrIntervalLog::append`] added up since the last batch.
    Pending,
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

#[cfg(test)]
mod tests {
    use std::time::Instant;

    use base64::prelude::{Engine, BASE64_STANDARD};
    use hdrhistogram::serialization::interval_log::{IntervalLogIterator, LogEntry};
    use hdrhistogram::serialization::Deserializer;

    use super::*;
    use crate::metrics::{EntryRegistry, Recorder, RequestKey, RunClock, Sample, Shard};

    /// A run of two entries whose seconds are fed by hand.
    struct Fixture {
        stats: RunStats,
        recorder: Recorder,
        shards: Vec<Shard>,
        ids: Vec<crate::metrics::EntryId>,
    }

    impl Fixture {
        fn new() -> Self {
            let registry = EntryRegistry::new();
            let ids = vec![
                registry.intern(&RequestKey::new("GET", "/b")),
                registry.intern(&RequestKey::new("POST", "/a b")),
            ];
            let stats = RunStats::new(registry, RunClock::start());
            let (recorder, shards) = (Recorder::new(), Vec::new());
            Fixture {
                stats,
                recorder,
                shards,
                ids,
            }
        }

        /// Records `counts[i]` requests of entry `i` (1 ms each) and merges them as `second`.
        fn second(&mut self, second: i64, counts: [u64; 2]) {
            for (id, count) in self.ids.iter().zip(counts) {
                for _ in 0..count {
                    self.recorder.record(Sample {
                        entry: *id,
                        elapsed_ns: 1_000_000,
                        content_length: 0,
                        finished: Instant::now(),
                        failure: None,
                        events: 0.0,
                    });
                }
            }
            self.recorder.drain(&mut self.shards);
            self.stats.absorb(second, &self.shards);
        }
    }

    /// (tag, start offset s, length s, count) of every interval in the log at `path`.
    fn lines(path: &Path) -> Vec<(String, u64, u64, u64)> {
        let text = std::fs::read(path).expect("the log");
        IntervalLogIterator::new(&text)
            .filter_map(|entry| match entry.expect("a valid log") {
                LogEntry::Interval(interval) => Some(interval),
                _ => None,
            })
            .map(|interval| {
                let bytes = BASE64_STANDARD
                    .decode(interval.encoded_histogram())
                    .expect("base64");
                let histogram: Histogram<u64> = Deserializer::new()
                    .deserialize(&mut bytes.as_slice())
                    .expect("V2");
                let tag = interval.tag().expect("tagged").as_str().to_owned();
                let start = interval.start_timestamp().as_secs();
                (tag, start, interval.duration().as_secs(), histogram.len())
            })
            .collect()
    }

    #[test]
    fn each_batch_is_appended_at_once_and_a_repeated_timestamp_waits_for_the_next() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("run_latency.hdr");
        let mut run = Fixture::new();
        let base = run.stats.start().floor() as i64;
        let mut log = HdrIntervalLog::create(&path, run.stats.start()).expect("create");
        run.second(base, [2, 1]);
        log.append(&run.stats, base + 1).expect("append");
        let first = lines(&path);
        assert_eq!(
            first,
            [
                ("POST%20/a%20b".to_owned(), 0, 1, 1),
                ("GET%20/b".to_owned(), 0, 1, 2),
                ("Aggregated".to_owned(), 0, 1, 3)
            ],
            "written as soon as the batch is, by (name, method) as Locust sorts, Aggregated last"
        );
        // A second batch stamped base + 1 again (the history skips it): kept for the next one.
        run.second(base + 1, [1, 0]);
        log.append(&run.stats, base + 1).expect("append");
        assert_eq!(lines(&path), first);
        run.second(base + 1, [1, 0]);
        log.append(&run.stats, base + 3).expect("append");
        let mut expected = first.clone();
        expected.push(("GET%20/b".to_owned(), 1, 2, 2));
        expected.push(("Aggregated".to_owned(), 1, 2, 2));
        assert_eq!(lines(&path), expected, "from the previous batch, 2 s long");
        log.finish(&run.stats).expect("nothing pending");
        assert_eq!(lines(&path), expected);
        // Left pending at the end: written as the second after the last batch.
        run.second(base + 3, [0, 4]);
        log.append(&run.stats, base + 3).expect("append");
        log.finish(&run.stats).expect("finish");
        expected.push(("POST%20/a%20b".to_owned(), 3, 1, 4));
        expected.push(("Aggregated".to_owned(), 3, 1, 4));
        assert_eq!(lines(&path), expected);
    }
}

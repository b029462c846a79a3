//! `PREFIX_latency.hdr` read back: a captest run's response times at full resolution (µs), one
//! HdrHistogram per entry (and Aggregated) per second, so the exact distribution of any window of
//! the run can be summed. Locust writes no such file, so a Locust run has none.
//!
//! Times are unix seconds on the clock of `_stats_history.csv`'s `Timestamp` column: an interval
//! starts at `BaseTime` + its start column and ends its length later. The runner writes the
//! interval ending at `T` with the history rows stamped `T`, so an entry's intervals ending in
//! (`from`, `to`] hold exactly the requests its `Total Request Count` grows by between the history
//! rows stamped `from` and `to` ([`LatencyLog::intervals`]).
//!
//! Every histogram is decoded once when the file is read (a corrupt one is an error naming its
//! line), but kept compressed: one is decoded again, and kept, when [`LatencyLog::intervals`] first
//! hands it out, and [`LatencyLog::histogram`] sums without keeping — a long run's thousands of
//! per-second histograms would otherwise take tens of KB each.

use std::collections::HashMap;
use std::path::Path;
use std::sync::OnceLock;

use base64::prelude::{Engine, BASE64_STANDARD};
use captest_format::Entry;
use hdrhistogram::serialization::interval_log::{
    IntervalLogHistogram, IntervalLogIterator, LogEntry,
};
use hdrhistogram::serialization::Deserializer;
use hdrhistogram::Histogram;

use crate::error::AnalyzeError;

/// What a line of the log must be.
const EXPECTED_LINE: &str = "a '#' comment, '#[StartTime: …]', '#[BaseTime: …]' or \
    'Tag=TAG,START,LENGTH,MAX,BASE64 HISTOGRAM' ending with a line feed";

/// One interval of one entry.
#[derive(Debug, Clone)]
struct Interval {
    start: f64,
    end: f64,
    /// The serialized (V2, deflate) histogram, as decoded from base64.
    bytes: Vec<u8>,
    decoded: OnceLock<Histogram<u64>>,
}

impl Interval {
    fn histogram(&self) -> &Histogram<u64> {
        self.decoded.get_or_init(|| {
            decode(&self.bytes).expect("every histogram was decoded once by LatencyLog::read")
        })
    }

    /// The histogram, borrowed if it was decoded already, else decoded for the caller.
    fn histogram_once(&self) -> std::borrow::Cow<'_, Histogram<u64>> {
        match self.decoded.get() {
            Some(histogram) => std::borrow::Cow::Borrowed(histogram),
            None => std::borrow::Cow::Owned(
                decode(&self.bytes).expect("every histogram was decoded once by LatencyLog::read"),
            ),
        }
    }
}

/// Per-second histograms of one run, per entry (µs).
#[derive(Debug, Clone, Default)]
pub struct LatencyLog {
    /// The log's `StartTime`, if any.
    start_time: Option<f64>,
    /// Each entry with its intervals by start, in the order entries first appear.
    entries: Vec<(Entry, Vec<Interval>)>,
    index: HashMap<Entry, usize>,
}

impl LatencyLog {
    /// Reads the interval log at `path`; a line that is not what captest writes (a tag that names
    /// no entry, a histogram that does not decode, a cut line) is an error naming the line.
    pub fn read(path: &Path) -> Result<LatencyLog, AnalyzeError> {
        let text = std::fs::read(path).map_err(|e| AnalyzeError::read(path, e))?;
        let mut log = LatencyLog::default();
        let mut base_time = 0.0;
        for (number, line) in text.split_inclusive(|b| *b == b'\n').enumerate() {
            let bad = |problem: String| AnalyzeError::BadLatencyLine {
                path: path.to_owned(),
                line: number + 1,
                problem,
                expected: EXPECTED_LINE,
            };
            match IntervalLogIterator::new(line).next() {
                None => {}
                Some(Err(_)) => return Err(bad(line_problem(line))),
                Some(Ok(LogEntry::StartTime(time))) => log.start_time = Some(time.as_secs_f64()),
                Some(Ok(LogEntry::BaseTime(time))) => base_time = time.as_secs_f64(),
                Some(Ok(LogEntry::Interval(interval))) => {
                    let (entry, interval) = read_interval(&interval, base_time).map_err(bad)?;
                    log.push(entry, interval);
                }
            }
        }
        for (_, intervals) in &mut log.entries {
            intervals.sort_by(|a, b| a.start.total_cmp(&b.start));
        }
        Ok(log)
    }

    fn push(&mut self, entry: Entry, interval: Interval) {
        let at = *self.index.entry(entry.clone()).or_insert_with(|| {
            self.entries.push((entry, Vec::new()));
            self.entries.len() - 1
        });
        self.entries[at].1.push(interval);
    }

    /// The log's `StartTime`: when the run started (unix seconds), if the log says.
    pub fn start_time(&self) -> Option<f64> {
        self.start_time
    }

    /// Entries present (requests, then Aggregated).
    pub fn entries(&self) -> Vec<Entry> {
        let (aggregated, requests): (Vec<&Entry>, Vec<&Entry>) = self
            .entries
            .iter()
            .map(|(entry, _)| entry)
            .partition(|entry| entry.is_aggregated());
        requests.into_iter().chain(aggregated).cloned().collect()
    }

    /// The intervals of `entry` whose end `e` (start + length) satisfies `from < e <= to`, as
    /// (start unix seconds, histogram), by start. An interval ends at the `Timestamp` of the
    /// history rows written with it, so these are the requests counted between the history rows
    /// stamped `from` and `to`; `from` = −∞ and `to` = +∞ give the whole run.
    pub fn intervals(&self, entry: &Entry, from: f64, to: f64) -> Vec<(f64, &Histogram<u64>)> {
        self.within(entry, from, to)
            .map(|interval| (interval.start, interval.histogram()))
            .collect()
    }

    /// The sum of those intervals (None when none). HDR sums are exact: the whole run
    /// (−∞, +∞) holds every request of `_stats.csv`.
    pub fn histogram(&self, entry: &Entry, from: f64, to: f64) -> Option<Histogram<u64>> {
        let mut intervals = self.within(entry, from, to);
        let mut sum = intervals.next()?.histogram_once().into_owned();
        sum.auto(true);
        for interval in intervals {
            // Auto-resizing: only a range past what memory can index fails.
            sum.add(interval.histogram_once().as_ref()).ok()?;
        }
        Some(sum)
    }

    /// (start, end) of every interval of `entry`, by start, in unix seconds.
    pub fn spans(&self, entry: &Entry) -> Vec<(f64, f64)> {
        self.within(entry, f64::NEG_INFINITY, f64::INFINITY)
            .map(|interval| (interval.start, interval.end))
            .collect()
    }

    fn within<'a>(
        &'a self,
        entry: &Entry,
        from: f64,
        to: f64,
    ) -> impl Iterator<Item = &'a Interval> + 'a {
        let intervals = match self.index.get(entry) {
            Some(at) => self.entries[*at].1.as_slice(),
            None => &[],
        };
        intervals
            .iter()
            .filter(move |interval| from < interval.end && interval.end <= to)
    }
}

/// The entry and interval of one histogram line, or what is wrong with it.
fn read_interval(
    line: &IntervalLogHistogram<'_>,
    base_time: f64,
) -> Result<(Entry, Interval), String> {
    let tag = line
        .tag()
        .ok_or("a histogram without a tag (captest tags each: METHOD%20name or Aggregated)")?;
    let entry = Entry::from_hdr_tag(tag.as_str()).map_err(|e| e.to_string())?;
    let bytes = BASE64_STANDARD
        .decode(line.encoded_histogram())
        .map_err(|e| format!("tag {:?}: the histogram is not base64: {e}", tag.as_str()))?;
    decode(&bytes)
        .map_err(|e| format!("tag {:?}: the histogram does not decode: {e}", tag.as_str()))?;
    let start = base_time + line.start_timestamp().as_secs_f64();
    let interval = Interval {
        start,
        end: start + line.duration().as_secs_f64(),
        bytes,
        decoded: OnceLock::new(),
    };
    Ok((entry, interval))
}

/// A serialized histogram (V2, compressed or not).
fn decode(bytes: &[u8]) -> Result<Histogram<u64>, String> {
    Deserializer::new()
        .deserialize(&mut &bytes[..])
        .map_err(|e| format!("{e:?}"))
}

/// What is wrong with a line the interval-log parser refused.
fn line_problem(line: &[u8]) -> String {
    if !line.ends_with(b"\n") {
        return "the line is cut (no line feed at the end of the file)".to_owned();
    }
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    let shown: String = text.chars().take(60).collect();
    let more = if shown.len() < text.len() { "…" } else { "" };
    format!("{shown:?}{more} is not an interval-log line")
}

#[cfg(test)]
mod tests;

//! `PREFIX_latency.hdr`: the run's full-resolution response-time histograms in HdrHistogram's
//! interval-log format (V2 deflate-compressed, base64), one histogram per entry plus Aggregated,
//! so later tools can merge runs exactly. Values are microseconds; the log's max column is in ms.
//! Tags are `METHOD name` with space, comma, CR, LF and `%` percent-encoded (`GET%20/items`).

use std::path::Path;
use std::time::{Duration, UNIX_EPOCH};

use hdrhistogram::serialization::interval_log::{IntervalLogWriterBuilder, Tag};
use hdrhistogram::serialization::V2DeflateSerializer;

use captest_format::AGGREGATED;

use crate::error::RunnerError;
use crate::metrics::RunStats;

/// Percent-encodes the characters an interval-log tag may not hold.
pub fn encode_tag(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '%' => out.push_str("%25"),
            ' ' => out.push_str("%20"),
            ',' => out.push_str("%2C"),
            '\r' => out.push_str("%0D"),
            '\n' => out.push_str("%0A"),
            c => out.push(c),
        }
    }
    out
}

/// Writes the histograms of `stats` to `path`.
pub fn write_hdr_log(path: &Path, stats: &RunStats, end_epoch: f64) -> Result<(), RunnerError> {
    let to_io = |e: String| RunnerError::io(path, std::io::Error::other(e));
    let start = UNIX_EPOCH + Duration::from_secs_f64(stats.start().max(0.0));
    let duration = Duration::from_secs_f64((end_epoch - stats.start()).max(0.0));
    let mut buffer = Vec::new();
    let mut serializer = V2DeflateSerializer::new();
    {
        let mut writer = IntervalLogWriterBuilder::new()
            .add_comment("captest latency histograms: values in microseconds, max column in ms")
            .add_comment("tags: METHOD name, percent-encoded; 'Aggregated' sums every entry")
            .with_start_time(start)
            .with_base_time(start)
            .with_max_value_divisor(1_000.0)
            .begin_log_with(&mut buffer, &mut serializer)
            .map_err(|e| to_io(e.to_string()))?;
        let mut rows: Vec<(String, &hdrhistogram::Histogram<u64>)> = stats
            .sorted_entries()
            .into_iter()
            .map(|(key, entry)| (encode_tag(&key.to_string()), &entry.total.hdr))
            .collect();
        rows.push((AGGREGATED.to_owned(), &stats.total().total.hdr));
        for (tag, histogram) in rows {
            writer
                .write_histogram(histogram, Duration::ZERO, duration, Tag::new(&tag))
                .map_err(|e| to_io(format!("{e:?}")))?;
        }
    }
    std::fs::write(path, buffer).map_err(|e| RunnerError::io(path, e))
}

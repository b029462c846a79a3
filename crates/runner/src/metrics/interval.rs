//! Statistics of one entry over one interval (one second of one worker thread): the unit that
//! worker shards fill and the aggregator merges.

use std::ops::AddAssign;

use hdrhistogram::Histogram;

use crate::locust::LocustBuckets;

/// Significant digits of the HDR histograms (0.1 % relative resolution).
pub const HDR_SIGNIFICANT_DIGITS: u8 = 3;

/// A new auto-resizing HDR histogram of response times in microseconds.
pub fn new_latency_histogram() -> Histogram<u64> {
    // 3 significant digits is a valid precision, so this cannot fail.
    Histogram::new(HDR_SIGNIFICANT_DIGITS).expect("3 significant digits is a valid HDR precision")
}

/// Counts, times and distributions of one entry over one interval.
#[derive(Debug, Clone)]
pub struct IntervalStats {
    /// Requests completed (failed ones included, as in Locust).
    pub requests: u64,
    /// Requests that failed.
    pub failures: u64,
    /// Sum of response times, nanoseconds.
    pub sum_ns: u64,
    /// Smallest response time, nanoseconds (`u64::MAX` when empty).
    pub min_ns: u64,
    /// Largest response time, nanoseconds.
    pub max_ns: u64,
    /// Sum of response body lengths, bytes.
    pub content_bytes: u64,
    /// Response times in Locust's buckets.
    pub buckets: LocustBuckets,
    /// Response times at full resolution, microseconds.
    pub hdr: Histogram<u64>,
    /// Business events delivered by the successful requests.
    pub events: f64,
}

impl Default for IntervalStats {
    fn default() -> Self {
        IntervalStats {
            requests: 0,
            failures: 0,
            sum_ns: 0,
            min_ns: u64::MAX,
            max_ns: 0,
            content_bytes: 0,
            buckets: LocustBuckets::default(),
            hdr: new_latency_histogram(),
            events: 0.0,
        }
    }
}

impl IntervalStats {
    /// Records one request.
    #[inline]
    pub fn record(&mut self, elapsed_ns: u64, content_length: u64, failed: bool) {
        self.requests += 1;
        self.failures += u64::from(failed);
        self.sum_ns += elapsed_ns;
        self.min_ns = self.min_ns.min(elapsed_ns);
        self.max_ns = self.max_ns.max(elapsed_ns);
        self.content_bytes += content_length;
        self.buckets.record_ns(elapsed_ns);
        // Auto-resizing: `record` grows the range (saturating_record would clamp instead).
        let _ = self.hdr.record(elapsed_ns / 1_000);
    }

    /// True when nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.requests == 0
    }

    /// Empties the interval, keeping its memory for the next one.
    pub fn clear(&mut self) {
        self.requests = 0;
        self.failures = 0;
        self.sum_ns = 0;
        self.min_ns = u64::MAX;
        self.max_ns = 0;
        self.content_bytes = 0;
        self.buckets.clear();
        // Zeroing the whole counts array is most of the cost; an empty one is zero already.
        if !self.hdr.is_empty() {
            self.hdr.reset();
        }
        self.events = 0.0;
    }
}

impl IntervalStats {
    /// Adds `other`'s counts, sums, extremes and Locust buckets, not its HDR histogram (a run's
    /// cumulative totals: see [`crate::metrics::EntryStats::total`]).
    pub fn add_counts(&mut self, other: &IntervalStats) {
        if other.is_empty() {
            return;
        }
        self.requests += other.requests;
        self.failures += other.failures;
        self.sum_ns += other.sum_ns;
        self.min_ns = self.min_ns.min(other.min_ns);
        self.max_ns = self.max_ns.max(other.max_ns);
        self.content_bytes += other.content_bytes;
        self.events += other.events;
        self.buckets.add(&other.buckets);
    }
}

impl AddAssign<&IntervalStats> for IntervalStats {
    fn add_assign(&mut self, other: &IntervalStats) {
        if other.is_empty() {
            return;
        }
        self.add_counts(other);
        // Both histograms auto-resize, so adding cannot run out of range.
        let _ = self.hdr.add(&other.hdr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hdr_keeps_large_values_at_full_resolution() {
        let mut interval = IntervalStats::default();
        interval.record(20_000_000, 0, false);
        interval.record(3_000_000_000, 0, false);
        let mut merged = IntervalStats::default();
        merged += &interval;
        assert_eq!(merged.hdr.len(), 2);
        let low = merged.hdr.value_at_quantile(0.25);
        let high = merged.hdr.value_at_quantile(1.0);
        assert!((19_980..=20_020).contains(&low), "{low}");
        assert!((2_997_000..=3_003_000).contains(&high), "{high}");
    }
}

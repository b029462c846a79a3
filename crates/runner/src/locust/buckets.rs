//! Locust's bucketed response-time distribution and the percentile and median rules it applies.
//!
//! Locust keeps `{rounded_ms: count}`: below 100 ms rounded to 1 ms, below 1 000 ms to 10 ms, below
//! 10 000 ms to 100 ms, above that to 1 000 ms (Python `round`, ties to even). Its percentiles are the
//! bucket of the (⌊n·p⌋+1)-th smallest sample; its median walks the buckets from the bottom. We keep the
//! same buckets (a dense array, so recording is an index and an add) so that what we write in
//! Locust's columns is the number Locust would have written for the same samples.

/// Nanoseconds per millisecond.
const NS_PER_MS: u64 = 1_000_000;
/// Index of the first bucket of the 10 ms band (keys 100, 110, … 1 000).
const BAND_10MS_START: usize = 100;
/// Index of the first bucket of the 100 ms band (keys 1 000, 1 100, … 10 000).
const BAND_100MS_START: usize = BAND_10MS_START + 90;
/// Index of the first bucket of the 1 s band (keys 10 000, 11 000, …).
const BAND_1S_START: usize = BAND_100MS_START + 90;

/// The highest dense index read back from a file (the 1 s band up to one day).
const MAX_INDEX: usize = BAND_1S_START + 86_400;

/// Rounds `ns / unit_ns` to the nearest integer, ties to even (Python's `round`).
fn round_half_even(ns: u64, unit_ns: u64) -> u64 {
    let quotient = ns / unit_ns;
    let remainder = ns % unit_ns;
    let half = unit_ns / 2;
    if remainder > half || (remainder == half && quotient % 2 == 1) {
        quotient + 1
    } else {
        quotient
    }
}

/// The Locust bucket key, in whole milliseconds, of a response time given in nanoseconds.
pub fn bucket_key_ms(ns: u64) -> u64 {
    if ns < 100 * NS_PER_MS {
        round_half_even(ns, NS_PER_MS)
    } else if ns < 1_000 * NS_PER_MS {
        round_half_even(ns, 10 * NS_PER_MS) * 10
    } else if ns < 10_000 * NS_PER_MS {
        round_half_even(ns, 100 * NS_PER_MS) * 100
    } else {
        round_half_even(ns, 1_000 * NS_PER_MS) * 1_000
    }
}

/// Dense index of a bucket key (ms) produced by [`bucket_key_ms`].
fn index_of_key(key_ms: u64) -> usize {
    let key = key_ms as usize;
    if key < 100 {
        key
    } else if key < 1_000 {
        BAND_10MS_START + (key - 100) / 10
    } else if key < 10_000 {
        BAND_100MS_START + (key - 1_000) / 100
    } else {
        BAND_1S_START + (key - 10_000) / 1_000
    }
}

/// Bucket key (ms) at a dense index; the inverse of [`index_of_key`].
fn key_of_index(index: usize) -> u64 {
    let key = if index < BAND_10MS_START {
        index
    } else if index < BAND_100MS_START {
        100 + (index - BAND_10MS_START) * 10
    } else if index < BAND_1S_START {
        1_000 + (index - BAND_100MS_START) * 100
    } else {
        10_000 + (index - BAND_1S_START) * 1_000
    };
    key as u64
}

/// Counts of response times per Locust bucket (what Locust calls `response_times`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LocustBuckets {
    counts: Vec<u64>,
    total: u64,
}

impl LocustBuckets {
    /// Records one response time, in nanoseconds.
    #[inline]
    pub fn record_ns(&mut self, ns: u64) {
        let index = index_of_key(bucket_key_ms(ns));
        if index >= self.counts.len() {
            self.counts.resize(index + 1, 0);
        }
        self.counts[index] += 1;
        self.total += 1;
    }

    /// Number of recorded response times.
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Adds every count of `other` (merging shards or seconds).
    pub fn add(&mut self, other: &LocustBuckets) {
        if other.counts.len() > self.counts.len() {
            self.counts.resize(other.counts.len(), 0);
        }
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        self.total += other.total;
    }

    /// The counts recorded since `earlier` was copied from this distribution (Locust's
    /// `diff_response_time_dicts`, used for the ~10 s "current" window).
    pub fn since(&self, earlier: &LocustBuckets) -> LocustBuckets {
        let counts: Vec<u64> = self
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| c.saturating_sub(earlier.counts.get(i).copied().unwrap_or(0)))
            .collect();
        let total = counts.iter().sum();
        LocustBuckets { counts, total }
    }

    /// The non-zero counts as (dense index, count) pairs, lowest first (a shard bundle's form).
    pub fn index_counts(&self) -> Vec<(usize, u64)> {
        self.counts
            .iter()
            .enumerate()
            .filter(|(_, count)| **count > 0)
            .map(|(index, count)| (index, *count))
            .collect()
    }

    /// The total of `pairs` ((dense index, count), as [`index_counts`](Self::index_counts) gives
    /// them) when every index is one of Locust's buckets and the total fits in a `u64`.
    pub fn index_counts_total(pairs: &[(usize, u64)]) -> Option<u64> {
        pairs.iter().try_fold(0u64, |total, &(index, count)| {
            (index <= MAX_INDEX).then(|| total.checked_add(count))?
        })
    }

    /// Adds `pairs` ((dense index, count), each index checked by
    /// [`index_counts_total`](Self::index_counts_total)); an index past Locust's buckets is
    /// left out.
    pub fn add_index_counts(&mut self, pairs: &[(usize, u64)]) {
        for &(index, count) in pairs {
            if index > MAX_INDEX {
                continue;
            }
            if index >= self.counts.len() {
                self.counts.resize(index + 1, 0);
            }
            self.counts[index] += count;
            self.total += count;
        }
    }

    /// Empties the distribution, keeping its memory.
    pub fn clear(&mut self) {
        self.counts.iter_mut().for_each(|c| *c = 0);
        self.total = 0;
    }

    /// Locust's `calculate_response_time_percentile`: the bucket (ms) holding the (⌊n·p⌋+1)-th
    /// smallest sample, where `n` is `num_requests` (Locust passes the request count, not the sum of
    /// the buckets). 0 when nothing qualifies. `percent` is a fraction (0.95).
    pub fn percentile_ms(&self, num_requests: u64, percent: f64) -> u64 {
        let wanted = (num_requests as f64 * percent).floor() as u64;
        let mut processed = 0u64;
        for (index, count) in self.counts.iter().enumerate().rev() {
            if *count == 0 {
                continue;
            }
            processed += count;
            if num_requests.saturating_sub(processed) <= wanted {
                return key_of_index(index);
            }
        }
        0
    }

    /// Locust's `median_from_dict` over `total` samples: walks buckets from the bottom. Returns
    /// `None` when the distribution is empty (Locust then writes 0).
    pub fn median_ms(&self, total: u64) -> Option<u64> {
        if self.total == 0 {
            return None;
        }
        let mut position = (total as f64 - 1.0) / 2.0;
        let mut last = None;
        for (index, count) in self.counts.iter().enumerate() {
            if *count == 0 {
                continue;
            }
            last = Some(key_of_index(index));
            if position < *count as f64 {
                return last;
            }
            position -= *count as f64;
        }
        last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(value: f64) -> u64 {
        (value * NS_PER_MS as f64).round() as u64
    }

    #[test]
    fn index_counts_add_back_and_bad_ones_are_refused() {
        let mut recorded = LocustBuckets::default();
        for value in [3.0, 3.0, 27.26, 150.0, 2_500.0] {
            recorded.record_ns(ms(value));
        }
        let pairs = recorded.index_counts();
        assert_eq!(LocustBuckets::index_counts_total(&pairs), Some(5));
        let mut added = LocustBuckets::default();
        added.add_index_counts(&pairs);
        assert_eq!(added.index_counts(), pairs);
        assert_eq!(added.total(), 5);
        assert_eq!(
            LocustBuckets::index_counts_total(&[(MAX_INDEX + 1, 1)]),
            None
        );
        assert_eq!(
            LocustBuckets::index_counts_total(&[(0, u64::MAX), (1, 1)]),
            None,
            "a total past u64"
        );
    }

    #[test]
    fn bucket_keys_round_like_locust() {
        assert_eq!(bucket_key_ms(ms(27.26)), 27);
        assert_eq!(bucket_key_ms(ms(27.5)), 28);
        assert_eq!(bucket_key_ms(ms(28.5)), 28, "ties go to even");
        assert_eq!(bucket_key_ms(ms(99.6)), 100);
        assert_eq!(bucket_key_ms(ms(147.0)), 150);
        assert_eq!(bucket_key_ms(ms(125.0)), 120, "ties go to even");
        assert_eq!(bucket_key_ms(ms(3432.0)), 3400);
        assert_eq!(bucket_key_ms(ms(58760.0)), 59000);
        assert_eq!(bucket_key_ms(0), 0);
    }

    #[test]
    fn every_key_maps_to_an_index_and_back() {
        for key in (0..100)
            .chain((100..1000).step_by(10))
            .chain((1000..10000).step_by(100))
        {
            assert_eq!(key_of_index(index_of_key(key)), key);
        }
        assert_eq!(key_of_index(index_of_key(59_000)), 59_000);
    }

    #[test]
    fn percentiles_follow_locust_rank_rule() {
        let mut buckets = LocustBuckets::default();
        for value in 1..=100u64 {
            buckets.record_ns(value * NS_PER_MS);
        }
        // n = 100: p50 is the 51st smallest, p99 the 100th, p100 the max.
        assert_eq!(buckets.percentile_ms(100, 0.5), 51);
        assert_eq!(buckets.percentile_ms(100, 0.95), 96);
        assert_eq!(buckets.percentile_ms(100, 0.99), 100);
        assert_eq!(buckets.percentile_ms(100, 1.0), 100);
        assert_eq!(buckets.median_ms(100), Some(50));
    }

    #[test]
    fn window_difference_keeps_only_newer_samples() {
        let mut buckets = LocustBuckets::default();
        buckets.record_ns(ms(10.0));
        let earlier = buckets.clone();
        buckets.record_ns(ms(500.0));
        let window = buckets.since(&earlier);
        assert_eq!(window.total(), 1);
        assert_eq!(window.percentile_ms(1, 0.5), 500);
    }
}

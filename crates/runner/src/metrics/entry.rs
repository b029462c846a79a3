//! Cumulative statistics of one entry (or of the Aggregated row) plus the short per-second windows
//! Locust's "current" figures are computed from.

use std::collections::VecDeque;

use super::interval::IntervalStats;
use crate::locust::LocustBuckets;

/// Width of Locust's "current" percentile window, seconds (`CURRENT_RESPONSE_TIME_PERCENTILE_WINDOW`).
pub const CURRENT_WINDOW_SECONDS: i64 = 10;
/// How many per-second counts and distribution snapshots are kept (Locust keeps window + 10).
const WINDOW_MEMORY_SECONDS: usize = 20;

/// A copy of the cumulative distribution at the end of a second (Locust's `CachedResponseTimes`).
#[derive(Debug, Clone)]
struct CachedDistribution {
    second: i64,
    buckets: LocustBuckets,
    requests: u64,
}

/// Requests and failures completed within one wall-clock second.
#[derive(Debug, Clone, Copy)]
struct SecondCounts {
    second: i64,
    requests: u64,
    failures: u64,
}

/// Statistics of one entry since the start of the run.
#[derive(Debug, Clone)]
pub struct EntryStats {
    /// Everything recorded so far (cumulative): counts, sums, extremes and Locust's buckets
    /// (which every percentile of the files and the console comes from). Its `hdr` stays empty:
    /// response times at full resolution are kept per second (`_latency.hdr`, the steps' own
    /// histograms), and adding each second's into a run-long one cost a pass over the whole
    /// counts array per entry and second that nothing read.
    pub total: IntervalStats,
    per_second: VecDeque<SecondCounts>,
    cache: VecDeque<CachedDistribution>,
    last_second: Option<i64>,
}

impl EntryStats {
    /// An entry that comes into being at `second` (epoch seconds), as Locust's `StatsEntry.reset`
    /// does: it caches an empty distribution for that second.
    pub fn new(second: i64) -> Self {
        let mut cache = VecDeque::with_capacity(WINDOW_MEMORY_SECONDS + 1);
        cache.push_back(CachedDistribution {
            second,
            buckets: LocustBuckets::default(),
            requests: 0,
        });
        EntryStats {
            total: IntervalStats::default(),
            per_second: VecDeque::with_capacity(WINDOW_MEMORY_SECONDS + 1),
            cache,
            last_second: None,
        }
    }

    /// Adds what was recorded during wall-clock `second` (epoch seconds).
    pub fn absorb(&mut self, second: i64, interval: &IntervalStats) {
        if interval.is_empty() {
            return;
        }
        // Locust caches the distribution as it stood at the end of the previous second when the
        // first request of a new second arrives.
        if matches!(self.last_second, Some(previous) if second > previous) {
            self.cache_distribution(second - 1);
        }
        self.total.add_counts(interval);
        self.last_second = Some(second);
        match self.per_second.back_mut() {
            Some(last) if last.second == second => {
                last.requests += interval.requests;
                last.failures += interval.failures;
            }
            _ => self.per_second.push_back(SecondCounts {
                second,
                requests: interval.requests,
                failures: interval.failures,
            }),
        }
        while self.per_second.len() > WINDOW_MEMORY_SECONDS {
            self.per_second.pop_front();
        }
    }

    fn cache_distribution(&mut self, second: i64) {
        self.cache.retain(|c| c.second != second);
        self.cache.push_back(CachedDistribution {
            second,
            buckets: self.total.buckets.clone(),
            requests: self.total.requests,
        });
        while self.cache.len() > WINDOW_MEMORY_SECONDS {
            self.cache.pop_front();
        }
    }

    /// Mean requests (or failures) per second over Locust's "current" slice: the whole seconds
    /// from max(last − 12, start) up to, not including, last − 2 (`StatsEntry.current_rps`), where
    /// `last` and `start` are the run's last-request and start times (epoch seconds).
    fn current_rate(&self, last_request: Option<f64>, start: f64, failures: bool) -> f64 {
        let Some(last) = last_request else {
            return 0.0;
        };
        let last = last.floor() as i64;
        let from = (last - 12).max(start.floor() as i64);
        let to = last - 2;
        let seconds = (to - from).max(0);
        let sum: u64 = self
            .per_second
            .iter()
            .filter(|c| c.second >= from && c.second < to)
            .map(|c| if failures { c.failures } else { c.requests })
            .sum();
        sum as f64 / seconds.max(1) as f64
    }

    /// Locust's `current_rps` (requests per second over the last ~10 s).
    pub fn current_rps(&self, last_request: Option<f64>, start: f64) -> f64 {
        self.current_rate(last_request, start, false)
    }

    /// Locust's `current_fail_per_sec`.
    pub fn current_fail_per_sec(&self, last_request: Option<f64>, start: f64) -> f64 {
        self.current_rate(last_request, start, true)
    }

    /// Locust's `get_current_response_time_percentile` at wall-clock second `now`: the percentile of
    /// the requests since the cached distribution closest to `now − 10 s` (searched t−10, t−11,
    /// t−9, … within ±8 s). `None` when no snapshot is close enough (Locust then writes 0).
    pub fn current_percentile_ms(&self, now: i64, percent: f64) -> Option<u64> {
        let target = now - CURRENT_WINDOW_SECONDS;
        let candidates =
            std::iter::once(target).chain((1..9).flat_map(|i| [target - i, target + i]));
        for second in candidates {
            if let Some(cached) = self.cache.iter().find(|c| c.second == second) {
                let window = self.total.buckets.since(&cached.buckets);
                let requests = self.total.requests - cached.requests;
                return Some(window.percentile_ms(requests, percent));
            }
        }
        None
    }

    /// Locust's cumulative `get_response_time_percentile`, in ms.
    pub fn percentile_ms(&self, percent: f64) -> u64 {
        self.total
            .buckets
            .percentile_ms(self.total.requests, percent)
    }

    /// Smallest response time, ms (`None` without requests).
    pub fn min_ms(&self) -> Option<f64> {
        (self.total.requests > 0).then(|| self.total.min_ns as f64 / 1e6)
    }

    /// Largest response time, ms (`None` without requests).
    pub fn max_ms(&self) -> Option<f64> {
        (self.total.requests > 0).then(|| self.total.max_ns as f64 / 1e6)
    }

    /// Mean response time, ms (0 without requests).
    pub fn avg_ms(&self) -> f64 {
        if self.total.requests == 0 {
            0.0
        } else {
            self.total.sum_ns as f64 / 1e6 / self.total.requests as f64
        }
    }

    /// Locust's median: the bucketed median, clamped to the exact [min, max] (so with very few
    /// requests it is the exact min or max). `None` without requests.
    pub fn median_ms(&self) -> Option<Median> {
        let bucketed = self.total.buckets.median_ms(self.total.requests)?;
        let (min, max) = (self.min_ms()?, self.max_ms()?);
        let value = bucketed as f64;
        Some(if value > max {
            Median::Exact(max)
        } else if value < min {
            Median::Exact(min)
        } else {
            Median::Bucketed(bucketed)
        })
    }
}

/// A median as Locust writes it: usually a bucket (an integer), an exact float when clamped.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Median {
    /// A bucket key in whole milliseconds.
    Bucketed(u64),
    /// The exact min or max response time, ms.
    Exact(f64),
}

impl Median {
    /// The value in ms.
    pub fn as_ms(self) -> f64 {
        match self {
            Median::Bucketed(ms) => ms as f64,
            Median::Exact(ms) => ms,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn interval(times_ms: &[u64], failures: u64) -> IntervalStats {
        let mut stats = IntervalStats::default();
        for (i, ms) in times_ms.iter().enumerate() {
            stats.record(ms * 1_000_000, 10, (i as u64) < failures);
        }
        stats
    }

    #[test]
    fn current_rps_averages_the_locust_slice() {
        let mut entry = EntryStats::new(100);
        for second in 100..=120 {
            entry.absorb(second, &interval(&[5; 10], 1));
        }
        // last request at 120.5: slice 108..118 → 10 seconds of 10 requests.
        assert_eq!(entry.current_rps(Some(120.5), 100.2), 10.0);
        assert_eq!(entry.current_fail_per_sec(Some(120.5), 100.2), 1.0);
        // early in the run the slice starts at the run start, and is empty at first.
        let mut early = EntryStats::new(100);
        for second in 100..=103 {
            early.absorb(second, &interval(&[5; 10], 1));
        }
        assert_eq!(early.current_rps(Some(102.5), 100.2), 0.0);
        assert_eq!(early.current_rps(Some(103.5), 100.2), 10.0);
    }

    #[test]
    fn current_percentile_needs_a_snapshot_two_seconds_old() {
        let mut entry = EntryStats::new(100);
        entry.absorb(100, &interval(&[10], 0));
        assert_eq!(entry.current_percentile_ms(101, 0.5), None);
        assert_eq!(entry.current_percentile_ms(102, 0.5), Some(10));
        entry.absorb(101, &interval(&[50, 50], 0));
        // snapshot of second 100 holds the first request: the window has only the two 50 ms ones.
        assert_eq!(entry.current_percentile_ms(103, 0.5), Some(50));
    }

    #[test]
    fn median_is_clamped_to_exact_min_and_max() {
        let mut entry = EntryStats::new(0);
        let mut one = IntervalStats::default();
        one.record(27_260_444, 0, false);
        entry.absorb(0, &one);
        assert_eq!(entry.median_ms(), Some(Median::Exact(27.260444)));
    }
}

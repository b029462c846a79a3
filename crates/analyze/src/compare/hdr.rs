//! captest runs' exact response times for the noise tests: the HDR histograms of `_latency.hdr`
//! over the compared requests as a [`LatencyDistribution`], and a moving-block bootstrap over the
//! window's one-second histograms (Künsch 1989), which sees what the order statistics of
//! independent requests cannot: drift and bursts within the run. Blocks are ⌈k^⅓⌉ consecutive
//! seconds of a k-second window (the n^⅓ rate of Hall, Horowitz & Jing 1995), [`RESAMPLES`]
//! resamples drawn with a fixed seed, so a comparison is deterministic.

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use captest_format::{Entry, Warmup};

use crate::run::Run;

use super::distribution::LatencyDistribution;
use super::measure::steady_rows;
use super::window::Source;

/// Microseconds (the histograms' unit) per millisecond.
const US_PER_MS: f64 = 1_000.0;

/// Resamples of the block bootstrap.
pub const RESAMPLES: usize = 400;

/// The bootstrap's seed (fixed: the same runs give the same p-values).
const SEED: u64 = 0x20;

/// Points of the grid of values a resample's quantile is read on.
const GRID: usize = 401;

/// A histogram of response times (µs) read as a distribution in ms.
#[derive(Debug, Clone)]
pub struct HdrDistribution(pub Histogram<u64>);

impl LatencyDistribution for HdrDistribution {
    fn count(&self) -> f64 {
        self.0.len() as f64
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        (!self.0.is_empty()).then(|| self.0.value_at_quantile(q.clamp(0.0, 1.0)) as f64 / US_PER_MS)
    }

    fn cdf(&self, ms: f64) -> f64 {
        if self.0.is_empty() {
            return 0.0;
        }
        self.0.quantile_below((ms * US_PER_MS).max(0.0) as u64)
    }
}

/// The compared requests of `entry` in a captest run's latency log: its one-second histograms
/// ending in the steady window (after its first history row, up to its last) when the value came
/// from the history, else every one; `None` without a log or without the entry in it.
pub fn intervals<'a>(
    run: &'a Run,
    entry: &Entry,
    source: Source,
    warmup: Warmup,
) -> Option<Vec<(f64, &'a Histogram<u64>)>> {
    let log = run.latency.as_ref()?;
    let (from, to) = match source {
        Source::History => {
            let rows = steady_rows(run, entry, warmup)?;
            (rows.first()?.timestamp, rows.last()?.timestamp)
        }
        Source::Stats => (f64::NEG_INFINITY, f64::INFINITY),
    };
    let intervals = log.intervals(entry, from, to);
    (!intervals.is_empty()).then_some(intervals)
}

/// The sum of `intervals`: the window's exact distribution.
pub fn window_histogram(intervals: &[(f64, &Histogram<u64>)]) -> Option<HdrDistribution> {
    let mut iter = intervals.iter();
    let mut sum = iter.next()?.1.clone();
    sum.auto(true);
    for (_, histogram) in iter {
        sum.add(*histogram).ok()?;
    }
    Some(HdrDistribution(sum))
}

/// The number of consecutive seconds in a block of a `k`-second window: ⌈k^⅓⌉.
pub fn block_length(k: usize) -> usize {
    ((k as f64).cbrt().ceil() as usize).clamp(1, k.max(1))
}

/// The standard deviation of `values` (n − 1), if there are two.
fn standard_deviation(values: &[f64]) -> Option<f64> {
    let n = values.len() as f64;
    if values.len() < 2 {
        return None;
    }
    let mean = values.iter().sum::<f64>() / n;
    Some((values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt())
}

/// Draws the block bootstrap of a `k`-second window: [`RESAMPLES`] times, ⌈k/b⌉ blocks of `b`
/// consecutive seconds drawn with replacement, each resample summarized by `statistic` from the
/// drawn blocks' first seconds and `b`.
fn resample(k: usize, mut statistic: impl FnMut(&[usize], usize) -> Option<f64>) -> Vec<f64> {
    let block = block_length(k);
    let blocks = k.div_ceil(block);
    let mut rng = StdRng::seed_from_u64(SEED);
    let mut starts = vec![0; blocks];
    (0..RESAMPLES)
        .filter_map(|_| {
            for start in starts.iter_mut() {
                *start = rng.random_range(0..=k - block);
            }
            statistic(&starts, block)
        })
        .collect()
}

/// Running sums of `rows` (one row of counts per interval): entry `i` is the sum of rows `..i`,
/// so a block of seconds `s..s + b` sums to `sums[s + b] − sums[s]`.
fn prefix_sums(rows: impl Iterator<Item = Vec<f64>>, width: usize) -> Vec<Vec<f64>> {
    let mut sums = vec![vec![0.0; width]];
    for row in rows {
        let last = sums.last().cloned().unwrap_or_default();
        sums.push(last.iter().zip(&row).map(|(a, b)| a + b).collect());
    }
    sums
}

/// The sum over the drawn blocks of each column of `sums` ([`prefix_sums`]).
fn drawn_totals(sums: &[Vec<f64>], starts: &[usize], block: usize) -> Vec<f64> {
    let mut totals = vec![0.0; sums.first().map_or(0, Vec::len)];
    for start in starts {
        let (low, high) = (&sums[*start], &sums[start + block]);
        for ((total, h), l) in totals.iter_mut().zip(high).zip(low) {
            *total += h - l;
        }
    }
    totals
}

/// An interval's requests (column 0), then its requests at or below each value of `grid`
/// (ascending), in one pass over its recorded values.
fn counts_below(histogram: &Histogram<u64>, grid: &[u64]) -> Vec<f64> {
    let mut row = vec![0.0; grid.len() + 1];
    row[0] = histogram.len() as f64;
    for recorded in histogram.iter_recorded() {
        let at = grid.partition_point(|g| *g < recorded.value_iterated_to());
        if let Some(cell) = row.get_mut(at + 1) {
            *cell += recorded.count_at_value() as f64;
        }
    }
    for j in 2..row.len() {
        row[j] += row[j - 1];
    }
    row
}

/// The block-bootstrap standard error of the window's `q`-quantile, ms; `None` with fewer than
/// two intervals. Each interval's counts at or below a grid of the window's values around its
/// q-quantile (±max(0.05, 10·√(q(1−q)/n)) in probability) are summed per resample; a resample's
/// quantile is the first grid value its counts reach (clamped to the grid).
pub fn bootstrap_quantile_error(
    intervals: &[(f64, &Histogram<u64>)],
    whole: &HdrDistribution,
    q: f64,
) -> Option<f64> {
    let k = intervals.len();
    if k < 2 || whole.0.is_empty() {
        return None;
    }
    let width = (10.0 * (q * (1.0 - q) / whole.count()).sqrt()).max(0.05);
    let mut grid: Vec<u64> = (0..GRID)
        .map(|j| {
            let p = q - width + 2.0 * width * j as f64 / (GRID - 1) as f64;
            whole.0.value_at_quantile(p.clamp(0.0, 1.0))
        })
        .collect();
    grid.dedup();
    let rows = intervals.iter().map(|(_, h)| counts_below(h, &grid));
    let sums = prefix_sums(rows, grid.len() + 1);
    let estimates = resample(k, |starts, block| {
        let totals = drawn_totals(&sums, starts, block);
        let target = q * totals.first()?;
        let reached = totals[1..].iter().position(|below| *below >= target);
        let value = grid[reached.unwrap_or(grid.len() - 1)];
        Some(value as f64 / US_PER_MS)
    });
    standard_deviation(&estimates)
}

/// The standard error of the window's mean response time, ms: the larger of the independent
/// requests' (the histogram's standard deviation over √n) and the block bootstrap's over the
/// one-second intervals (their counts and sums resampled).
pub fn mean_error(intervals: &[(f64, &Histogram<u64>)]) -> Option<f64> {
    let whole = window_histogram(intervals)?;
    let independent = whole.0.stdev() / whole.count().sqrt() / US_PER_MS;
    let rows = intervals
        .iter()
        .map(|(_, h)| vec![h.len() as f64, h.mean() * h.len() as f64]);
    let sums = prefix_sums(rows, 2);
    let estimates = resample(intervals.len(), |starts, block| {
        let totals = drawn_totals(&sums, starts, block);
        (totals[0] > 0.0).then(|| totals[1] / totals[0] / US_PER_MS)
    });
    let bootstrap = standard_deviation(&estimates).unwrap_or(0.0);
    Some(independent.max(bootstrap))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compare::quantile::standard_error;

    /// One second of `n` responses spread evenly over `low..high` ms.
    fn second(n: u64, low: f64, high: f64) -> Histogram<u64> {
        let mut histogram = Histogram::new(3).expect("a histogram");
        for i in 0..n {
            let ms = low + (high - low) * i as f64 / n as f64;
            histogram.record((ms * US_PER_MS) as u64).expect("in range");
        }
        histogram
    }

    #[test]
    fn the_histogram_is_a_distribution_in_milliseconds() {
        let whole = HdrDistribution(second(1_000, 10.0, 20.0));
        assert_eq!(whole.count(), 1_000.0);
        let p95 = whole.quantile(0.95).expect("p95");
        assert!((p95 - 19.5).abs() < 0.02, "{p95}");
        assert!((whole.cdf(15.0) - 0.5).abs() < 0.002);
        assert_eq!(
            HdrDistribution(Histogram::new(3).expect("h")).quantile(0.5),
            None
        );
        assert_eq!(block_length(40), 4);
        assert_eq!(block_length(60), 4);
        assert_eq!(block_length(3_600), 16);
        assert_eq!(block_length(1), 1);
    }

    #[test]
    fn counts_below_the_grid_match_the_histogram() {
        let h = second(1_000, 1.0, 100.0);
        let grid: Vec<u64> = [0.1, 0.5, 0.95, 1.0]
            .iter()
            .map(|q| h.value_at_quantile(*q))
            .collect();
        let row = counts_below(&h, &grid);
        assert_eq!(row[0], 1_000.0);
        for (v, below) in grid.iter().zip(&row[1..]) {
            assert_eq!(*below, h.count_between(0, *v) as f64, "{v}");
        }
    }

    #[test]
    fn the_block_bootstrap_sees_drift_the_order_statistics_do_not() {
        // 40 seconds of 200 responses each: steady, then the same requests drifting upward by
        // 10 ms over the window (the same number of requests, so the same order statistics).
        let steady: Vec<Histogram<u64>> = (0..40).map(|_| second(200, 10.0, 30.0)).collect();
        let drifting: Vec<Histogram<u64>> = (0..40)
            .map(|s| {
                let shift = 10.0 * s as f64 / 40.0;
                second(200, 5.0 + shift, 25.0 + shift)
            })
            .collect();
        let error = |seconds: &[Histogram<u64>]| {
            let intervals: Vec<(f64, &Histogram<u64>)> = seconds
                .iter()
                .enumerate()
                .map(|(i, h)| (i as f64, h))
                .collect();
            let whole = window_histogram(&intervals).expect("a window");
            let order = standard_error(&whole, 0.95).expect("order statistics");
            let drift = bootstrap_quantile_error(&intervals, &whole, 0.95).expect("bootstrap");
            // Deterministic: the same window gives the same figure.
            let again = bootstrap_quantile_error(&intervals, &whole, 0.95).expect("bootstrap");
            assert_eq!(drift, again);
            (order, drift)
        };
        let (order, drift) = error(&steady);
        // Identical seconds: every resample is the window itself.
        assert!(drift < 0.05 * order, "{drift} vs {order}");
        let (order, drift) = error(&drifting);
        assert!(drift > 2.0 * order, "{drift} vs {order}");
        let means = |seconds: &[Histogram<u64>]| {
            let intervals: Vec<(f64, &Histogram<u64>)> = seconds
                .iter()
                .enumerate()
                .map(|(i, h)| (i as f64, h))
                .collect();
            mean_error(&intervals).expect("a mean error")
        };
        assert!(means(&drifting) > 2.0 * means(&steady));
    }
}

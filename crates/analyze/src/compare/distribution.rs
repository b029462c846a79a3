//! A run's response-time distribution for one entry, as the quantile test needs it: how many
//! requests it holds, its quantile function and its CDF. From Locust's (and captest's) files it is
//! the piecewise-linear CDF through the percentile columns: `_stats.csv` for the whole run, or the
//! current-window percentiles of the history rows in the steady window.

use captest_format::columns::PERCENTILES;

use crate::history::HistoryRow;
use crate::stats::StatsRow;
use crate::window_percentiles::WINDOW_PERCENTILES;

/// Seconds covered by one history row's current-window percentiles (Locust's ≈10 s window): rows
/// this far apart describe disjoint sets of requests.
const CURRENT_WINDOW_S: f64 = 10.0;

/// Bisection steps of a mixture's quantile: the bracket shrinks by 2⁻⁶⁰, far below a microsecond.
const BISECTION_STEPS: usize = 60;

/// A response-time distribution of `count` requests, ms.
pub trait LatencyDistribution {
    /// Requests the distribution was measured on.
    fn count(&self) -> f64;
    /// The `q`-quantile (`q` in 0..=1), ms; `None` when the distribution holds no value.
    fn quantile(&self, q: f64) -> Option<f64>;
    /// The fraction of requests at or below `ms`.
    fn cdf(&self, ms: f64) -> f64;
}

/// The step Locust rounds a response time to before its percentiles are taken (captest writes the
/// same): 1 ms below 100 ms, 10 ms below 1 s, 100 ms below 10 s, 1 s above.
pub fn locust_resolution_ms(ms: f64) -> f64 {
    match ms {
        m if m < 100.0 => 1.0,
        m if m < 1_000.0 => 10.0,
        m if m < 10_000.0 => 100.0,
        _ => 1_000.0,
    }
}

/// A CDF through knots (ms, fraction), linear between them: fraction 0 at the fastest response,
/// then each reported percentile.
#[derive(Debug, Clone, PartialEq)]
pub struct PiecewiseCdf {
    knots: Vec<(f64, f64)>,
    count: f64,
}

impl PiecewiseCdf {
    /// From the fastest response `min_ms` (fraction 0) and (fraction, ms) percentiles, for
    /// `count` requests; unknown percentiles are skipped, and a value below the previous knot's
    /// is raised to it so the CDF never decreases. `None` without a known percentile.
    pub fn new(min_ms: f64, percentiles: &[(f64, Option<f64>)], count: f64) -> Option<Self> {
        let mut knots = vec![(min_ms, 0.0)];
        for (fraction, ms) in percentiles {
            let Some(ms) = ms.filter(|v| v.is_finite()) else {
                continue;
            };
            let floor = knots.last().map_or(ms, |k| k.0);
            knots.push((ms.max(floor), *fraction));
        }
        (knots.len() > 1).then_some(PiecewiseCdf { knots, count })
    }

    /// The whole run's distribution of an entry from its `_stats.csv` row: Min Response Time
    /// (0 when absent), the percentile columns, n = Request Count.
    pub fn from_stats(row: &StatsRow) -> Option<Self> {
        let percentiles: Vec<(f64, Option<f64>)> = row
            .percentiles_ms
            .iter()
            .filter_map(|(label, ms)| {
                let percent: f64 = label.strip_suffix('%')?.parse().ok()?;
                Some((percent / 100.0, *ms))
            })
            .collect();
        PiecewiseCdf::new(row.min_ms.unwrap_or(0.0), &percentiles, row.requests)
    }

    /// One history row's current-window distribution, anchored at `min_ms`; `count` is 0 (the
    /// row's requests are not known exactly, only its rate).
    fn from_history_row(row: &HistoryRow, min_ms: f64) -> Option<Self> {
        let percentiles: Vec<(f64, Option<f64>)> = WINDOW_PERCENTILES
            .iter()
            .zip(PERCENTILES)
            .map(|(percent, fraction)| (fraction, row.percentile_ms(*percent)))
            .collect();
        PiecewiseCdf::new(min_ms, &percentiles, 0.0)
    }

    fn first_ms(&self) -> f64 {
        self.knots.first().map_or(0.0, |k| k.0)
    }

    fn last_ms(&self) -> f64 {
        self.knots.last().map_or(0.0, |k| k.0)
    }
}

impl LatencyDistribution for PiecewiseCdf {
    fn count(&self) -> f64 {
        self.count
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        let q = q.clamp(0.0, 1.0);
        let top = self.knots.last()?;
        if q >= top.1 {
            return Some(top.0);
        }
        let upper = self.knots.iter().position(|k| k.1 >= q)?;
        if upper == 0 {
            return Some(self.knots[0].0);
        }
        let ((x0, p0), (x1, p1)) = (self.knots[upper - 1], self.knots[upper]);
        Some(x0 + (x1 - x0) * (q - p0) / (p1 - p0))
    }

    fn cdf(&self, ms: f64) -> f64 {
        if ms < self.first_ms() {
            return 0.0;
        }
        let Some(upper) = self.knots.iter().position(|k| k.0 > ms) else {
            return self.knots.last().map_or(1.0, |k| k.1);
        };
        let ((x0, p0), (x1, p1)) = (self.knots[upper - 1], self.knots[upper]);
        p0 + (p1 - p0) * (ms - x0) / (x1 - x0)
    }
}

/// The steady window's distribution from a history: the current-window CDFs of rows at least
/// [`CURRENT_WINDOW_S`] apart (disjoint sets of requests), each weighted by its rate, and the
/// requests completed in the window as the count.
#[derive(Debug, Clone, PartialEq)]
pub struct WindowMixture {
    parts: Vec<(f64, PiecewiseCdf)>,
    count: f64,
}

impl WindowMixture {
    /// From the steady window's `rows` (in time order) and the run's fastest response `min_ms`;
    /// `None` when no row of the window has requests and percentiles.
    pub fn new(rows: &[&HistoryRow], min_ms: f64) -> Option<Self> {
        let mut next = f64::NEG_INFINITY;
        let mut parts = Vec::new();
        for row in rows {
            if row.timestamp < next || row.rps <= 0.0 {
                continue;
            }
            if let Some(cdf) = PiecewiseCdf::from_history_row(row, min_ms) {
                parts.push((row.rps, cdf));
                next = row.timestamp + CURRENT_WINDOW_S;
            }
        }
        let (first, last) = (rows.first()?, rows.last()?);
        let count = last.total_requests - first.total_requests;
        (!parts.is_empty() && count > 0.0).then_some(WindowMixture { parts, count })
    }
}

impl LatencyDistribution for WindowMixture {
    fn count(&self) -> f64 {
        self.count
    }

    fn quantile(&self, q: f64) -> Option<f64> {
        let q = q.clamp(0.0, 1.0);
        let mut low = self
            .parts
            .iter()
            .map(|(_, c)| c.first_ms())
            .reduce(f64::min)?;
        let mut high = self
            .parts
            .iter()
            .map(|(_, c)| c.last_ms())
            .reduce(f64::max)?;
        for _ in 0..BISECTION_STEPS {
            let middle = (low + high) / 2.0;
            if self.cdf(middle) >= q {
                high = middle;
            } else {
                low = middle;
            }
        }
        Some(high)
    }

    fn cdf(&self, ms: f64) -> f64 {
        let total: f64 = self.parts.iter().map(|(w, _)| w).sum();
        self.parts.iter().map(|(w, c)| w * c.cdf(ms)).sum::<f64>() / total
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cdf() -> PiecewiseCdf {
        // The percentile columns of DELETE /item/[id] in the Locust baseline (50 % … 100 %), above
        // a minimum of 4.2 ms.
        let columns = [26., 30., 33., 34., 44., 53., 59., 72., 77., 77., 77.];
        let percentiles: Vec<(f64, Option<f64>)> = PERCENTILES
            .iter()
            .zip(columns)
            .map(|(f, v)| (*f, Some(v)))
            .collect();
        PiecewiseCdf::new(4.2, &percentiles, 172.0).expect("knots")
    }

    #[test]
    fn the_piecewise_cdf_interpolates_between_the_columns_and_inverts() {
        let cdf = cdf();
        assert_eq!(cdf.quantile(0.95), Some(53.0));
        assert_eq!(cdf.quantile(0.0), Some(4.2));
        assert_eq!(cdf.quantile(1.0), Some(77.0));
        // Halfway between 90 % (44 ms) and 95 % (53 ms).
        assert!((cdf.quantile(0.925).expect("q") - 48.5).abs() < 1e-12);
        assert!((cdf.cdf(48.5) - 0.925).abs() < 1e-12);
        // 99.9 %, 99.99 % and 100 % are equal: the CDF reaches 1 there.
        assert_eq!(cdf.cdf(77.0), 1.0);
        assert_eq!(cdf.cdf(4.0), 0.0);
        for q in [0.1, 0.5, 0.7, 0.97, 0.995] {
            let x = cdf.quantile(q).expect("q");
            assert!((cdf.cdf(x) - q).abs() < 1e-12, "{q}");
        }
    }

    #[test]
    fn unknown_and_decreasing_columns_keep_the_cdf_monotone() {
        let cdf = PiecewiseCdf::new(
            1.0,
            &[(0.5, None), (0.9, Some(10.0)), (1.0, Some(8.0))],
            5.0,
        )
        .expect("knots");
        assert_eq!(cdf.quantile(1.0), Some(10.0));
        assert!(PiecewiseCdf::new(1.0, &[(0.5, None)], 5.0).is_none());
        assert_eq!(locust_resolution_ms(99.0), 1.0);
        assert_eq!(locust_resolution_ms(130.0), 10.0);
        assert_eq!(locust_resolution_ms(2_500.0), 100.0);
    }
}

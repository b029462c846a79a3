//! Is a change of a percentile beyond what both runs' sampling explains? The rank of the
//! q-quantile among n requests is binomial, so the order statistics at ranks
//! nq ± z·√(nq(1−q)) bound it distribution-free (Conover, *Practical Nonparametric Statistics*,
//! 3rd ed., 1999); half their distance over z is the quantile's standard error (McKean & Schrader
//! 1984), and the difference of two runs' quantiles is tested with the z statistic of Price &
//! Bonett (2002): (q̂₂ − q̂₁) / √(SE₁² + SE₂²). Ranks are mapped to milliseconds through each run's
//! [`LatencyDistribution`].

use statrs::distribution::{ContinuousCDF, Normal};

use captest_format::{Entry, Warmup};

use crate::run::Run;

use super::distribution::{locust_resolution_ms, LatencyDistribution, PiecewiseCdf, WindowMixture};
use super::measure::{stats_row, steady_rows};
use super::window::Source;

/// The name of the percentile test, as reported.
pub const QUANTILE_TEST: &str = "price-bonett";

/// The normal quantile of the order-statistic interval whose half-width gives the standard error
/// (95 %, as McKean & Schrader and Price & Bonett use).
const Z_95: f64 = 1.959_963_984_540_054;

/// The entry's response-time distribution over the same requests as its compared value: the
/// steady window's history rows when the value came from the history, else `_stats.csv`.
pub fn distribution(
    run: &Run,
    entry: &Entry,
    source: Source,
    warmup: Warmup,
) -> Option<Box<dyn LatencyDistribution>> {
    let row = stats_row(run, entry);
    match source {
        Source::History => {
            let rows = steady_rows(run, entry, warmup)?;
            let min_ms = row.and_then(|r| r.min_ms).unwrap_or(0.0);
            let mixture = WindowMixture::new(&rows, min_ms)?;
            Some(Box::new(mixture))
        }
        Source::Stats => Some(Box::new(PiecewiseCdf::from_stats(row?)?)),
    }
}

/// The standard error of the `q`-quantile of `distribution`, ms: the distance between the values
/// at ranks nq ± z·√(nq(1−q)) over 2z. Infinite when a rank falls outside 1..=n (fewer than
/// z²·q/(1−q) requests for an upper quantile: 73 for p95, 380 for p99, 3 838 for p99.9): the
/// requests cannot bound that quantile, so no change of it is significant. `None` without
/// requests or values.
pub fn standard_error(distribution: &dyn LatencyDistribution, q: f64) -> Option<f64> {
    let n = distribution.count();
    if n < 1.0 {
        return None;
    }
    let half = Z_95 * (q * (1.0 - q) / n).sqrt();
    if q - half < 0.0 || q + half > 1.0 {
        return Some(f64::INFINITY);
    }
    let low = distribution.quantile(q - half)?;
    let high = distribution.quantile(q + half)?;
    Some((high - low) / (2.0 * Z_95))
}

/// How much of the difference between two percentiles as Locust and captest write them can be
/// rounding alone: each value is within half a step of [`locust_resolution_ms`] of what it rounds
/// (a bounded error, not a random one: two runs of the same service may round its p95 of 7.5 ms
/// to 7 and 8 ms).
pub fn rounding_slack(baseline_ms: f64, current_ms: f64) -> f64 {
    (locust_resolution_ms(baseline_ms) + locust_resolution_ms(current_ms)) / 2.0
}

/// The two-sided p-value of a difference `delta` between two independent estimates with standard
/// errors `se_a` and `se_b` (normal approximation): 1 for no difference; `None` for a difference
/// between two exact values.
pub fn difference_p(delta: f64, se_a: f64, se_b: f64) -> Option<f64> {
    let se = (se_a * se_a + se_b * se_b).sqrt();
    if delta == 0.0 || se == f64::INFINITY {
        return Some(1.0);
    }
    if se.is_nan() || se == 0.0 {
        return None;
    }
    let z = delta.abs() / se;
    Some((2.0 * Normal::standard().sf(z)).min(1.0))
}

#[cfg(test)]
mod tests {
    use super::*;
    use captest_format::columns::PERCENTILES;

    fn run_cdf(columns: [f64; 11], min_ms: f64, n: f64) -> PiecewiseCdf {
        let percentiles: Vec<(f64, Option<f64>)> = PERCENTILES
            .iter()
            .zip(columns)
            .map(|(f, v)| (*f, Some(v)))
            .collect();
        PiecewiseCdf::new(min_ms, &percentiles, n).expect("knots")
    }

    #[test]
    fn matches_an_independent_computation() {
        // GET /item/[id] of the Locust fixtures: baseline (n = 1807) and current (n = 1866).
        // Reference (numpy 2 / scipy 1.17, written independently of this code):
        //   fr = [0,.5,.66,.75,.8,.9,.95,.98,.99,.999,.9999,1]
        //   def se(xs, n, q=.95):
        //       z = scipy.stats.norm.ppf(.975); h = z*np.sqrt(q*(1-q)/n)
        //       lo, hi = np.interp([q-h, q+h], fr, xs)
        //       return (hi-lo)/(2*z)
        //   b = se([18.035173999578546,28,33,38,41,50,57,68,77,98,110,110], 1807)
        //   c = se([21.14995900001304,31,37,41,45,55,64,78,84,120,120,120], 1866)
        //   b, c -> 1.2988531922727715, 1.6313286543538996
        //   # 57 vs 64 ms, each rounded to 1 ms: at least 7 - 1 = 6 ms apart
        //   2*scipy.stats.norm.sf(6/np.hypot(b, c)) -> 0.004010207053485265
        let b = run_cdf(
            [28., 33., 38., 41., 50., 57., 68., 77., 98., 110., 110.],
            18.035173999578546,
            1807.0,
        );
        let c = run_cdf(
            [31., 37., 41., 45., 55., 64., 78., 84., 120., 120., 120.],
            21.14995900001304,
            1866.0,
        );
        let (se_b, se_c) = (
            standard_error(&b, 0.95).expect("se"),
            standard_error(&c, 0.95).expect("se"),
        );
        assert!((se_b - 1.2988531922727715).abs() < 1e-9, "{se_b}");
        assert!((se_c - 1.6313286543538996).abs() < 1e-9, "{se_c}");
        assert_eq!(rounding_slack(57.0, 64.0), 1.0);
        let p = difference_p(7.0 - rounding_slack(57.0, 64.0), se_b, se_c).expect("p");
        assert!((p - 0.004010207053485265).abs() < 1e-9, "{p}");
        assert_eq!(rounding_slack(95.0, 130.0), 5.5);
    }

    #[test]
    fn fewer_requests_mean_a_wider_error_and_no_change_is_no_evidence() {
        let columns = [26., 30., 33., 34., 44., 53., 59., 72., 77., 77., 77.];
        let few = standard_error(&run_cdf(columns, 4.2, 100.0), 0.95).expect("se");
        let many = standard_error(&run_cdf(columns, 4.2, 10_000.0), 0.95).expect("se");
        assert!(few > 3.0 * many, "{few} vs {many}");
        assert_eq!(difference_p(0.0, few, few), Some(1.0));
        assert_eq!(difference_p(1.0, 0.0, 0.0), None);
        assert_eq!(difference_p(0.0, 0.0, 0.0), Some(1.0));
        assert!(standard_error(&run_cdf(columns, 4.2, 0.0), 0.95).is_none());
        // 72 requests cannot bound p95 (73 can), 3 837 cannot bound p99.9.
        let cdf = |n| run_cdf(columns, 4.2, n);
        assert_eq!(standard_error(&cdf(72.0), 0.95), Some(f64::INFINITY));
        assert!(standard_error(&cdf(73.0), 0.95).is_some_and(f64::is_finite));
        assert_eq!(standard_error(&cdf(3_837.0), 0.999), Some(f64::INFINITY));
        assert_eq!(difference_p(30.0, f64::INFINITY, 1.0), Some(1.0));
    }
}

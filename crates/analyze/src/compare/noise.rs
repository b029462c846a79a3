//! Which noise test a compared metric gets, and its raw p-value: percentiles by the order-statistic
//! test of [`quantile`](super::quantile) on each run's distribution (a captest run's exact HDR
//! histograms, with the block bootstrap of [`hdr`](super::hdr), else the CSV percentile columns);
//! avg of two captest runs by a Welch z test on their histograms; avg of other runs, rps, errors
//! and max by Mann-Whitney U on per-interval samples; events and fail_count by none.

use hdrhistogram::Histogram;

use captest_format::{Entry, Metric, Warmup};

use crate::run::Run;

use super::hdr;
use super::measure::samples;
use super::quantile::{difference_p, distribution, rounding_slack, standard_error, QUANTILE_TEST};
use super::significance::mann_whitney_p;
use super::window::Source;

/// The name of the Mann-Whitney U test, as reported.
pub const MANN_WHITNEY_TEST: &str = "mann-whitney-u";

/// The name of the test of two captest runs' mean response times from their histograms: the z
/// statistic of the difference over the combined standard errors (Welch's test with n large).
pub const MEAN_TEST: &str = "welch-z";

/// One test of a (rule, entry): its name and two-sided p-value before any adjustment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Tested {
    /// The test, as reported in `test`.
    pub test: &'static str,
    /// Its two-sided p-value.
    pub p: f64,
}

/// A compared value and where it came from, for each run.
#[derive(Debug, Clone, Copy)]
pub struct Pair {
    /// The baseline's value and source.
    pub baseline: (f64, Source),
    /// The current run's value and source.
    pub current: (f64, Source),
}

/// Tests whether the change of `metric` for `entry` between the runs is beyond noise; `None` when
/// the runs lack what the metric's test needs (fewer than 5 samples a side, no distribution).
pub fn noise_test(
    baseline: &Run,
    current: &Run,
    entry: &Entry,
    metric: Metric,
    values: Pair,
    warmup: Warmup,
) -> Option<Tested> {
    match metric {
        Metric::Percentile(percent) => {
            let q = percent / 100.0;
            let error = |run: &Run, source: Source| match hdr::intervals(run, entry, source, warmup)
            {
                Some(intervals) => hdr_quantile_error(&intervals, q),
                None => standard_error(&*distribution(run, entry, source, warmup)?, q),
            };
            // Only the part of the change rounding cannot explain is evidence.
            let (b, c) = (values.baseline.0, values.current.0);
            let beyond_rounding = ((c - b).abs() - rounding_slack(b, c)).max(0.0);
            let p = difference_p(
                beyond_rounding,
                error(baseline, values.baseline.1)?,
                error(current, values.current.1)?,
            )?;
            Some(Tested {
                test: QUANTILE_TEST,
                p,
            })
        }
        Metric::Avg => match (
            hdr::intervals(baseline, entry, values.baseline.1, warmup),
            hdr::intervals(current, entry, values.current.1, warmup),
        ) {
            (Some(b), Some(c)) => {
                let delta = values.current.0 - values.baseline.0;
                let p = difference_p(delta, hdr::mean_error(&b)?, hdr::mean_error(&c)?)?;
                Some(Tested { test: MEAN_TEST, p })
            }
            _ => per_interval(baseline, current, entry, metric, warmup),
        },
        _ => per_interval(baseline, current, entry, metric, warmup),
    }
}

/// The standard error of a captest run's window quantile from its exact histograms: the larger
/// of the order statistics' (independent requests) and the block bootstrap's (drift within the
/// window), ms.
fn hdr_quantile_error(intervals: &[(f64, &Histogram<u64>)], q: f64) -> Option<f64> {
    let whole = hdr::window_histogram(intervals)?;
    let order = standard_error(&whole, q)?;
    let drift = hdr::bootstrap_quantile_error(intervals, &whole, q).unwrap_or(0.0);
    Some(order.max(drift))
}

/// Mann-Whitney U on the runs' per-interval samples of `metric`.
fn per_interval(
    baseline: &Run,
    current: &Run,
    entry: &Entry,
    metric: Metric,
    warmup: Warmup,
) -> Option<Tested> {
    mann_whitney_p(
        &samples(baseline, entry, metric, warmup),
        &samples(current, entry, metric, warmup),
    )
    .map(|p| Tested {
        test: MANN_WHITNEY_TEST,
        p,
    })
}

//! `--abort-on-fail`: the `--threshold` gates evaluated on the live statistics every second, so a
//! run that has already failed its gate stops early (k6's `abortOnFail`). A metric's value is
//! the one `captest check` reads from `_stats.csv` ([`of_totals`]), over the totals so
//! far.

use std::sync::Arc;

use captest_analyze::totals::{of_totals, Totals};
use captest_format::{Entry, Metric, Threshold};
use captest_runner::aggregator::AbortCheck;
use captest_runner::metrics::{EntryStats, RunStats};

/// One entry's live totals, as its `_stats.csv` row would hold them now.
struct Live<'a> {
    stats: &'a RunStats,
    entry: &'a EntryStats,
}

impl Totals for Live<'_> {
    fn requests(&self) -> f64 {
        self.entry.total.requests as f64
    }

    fn failures(&self) -> f64 {
        self.entry.total.failures as f64
    }

    fn avg_ms(&self) -> f64 {
        self.entry.avg_ms()
    }

    fn percentile_ms(&self, percentile: f64) -> Option<f64> {
        Some(self.entry.percentile_ms(percentile) as f64)
    }

    fn max_ms(&self) -> Option<f64> {
        self.entry.max_ms()
    }

    fn rps(&self) -> f64 {
        self.stats.total_rps(self.entry)
    }
}

/// The value of `metric` for one entry's statistics so far; `None` before its first request
/// (nothing to judge yet) and for business events (their weights are the run's, not known here).
fn value(stats: &RunStats, entry: &EntryStats, metric: Metric) -> Option<f64> {
    if entry.total.requests == 0 {
        return None;
    }
    of_totals(metric, &Live { stats, entry }, None)
}

/// A check that names the first threshold the run has crossed so far.
pub fn abort_check(thresholds: Vec<Threshold>) -> AbortCheck {
    AbortCheck(Arc::new(move |stats: &RunStats| {
        let entries = stats.sorted_entries();
        let all = entries
            .iter()
            .map(|(key, entry)| (Entry::from(key.clone()), *entry))
            .chain(std::iter::once((Entry::Aggregated, stats.total())));
        for (name, entry) in all {
            for gate in thresholds.iter().filter(|g| g.scope.covers(&name)) {
                let Some(v) = value(stats, entry, gate.metric) else {
                    continue;
                };
                if !gate.passes(v) {
                    return Some(format!(
                        "threshold {} crossed on {name} ({} is {v:.2}): --abort-on-fail",
                        gate.text,
                        gate.metric.name()
                    ));
                }
            }
        }
        None
    }))
}

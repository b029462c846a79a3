//! `--abort-on-fail`: the `--threshold` gates evaluated on the live statistics every second, so a
//! run that has already failed its gate stops early (k6's `abortOnFail`).

use std::sync::Arc;

use captest_analyze::compare::{Metric, Threshold};
use captest_format::Entry;
use captest_runner::aggregator::AbortCheck;
use captest_runner::metrics::{EntryStats, RunStats};

/// The value of `metric` for one entry's cumulative statistics.
fn value(stats: &RunStats, entry: &EntryStats, metric: Metric) -> Option<f64> {
    let requests = entry.total.requests;
    if requests == 0 {
        return None;
    }
    Some(match metric {
        Metric::Avg => entry.avg_ms(),
        Metric::Percentile(p) => entry.percentile_ms(p) as f64,
        Metric::Max => entry.max_ms()?,
        Metric::Rps => stats.total_rps(entry),
        Metric::Errors => entry.total.failures as f64 * 100.0 / requests as f64,
        Metric::FailCount => entry.total.failures as f64,
        Metric::Events => return None,
    })
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
                let passed = if gate.below {
                    v < gate.bound
                } else {
                    v > gate.bound
                };
                if !passed {
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

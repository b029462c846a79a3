//! A metric's value over one entry's whole-run totals, written once for `captest check` (the rows
//! of `_stats.csv`) and `--abort-on-fail` (the runner's live statistics, every second); whether
//! the value passes is [`captest_format::Threshold::passes`].

use captest_format::Metric;

use crate::stats::StatsRow;

/// An entry's totals over the run so far: what the `_stats.csv` row of the entry holds.
pub trait Totals {
    /// Requests.
    fn requests(&self) -> f64;
    /// Failed requests.
    fn failures(&self) -> f64;
    /// Average response time, ms.
    fn avg_ms(&self) -> f64;
    /// A response-time percentile (`percentile` like 95.0), ms; `None` when not known.
    fn percentile_ms(&self, percentile: f64) -> Option<f64>;
    /// Slowest response, ms; `None` when not known.
    fn max_ms(&self) -> Option<f64>;
    /// Requests per second over the run.
    fn rps(&self) -> f64;
}

/// The value of `metric` over `totals`; business events per second need `events_per_request`
/// (`None`: not known, so no value).
pub fn of_totals(
    metric: Metric,
    totals: &impl Totals,
    events_per_request: Option<f64>,
) -> Option<f64> {
    match metric {
        Metric::Avg => Some(totals.avg_ms()),
        Metric::Percentile(p) => totals.percentile_ms(p),
        Metric::Max => totals.max_ms(),
        Metric::Rps => Some(totals.rps()),
        Metric::Events => events_per_request.map(|weight| totals.rps() * weight),
        Metric::Errors => Some(if totals.requests() > 0.0 {
            totals.failures() * 100.0 / totals.requests()
        } else {
            0.0
        }),
        Metric::FailCount => Some(totals.failures()),
    }
}

impl Totals for StatsRow {
    fn requests(&self) -> f64 {
        self.requests
    }

    fn failures(&self) -> f64 {
        self.failures
    }

    fn avg_ms(&self) -> f64 {
        self.avg_ms
    }

    /// The percentile's column (the median's own column for 50 %, else the `50%` column).
    fn percentile_ms(&self, percentile: f64) -> Option<f64> {
        let label = format!("{percentile}%");
        let column = || {
            self.percentiles_ms
                .iter()
                .find(|(l, _)| *l == label)
                .and_then(|(_, v)| *v)
        };
        if percentile == 50.0 {
            return self.median_ms.or_else(column);
        }
        column()
    }

    fn max_ms(&self) -> Option<f64> {
        self.max_ms
    }

    fn rps(&self) -> f64 {
        self.rps
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use captest_format::Entry;

    fn row() -> StatsRow {
        StatsRow {
            entry: Entry::from_row("GET", "/a"),
            requests: 200.0,
            failures: 5.0,
            median_ms: Some(12.0),
            avg_ms: 14.5,
            min_ms: Some(2.0),
            max_ms: Some(90.0),
            avg_content_bytes: 10.0,
            rps: 20.0,
            failures_per_s: 0.5,
            percentiles_ms: vec![
                ("50%".to_owned(), Some(11.0)),
                ("95%".to_owned(), Some(40.0)),
            ],
        }
    }

    #[test]
    fn each_metric_reads_its_figure() {
        let row = row();
        let value = |metric: &str, weight| {
            of_totals(Metric::parse(metric).expect("a metric"), &row, weight)
        };
        assert_eq!(value("avg", None), Some(14.5));
        assert_eq!(value("median", None), Some(12.0), "the median column first");
        assert_eq!(value("p95", None), Some(40.0));
        assert_eq!(value("p99", None), None, "no column");
        assert_eq!(value("max", None), Some(90.0));
        assert_eq!(value("rps", None), Some(20.0));
        assert_eq!(value("events", None), None);
        assert_eq!(value("events", Some(3.0)), Some(60.0));
        assert_eq!(value("errors", None), Some(2.5));
        assert_eq!(value("fail_count", None), Some(5.0));
    }
}

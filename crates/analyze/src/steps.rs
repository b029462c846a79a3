//! Steps of a stepped run: read from captest's `_steps.csv`, or found in the history as plateaus of
//! User Count, each with its first seconds dropped (ramp and the lag of Locust's current window).

use serde::Serialize;

use crate::history::HistoryRow;
use crate::stats::StepFileRow;

/// Figures of one step's steady part.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepFigures {
    /// Users during the step (or offered rate for open-model steps).
    pub users: f64,
    /// Start of the step's steady part, unix seconds.
    pub start: f64,
    /// End of the step, unix seconds.
    pub end: f64,
    /// Requests per second over the steady part.
    pub rps: f64,
    /// Average response time of the requests completed in the steady part, ms:
    /// Δ(Total Average Response Time × Total Request Count) ÷ Δ(Total Request Count) of the
    /// Aggregated history rows (`None` without requests or, for `_steps.csv`, without a history).
    pub avg_ms: Option<f64>,
    /// Median, ms.
    pub p50_ms: Option<f64>,
    /// 95th percentile, ms.
    pub p95_ms: Option<f64>,
    /// 99th percentile, ms.
    pub p99_ms: Option<f64>,
    /// Failed requests, percent.
    pub error_pct: f64,
}

/// A plateau needs at least this many rows to count as a step.
const MIN_PLATEAU_ROWS: usize = 3;

fn mean(values: impl Iterator<Item = f64>) -> Option<f64> {
    let (sum, count) = values.fold((0.0, 0usize), |(s, c), v| (s + v, c + 1));
    (count > 0).then(|| sum / count as f64)
}

/// Finds User Count plateaus in the Aggregated rows and measures each after dropping its first
/// `settle_s` seconds (at most half the plateau).
pub fn steps_from_history(rows: &[HistoryRow], settle_s: f64) -> Vec<StepFigures> {
    let mut steps = Vec::new();
    let mut start = 0;
    while start < rows.len() {
        let users = rows[start].user_count;
        let mut end = start;
        while end < rows.len() && rows[end].user_count == users {
            end += 1;
        }
        let plateau = &rows[start..end];
        if users > 0.0 && plateau.len() >= MIN_PLATEAU_ROWS {
            if let Some(step) = measure(users, plateau, settle_s) {
                steps.push(step);
            }
        }
        start = end;
    }
    steps
}

/// Average response time of the requests completed between rows `a` and `b` (cumulative rows of
/// one entry or Aggregated, `a` first), ms; `None` when none completed.
pub fn average_ms(a: &HistoryRow, b: &HistoryRow) -> Option<f64> {
    let requests = b.total_requests - a.total_requests;
    let time = b.total_avg_ms * b.total_requests - a.total_avg_ms * a.total_requests;
    (requests > 0.0).then(|| time / requests)
}

fn measure(users: f64, plateau: &[HistoryRow], settle_s: f64) -> Option<StepFigures> {
    let first = plateau.first()?.timestamp;
    let last = plateau.last()?.timestamp;
    let settle = settle_s.min((last - first) / 2.0);
    let kept_from = plateau.partition_point(|r| r.timestamp < first + settle);
    let kept = &plateau[kept_from.min(plateau.len().saturating_sub(2))..];
    let (a, b) = (kept.first()?, kept.last()?);
    let seconds = b.timestamp - a.timestamp;
    if seconds <= 0.0 {
        return None;
    }
    let requests = b.total_requests - a.total_requests;
    let failures = b.total_failures - a.total_failures;
    Some(StepFigures {
        users,
        start: a.timestamp,
        end: b.timestamp,
        rps: requests / seconds,
        avg_ms: average_ms(a, b),
        p50_ms: mean(kept.iter().filter_map(|r| r.p50_ms)),
        p95_ms: mean(kept.iter().filter_map(|r| r.p95_ms)),
        p99_ms: mean(kept.iter().filter_map(|r| r.p99_ms)),
        error_pct: if requests > 0.0 {
            failures * 100.0 / requests
        } else {
            0.0
        },
    })
}

/// The steps of captest's `_steps.csv`; each step's average response time comes from the
/// Aggregated `history` rows between its start and end (the file has no average column).
pub fn steps_from_file(rows: &[StepFileRow], history: &[HistoryRow]) -> Vec<StepFigures> {
    rows.iter()
        .map(|r| StepFigures {
            users: r.users,
            start: r.start,
            end: r.end,
            rps: r.rps,
            avg_ms: {
                let from = history.partition_point(|h| h.timestamp < r.start);
                let to = history.partition_point(|h| h.timestamp <= r.end);
                let inside = &history[from..to.max(from)];
                match (inside.first(), inside.last()) {
                    (Some(a), Some(b)) => average_ms(a, b),
                    _ => None,
                }
            },
            p50_ms: r.p50_ms,
            p95_ms: r.p95_ms,
            p99_ms: r.p99_ms,
            error_pct: r.error_pct,
        })
        .collect()
}

/// A breaking-point rule that fired on a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakingPoint {
    /// The rule, e.g. `rps-growth<5%`.
    pub rule: String,
    /// Users of the step where it fired.
    pub users: f64,
    /// Requests per second of that step.
    pub rps: f64,
    /// What was seen.
    pub detail: String,
}

/// The first breaking-point rule to fire, step by step: errors > 1 %, throughput growing < 5 %
/// while users grew, or p95 above 5× the first step's.
pub fn breaking_point(steps: &[StepFigures]) -> Option<BreakingPoint> {
    let first_p95 = steps.first().and_then(|s| s.p95_ms);
    for (index, step) in steps.iter().enumerate() {
        let fired = |rule: &str, detail: String| BreakingPoint {
            rule: rule.to_owned(),
            users: step.users,
            rps: step.rps,
            detail,
        };
        if step.error_pct > 1.0 {
            return Some(fired("errors>1%", format!("{:.2}% errors", step.error_pct)));
        }
        if let (Some(base), Some(p95)) = (first_p95, step.p95_ms) {
            if base > 0.0 && p95 > 5.0 * base {
                return Some(fired(
                    "p95>5x",
                    format!("p95 {p95:.0} ms vs {base:.0} ms at the first step"),
                ));
            }
        }
        if index > 0 {
            let previous = &steps[index - 1];
            if step.users > previous.users && previous.rps > 0.0 {
                let growth = (step.rps / previous.rps - 1.0) * 100.0;
                if growth < 5.0 {
                    return Some(fired(
                        "rps-growth<5%",
                        format!(
                            "throughput grew {growth:.1}% ({:.1} -> {:.1} req/s) while users went {} -> {}",
                            previous.rps, step.rps, previous.users, step.users
                        ),
                    ));
                }
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window_percentiles::OtherPercentiles;

    /// One Aggregated row per second: `users`, cumulative `total` requests at `avg` ms, p50 = `p50`.
    fn row(timestamp: f64, users: f64, total: f64, avg: f64, p50: f64) -> HistoryRow {
        HistoryRow {
            timestamp,
            user_count: users,
            rps: 0.0,
            failures_per_s: 0.0,
            p50_ms: Some(p50),
            p95_ms: Some(p50 * 2.0),
            p99_ms: None,
            other_percentiles_ms: OtherPercentiles::unknown(),
            total_requests: total,
            total_failures: 0.0,
            total_avg_ms: avg,
        }
    }

    #[test]
    fn each_step_drops_its_first_seconds() {
        // 10 users for t = 0..20 s at 10 req/s; the first 5 s are slow (p50 100 ms), then 10 ms.
        let mut rows = Vec::new();
        let mut time_sum = 0.0;
        for t in 0..20 {
            let latency = if t < 5 { 100.0 } else { 10.0 };
            let total = (t as f64 + 1.0) * 10.0;
            time_sum += 10.0 * latency;
            rows.push(row(t as f64, 10.0, total, time_sum / total, latency));
        }
        let settled = steps_from_history(&rows, 5.0);
        assert_eq!(settled.len(), 1);
        let step = &settled[0];
        assert_eq!((step.start, step.end), (5.0, 19.0));
        assert_eq!(step.p50_ms, Some(10.0));
        assert_eq!(step.rps, 10.0);
        // Requests completed after t = 5 s all took 10 ms.
        assert!((step.avg_ms.unwrap() - 10.0).abs() < 1e-9, "{step:?}");
        let unsettled = &steps_from_history(&rows, 0.0)[0];
        assert_eq!(unsettled.start, 0.0);
        assert!(unsettled.p50_ms.unwrap() > 10.0);
        assert!(unsettled.avg_ms.unwrap() > 10.0 + 1e-9);
        // The settle time never eats more than half the plateau.
        assert_eq!(steps_from_history(&rows, 60.0)[0].start, 10.0);
    }
}

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

/// The steps of captest's `_steps.csv`.
pub fn steps_from_file(rows: &[StepFileRow]) -> Vec<StepFigures> {
    rows.iter()
        .map(|r| StepFigures {
            users: r.users,
            start: r.start,
            end: r.end,
            rps: r.rps,
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

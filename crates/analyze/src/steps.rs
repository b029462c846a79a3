//! Steps of a stepped run: read from captest's `_steps.csv`, or found in the history as plateaus of
//! User Count, each with its first seconds dropped (ramp and the lag of Locust's current window).

use serde::Serialize;

use std::collections::BTreeMap;

use captest_format::stop_rule::{Firing, StepFigures as RuleFigures};
use captest_format::{Entry, StopRule};

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
    /// Failed requests other than 429 Too Many Requests, percent of the step's requests (each
    /// entry's failures in the step × its non-429 share in `_failures.csv`; exact when an entry
    /// fails one way). `None` when the run cannot tell them apart (no `_failures.csv`, or 429s
    /// without per-entry history).
    pub error_pct_excl_429: Option<f64>,
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
        p50_ms: mean(kept.iter().filter_map(|r| r.p50_ms())),
        p95_ms: mean(kept.iter().filter_map(|r| r.p95_ms())),
        p99_ms: mean(kept.iter().filter_map(|r| r.p99_ms())),
        error_pct: if requests > 0.0 {
            failures * 100.0 / requests
        } else {
            0.0
        },
        error_pct_excl_429: None,
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
            error_pct_excl_429: None,
        })
        .collect()
}

/// The cumulative (requests, failures) of an entry's rows at `t`: its last row at or before `t`.
fn totals_at(rows: &[HistoryRow], t: f64) -> (f64, f64) {
    match rows.partition_point(|r| r.timestamp <= t).checked_sub(1) {
        Some(i) => (rows[i].total_requests, rows[i].total_failures),
        None => (0.0, 0.0),
    }
}

/// Sets each step's `error_pct_excl_429` from the entries' history rows: Σ Δfailures ×
/// `non_429_share(entry)` ÷ Σ Δrequests over the step's window.
pub fn exclude_rate_limits(
    steps: &mut [StepFigures],
    entries: &BTreeMap<Entry, Vec<HistoryRow>>,
    non_429_share: impl Fn(&Entry) -> f64,
) {
    for step in steps {
        let (mut requests, mut other) = (0.0, 0.0);
        for (name, rows) in entries {
            let (r0, f0) = totals_at(rows, step.start);
            let (r1, f1) = totals_at(rows, step.end);
            requests += r1 - r0;
            other += (f1 - f0) * non_429_share(name);
        }
        step.error_pct_excl_429 = Some(if requests > 0.0 {
            other * 100.0 / requests
        } else {
            0.0
        });
    }
}

impl RuleFigures for StepFigures {
    fn level(&self) -> f64 {
        self.users
    }

    fn rps(&self) -> f64 {
        self.rps
    }

    /// Failures other than 429 when the run tells them apart, else every failure.
    fn error_pct(&self) -> f64 {
        self.error_pct_excl_429.unwrap_or(self.error_pct)
    }

    fn percentile_ms(&self, percentile: u8) -> Option<f64> {
        match percentile {
            50 => self.p50_ms,
            95 => self.p95_ms,
            99 => self.p99_ms,
            _ => None,
        }
    }
}

/// A breaking-point rule that fired on a step.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BreakingPoint {
    /// The rule, e.g. `rps-growth<5%`.
    pub rule: StopRule,
    /// Users of the step where it fired.
    pub users: f64,
    /// Requests per second of that step.
    pub rps: f64,
    /// What was seen.
    pub detail: String,
}

/// One breaking-point rule checked on every step: where it fires first, or `null`s.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RuleCheck {
    /// The rule, e.g. `errors>1%`, `p95>5x` or `rps-growth<5%`.
    pub rule: StopRule,
    /// Users of the first step where it fires (`None` if it never does).
    pub users: Option<f64>,
    /// Requests per second of that step.
    pub rps: Option<f64>,
    /// What was seen, or that it did not fire.
    pub detail: String,
}

/// What a rule saw on `step`, in words: `1.20% errors other than 429`.
fn describe(step: &StepFigures, firing: Firing) -> String {
    match firing {
        Firing::Errors { pct } => {
            let what = match step.error_pct_excl_429 {
                Some(_) => "errors other than 429",
                None => "errors (429s not told apart)",
            };
            format!("{pct:.2}% {what}")
        }
        Firing::Latency {
            percentile,
            now_ms,
            base_ms,
        } => format!("p{percentile} {now_ms:.0} ms vs {base_ms:.0} ms at the first step"),
        Firing::RpsGrowth {
            growth_pct,
            previous_rps,
            current_rps,
            previous_level,
            current_level,
        } => format!(
            "throughput grew {growth_pct:.1}% ({previous_rps:.1} -> {current_rps:.1} req/s) while users went {previous_level} -> {current_level}"
        ),
    }
}

/// Every rule of `rules` with the first step where it fires. The default rules
/// ([`captest_format::DEFAULT_STOP_RULES`]): errors above 1 % (failures other than 429 when the
/// run tells them apart), p95 above 5× the first step's, throughput growing less than 5 % while
/// users grew.
pub fn breaking_points(steps: &[StepFigures], rules: &[StopRule]) -> Vec<RuleCheck> {
    rules
        .iter()
        .map(|rule| {
            let first = (0..steps.len()).find_map(|i| rule.evaluate(steps, i).map(|f| (i, f)));
            match first {
                Some((i, firing)) => RuleCheck {
                    rule: *rule,
                    users: Some(steps[i].users),
                    rps: Some(steps[i].rps),
                    detail: describe(&steps[i], firing),
                },
                None => RuleCheck {
                    rule: *rule,
                    users: None,
                    rps: None,
                    detail: format!("did not fire on {} steps", steps.len()),
                },
            }
        })
        .collect()
}

/// The first of `rules` to fire, step by step (on one step in the order of `rules`) — the step
/// where the runner, applying the same rules live, would have stopped.
pub fn breaking_point(steps: &[StepFigures], rules: &[StopRule]) -> Option<BreakingPoint> {
    (0..steps.len()).find_map(|i| {
        StopRule::first_firing(rules, steps, i).map(|(rule, firing)| BreakingPoint {
            rule,
            users: steps[i].users,
            rps: steps[i].rps,
            detail: describe(&steps[i], firing),
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::window_percentiles::WindowPercentiles;

    /// One Aggregated row per second: `users`, cumulative `total` requests at `avg` ms, p50 = `p50`.
    fn row(timestamp: f64, users: f64, total: f64, avg: f64, p50: f64) -> HistoryRow {
        HistoryRow {
            timestamp,
            user_count: users,
            rps: 0.0,
            failures_per_s: 0.0,
            window_percentiles_ms: WindowPercentiles::new(std::array::from_fn(|k| match k {
                0 => Some(p50),
                5 => Some(p50 * 2.0),
                _ => None,
            })),
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

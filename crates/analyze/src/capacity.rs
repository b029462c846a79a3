//! Capacity from Little's law: users = throughput × (response time + think time).

use serde::Serialize;

use crate::options::Slo;
use crate::steps::StepFigures;

/// Capacity estimates of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Capacity {
    /// Think time used, seconds.
    pub think_time_s: f64,
    /// Users Little's law implies at the steady state: rps × (avg response time + think time).
    pub littles_users: f64,
    /// Users actually running at the end of the steady window.
    pub users_running: f64,
    /// Highest throughput measured (steady state or best step), requests per second.
    pub max_rps_measured: f64,
    /// Users needed to drive `max_rps_measured` at the steady response time (Little's law).
    pub users_for_max_rps: f64,
    /// The SLO result, when one was given.
    pub slo: Option<SloCapacity>,
}

/// How much load meets the SLO.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SloCapacity {
    /// The objective, e.g. `p95<200ms`.
    pub rule: String,
    /// Whether the steady state meets it.
    pub steady_meets: bool,
    /// Most users of a step that met it (`None` without steps or when none met it).
    pub max_users_measured: Option<f64>,
    /// Throughput of that step, requests per second.
    pub rps_at_max_users: Option<f64>,
    /// Users sustainable at the bound by Little's law: best throughput × (bound + think time).
    pub users_estimated: f64,
}

fn metric_of(step: &StepFigures, metric: &str) -> Option<f64> {
    match metric {
        "avg" => step.avg_ms,
        "p50" => step.p50_ms,
        "p95" => step.p95_ms,
        "p99" => step.p99_ms,
        _ => None,
    }
}

/// Estimates capacity from the steady figures (`rps`, `avg_ms`, a value per SLO metric) and steps.
pub fn estimate(
    steady_rps: f64,
    steady_avg_ms: f64,
    steady_metric: impl Fn(&str) -> Option<f64>,
    users_running: f64,
    steps: &[StepFigures],
    think_time_s: f64,
    slo: Option<&Slo>,
) -> Capacity {
    let cycle_s = steady_avg_ms / 1000.0 + think_time_s;
    let max_rps = steps.iter().map(|s| s.rps).fold(steady_rps, f64::max);
    let slo = slo.map(|slo| {
        let best = steps
            .iter()
            .filter(|s| metric_of(s, &slo.metric).is_some_and(|v| v < slo.below_ms))
            .max_by(|a, b| a.users.total_cmp(&b.users));
        SloCapacity {
            rule: format!("{}<{}ms", slo.metric, slo.below_ms),
            steady_meets: steady_metric(&slo.metric).is_some_and(|v| v < slo.below_ms),
            max_users_measured: best.map(|s| s.users),
            rps_at_max_users: best.map(|s| s.rps),
            users_estimated: max_rps * (slo.below_ms / 1000.0 + think_time_s),
        }
    });
    Capacity {
        think_time_s,
        littles_users: steady_rps * cycle_s,
        users_running,
        max_rps_measured: max_rps,
        users_for_max_rps: max_rps * cycle_s,
        slo,
    }
}

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
    /// The planned user count given with `--users`.
    pub users_planned: Option<f64>,
    /// Little's law for `users_planned`: users ÷ (steady response time + think time), requests
    /// per second. Assumes the response time stays at the steady state's, which it does not past
    /// the knee (see `max_rps_for_users_note`).
    pub max_rps_for_users: Option<f64>,
    /// Whether `users_planned` is beyond the measured knee (`None` without a knee).
    pub users_beyond_knee: Option<bool>,
    /// How far to trust `max_rps_for_users`, in words.
    pub max_rps_for_users_note: Option<String>,
}

/// What Little's law says about a planned user count.
struct PlannedUsers {
    rps: f64,
    beyond_knee: Option<bool>,
    note: String,
}

fn planned_users(
    users: f64,
    cycle_s: f64,
    avg_ms: f64,
    think_time_s: f64,
    max_rps: f64,
    knee_users: Option<f64>,
) -> PlannedUsers {
    let rps = users / cycle_s;
    let beyond_knee = knee_users.map(|knee| users > knee);
    let basis = format!(
        "{users} users / ({avg_ms:.1} ms steady response time + {think_time_s} s think time) = {rps:.1} req/s"
    );
    let note = match knee_users {
        Some(knee) if users > knee => format!(
            "{basis}, but {users} users is beyond the measured knee ({knee} users): throughput is capped near the measured maximum of {max_rps:.1} req/s and response times grow instead"
        ),
        _ if rps > max_rps => format!(
            "{basis}, more than the {max_rps:.1} req/s measured: beyond the data, so not shown to hold"
        ),
        _ => format!("{basis}, within the throughput measured ({max_rps:.1} req/s)"),
    };
    PlannedUsers {
        rps,
        beyond_knee,
        note,
    }
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

/// What the capacity estimate is asked.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CapacityQuestion<'a> {
    /// Think time per user between requests, seconds.
    pub think_time_s: f64,
    /// The latency objective, if any.
    pub slo: Option<&'a Slo>,
    /// A planned user count to estimate the throughput of (`--users`).
    pub users_planned: Option<f64>,
    /// Users at the measured knee of throughput vs users, if one was found.
    pub knee_users: Option<f64>,
}

/// Estimates capacity from the steady figures (`rps`, `avg_ms`, a value per SLO metric) and steps.
pub fn estimate(
    steady_rps: f64,
    steady_avg_ms: f64,
    steady_metric: impl Fn(&str) -> Option<f64>,
    users_running: f64,
    steps: &[StepFigures],
    question: CapacityQuestion<'_>,
) -> Capacity {
    let CapacityQuestion {
        think_time_s,
        slo,
        users_planned,
        knee_users,
    } = question;
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
    let planned = users_planned.map(|users| {
        planned_users(
            users,
            cycle_s,
            steady_avg_ms,
            think_time_s,
            max_rps,
            knee_users,
        )
    });
    Capacity {
        think_time_s,
        littles_users: steady_rps * cycle_s,
        users_running,
        max_rps_measured: max_rps,
        users_for_max_rps: max_rps * cycle_s,
        slo,
        users_planned,
        max_rps_for_users: planned.as_ref().map(|p| p.rps),
        users_beyond_knee: planned.as_ref().and_then(|p| p.beyond_knee),
        max_rps_for_users_note: planned.map(|p| p.note),
    }
}

//! The analysis of one run: steady state, steps, knee, USL, breaking point, capacity, business
//! events and rate limits. Serializes to the stable JSON keys documented in the README.

use captest_format::{Entry, AGGREGATED};
use serde::Serialize;

use crate::capacity::{estimate, Capacity, CapacityQuestion};
use crate::error::AnalyzeError;
use crate::knee::{kneedle, CurveShape, DEFAULT_SENSITIVITY};
use crate::options::AnalyzeOptions;
use crate::run::Run;
use crate::steady::{steady_figures, SteadyFigures};
use crate::steps::{
    breaking_point, breaking_points, steps_from_file, steps_from_history, BreakingPoint, RuleCheck,
    StepFigures,
};

mod events;
mod rate_limits;

use crate::usl::{fit_usl, UslFit};
pub use events::EntryEvents;
use events::{event_weights, events};
use rate_limits::{errors_without_rate_limits, rate_limited};
pub use rate_limits::{EntryRateLimit, RateLimited};

/// Fewest steps a knee or a USL fit is computed from.
pub const MIN_STEPS_FOR_KNEE: usize = 4;

/// The steady state: Aggregated figures (flattened) and each entry's.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Steady {
    /// The first row of the window, unix seconds (the rows after it are counted).
    pub from: f64,
    /// The last row of the window, unix seconds.
    pub to: f64,
    /// Aggregated figures.
    #[serde(flatten)]
    pub aggregated: SteadyFigures,
    /// Per entry.
    pub entries: Vec<SteadyFigures>,
    /// What the figures are not, when they are not the steady window's (no history, or a
    /// history without per-entry rows); `None` otherwise.
    pub note: Option<String>,
}

/// A knee of a curve.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Knee {
    /// Users at the knee.
    pub users: f64,
    /// Requests per second at the knee.
    pub rps: f64,
    /// 95th percentile at the knee, ms.
    pub p95_ms: Option<f64>,
    /// How it was found.
    pub method: String,
}

/// Everything `captest analyze` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Analysis {
    /// The run's name (its prefix).
    pub run: String,
    /// Warmup left out, seconds.
    pub warmup_s: f64,
    /// The steady state after the warmup.
    pub steady: Steady,
    /// Steps (empty for a run at constant load).
    pub steps: Vec<StepFigures>,
    /// `steps_file` or `history` (User Count plateaus).
    pub steps_source: &'static str,
    /// The knee of throughput vs users, or `null` (see `knee_note`).
    pub knee: Option<Knee>,
    /// Why there is no knee, or how it was found.
    pub knee_note: String,
    /// The knee of p95 vs throughput (where latency takes off).
    pub latency_knee: Option<Knee>,
    /// The USL fit of throughput vs users (4 steps or more).
    pub usl: Option<UslFit>,
    /// The first breaking-point rule that fired on the steps.
    pub breaking_point: Option<BreakingPoint>,
    /// Every breaking-point rule with the first step where it fires (or `null`s).
    pub breaking_points: Vec<RuleCheck>,
    /// Little's-law capacity.
    pub capacity: Capacity,
    /// Business events per second at the steady state (`null` without weights).
    pub events_per_s: Option<f64>,
    /// Per-entry events.
    pub events: Vec<EntryEvents>,
    /// Where the event weights come from: `--events`, `--events-file` or `_events.csv` (`null`
    /// without weights).
    pub events_source: Option<&'static str>,
    /// 429s apart from other failures.
    pub rate_limited: RateLimited,
}

fn no_history_steady(run: &Run) -> Result<Steady, AnalyzeError> {
    let from_stats = |row: &crate::stats::StatsRow, entry: String| SteadyFigures {
        entry,
        requests: row.requests,
        rps: row.rps,
        rps_recipe: row.rps,
        avg_ms: row.avg_ms,
        avg_ms_window: Some(row.avg_ms),
        p50_ms: row.median_ms,
        p95_ms: row.percentiles_ms.get(5).and_then(|p| p.1),
        p99_ms: row.percentiles_ms.get(7).and_then(|p| p.1),
        error_pct: if row.requests > 0.0 {
            row.failures * 100.0 / row.requests
        } else {
            0.0
        },
        source: "stats",
    };
    let aggregated = run.aggregated_stats().ok_or_else(|| {
        AnalyzeError::InvalidOption(format!(
            "{}: no history file and no Aggregated row in _stats.csv",
            run.files.prefix.display()
        ))
    })?;
    Ok(Steady {
        from: 0.0,
        to: 0.0,
        note: Some(format!(
            "no _stats_history.csv: every figure is _stats.csv's whole-run total (no warmup{} left out; rps_recipe = rps = its Requests/s; p50/p95/p99 cumulative)",
            if run.warmup().is_zero() {
                String::new()
            } else {
                format!(", the {} --warmup not applied", run.warmup())
            }
        )),
        aggregated: from_stats(aggregated, Entry::Aggregated.to_string()),
        entries: run
            .entry_stats()
            .map(|r| from_stats(r, r.entry.to_string()))
            .collect(),
    })
}

fn steady_state(run: &Run) -> Result<Steady, AnalyzeError> {
    let (Some(history), Some(window)) = (&run.history, run.steady_window()) else {
        return no_history_steady(run);
    };
    let rows = window.rows(&history.aggregated);
    if rows.len() < 2 {
        return Err(AnalyzeError::TooFewRows {
            path: history.path.clone(),
            rows: rows.len(),
            when: format!("after a {} warmup", run.warmup()),
            hint: "use a shorter --warmup or a longer run",
        });
    }
    let mut entries: Vec<SteadyFigures> = if !history.is_full() {
        // Without full history, per-entry figures are the whole run's (from _stats.csv).
        no_history_steady(run)
            .map(|s| s.entries)
            .unwrap_or_default()
    } else if let Some(summed) = &history.entry_windows {
        (summed.sums.iter())
            .filter(|(_, sums)| sums.rows() >= 2)
            .map(|(name, sums)| sums.figures(&name.to_string()))
            .collect()
    } else {
        (history.entries.iter())
            .filter(|(_, rows)| window.rows(rows).len() >= 2)
            .map(|(name, rows)| steady_figures(&name.to_string(), rows, &window))
            .collect()
    };
    let note = (!history.is_full()).then(|| {
        "the history has only Aggregated rows (no --csv-full-history): entries[] are _stats.csv's whole-run totals, without the warmup left out".to_owned()
    });
    entries.sort_by(|a, b| a.entry.cmp(&b.entry));
    Ok(Steady {
        from: rows[0].timestamp,
        to: rows[rows.len() - 1].timestamp,
        aggregated: steady_figures(AGGREGATED, &history.aggregated, &window),
        entries,
        note,
    })
}

/// Points sorted by x with strictly increasing x (the first of equal x kept).
fn increasing(points: impl Iterator<Item = (f64, f64, usize)>) -> Vec<(f64, f64, usize)> {
    let mut points: Vec<_> = points.collect();
    points.sort_by(|a, b| a.0.total_cmp(&b.0));
    points.dedup_by(|b, a| b.0 <= a.0);
    points
}

/// The knees of a stepped run's `steps`: of throughput vs users (with the note saying how it was
/// found, or why there is none) and of p95 vs throughput. The live web page asks it of the steps
/// completed so far, `analyze` of all of them.
pub fn knees(steps: &[StepFigures]) -> (Option<Knee>, String, Option<Knee>) {
    if steps.len() < MIN_STEPS_FOR_KNEE {
        let note = if steps.len() <= 1 {
            "constant load (one plateau): a knee needs a stepped run, e.g. captest step".to_owned()
        } else {
            format!(
                "only {} steps; a knee needs at least {MIN_STEPS_FOR_KNEE}",
                steps.len()
            )
        };
        return (None, note, None);
    }
    let method =
        format!("kneedle on throughput vs users (concave, S={DEFAULT_SENSITIVITY}, no smoothing)");
    let by_users = increasing(steps.iter().enumerate().map(|(i, s)| (s.users, s.rps, i)));
    let xs: Vec<f64> = by_users.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = by_users.iter().map(|p| p.1).collect();
    let knee = kneedle(&xs, &ys, CurveShape::ConcaveIncreasing, DEFAULT_SENSITIVITY).map(|k| {
        let step = &steps[by_users[k].2];
        Knee {
            users: step.users,
            rps: step.rps,
            p95_ms: step.p95_ms,
            method: method.clone(),
        }
    });
    let note = match &knee {
        Some(_) => method,
        None => "throughput kept growing with users: no knee in this range".to_owned(),
    };
    let by_rps = increasing(
        steps
            .iter()
            .enumerate()
            .filter_map(|(i, s)| Some((s.rps, s.p95_ms?, i))),
    );
    let xs: Vec<f64> = by_rps.iter().map(|p| p.0).collect();
    let ys: Vec<f64> = by_rps.iter().map(|p| p.1).collect();
    let latency_knee =
        kneedle(&xs, &ys, CurveShape::ConvexIncreasing, DEFAULT_SENSITIVITY).map(|k| {
            let step = &steps[by_rps[k].2];
            Knee {
                users: step.users,
                rps: step.rps,
                p95_ms: step.p95_ms,
                method: format!(
                    "kneedle on p95 vs throughput (convex, S={DEFAULT_SENSITIVITY}, no smoothing)"
                ),
            }
        });
    (knee, note, latency_knee)
}

/// The USL fit of throughput vs users of `steps` (with enough steps for a knee).
pub fn usl_of(steps: &[StepFigures]) -> Option<UslFit> {
    (steps.len() >= MIN_STEPS_FOR_KNEE)
        .then(|| {
            let n: Vec<f64> = steps.iter().map(|s| s.users).collect();
            let x: Vec<f64> = steps.iter().map(|s| s.rps).collect();
            fit_usl(&n, &x)
        })
        .flatten()
}

/// Analyzes a loaded run.
pub fn analyze(run: &Run, options: &AnalyzeOptions) -> Result<Analysis, AnalyzeError> {
    let steady = steady_state(run)?;
    let rows = run.history.as_ref().map_or(&[][..], |h| &h.aggregated[..]);
    let (mut steps, steps_source) = if !run.steps.is_empty() {
        (steps_from_file(&run.steps, rows), "steps_file")
    } else {
        (
            steps_from_history(rows, options.step_settle.as_secs_f64()),
            "history",
        )
    };
    errors_without_rate_limits(run, &mut steps);
    let (knee, knee_note, latency_knee) = knees(&steps);
    let usl = usl_of(&steps);
    let users_running = (run.history.as_ref().zip(run.steady_window()))
        .and_then(|(h, window)| {
            (window.rows(&h.aggregated).iter())
                .rev()
                .find(|r| r.user_count > 0.0)
        })
        .map_or(0.0, |r| r.user_count);
    let aggregated = &steady.aggregated;
    let capacity = estimate(
        aggregated.rps,
        aggregated.avg_ms_window.unwrap_or(aggregated.avg_ms),
        |metric| match metric {
            "avg" => aggregated.avg_ms_window,
            "p50" => aggregated.p50_ms,
            "p95" => aggregated.p95_ms,
            "p99" => aggregated.p99_ms,
            _ => None,
        },
        users_running,
        &steps,
        CapacityQuestion {
            think_time_s: options.think_time.as_secs_f64(),
            slo: options.slo.as_ref(),
            users_planned: options.users,
            knee_users: knee.as_ref().map(|k| k.users),
        },
    );
    let (events_per_s, events) = events(run, &steady, options);
    Ok(Analysis {
        run: run.files.name(),
        warmup_s: run.warmup().seconds(),
        breaking_point: breaking_point(&steps, &options.stop_rules),
        breaking_points: breaking_points(&steps, &options.stop_rules),
        rate_limited: rate_limited(run),
        steady,
        steps,
        steps_source,
        knee,
        knee_note,
        latency_knee,
        usl,
        capacity,
        events_per_s,
        events,
        events_source: event_weights(run, options).1,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::history::Percentiles;
    use captest_format::Warmup;
    use std::path::Path;

    #[test]
    fn summed_and_kept_rows_give_the_same_analysis() {
        // The history alone (the run's _failures.csv has 429s, for which every row is kept).
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("constant_stats_history.csv");
        std::fs::copy(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../../tests/fixtures/locust/constant/constant_stats_history.csv"),
            &path,
        )
        .expect("copy the history");
        for warmup in ["0s", "10s", "20s"] {
            let warmup: Warmup = warmup.parse().expect("warmup");
            let summed = Run::load_for_analysis(&path, warmup).expect("readable");
            assert!(summed
                .history
                .as_ref()
                .is_some_and(|h| h.entry_windows.is_some()));
            let kept = Run::load_with_warmup(&path, Percentiles::Named, warmup).expect("readable");
            let options = AnalyzeOptions::default();
            let (summed, kept) = (
                analyze(&summed, &options).expect("analyzed"),
                analyze(&kept, &options).expect("analyzed"),
            );
            assert_eq!(summed.warmup_s, warmup.seconds());
            assert_eq!(summed.steady.entries.len(), kept.steady.entries.len());
            for (a, b) in summed.steady.entries.iter().zip(&kept.steady.entries) {
                assert_eq!(a.entry, b.entry);
                assert_eq!(
                    (a.requests, a.rps, a.rps_recipe),
                    (b.requests, b.rps, b.rps_recipe)
                );
                assert!(
                    (a.avg_ms - b.avg_ms).abs() <= 1e-12 * b.avg_ms,
                    "{a:?} {b:?}"
                );
            }
            assert_eq!(summed.steady.aggregated, kept.steady.aggregated);
        }
    }
}

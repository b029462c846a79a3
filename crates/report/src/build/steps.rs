//! Step charts: throughput vs users with the knee and the fitted USL curve, and p95 vs
//! throughput; the baseline's steps (and its USL curve) overlaid when it has steps.

use captest_analyze::steps::StepFigures;
use captest_analyze::usl::UslFit;
use captest_analyze::{Analysis, Knee};

use super::chart;
use crate::charts::{line_chart, LineChart, Marker, Series};
use crate::page::ChartView;
use crate::ReportError;

/// What the step charts show of a run: its steps, their knees and USL fit (an analysis', or the
/// steps a live run has completed so far).
#[derive(Debug, Clone, Copy)]
pub struct StepView<'a> {
    /// The steps, in run order.
    pub steps: &'a [StepFigures],
    /// The knee of throughput vs users.
    pub knee: Option<&'a Knee>,
    /// How the knee was found, or why there is none.
    pub knee_note: &'a str,
    /// Where p95 takes off against throughput.
    pub latency_knee: Option<&'a Knee>,
    /// The USL fit of throughput vs users.
    pub usl: Option<&'a UslFit>,
}

impl<'a> StepView<'a> {
    /// The steps of `analysis`.
    pub fn of(analysis: &'a Analysis) -> Self {
        StepView {
            steps: &analysis.steps,
            knee: analysis.knee.as_ref(),
            knee_note: &analysis.knee_note,
            latency_knee: analysis.latency_knee.as_ref(),
            usl: analysis.usl.as_ref(),
        }
    }
}

/// `(users, requests/s)` of each step.
fn throughput(view: &StepView<'_>) -> Vec<(f64, f64)> {
    view.steps.iter().map(|s| (s.users, s.rps)).collect()
}

/// `(requests/s, p95 ms)` of each step with a p95, in step order: the path the run took (past
/// saturation throughput stalls or falls back while p95 climbs).
fn latency(view: &StepView<'_>) -> Vec<(f64, f64)> {
    view.steps
        .iter()
        .filter_map(|s| Some((s.rps, s.p95_ms?)))
        .collect()
}

/// The USL curve of `view` (if fitted) from 1 to `top` users, requests/s.
fn usl_curve(view: &StepView<'_>, top: f64) -> Option<(f64, Vec<(f64, f64)>)> {
    let usl = view.usl?;
    let curve = (0..=100)
        .map(|i| {
            let n = (top * i as f64 / 100.0).max(1.0);
            (n, usl.throughput(n))
        })
        .collect();
    Some((usl.r2, curve))
}

/// Dots on every point.
fn dotted(series: Series) -> Series {
    Series {
        dots: true,
        ..series
    }
}

/// The step charts (none with fewer than 2 steps), with `baseline`'s steps overlaid.
pub fn charts(
    view: &StepView<'_>,
    baseline: Option<&StepView<'_>>,
) -> Result<Vec<ChartView>, ReportError> {
    if view.steps.len() < 2 {
        return Ok(Vec::new());
    }
    let baseline = baseline.filter(|b| b.steps.len() >= 2);
    Ok(vec![
        scalability_chart(view, baseline)?,
        latency_chart(view, baseline)?,
    ])
}

/// Throughput vs users: the measured steps, the USL fit and the knee, with the baseline's steps
/// and fit overlaid.
fn scalability_chart(
    view: &StepView<'_>,
    baseline: Option<&StepView<'_>>,
) -> Result<ChartView, ReportError> {
    let top = view
        .steps
        .iter()
        .chain(baseline.iter().flat_map(|b| b.steps.iter()))
        .map(|s| s.users)
        .fold(0.0, f64::max);
    let mut lines = vec![dotted(Series::line("measured", throughput(view)))];
    if let Some((r2, curve)) = usl_curve(view, top) {
        lines.push(Series {
            dashed: true,
            ..Series::line(format!("USL fit (R²={r2:.3})"), curve)
        });
    }
    if let Some(base) = baseline {
        lines.push(dotted(Series::overlay(
            "baseline measured",
            throughput(base),
            0,
        )));
        if let Some((r2, curve)) = usl_curve(base, top) {
            lines.push(Series::overlay(
                format!("baseline USL fit (R²={r2:.3})"),
                curve,
                1,
            ));
        }
    }
    let markers = view
        .knee
        .iter()
        .map(|k| Marker {
            at: (k.users, k.rps),
            label: format!("knee: {} users", k.users),
        })
        .collect();
    Ok(chart(
        "scalability",
        "Throughput vs users (steps)",
        line_chart(&LineChart {
            title: "Throughput per step".into(),
            x_label: "users".into(),
            y_label: "requests per second".into(),
            series: lines,
            shade: None,
            markers,
        })?,
        Some(view.knee_note.to_owned()),
    ))
}

/// p95 vs throughput along the steps, where latency takes off marked, with the baseline's steps
/// overlaid.
fn latency_chart(
    view: &StepView<'_>,
    baseline: Option<&StepView<'_>>,
) -> Result<ChartView, ReportError> {
    let mut latency_lines = vec![dotted(Series::line("p95", latency(view)))];
    if let Some(base) = baseline {
        latency_lines.push(dotted(Series::overlay("baseline p95", latency(base), 0)));
    }
    let latency_markers = view
        .latency_knee
        .iter()
        .filter_map(|k| {
            Some(Marker {
                at: (k.rps, k.p95_ms?),
                label: format!("p95 takes off at {:.0} req/s", k.rps),
            })
        })
        .collect();
    Ok(chart(
        "latency-throughput",
        "Latency vs throughput (steps)",
        line_chart(&LineChart {
            title: "p95 response time per step".into(),
            x_label: "requests per second".into(),
            y_label: "p95 response time (ms)".into(),
            series: latency_lines,
            shade: None,
            markers: latency_markers,
        })?,
        None,
    ))
}

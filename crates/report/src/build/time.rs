//! Charts over time: requests and failures per second, percentiles and users, each with the
//! baseline's same series overlaid (dashed, lighter) when there is one.

use captest_analyze::{Analysis, HistoryRow, Run};

use super::chart;
use crate::charts::{line_chart, LineChart, Series};
use crate::page::ChartView;
use crate::ReportError;

/// `(seconds since start, value)` of the rows that have a value.
fn series(
    rows: &[HistoryRow],
    start: f64,
    value: impl Fn(&HistoryRow) -> Option<f64>,
) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|r| Some((r.timestamp - start, value(r)?)))
        .collect()
}

/// A figure of a history row, per second or in ms, with its legend name.
type Figure = (&'static str, fn(&HistoryRow) -> Option<f64>);

const THROUGHPUT: [Figure; 2] = [
    ("requests/s", |r| Some(r.rps)),
    ("failures/s", |r| Some(r.failures_per_s)),
];
const LATENCY: [Figure; 3] = [
    ("p50", |r| r.p50_ms()),
    ("p95", |r| r.p95_ms()),
    ("p99", |r| r.p99_ms()),
];
const USERS: [Figure; 1] = [("users", |r| Some(r.user_count))];

/// The run's lines of `figures`, then the baseline's same lines overlaid in the same colours.
fn lines(
    figures: &[Figure],
    run: (&[HistoryRow], f64),
    baseline: Option<(&[HistoryRow], f64)>,
) -> Vec<Series> {
    let mut out: Vec<Series> = figures
        .iter()
        .map(|(name, value)| Series::line(*name, series(run.0, run.1, value)))
        .collect();
    if let Some((rows, start)) = baseline {
        out.extend(figures.iter().enumerate().map(|(index, (name, value))| {
            Series::overlay(
                format!("baseline {name}"),
                series(rows, start, value),
                index,
            )
        }));
    }
    out
}

/// The time charts of `run` (none without a history), with `baseline`'s series overlaid.
pub(super) fn charts(
    run: &Run,
    analysis: &Analysis,
    baseline: Option<&Run>,
) -> Result<Vec<ChartView>, ReportError> {
    let Some(history) = &run.history else {
        return Ok(Vec::new());
    };
    let current = (history.aggregated.as_slice(), history.start());
    let warmup = (analysis.warmup_s > 0.0).then(|| {
        (
            0.0,
            analysis.warmup_s,
            format!("warmup ({}s)", analysis.warmup_s),
        )
    });
    let base = baseline
        .and_then(|b| b.history.as_ref())
        .map(|h| (h.aggregated.as_slice(), h.start()));
    let x_label = "time since start (s)";
    let window_note =
        Some("Locust's current figures: each point covers about the last 10 s.".to_owned());
    let draw = |title: &str, y_label: &str, figures: &[Figure]| {
        line_chart(&LineChart {
            title: title.into(),
            x_label: x_label.into(),
            y_label: y_label.into(),
            series: lines(figures, current, base),
            shade: warmup.clone(),
            markers: Vec::new(),
        })
    };
    Ok(vec![
        chart(
            "throughput",
            "Throughput and failures over time",
            draw(
                "Requests and failures per second",
                "per second",
                &THROUGHPUT,
            )?,
            window_note.clone(),
        ),
        chart(
            "latency",
            "Response time percentiles over time",
            draw("Response time percentiles", "response time (ms)", &LATENCY)?,
            window_note,
        ),
        chart(
            "users",
            "Users over time",
            draw("Running users", "users", &USERS)?,
            None,
        ),
    ])
}

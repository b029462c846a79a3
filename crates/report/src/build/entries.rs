//! Per-entry charts: p95 per entry (bars, the baseline's beside them) and the change of p95 vs
//! the baseline.

use captest_analyze::Analysis;

use super::chart;
use crate::charts::{bar_chart, BarChart, BarGroup};
use crate::page::ChartView;
use crate::ReportError;

/// The p95-per-entry bars (the baseline's beside them) and, with a baseline, the delta chart.
pub(super) fn charts(
    analysis: &Analysis,
    baseline: Option<&Analysis>,
) -> Result<Vec<ChartView>, ReportError> {
    let entries = &analysis.steady.entries;
    if entries.is_empty() {
        return Ok(Vec::new());
    }
    let categories: Vec<String> = entries.iter().map(|e| e.entry.clone()).collect();
    let mut groups = vec![BarGroup {
        name: "current p95".into(),
        values: entries.iter().map(|e| e.p95_ms).collect(),
    }];
    let find = |b: &Analysis, name: &str| {
        b.steady
            .entries
            .iter()
            .find(|e| e.entry == name)
            .and_then(|e| e.p95_ms)
    };
    let mut charts = Vec::new();
    if let Some(base) = baseline {
        groups.push(BarGroup {
            name: "baseline p95".into(),
            values: categories.iter().map(|c| find(base, c)).collect(),
        });
    }
    charts.push(chart(
        "entries-p95",
        "p95 per entry",
        bar_chart(&BarChart {
            title: "95th percentile per entry (steady state)".into(),
            x_label: "p95 response time (ms)".into(),
            categories: categories.clone(),
            groups,
            value_label: |v| format!("{v:.1}"),
            diverging: false,
        })?,
        None,
    ));
    if let Some(base) = baseline {
        let deltas = entries
            .iter()
            .map(|e| match (find(base, &e.entry), e.p95_ms) {
                (Some(b), Some(c)) if b > 0.0 => Some((c / b - 1.0) * 100.0),
                _ => None,
            })
            .collect();
        charts.push(chart(
            "delta",
            "Change vs baseline per entry",
            bar_chart(&BarChart {
                title: format!("Change of p95 vs the baseline ({})", base.run),
                x_label: "change of p95 (%)".into(),
                categories,
                groups: vec![BarGroup {
                    name: "Δ p95".into(),
                    values: deltas,
                }],
                value_label: |v| format!("{v:+.1} %"),
                diverging: true,
            })?,
            Some(
                "Positive (orange) is slower than the baseline, negative (green) faster; n/a: \
                 the entry has no p95 in one of the runs."
                    .into(),
            ),
        ));
    }
    Ok(charts)
}

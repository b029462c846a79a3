//! Building a report page from a run, its analysis and an optional baseline, and writing it.

use std::path::{Path, PathBuf};
use std::time::Duration;

use captest_analyze::{analyze, Analysis, AnalyzeOptions, HistoryRow, Run};

use crate::charts::{bar_chart, line_chart, BarChart, BarGroup, LineChart, Marker, Series};
use crate::page::{Card, ChartView, ReportPage};
use crate::render::Templates;
use crate::tables::{self, ms};
use crate::ReportError;

/// How to build a report.
#[derive(Debug, Clone)]
pub struct ReportOptions {
    /// Warmup left out of the analysis (shaded in the time charts).
    pub warmup: Duration,
    /// A baseline run (prefix or file) to overlay and compare with.
    pub baseline: Option<PathBuf>,
    /// Templates to render with.
    pub templates: Templates,
}

impl Default for ReportOptions {
    fn default() -> Self {
        ReportOptions {
            warmup: Duration::ZERO,
            baseline: None,
            templates: Templates::embedded(),
        }
    }
}

fn series(
    rows: &[HistoryRow],
    start: f64,
    value: impl Fn(&HistoryRow) -> Option<f64>,
) -> Vec<(f64, f64)> {
    rows.iter()
        .filter_map(|r| Some((r.timestamp - start, value(r)?)))
        .collect()
}

fn chart(id: &str, title: &str, svg: String, note: Option<String>) -> ChartView {
    ChartView {
        id: id.to_owned(),
        title: title.to_owned(),
        svg,
        note,
    }
}

fn time_charts(
    run: &Run,
    analysis: &Analysis,
    baseline: Option<&Run>,
) -> Result<Vec<ChartView>, ReportError> {
    let Some(history) = &run.history else {
        return Ok(Vec::new());
    };
    let rows = &history.aggregated;
    let start = history.start();
    let warmup = (analysis.warmup_s > 0.0).then(|| {
        (
            0.0,
            analysis.warmup_s,
            format!("warmup ({}s)", analysis.warmup_s),
        )
    });
    let base_rows = baseline
        .and_then(|b| b.history.as_ref())
        .map(|h| (h.aggregated.as_slice(), h.start()));
    let x_label = "time since start (s)".to_owned();

    let mut throughput = vec![
        Series::line("requests/s", series(rows, start, |r| Some(r.rps))),
        Series::line(
            "failures/s",
            series(rows, start, |r| Some(r.failures_per_s)),
        ),
    ];
    let mut latency = vec![
        Series::line("p50", series(rows, start, |r| r.p50_ms)),
        Series::line("p95", series(rows, start, |r| r.p95_ms)),
        Series::line("p99", series(rows, start, |r| r.p99_ms)),
    ];
    if let Some((base, base_start)) = base_rows {
        throughput.push(Series {
            dashed: true,
            ..Series::line(
                "baseline requests/s",
                series(base, base_start, |r| Some(r.rps)),
            )
        });
        latency.push(Series {
            dashed: true,
            ..Series::line("baseline p95", series(base, base_start, |r| r.p95_ms))
        });
    }
    let window_note =
        Some("Locust's current figures: each point covers about the last 10 s.".to_owned());
    Ok(vec![
        chart(
            "throughput",
            "Throughput and failures over time",
            line_chart(&LineChart {
                title: "Requests and failures per second".into(),
                x_label: x_label.clone(),
                y_label: "per second".into(),
                series: throughput,
                shade: warmup.clone(),
                markers: Vec::new(),
            })?,
            window_note.clone(),
        ),
        chart(
            "latency",
            "Response time percentiles over time",
            line_chart(&LineChart {
                title: "Response time percentiles".into(),
                x_label: x_label.clone(),
                y_label: "response time (ms)".into(),
                series: latency,
                shade: warmup.clone(),
                markers: Vec::new(),
            })?,
            window_note,
        ),
        chart(
            "users",
            "Users over time",
            line_chart(&LineChart {
                title: "Running users".into(),
                x_label,
                y_label: "users".into(),
                series: vec![Series::line(
                    "users",
                    series(rows, start, |r| Some(r.user_count)),
                )],
                shade: warmup,
                markers: Vec::new(),
            })?,
            None,
        ),
    ])
}

fn step_charts(analysis: &Analysis) -> Result<Vec<ChartView>, ReportError> {
    if analysis.steps.len() < 2 {
        return Ok(Vec::new());
    }
    let points: Vec<(f64, f64)> = analysis.steps.iter().map(|s| (s.users, s.rps)).collect();
    let mut lines = vec![Series {
        dots: true,
        ..Series::line("measured", points)
    }];
    if let Some(usl) = &analysis.usl {
        let top = analysis.steps.iter().map(|s| s.users).fold(0.0, f64::max);
        let curve = (0..=100).map(|i| {
            let n = (top * i as f64 / 100.0).max(1.0);
            (n, usl.throughput(n))
        });
        lines.push(Series {
            dashed: true,
            ..Series::line(format!("USL fit (R²={:.3})", usl.r2), curve.collect())
        });
    }
    let markers = analysis
        .knee
        .iter()
        .map(|k| Marker {
            at: (k.users, k.rps),
            label: format!(" knee: {} users", k.users),
        })
        .collect();
    let mut latency_points: Vec<(f64, f64)> = analysis
        .steps
        .iter()
        .filter_map(|s| Some((s.rps, s.p95_ms?)))
        .collect();
    latency_points.sort_by(|a, b| a.0.total_cmp(&b.0));
    let latency_markers = analysis
        .latency_knee
        .iter()
        .filter_map(|k| {
            Some(Marker {
                at: (k.rps, k.p95_ms?),
                label: format!(" p95 takes off at {:.0} req/s", k.rps),
            })
        })
        .collect();
    Ok(vec![
        chart(
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
            Some(analysis.knee_note.clone()),
        ),
        chart(
            "latency-throughput",
            "Latency vs throughput (steps)",
            line_chart(&LineChart {
                title: "p95 response time per step".into(),
                x_label: "requests per second".into(),
                y_label: "p95 response time (ms)".into(),
                series: vec![Series {
                    dots: true,
                    ..Series::line("p95", latency_points)
                }],
                shade: None,
                markers: latency_markers,
            })?,
            None,
        ),
    ])
}

fn entry_charts(
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
        values: entries.iter().map(|e| e.p95_ms.unwrap_or(0.0)).collect(),
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
            values: categories
                .iter()
                .map(|c| find(base, c).unwrap_or(0.0))
                .collect(),
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
        })?,
        None,
    ));
    if let Some(base) = baseline {
        let deltas = entries
            .iter()
            .map(|e| match (find(base, &e.entry), e.p95_ms) {
                (Some(b), Some(c)) if b > 0.0 => (c / b - 1.0) * 100.0,
                _ => 0.0,
            })
            .collect();
        charts.push(chart(
            "delta",
            "Change vs baseline per entry",
            bar_chart(&BarChart {
                title: format!("p95 change vs baseline {}", base.run),
                x_label: "change of p95 (%)".into(),
                categories,
                groups: vec![BarGroup {
                    name: "Δ p95".into(),
                    values: deltas,
                }],
            })?,
            Some("Positive is slower than the baseline.".into()),
        ));
    }
    Ok(charts)
}

/// Builds the page for `run` analyzed as `analysis`, with an optional baseline.
pub fn build_page(
    run: &Run,
    analysis: &Analysis,
    baseline: Option<(&Run, &Analysis)>,
) -> Result<ReportPage, ReportError> {
    let steady = &analysis.steady.aggregated;
    let mut cards = vec![
        Card {
            value: format!("{:.1} req/s", steady.rps),
            label: "steady throughput".into(),
        },
        Card {
            value: format!("{} ms", ms(steady.p95_ms)),
            label: "steady p95".into(),
        },
        Card {
            value: format!("{:.2} %", steady.error_pct),
            label: "errors".into(),
        },
        Card {
            value: analysis
                .knee
                .as_ref()
                .map_or("—".into(), |k| format!("{} users", k.users)),
            label: "knee".into(),
        },
    ];
    if let Some(events) = analysis.events_per_s {
        cards.push(Card {
            value: format!("{events:.1} /s"),
            label: "business events".into(),
        });
    }
    if analysis.rate_limited.requests > 0.0 {
        cards.push(Card {
            value: format!("{:.2} %", analysis.rate_limited.share_pct),
            label: "rate limited (429)".into(),
        });
    }
    let mut charts = time_charts(run, analysis, baseline.map(|b| b.0))?;
    charts.extend(step_charts(analysis)?);
    charts.extend(entry_charts(analysis, baseline.map(|b| b.1))?);
    let mut table_list = vec![
        tables::findings(analysis),
        tables::statistics(run),
        tables::steady(analysis),
    ];
    if !analysis.steps.is_empty() {
        table_list.push(tables::steps(analysis));
    }
    if let Some((base_run, base)) = baseline {
        table_list.push(tables::verdicts(run, base_run, analysis.warmup_s));
        table_list.push(tables::versus_baseline(analysis, base));
    }
    table_list.push(tables::failures(run));
    table_list.push(tables::exceptions(run));
    let mut meta = vec![format!("Files: {}_*", run.files.prefix.display())];
    if let Some(history) = &run.history {
        let seconds = history.aggregated.last().map_or(0.0, |r| r.timestamp) - history.start();
        meta.push(format!(
            "Run length: {seconds:.0} s; history {}",
            if history.is_full() {
                "per entry"
            } else {
                "Aggregated only"
            }
        ));
    }
    if let Some((_, base)) = baseline {
        meta.push(format!("Baseline: {}", base.run));
    }
    meta.push(format!(
        "Generated by captest {}",
        env!("CARGO_PKG_VERSION")
    ));
    Ok(ReportPage {
        title: format!("captest report — {}", analysis.run),
        meta,
        cards,
        notes: vec![format!(
            "Steady state after {}s warmup; {}",
            analysis.warmup_s, analysis.knee_note
        )],
        charts,
        tables: table_list,
    })
}

/// Loads, analyzes and renders the run at `prefix` (and the baseline) into `output`; returns it.
pub fn render_run_report(
    prefix: &Path,
    output: &Path,
    options: &ReportOptions,
) -> Result<PathBuf, ReportError> {
    let analyze_options = AnalyzeOptions {
        warmup: options.warmup,
        ..AnalyzeOptions::default()
    };
    let run = Run::load(prefix)?;
    let analysis = analyze(&run, &analyze_options)?;
    let baseline = match &options.baseline {
        Some(path) => {
            let base = Run::load(path)?;
            let base_analysis = analyze(&base, &analyze_options)?;
            Some((base, base_analysis))
        }
        None => None,
    };
    let page = build_page(&run, &analysis, baseline.as_ref().map(|(r, a)| (r, a)))?;
    let html = options.templates.render(&page)?;
    std::fs::write(output, html).map_err(|source| ReportError::Io {
        path: output.to_owned(),
        source,
    })?;
    Ok(output.to_owned())
}

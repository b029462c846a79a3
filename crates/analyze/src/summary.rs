//! The analysis for people: a terminal summary and a Markdown version (for CI step summaries),
//! rendered by the [`Text`] and [`Markdown`] exporters, and the typed [`Finding`]s they and the
//! HTML report show.

use std::fmt::{self, Write};

use crate::analysis::Analysis;
use crate::output::{Exportable, Exporter, Format, Json, Markdown, OutputError, Text};

/// One finding of an analysis: what it is about (`knee`, `USL`, `SLO p95<200ms`, …) and what was
/// found. Shown as `label: text` in the terminal and Markdown, as a table row in the HTML report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What the finding is about, lower case unless a name (`knee`, `USL`).
    pub label: String,
    /// What was found.
    pub text: String,
}

impl Finding {
    fn new(label: impl Into<String>, text: String) -> Self {
        Finding {
            label: label.into(),
            text,
        }
    }
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.label, self.text)
    }
}

fn ms(value: Option<f64>) -> String {
    value.map_or_else(|| "n/a".to_owned(), |v| format!("{v:.1}"))
}

/// Table cells: header and rows.
struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

fn steady_table(analysis: &Analysis) -> Table {
    let mut rows = Vec::new();
    for figures in analysis
        .steady
        .entries
        .iter()
        .chain([&analysis.steady.aggregated])
    {
        rows.push(vec![
            figures.entry.clone(),
            format!("{:.0}", figures.requests),
            format!("{:.2}", figures.rps),
            format!("{:.2}", figures.rps_recipe),
            format!("{:.1}", figures.avg_ms),
            ms(figures.p50_ms),
            ms(figures.p95_ms),
            ms(figures.p99_ms),
            format!("{:.2}", figures.error_pct),
        ]);
    }
    Table {
        header: vec![
            "entry",
            "requests",
            "req/s",
            "req/s (recipe)",
            "avg ms",
            "p50 ms",
            "p95 ms",
            "p99 ms",
            "errors %",
        ],
        rows,
    }
}

fn steps_table(analysis: &Analysis) -> Table {
    Table {
        header: vec![
            "users", "req/s", "avg ms", "p50 ms", "p95 ms", "p99 ms", "errors %",
        ],
        rows: analysis
            .steps
            .iter()
            .map(|s| {
                vec![
                    format!("{}", s.users),
                    format!("{:.1}", s.rps),
                    ms(s.avg_ms),
                    ms(s.p50_ms),
                    ms(s.p95_ms),
                    ms(s.p99_ms),
                    format!("{:.2}", s.error_pct),
                ]
            })
            .collect(),
    }
}

/// The findings of an analysis: knee, latency knee, USL, breaking point, capacity, SLO, business
/// events and rate limits. The terminal, Markdown and HTML outputs all show them.
pub fn findings(analysis: &Analysis) -> Vec<Finding> {
    let mut found = scaling(analysis);
    found.extend(capacity(analysis));
    found.extend(events(analysis));
    found.extend(rate_limited(analysis));
    found
}

/// Knee, latency knee, USL, breaking point and the breaking-point rules.
fn scaling(analysis: &Analysis) -> Vec<Finding> {
    let mut found = vec![match &analysis.knee {
        Some(knee) => Finding::new(
            "knee",
            format!(
                "{} users at {:.1} req/s (p95 {} ms) — {}",
                knee.users,
                knee.rps,
                ms(knee.p95_ms),
                knee.method
            ),
        ),
        None => Finding::new("knee", format!("none — {}", analysis.knee_note)),
    }];
    if let Some(knee) = &analysis.latency_knee {
        let text = format!(
            "p95 takes off at {:.1} req/s ({} users)",
            knee.rps, knee.users
        );
        found.push(Finding::new("latency knee", text));
    }
    if let Some(usl) = &analysis.usl {
        let text = format!(
            "σ={:.4} κ={:.6} λ={:.2} req/s/user, N*={}, X_max={} req/s, R²={:.3}",
            usl.sigma,
            usl.kappa,
            usl.lambda,
            usl.n_star.map_or("∞".to_owned(), |n| format!("{n:.1}")),
            usl.x_max.map_or("n/a".to_owned(), |x| format!("{x:.1}")),
            usl.r2
        );
        found.push(Finding::new("USL", text));
    }
    if let Some(bp) = &analysis.breaking_point {
        let text = format!(
            "{} fired first at {} users, {:.1} req/s ({})",
            bp.rule, bp.users, bp.rps, bp.detail
        );
        found.push(Finding::new("breaking point", text));
    }
    if !analysis.steps.is_empty() {
        let rules: Vec<String> = analysis
            .breaking_points
            .iter()
            .map(|check| match (check.users, check.rps) {
                (Some(users), Some(rps)) => {
                    format!("{} at {users} users, {rps:.1} req/s", check.rule)
                }
                _ => format!("{} never", check.rule),
            })
            .collect();
        found.push(Finding::new("breaking-point rules", rules.join("; ")));
    }
    found
}

/// Little's-law capacity, the planned users and the SLO.
fn capacity(analysis: &Analysis) -> Vec<Finding> {
    let capacity = &analysis.capacity;
    let mut found = vec![Finding::new("capacity", format!(
        "best {:.1} req/s; Little's law: {:.1} users busy at the steady state ({} running), {:.1} users drive the best rate (think time {}s)",
        capacity.max_rps_measured, capacity.littles_users, capacity.users_running, capacity.users_for_max_rps, capacity.think_time_s
    ))];
    if let Some(note) = &capacity.max_rps_for_users_note {
        found.push(Finding::new("planned users (Little's law)", note.clone()));
    }
    if let Some(slo) = &capacity.slo {
        let text = format!(
            "steady state {}; most users measured within it: {}; Little's-law estimate: {:.0} users",
            if slo.steady_meets { "meets it" } else { "MISSES it" },
            slo.max_users_measured.map_or("none".to_owned(), |u| u.to_string()),
            slo.users_estimated
        );
        found.push(Finding::new(format!("SLO {}", slo.rule), text));
    }
    found
}

/// Business events per second, when the run has event weights.
fn events(analysis: &Analysis) -> Option<Finding> {
    let events = analysis.events_per_s?;
    let parts: Vec<String> = analysis
        .events
        .iter()
        .map(|e| {
            format!(
                "{} {:.1}/s × {} = {:.1}",
                e.entry, e.rps, e.weight, e.events_per_s
            )
        })
        .collect();
    let text = format!(
        "{events:.1} events/s ({}; weights from {})",
        parts.join("; "),
        analysis.events_source.unwrap_or("?")
    );
    Some(Finding::new("business events", text))
}

/// Requests answered 429, when there are any.
fn rate_limited(analysis: &Analysis) -> Option<Finding> {
    let limited = &analysis.rate_limited;
    if limited.requests <= 0.0 {
        return None;
    }
    let parts: Vec<String> = limited
        .entries
        .iter()
        .map(|e| format!("{} {:.0} ({:.1}%)", e.entry, e.requests, e.share_pct))
        .collect();
    let text = format!(
        "{:.0} requests, {:.2}% of all ({}); other failures: {:.0}",
        limited.requests,
        limited.share_pct,
        parts.join(", "),
        limited.other_failures
    );
    Some(Finding::new("rate limited (429)", text))
}

fn text_table(out: &mut String, table: &Table) {
    let mut widths: Vec<usize> = table.header.iter().map(|h| h.chars().count()).collect();
    for row in &table.rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        cells
            .iter()
            .zip(&widths)
            .enumerate()
            .map(|(i, (c, w))| {
                if i == 0 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect::<Vec<_>>()
            .join("  ")
    };
    let _ = writeln!(out, "{}", line(table.header.clone()));
    for row in &table.rows {
        let _ = writeln!(out, "{}", line(row.iter().map(String::as_str).collect()));
    }
}

/// The terminal summary.
fn text(analysis: &Analysis) -> String {
    let mut out = String::new();
    let steady = &analysis.steady;
    let _ = writeln!(
        out,
        "run {} — steady state after {}s warmup ({} s of data, figures from {})\n",
        analysis.run,
        analysis.warmup_s,
        steady.to - steady.from,
        steady.aggregated.source
    );
    if let Some(note) = &steady.note {
        let _ = writeln!(out, "note: {note}\n");
    }
    text_table(&mut out, &steady_table(analysis));
    if !analysis.steps.is_empty() {
        let _ = writeln!(out, "\nsteps (from {}):", analysis.steps_source);
        text_table(&mut out, &steps_table(analysis));
    }
    out.push('\n');
    for finding in findings(analysis) {
        let _ = writeln!(out, "{finding}");
    }
    out
}

fn markdown_table(out: &mut String, table: &Table) {
    let escape = |c: &str| c.replace('|', "\\|");
    let _ = writeln!(out, "| {} |", table.header.join(" | "));
    let _ = writeln!(
        out,
        "|{}",
        table.header.iter().map(|_| "---|").collect::<String>()
    );
    for row in &table.rows {
        let cells: Vec<String> = row.iter().map(|c| escape(c)).collect();
        let _ = writeln!(out, "| {} |", cells.join(" | "));
    }
}

/// The Markdown summary.
fn markdown(analysis: &Analysis) -> String {
    let mut out = format!(
        "## captest analyze: {}\n\nSteady state after {}s warmup.\n\n",
        analysis.run, analysis.warmup_s
    );
    if let Some(note) = &analysis.steady.note {
        let _ = writeln!(out, "> Note: {note}\n");
    }
    markdown_table(&mut out, &steady_table(analysis));
    if !analysis.steps.is_empty() {
        out.push_str("\n### Steps\n\n");
        markdown_table(&mut out, &steps_table(analysis));
    }
    out.push_str("\n### Findings\n\n");
    for finding in findings(analysis) {
        let _ = writeln!(out, "- {finding}");
    }
    out
}

impl Exporter<Analysis> for Text {
    fn render(&self, analysis: &Analysis) -> Result<String, OutputError> {
        Ok(text(analysis))
    }
}

impl Exporter<Analysis> for Markdown {
    fn render(&self, analysis: &Analysis) -> Result<String, OutputError> {
        Ok(markdown(analysis))
    }
}

impl Exportable for Analysis {
    const WHAT: &'static str = "analysis";

    fn exporter(format: Format) -> Result<Box<dyn Exporter<Self>>, OutputError> {
        match format {
            Format::Text => Ok(Box::new(Text)),
            Format::Markdown => Ok(Box::new(Markdown)),
            Format::Json => Ok(Box::new(Json)),
            Format::Junit => Err(OutputError::Unsupported {
                format,
                what: Self::WHAT,
            }),
        }
    }
}

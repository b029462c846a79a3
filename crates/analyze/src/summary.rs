//! The analysis for people: a terminal summary and a Markdown version (for CI step summaries).

use std::fmt::Write;

use crate::analysis::Analysis;

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

/// The findings of an analysis, one `what: value` line each: knee, latency knee, USL, breaking
/// point, capacity, SLO, business events and rate limits. The terminal, Markdown and HTML outputs
/// all show these lines.
pub fn findings(analysis: &Analysis) -> Vec<String> {
    let mut lines = Vec::new();
    match &analysis.knee {
        Some(knee) => lines.push(format!(
            "knee: {} users at {:.1} req/s (p95 {} ms) — {}",
            knee.users,
            knee.rps,
            ms(knee.p95_ms),
            knee.method
        )),
        None => lines.push(format!("knee: none — {}", analysis.knee_note)),
    }
    if let Some(knee) = &analysis.latency_knee {
        lines.push(format!(
            "latency knee: p95 takes off at {:.1} req/s ({} users)",
            knee.rps, knee.users
        ));
    }
    if let Some(usl) = &analysis.usl {
        lines.push(format!(
            "USL: σ={:.4} κ={:.6} λ={:.2} req/s/user, N*={}, X_max={} req/s, R²={:.3}",
            usl.sigma,
            usl.kappa,
            usl.lambda,
            usl.n_star.map_or("∞".to_owned(), |n| format!("{n:.1}")),
            usl.x_max.map_or("n/a".to_owned(), |x| format!("{x:.1}")),
            usl.r2
        ));
    }
    if let Some(bp) = &analysis.breaking_point {
        lines.push(format!(
            "breaking point: {} fired first at {} users, {:.1} req/s ({})",
            bp.rule, bp.users, bp.rps, bp.detail
        ));
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
        lines.push(format!("breaking-point rules: {}", rules.join("; ")));
    }
    let capacity = &analysis.capacity;
    lines.push(format!(
        "capacity: best {:.1} req/s; Little's law: {:.1} users busy at the steady state ({} running), {:.1} users drive the best rate (think time {}s)",
        capacity.max_rps_measured, capacity.littles_users, capacity.users_running, capacity.users_for_max_rps, capacity.think_time_s
    ));
    if let Some(note) = &capacity.max_rps_for_users_note {
        lines.push(format!("planned users (Little's law): {note}"));
    }
    if let Some(slo) = &capacity.slo {
        lines.push(format!(
            "SLO {}: steady state {}; most users measured within it: {}; Little's-law estimate: {:.0} users",
            slo.rule,
            if slo.steady_meets { "meets it" } else { "MISSES it" },
            slo.max_users_measured.map_or("none".to_owned(), |u| u.to_string()),
            slo.users_estimated
        ));
    }
    if let Some(events) = analysis.events_per_s {
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
        lines.push(format!(
            "business events: {events:.1} events/s ({}; weights from {})",
            parts.join("; "),
            analysis.events_source.unwrap_or("?")
        ));
    }
    let limited = &analysis.rate_limited;
    if limited.requests > 0.0 {
        let parts: Vec<String> = limited
            .entries
            .iter()
            .map(|e| format!("{} {:.0} ({:.1}%)", e.entry, e.requests, e.share_pct))
            .collect();
        lines.push(format!(
            "rate limited (429): {:.0} requests, {:.2}% of all ({}); other failures: {:.0}",
            limited.requests,
            limited.share_pct,
            parts.join(", "),
            limited.other_failures
        ));
    }
    lines
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
pub fn text(analysis: &Analysis) -> String {
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
    for line in findings(analysis) {
        let _ = writeln!(out, "{line}");
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
pub fn markdown(analysis: &Analysis) -> String {
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
    for line in findings(analysis) {
        let _ = writeln!(out, "- {line}");
    }
    out
}

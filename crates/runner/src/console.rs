//! The console: a live table like Locust's (name, requests, failures, avg, min, max, median, req/s)
//! with a progress line, and the final summary with percentiles and the error report.

use std::fmt::Write;
use std::time::Duration;

use captest_format::columns::PERCENTILES;
use captest_format::AGGREGATED;

use crate::metrics::{EntryStats, RunStats};

/// Width of the Type column.
const TYPE_WIDTH: usize = 8;

fn name_width(stats: &RunStats) -> usize {
    stats
        .sorted_entries()
        .iter()
        .map(|(key, _)| key.name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(AGGREGATED.len(), 60)
}

fn truncate(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        text.to_owned()
    } else {
        let kept: String = text.chars().take(width.saturating_sub(1)).collect();
        format!("{kept}…")
    }
}

fn entry_line(
    out: &mut String,
    method: &str,
    name: &str,
    entry: &EntryStats,
    rps: (f64, f64),
    width: usize,
) {
    let requests = entry.total.requests;
    let failures = entry.total.failures;
    let ratio = if requests == 0 {
        0.0
    } else {
        failures as f64 * 100.0 / requests as f64
    };
    let _ = writeln!(
        out,
        "{:<tw$} {:<w$} {:>8} {:>14} | {:>7.0} {:>7.0} {:>7.0} {:>7.0} | {:>8.2} {:>10.2}",
        method,
        truncate(name, width),
        requests,
        format!("{failures}({ratio:.2}%)"),
        entry.avg_ms(),
        entry.min_ms().unwrap_or(0.0),
        entry.max_ms().unwrap_or(0.0),
        entry.median_ms().map(|m| m.as_ms()).unwrap_or(0.0),
        rps.0,
        rps.1,
        tw = TYPE_WIDTH,
        w = width,
    );
}

fn table(stats: &RunStats, current: bool) -> String {
    let width = name_width(stats);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{:<tw$} {:<w$} {:>8} {:>14} | {:>7} {:>7} {:>7} {:>7} | {:>8} {:>10}",
        "Type",
        "Name",
        "# reqs",
        "# fails",
        "Avg",
        "Min",
        "Max",
        "Med",
        "req/s",
        "failures/s",
        tw = TYPE_WIDTH,
        w = width,
    );
    let separator = "-".repeat(TYPE_WIDTH + width + 8 + 14 + 4 * 8 + 8 + 10 + 9);
    let _ = writeln!(out, "{separator}");
    let rates = |entry: &EntryStats| {
        if current {
            (
                entry.current_rps(stats.last_request(), stats.start()),
                entry.current_fail_per_sec(stats.last_request(), stats.start()),
            )
        } else {
            (stats.total_rps(entry), stats.total_fail_per_sec(entry))
        }
    };
    for (key, entry) in stats.sorted_entries() {
        entry_line(&mut out, &key.method, &key.name, entry, rates(entry), width);
    }
    let _ = writeln!(out, "{separator}");
    entry_line(
        &mut out,
        "",
        AGGREGATED,
        stats.total(),
        rates(stats.total()),
        width,
    );
    out
}

fn clock(duration: Duration) -> String {
    let seconds = duration.as_secs();
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        (seconds / 60) % 60,
        seconds % 60
    )
}

/// The live view: progress line and the current table (rates over the last ~10 s).
pub fn live_view(
    stats: &RunStats,
    elapsed: Duration,
    run_time: Option<Duration>,
    users: usize,
) -> String {
    let remaining = match run_time {
        Some(limit) => format!(", {} left", clock(limit.saturating_sub(elapsed))),
        None => ", until stopped".to_owned(),
    };
    let mut out = format!(
        "[{}{remaining}] users {users}, {} requests, {} failures\n",
        clock(elapsed),
        stats.total().total.requests,
        stats.total().total.failures
    );
    out.push_str(&table(stats, true));
    out
}

/// The final summary: totals table, percentiles and the error report.
pub fn final_summary(stats: &RunStats, elapsed: Duration) -> String {
    let mut out = format!("Run finished after {}\n", clock(elapsed));
    out.push_str(&table(stats, false));
    let width = name_width(stats);
    let _ = writeln!(out, "\nResponse time percentiles (approximated, ms)");
    let mut header = format!(
        "{:<tw$} {:<w$} ",
        "Type",
        "Name",
        tw = TYPE_WIDTH,
        w = width
    );
    for p in [
        "50%", "66%", "75%", "80%", "90%", "95%", "98%", "99%", "99.9%", "99.99%", "100%",
    ] {
        let _ = write!(header, "{p:>7}");
    }
    let _ = writeln!(out, "{header} {:>8}", "# reqs");
    let mut line = |method: &str, name: &str, entry: &EntryStats| {
        if entry.total.requests == 0 {
            return;
        }
        let mut text = format!(
            "{method:<tw$} {:<w$} ",
            truncate(name, width),
            tw = TYPE_WIDTH,
            w = width
        );
        for p in PERCENTILES {
            let _ = write!(text, "{:>7}", entry.percentile_ms(p));
        }
        let _ = writeln!(out, "{text} {:>8}", entry.total.requests);
    };
    for (key, entry) in stats.sorted_entries() {
        line(&key.method, &key.name, entry);
    }
    line("", AGGREGATED, stats.total());
    let failures: Vec<_> = stats.failures().collect();
    if !failures.is_empty() {
        let _ = writeln!(out, "\nError report\n{:<14} Error", "# occurrences");
        let mut rows: Vec<(u64, String)> = failures
            .iter()
            .map(|f| {
                (
                    f.occurrences,
                    format!(
                        "{} {}: {}",
                        f.entry.method,
                        f.entry.name,
                        f.kind.describe(&f.entry.name)
                    ),
                )
            })
            .collect();
        rows.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        for (count, text) in rows {
            let _ = writeln!(out, "{count:<14} {text}");
        }
    }
    let exceptions = stats.exceptions();
    if !exceptions.is_empty() {
        // Scenario mistakes found while running: nothing was sent, so they are not requests.
        let _ = writeln!(
            out,
            "\nTemplate errors (nothing sent; not counted as requests; in _exceptions.csv)\n{:<14} Error",
            "# occurrences"
        );
        for exception in exceptions {
            let _ = writeln!(
                out,
                "{:<14} {}: {}",
                exception.count, exception.traceback, exception.message
            );
        }
    }
    out
}

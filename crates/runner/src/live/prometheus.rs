//! The live state in Prometheus' text exposition format (version 0.0.4), the format every
//! Prometheus server and `promtool check metrics` read. Names follow Prometheus' rules: a
//! `captest_` prefix, base units (seconds), `_total` on counters; the response-time histogram
//! has fixed buckets ([`DURATION_BUCKETS`]) so that several processes' histograms add up.

use std::fmt::Write;

use super::snapshot::{LiveEntry, LiveSnapshot, RunInfo, DURATION_BUCKETS};

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// A label value as the format quotes it: backslash, double quote and line feed escaped.
pub fn escape_label_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            other => out.push(other),
        }
    }
    out
}

/// A sample value: Go's spelling of the infinities and NaN, Rust's shortest round trip
/// otherwise.
fn number(value: f64) -> String {
    if value.is_nan() {
        "NaN".to_owned()
    } else if value.is_infinite() {
        if value > 0.0 { "+Inf" } else { "-Inf" }.to_owned()
    } else {
        value.to_string()
    }
}

/// `{method="…",name="…"` without the closing brace, for an entry's samples.
fn entry_labels(entry: &LiveEntry) -> String {
    format!(
        "{{method=\"{}\",name=\"{}\"",
        escape_label_value(&entry.key.method),
        escape_label_value(&entry.key.name)
    )
}

fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// The whole exposition of `snapshot` for the run `info`.
pub fn render(info: &RunInfo, snapshot: &LiveSnapshot) -> String {
    let mut out = String::with_capacity(1024 + snapshot.entries.len() * 2048);
    family(
        &mut out,
        "captest_run_info",
        "gauge",
        "The run: the captest command, the target host and captest's version (always 1).",
    );
    let _ = writeln!(
        out,
        "captest_run_info{{command=\"{}\",host=\"{}\",version=\"{}\"}} 1",
        escape_label_value(&info.command),
        escape_label_value(&info.host),
        escape_label_value(&info.version)
    );
    family(
        &mut out,
        "captest_users",
        "gauge",
        "Users running (iterations in flight in the open model): _stats_history.csv's User Count.",
    );
    let _ = writeln!(out, "captest_users {}", snapshot.users);
    requests(&mut out, snapshot);
    durations(&mut out, snapshot);
    if snapshot.has_events {
        family(
            &mut out,
            "captest_events_total",
            "counter",
            "Business events delivered by successful requests (_events.csv).",
        );
        for entry in &snapshot.entries {
            let _ = writeln!(
                out,
                "captest_events_total{}}} {}",
                entry_labels(entry),
                number(entry.events)
            );
        }
    }
    if let Some(arrivals) = snapshot.arrivals {
        family(
            &mut out,
            "captest_offered_rate",
            "gauge",
            "Iterations per second the load shape asks for now (open model).",
        );
        let _ = writeln!(
            out,
            "captest_offered_rate {}",
            number(arrivals.offered_rate)
        );
        family(&mut out, "captest_dropped_iterations_total", "counter", "Iterations that could not start: the in-flight limit and its waiting line were full (open model).");
        let _ = writeln!(out, "captest_dropped_iterations_total {}", arrivals.dropped);
    }
    out
}

fn requests(out: &mut String, snapshot: &LiveSnapshot) {
    family(
        out,
        "captest_requests_total",
        "counter",
        "Requests completed, failed ones included (_stats.csv's Request Count).",
    );
    for entry in &snapshot.entries {
        let _ = writeln!(
            out,
            "captest_requests_total{}}} {}",
            entry_labels(entry),
            entry.requests
        );
    }
    if snapshot.failures.is_empty() {
        return;
    }
    family(
        out,
        "captest_request_failures_total",
        "counter",
        "Failed requests by error, as _failures.csv counts them.",
    );
    for failure in &snapshot.failures {
        let _ = writeln!(
            out,
            "captest_request_failures_total{{method=\"{}\",name=\"{}\",error=\"{}\"}} {}",
            escape_label_value(&failure.key.method),
            escape_label_value(&failure.key.name),
            escape_label_value(&failure.error),
            failure.occurrences
        );
    }
}

fn durations(out: &mut String, snapshot: &LiveSnapshot) {
    let name = "captest_request_duration_seconds";
    family(
        out,
        name,
        "histogram",
        "Response times of completed requests, failed ones included, seconds.",
    );
    for entry in &snapshot.entries {
        let labels = entry_labels(entry);
        for (bound, count) in DURATION_BUCKETS.iter().zip(entry.duration_buckets) {
            let _ = writeln!(
                out,
                "{name}_bucket{labels},le=\"{}\"}} {count}",
                number(*bound)
            );
        }
        let _ = writeln!(
            out,
            "{name}_bucket{labels},le=\"+Inf\"}} {}",
            entry.requests
        );
        let _ = writeln!(
            out,
            "{name}_sum{labels}}} {}",
            number(entry.duration_sum_seconds)
        );
        let _ = writeln!(out, "{name}_count{labels}}} {}", entry.requests);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::live::snapshot::{ArrivalCounts, LiveFailure};
    use captest_format::RequestKey;

    fn entry(method: &str, name: &str, requests: u64) -> LiveEntry {
        LiveEntry {
            key: RequestKey::new(method, name),
            requests,
            failures: 0,
            duration_sum_seconds: 0.25,
            duration_buckets: [requests; DURATION_BUCKETS.len()],
            events: 1.5,
            current_rps: 0.0,
            current_fail_per_sec: 0.0,
            percentiles_ms: None,
            min_max_ms: None,
            content_bytes: 0,
        }
    }

    #[test]
    fn label_values_are_escaped() {
        assert_eq!(escape_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        assert_eq!(escape_label_value("/item/[id]"), "/item/[id]");
    }

    #[test]
    fn families_follow_the_naming_rules_and_the_histogram_is_complete() {
        let info = RunInfo {
            command: "rate".into(),
            host: "http://h".into(),
            version: "1.2.3".into(),
        };
        let snapshot = LiveSnapshot {
            users: 4,
            entries: vec![entry("GET", "/q\"x", 7)],
            failures: vec![LiveFailure {
                key: RequestKey::new("GET", "/q\"x"),
                error: "HTTPError('500')".into(),
                occurrences: 2,
            }],
            has_events: true,
            arrivals: Some(ArrivalCounts {
                offered_rate: 50.0,
                dropped: 3,
            }),
            ..LiveSnapshot::default()
        };
        let text = render(&info, &snapshot);
        let labels = "method=\"GET\",name=\"/q\\\"x\"";
        for line in [
            "captest_run_info{command=\"rate\",host=\"http://h\",version=\"1.2.3\"} 1".to_owned(),
            "captest_users 4".to_owned(),
            format!("captest_requests_total{{{labels}}} 7"),
            format!("captest_request_failures_total{{{labels},error=\"HTTPError('500')\"}} 2"),
            format!("captest_request_duration_seconds_bucket{{{labels},le=\"0.001\"}} 7"),
            format!("captest_request_duration_seconds_bucket{{{labels},le=\"60\"}} 7"),
            format!("captest_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} 7"),
            format!("captest_request_duration_seconds_sum{{{labels}}} 0.25"),
            format!("captest_request_duration_seconds_count{{{labels}}} 7"),
            format!("captest_events_total{{{labels}}} 1.5"),
            "captest_offered_rate 50".to_owned(),
            "captest_dropped_iterations_total 3".to_owned(),
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from:\n{text}"
            );
        }
        assert_eq!(text.matches("# TYPE").count(), 8);
    }
}

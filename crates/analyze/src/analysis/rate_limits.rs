//! Rate limits: 429 Too Many Requests apart from the other failures, run-wide and per step.

use serde::Serialize;

use crate::run::Run;
use crate::steps::{exclude_rate_limits, StepFigures};
use captest_format::Entry;

/// Requests answered 429 Too Many Requests.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RateLimited {
    /// 429 answers over the run.
    pub requests: f64,
    /// Their share of all requests, percent.
    pub share_pct: f64,
    /// Failures other than 429 over the run.
    pub other_failures: f64,
    /// Per entry with any 429.
    pub entries: Vec<EntryRateLimit>,
}

/// 429s of one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryRateLimit {
    /// `METHOD name`.
    pub entry: String,
    /// 429 answers.
    pub requests: f64,
    /// Share of the entry's requests, percent.
    pub share_pct: f64,
}

/// 429s per entry (share of its requests in `_stats.csv`) and run-wide, from `_failures.csv`.
pub(super) fn rate_limited(run: &Run) -> RateLimited {
    let total_requests = run.aggregated_stats().map_or(0.0, |r| r.requests);
    let mut per_entry: Vec<(&Entry, f64)> = Vec::new();
    let mut other = 0.0;
    for failure in &run.failures {
        if !failure.is_rate_limit() {
            other += failure.occurrences;
            continue;
        }
        match per_entry.iter_mut().find(|(e, _)| *e == &failure.entry) {
            Some((_, count)) => *count += failure.occurrences,
            None => per_entry.push((&failure.entry, failure.occurrences)),
        }
    }
    let entries: Vec<EntryRateLimit> = per_entry
        .into_iter()
        .map(|(name, count)| {
            let requests = run
                .entry_stats()
                .find(|r| &r.entry == name)
                .map_or(0.0, |r| r.requests);
            EntryRateLimit {
                entry: name.to_string(),
                requests: count,
                share_pct: if requests > 0.0 {
                    count * 100.0 / requests
                } else {
                    0.0
                },
            }
        })
        .collect();
    let limited: f64 = entries.iter().map(|e| e.requests).sum();
    RateLimited {
        requests: limited,
        share_pct: if total_requests > 0.0 {
            limited * 100.0 / total_requests
        } else {
            0.0
        },
        other_failures: other,
        entries,
    }
}

/// Sets the steps' error share without 429s when `_failures.csv` tells them apart: all failures
/// when it has no 429 at all, else per entry from the full history.
pub(super) fn errors_without_rate_limits(run: &Run, steps: &mut [StepFigures]) {
    if run.files.failures.is_none() {
        return;
    }
    if !run.failures.iter().any(|f| f.is_rate_limit()) {
        for step in steps {
            step.error_pct_excl_429 = Some(step.error_pct);
        }
        return;
    }
    // The split per step needs every entry's rows ([`Run::load_for_analysis`] keeps them when
    // there are 429s).
    let Some(history) = run.history.as_ref().filter(|h| !h.entries.is_empty()) else {
        return;
    };
    exclude_rate_limits(steps, &history.entries, |entry| {
        let (all, other) = run.failures.iter().filter(|f| &f.entry == entry).fold(
            (0.0, 0.0),
            |(all, other), f| {
                let kept = if f.is_rate_limit() {
                    0.0
                } else {
                    f.occurrences
                };
                (all + f.occurrences, other + kept)
            },
        );
        if all > 0.0 {
            other / all
        } else {
            1.0
        }
    });
}

//! Business events per second: Σ steady RPS of an entry × its events per request.

use serde::Serialize;

use super::Steady;
use crate::options::{AnalyzeOptions, EventWeight};
use crate::run::Run;

/// Business events of one entry.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EntryEvents {
    /// `METHOD name`.
    pub entry: String,
    /// Its steady requests per second.
    pub rps: f64,
    /// Events per request.
    pub weight: f64,
    /// rps × weight.
    pub events_per_s: f64,
}

fn matches(pattern: &str, entry: &str) -> bool {
    pattern == entry
        || entry
            .split_once(' ')
            .is_some_and(|(_, name)| name == pattern)
}

/// The event weights to use and where they come from: `--events` over `--events-file` over the
/// run's `_events.csv`.
pub(super) fn event_weights(
    run: &Run,
    options: &AnalyzeOptions,
) -> (Vec<(String, f64)>, Option<&'static str>) {
    let pairs = |weights: &[EventWeight]| -> Vec<(String, f64)> {
        weights
            .iter()
            .map(|w| (w.entry.clone(), w.weight))
            .collect()
    };
    if !options.events.is_empty() {
        (pairs(&options.events), Some("--events"))
    } else if let Some(file) = &options.events_file {
        (pairs(&file.weights), Some("--events-file"))
    } else if !run.event_weights.is_empty() {
        (run.event_weights.clone(), Some("_events.csv"))
    } else {
        (Vec::new(), None)
    }
}

pub(super) fn events(
    run: &Run,
    steady: &Steady,
    options: &AnalyzeOptions,
) -> (Option<f64>, Vec<EntryEvents>) {
    let (weights, _) = event_weights(run, options);
    if weights.is_empty() {
        return (None, Vec::new());
    }
    let list: Vec<EntryEvents> = steady
        .entries
        .iter()
        .filter_map(|e| {
            let weight = weights.iter().find(|(p, _)| matches(p, &e.entry))?.1;
            Some(EntryEvents {
                entry: e.entry.clone(),
                rps: e.rps,
                weight,
                events_per_s: e.rps * weight,
            })
        })
        .collect();
    (Some(list.iter().map(|e| e.events_per_s).sum()), list)
}

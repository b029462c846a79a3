//! What an analysis is asked for: warmup, event weights, an SLO, think time.

use std::path::{Path, PathBuf};
use std::time::Duration;

use captest_format::{StopRule, DEFAULT_STOP_RULES};
use serde::Serialize;

use crate::error::AnalyzeError;

/// A latency objective such as `p95<200ms`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Slo {
    /// `avg`, `p50`, `p95` or `p99`.
    pub metric: String,
    /// The bound, ms.
    pub below_ms: f64,
}

impl std::str::FromStr for Slo {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let invalid = |why: &str| {
            AnalyzeError::InvalidOption(format!(
                "--slo {text:?}: {why}; expected METRIC<DURATION such as p95<200ms (metrics: avg, p50, p95, p99)"
            ))
        };
        let (metric, bound) = text.split_once('<').ok_or_else(|| invalid("no '<'"))?;
        let metric = metric.trim().to_ascii_lowercase();
        if !["avg", "p50", "p95", "p99"].contains(&metric.as_str()) {
            return Err(invalid("unknown metric"));
        }
        let bound =
            humantime::parse_duration(bound.trim()).map_err(|_| invalid("unreadable duration"))?;
        Ok(Slo {
            metric,
            below_ms: bound.as_secs_f64() * 1000.0,
        })
    }
}

/// Business events carried by each request of an entry: `POST /api/v1/event/batch=20`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventWeight {
    /// `METHOD name` or only the name.
    pub entry: String,
    /// Events per request.
    pub weight: f64,
}

impl EventWeight {
    /// `NAME=WEIGHT` with a non-empty name and a finite weight ≥ 0; `None` otherwise.
    fn parse(text: &str) -> Option<EventWeight> {
        let (entry, weight) = text.rsplit_once('=')?;
        let weight: f64 = weight.trim().parse().ok()?;
        let entry = entry.trim();
        (!entry.is_empty() && weight.is_finite() && weight >= 0.0).then(|| EventWeight {
            entry: entry.to_owned(),
            weight,
        })
    }
}

impl std::str::FromStr for EventWeight {
    type Err = AnalyzeError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        EventWeight::parse(text).ok_or_else(|| {
            AnalyzeError::InvalidOption(format!(
                "--events {text:?}: expected NAME=WEIGHT such as 'POST /api/v1/event/batch=20'"
            ))
        })
    }
}

/// An events file (`--events-file`): one `ENTRY=WEIGHT` per line, e.g.
/// `POST /api/v1/event/batch=20`; blank lines and `#` comments (a whole line, or after
/// whitespace at the end of a line) are skipped.
#[derive(Debug, Clone, PartialEq)]
pub struct EventsFile {
    /// The file.
    pub path: PathBuf,
    /// Its weights in file order.
    pub weights: Vec<EventWeight>,
}

impl EventsFile {
    /// Reads and checks an events file; a bad line is an error naming `FILE:LINE`.
    pub fn read(path: &Path) -> Result<EventsFile, AnalyzeError> {
        let text = std::fs::read_to_string(path).map_err(|e| AnalyzeError::read(path, e))?;
        let mut weights = Vec::new();
        for (index, line) in text.lines().enumerate() {
            let content = match line.find(" #").or_else(|| line.find("\t#")) {
                Some(at) => &line[..at],
                None => line,
            };
            let content = content.trim();
            if content.is_empty() || content.starts_with('#') {
                continue;
            }
            let weight = EventWeight::parse(content).ok_or_else(|| {
                AnalyzeError::InvalidOption(format!(
                    "{}:{}: {content:?} is not ENTRY=WEIGHT; expected a line such as 'POST /api/v1/event/batch=20' (weight a number >= 0, '#' starts a comment)",
                    path.display(),
                    index + 1
                ))
            })?;
            weights.push(weight);
        }
        Ok(EventsFile {
            path: path.to_owned(),
            weights,
        })
    }
}

/// Settings of one analysis.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzeOptions {
    /// Left out at the start of each step found in the history (ramp and Locust's ≈10 s window).
    pub step_settle: Duration,
    /// Event weights from `--events` (override the events file and `_events.csv`).
    pub events: Vec<EventWeight>,
    /// Event weights from `--events-file` (override `_events.csv`).
    pub events_file: Option<EventsFile>,
    /// Latency objective for the capacity estimate.
    pub slo: Option<Slo>,
    /// Think time per user between requests, for Little's law.
    pub think_time: Duration,
    /// A planned user count whose throughput Little's law estimates (`--users`).
    pub users: Option<f64>,
    /// The breaking-point rules checked on the steps (`--stop-on`; default: the rules `captest
    /// step` stops at, [`DEFAULT_STOP_RULES`]).
    pub stop_rules: Vec<StopRule>,
}

impl Default for AnalyzeOptions {
    fn default() -> Self {
        AnalyzeOptions {
            step_settle: Duration::from_secs(10),
            events: Vec::new(),
            events_file: None,
            slo: None,
            think_time: Duration::ZERO,
            users: None,
            stop_rules: DEFAULT_STOP_RULES.to_vec(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_slo_and_event_weights() {
        let slo: Slo = "p95<200ms".parse().unwrap();
        assert_eq!((slo.metric.as_str(), slo.below_ms), ("p95", 200.0));
        assert!("p95>200ms".parse::<Slo>().is_err());
        assert!("p42<1s".parse::<Slo>().is_err());
        let weight: EventWeight = "POST /api/v1/event/batch=20".parse().unwrap();
        assert_eq!(weight.entry, "POST /api/v1/event/batch");
        assert_eq!(weight.weight, 20.0);
        assert!("batch".parse::<EventWeight>().is_err());
    }

    #[test]
    fn reads_an_events_file_and_names_a_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("events.txt");
        std::fs::write(
            &path,
            "# business events per request\n\nPOST /api/v1/event/batch=20  # 20 per batch\n/api/v1/event = 1\n",
        )
        .unwrap();
        let file = EventsFile::read(&path).unwrap();
        let got: Vec<(&str, f64)> = file
            .weights
            .iter()
            .map(|w| (w.entry.as_str(), w.weight))
            .collect();
        assert_eq!(
            got,
            [("POST /api/v1/event/batch", 20.0), ("/api/v1/event", 1.0)]
        );
        std::fs::write(&path, "# ok\nPOST /api/v1/event/batch=20\nbatch twenty\n").unwrap();
        let error = EventsFile::read(&path).unwrap_err().to_string();
        assert!(
            error.starts_with(&format!("{}:3: ", path.display())),
            "{error}"
        );
        assert!(EventsFile::read(&dir.path().join("missing")).is_err());
    }
}

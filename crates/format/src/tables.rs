//! A run's tables in memory: the bytes each of its CSV files holds (or would hold), so a run that
//! wrote no files (`--threshold` or `--html` without `--csv`) is read by the same readers as one
//! that did, with the same figures.

use crate::files;

/// The contents of a run's CSV files, each exactly as the runner writes it (header included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunTables {
    /// `_stats.csv`.
    pub stats: Vec<u8>,
    /// `_stats_history.csv`.
    pub history: Vec<u8>,
    /// `_failures.csv`.
    pub failures: Vec<u8>,
    /// `_exceptions.csv`.
    pub exceptions: Vec<u8>,
    /// `_steps.csv` of a step run.
    pub steps: Option<Vec<u8>>,
    /// `_events.csv` of a run whose requests carry business events.
    pub events: Option<Vec<u8>>,
}

impl RunTables {
    /// The table of the file with `suffix` (one of [`files::SUFFIXES`]); `None` for a file the
    /// run has no table for.
    pub fn table(&self, suffix: &str) -> Option<&[u8]> {
        match suffix {
            files::STATS => Some(&self.stats),
            files::HISTORY => Some(&self.history),
            files::FAILURES => Some(&self.failures),
            files::EXCEPTIONS => Some(&self.exceptions),
            files::STEPS => self.steps.as_deref(),
            files::EVENTS => self.events.as_deref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_suffix_names_its_table() {
        let tables = RunTables {
            stats: b"s".to_vec(),
            history: b"h".to_vec(),
            failures: b"f".to_vec(),
            exceptions: b"e".to_vec(),
            steps: None,
            events: Some(b"v".to_vec()),
        };
        assert_eq!(tables.table(files::STATS), Some(&b"s"[..]));
        assert_eq!(tables.table(files::HISTORY), Some(&b"h"[..]));
        assert_eq!(tables.table(files::FAILURES), Some(&b"f"[..]));
        assert_eq!(tables.table(files::EXCEPTIONS), Some(&b"e"[..]));
        assert_eq!(tables.table(files::STEPS), None);
        assert_eq!(tables.table(files::EVENTS), Some(&b"v"[..]));
        assert_eq!(tables.table(files::LATENCY_HDR), None);
    }
}

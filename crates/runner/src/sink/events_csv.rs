//! `PREFIX_events.csv`: business events per entry (what its successful requests delivered), so the
//! analyzer computes events/s without the user repeating the weights.

use std::path::Path;

use captest_format::columns::EVENTS_HEADER;

use super::locust_files::{render_csv, write_atomically};
use crate::error::RunnerError;
use crate::metrics::RunStats;

/// One row per entry that carries events (non-zero in `weights`): `METHOD name`, requests,
/// events delivered; sorted by name.
pub fn event_rows(stats: &RunStats, weights: &[f64]) -> Vec<Vec<String>> {
    let mut rows: Vec<(String, Vec<String>)> = stats
        .entries_with_ids()
        .into_iter()
        .filter_map(|(id, key, entry)| {
            let weight = *weights.get(id.0 as usize)?;
            if weight <= 0.0 {
                return None;
            }
            let name = key.to_string();
            let row = vec![
                name.clone(),
                entry.total.requests.to_string(),
                number(entry.total.events),
            ];
            Some((name, row))
        })
        .collect();
    rows.sort_by(|a, b| a.0.cmp(&b.0));
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Whole numbers without a fraction, others with up to 6 decimals.
fn number(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{}", value as i64)
    } else {
        let text = format!("{value:.6}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}

/// Rewrites `path` with the events so far.
pub fn write_events_csv(path: &Path, stats: &RunStats, weights: &[f64]) -> Result<(), RunnerError> {
    write_atomically(path, &events_table(stats, weights))
}

/// The bytes of `_events.csv` (header included), as [`write_events_csv`] writes them.
pub fn events_table(stats: &RunStats, weights: &[f64]) -> Vec<u8> {
    render_csv(&EVENTS_HEADER, &event_rows(stats, weights))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_plain() {
        assert_eq!(number(20.0), "20");
        assert_eq!(number(2.5), "2.5");
        assert_eq!(number(1.0 / 3.0), "0.333333");
    }
}

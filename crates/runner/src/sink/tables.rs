//! The run's tables in memory, rendered by the same functions that write its files.

use captest_format::RunTables;

use super::{events_table, snapshot_tables, steps_table};
use crate::metrics::RunStats;
use crate::steps::StepResult;

/// The tables of a finished run: `history` as kept while it ran, the others rendered from its
/// final `stats` and `steps` (the `_steps.csv` of a step run; `_events.csv` when an entry of
/// `event_weights` carries events), byte for byte what the files hold.
pub fn run_tables(
    history: Vec<u8>,
    stats: &RunStats,
    steps: &[StepResult],
    open_model: bool,
    event_weights: &[f64],
) -> RunTables {
    let [stats_csv, failures, exceptions] = snapshot_tables(stats);
    RunTables {
        stats: stats_csv,
        history,
        failures,
        exceptions,
        steps: (!steps.is_empty())
            .then(|| steps_table(steps, open_model, !event_weights.is_empty())),
        events: event_weights
            .iter()
            .any(|w| *w > 0.0)
            .then(|| events_table(stats, event_weights)),
    }
}

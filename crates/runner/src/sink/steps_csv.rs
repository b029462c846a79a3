//! `PREFIX_steps.csv`: one row per step of a step run (captest's own file; the Locust files are
//! left exactly as Locust writes them).

use std::path::Path;

use captest_format::columns::STEPS_HEADER;

use super::locust_files::{render_csv, write_atomically};
use crate::error::RunnerError;
use crate::locust::py_float;
use crate::steps::StepResult;

fn rounded(value: f64, decimals: i32) -> String {
    let scale = 10f64.powi(decimals);
    py_float((value * scale).round() / scale)
}

/// The data rows for `steps`; `open_model` fills `Offered Rate`, `with_events` fills `Events/s`.
pub fn step_rows(steps: &[StepResult], open_model: bool, with_events: bool) -> Vec<Vec<String>> {
    steps
        .iter()
        .map(|s| {
            vec![
                (s.index + 1).to_string(),
                s.users.to_string(),
                (s.start.floor() as i64).to_string(),
                (s.end.floor() as i64).to_string(),
                s.requests.to_string(),
                s.failures.to_string(),
                rounded(s.rps(), 3),
                if with_events {
                    rounded(s.events_per_second(), 3)
                } else {
                    String::new()
                },
                rounded(s.percentile_ms(50.0), 3),
                rounded(s.percentile_ms(95.0), 3),
                rounded(s.percentile_ms(99.0), 3),
                rounded(s.error_pct(), 4),
                s.stop_reason.clone().unwrap_or_default(),
                if open_model {
                    rounded(s.level, 3)
                } else {
                    String::new()
                },
            ]
        })
        .collect()
}

/// Rewrites `path` with every step so far.
pub fn write_steps_csv(
    path: &Path,
    steps: &[StepResult],
    open_model: bool,
    with_events: bool,
) -> Result<(), RunnerError> {
    write_atomically(path, &steps_table(steps, open_model, with_events))
}

/// The bytes of `_steps.csv` for `steps` (header included), as [`write_steps_csv`] writes them.
pub fn steps_table(steps: &[StepResult], open_model: bool, with_events: bool) -> Vec<u8> {
    render_csv(&STEPS_HEADER, &step_rows(steps, open_model, with_events))
}

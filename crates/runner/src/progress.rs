//! What a running experiment tells whoever watches it while it goes. The library never prints:
//! the CLI gives the run a [`Progress`] that writes to the terminal (or none, with `-q`).

use crate::error::RunnerError;

/// Receives the run's live view and problems as they happen, on the aggregator's thread.
pub trait Progress: Send {
    /// Seconds between live views.
    fn every(&self) -> u64 {
        2
    }

    /// The live table (entries, percentiles, users, elapsed time), every [`Progress::every`]
    /// seconds.
    fn live(&mut self, view: &str);

    /// A results file could not be written: the run goes on, and the first such error is also
    /// the run's error at the end.
    fn write_failed(&mut self, error: &RunnerError);
}

/// A [`Progress`] for the run's settings (a box that prints as its role in `Debug`).
pub struct ProgressSink(pub Box<dyn Progress>);

impl std::fmt::Debug for ProgressSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ProgressSink")
    }
}

//! captest analyze: reads the CSV files of a run (written by captest **or by Locust**) with
//! polars and finds the steady state, the steps, the knee, a Universal Scalability Law fit,
//! the breaking point, Little's-law capacity, business events per second and rate limits.
//!
//! Start with [`Run::load`] and [`analyze`]; an [`output::Format`] picks the exporter that renders
//! the result (text, Markdown, JSON; JUnit too for [`compare`]'s gate reports).

pub mod analysis;
pub mod capacity;
mod cell;
pub mod compare;
pub mod error;
pub mod files;
pub mod history;
mod history_order;
mod history_scan;
pub mod knee;
pub mod latency;
pub mod lines;
pub mod options;
pub mod output;
pub mod run;
pub mod stats;
pub mod steady;
pub mod steps;
pub mod summary;
pub mod totals;
pub mod usl;
pub mod window_percentiles;

mod table;

pub use analysis::{analyze, Analysis, Knee, Steady};
pub use captest_format::Entry;
/// The steady window and its warmup are defined in `captest-format` (one definition for every
/// tool); re-exported for callers of this crate's API, which takes and returns them.
pub use captest_format::{SteadyWindow, Warmup};
pub use error::AnalyzeError;
pub use files::RunFiles;
pub use history::{History, HistoryRow, Percentiles};
pub use latency::LatencyLog;
pub use options::{AnalyzeOptions, EventWeight, Slo};
pub use output::{Exportable, Exporter, Format, OutputError};
pub use run::Run;
pub use table::CsvSource;

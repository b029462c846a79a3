//! Where measurements go: Locust's CSV files, captest's step file and the HDR histogram log, or
//! the same tables in memory.

mod append_only;
mod events_csv;
mod hdr_deflate;
mod hdr_log;
mod locust_files;
mod steps_csv;
mod tables;

pub use events_csv::{event_rows, events_table, write_events_csv};
pub use hdr_log::HdrIntervalLog;
pub(crate) use locust_files::write_atomically;
pub use locust_files::{render_csv, snapshot_tables, LocustCsvFiles};
pub use steps_csv::{step_rows, steps_table, write_steps_csv};
pub use tables::run_tables;

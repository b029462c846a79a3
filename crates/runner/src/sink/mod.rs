//! Where measurements go: Locust's CSV files, captest's step file and the HDR histogram log.

mod events_csv;
mod hdr_log;
mod locust_files;
mod steps_csv;

pub use events_csv::{event_rows, write_events_csv};
pub use hdr_log::HdrIntervalLog;
pub use locust_files::{render_csv, LocustCsvFiles};
pub use steps_csv::{step_rows, write_steps_csv};

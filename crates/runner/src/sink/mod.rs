//! Where measurements go: Locust's CSV files and the HDR histogram log.

mod hdr_log;
mod locust_files;

pub use hdr_log::{encode_tag, write_hdr_log};
pub use locust_files::{prefixed, render_csv, LocustCsvFiles};

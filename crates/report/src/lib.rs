//! captest report: self-contained HTML reports — SVG charts drawn with plotters, inlined into
//! minijinja templates embedded at build time (overridable with `--template-dir`). No network:
//! the page carries its own CSS and no script.
//!
//! [`render_run_report`] does the whole job for a run's prefix; [`Html`] is the exporter (of
//! `captest_analyze::output`) that renders a [`RunReport`].

pub mod build;
pub mod charts;
pub mod error;
pub mod html;
pub mod page;
pub mod render;
pub mod tables;

pub use build::{build_page, render_loaded_run, render_run_report, ReportOptions};
pub use error::ReportError;
pub use html::{Html, RunReport};
pub use page::ReportPage;
pub use render::Templates;

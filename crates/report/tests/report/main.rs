//! Tests of the report crate through its public API, as one test crate (one binary to link).

mod baseline_overlay;
mod chart_layout;
mod html;
mod verdicts;

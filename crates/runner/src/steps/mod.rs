//! Step runs: per-step results, breaking-point rules and the tracker that applies them.

mod result;
mod rule;
mod tracker;

pub use result::StepResult;
pub use rule::{breaking_reason, describe, StopRule, DEFAULT_STOP_RULES};
pub use tracker::{StepTracker, StopRequest};

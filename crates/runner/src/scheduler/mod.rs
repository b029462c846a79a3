//! Schedulers: the closed model starts and stops users to follow the shape's user level; the open
//! model starts iterations at the shape's arrival rate whether or not earlier ones finished.

mod closed;
mod open;

use std::sync::atomic::AtomicUsize;
use std::sync::Arc;
use std::time::{Duration, Instant};

pub use closed::schedule_users;
pub use open::{schedule_arrivals, OpenModelCounters, MAX_ARRIVAL_RATE};

use crate::shape::LoadShape;
use crate::steps::StopRequest;
use crate::task::Scenario;
use crate::user::UserEnvironment;

/// How often a scheduler re-reads the shape when it has nothing else to do.
pub const SHAPE_POLL: Duration = Duration::from_millis(100);

/// Why a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StopCause {
    /// The run time (`-t`) was reached.
    TimeLimit,
    /// The load shape ended.
    ShapeEnded,
    /// SIGINT or SIGTERM.
    Signal,
    /// A breaking-point rule fired (with what it found).
    Condition(String),
}

impl std::fmt::Display for StopCause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StopCause::TimeLimit => f.write_str("time limit reached"),
            StopCause::ShapeEnded => f.write_str("load shape ended"),
            StopCause::Signal => f.write_str("stopped by signal"),
            StopCause::Condition(reason) => f.write_str(reason),
        }
    }
}

/// What both schedulers read.
#[derive(Debug, Clone)]
pub struct ScheduleContext {
    /// What users do.
    pub scenario: Arc<Scenario>,
    /// The load over time.
    pub shape: Arc<dyn LoadShape>,
    /// Shared by every user.
    pub env: UserEnvironment,
    /// Users running (closed model) or iterations in flight (open model), for the history.
    pub active: Arc<AtomicUsize>,
    /// Raised by the aggregator when a stop rule fires.
    pub stop_request: Arc<StopRequest>,
    /// When the run started.
    pub started: Instant,
    /// When it must end.
    pub deadline: Option<Instant>,
    /// The shard's part of the load (open model: the arrivals it starts).
    pub slice: crate::distributed::Slice,
}

impl ScheduleContext {
    /// The stop cause due at `now`, if any, else the shape's level.
    pub fn level_or_stop(&self, now: Instant) -> Result<f64, StopCause> {
        if self.stop_request.is_raised() {
            return Err(StopCause::Condition(
                self.stop_request.reason().unwrap_or_default(),
            ));
        }
        if self.deadline.is_some_and(|d| now >= d) {
            return Err(StopCause::TimeLimit);
        }
        self.shape
            .level_at(now.saturating_duration_since(self.started))
            .ok_or(StopCause::ShapeEnded)
    }

    /// The latest moment to wake up at, given the next event the scheduler waits for.
    pub fn wake_at(&self, now: Instant, next_event: Option<Instant>) -> Instant {
        let mut wake = now + SHAPE_POLL;
        if let Some(event) = next_event {
            wake = wake.min(event);
        }
        if let Some(deadline) = self.deadline {
            wake = wake.min(deadline);
        }
        wake
    }
}

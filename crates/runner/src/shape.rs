//! Load shapes: how many users should be running at each moment of the run. The scheduler asks
//! the shape; one engine serves every shape.

use std::time::Duration;

/// How many users a run wants over time.
pub trait LoadShape: Send + Sync + std::fmt::Debug {
    /// Users wanted `elapsed` after the start; `None` when the shape is over and the run should stop.
    fn users_at(&self, elapsed: Duration) -> Option<usize>;
}

/// A constant number of users (Locust's `-u`), until the run time is up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ConstantUsers(pub usize);

impl LoadShape for ConstantUsers {
    fn users_at(&self, _elapsed: Duration) -> Option<usize> {
        Some(self.0)
    }
}

//! A typed handle that steers a run while it goes (the live web page's controls): stop it the
//! way a stop rule does (through the run's [`StopRequest`]), change the closed model's users and
//! spawn rate (Locust's "edit running test") or the open model's arrival rate. The new level
//! reaches the schedulers through [`RunControl::shape`], which wraps the run's load shape.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use crate::error::RunnerError;
use crate::shape::{LoadShape, StepWindow};
use crate::steps::StopRequest;

/// No level or spawn rate set: the shape's own.
const UNSET: u64 = u64::MAX;

#[derive(Debug)]
struct Shared {
    stop: Arc<StopRequest>,
    /// f64 bits of the level set (users or iterations per second), or [`UNSET`].
    level: AtomicU64,
    /// f64 bits of the spawn rate set (users per second), or [`UNSET`].
    spawn_rate: AtomicU64,
}

/// The control handle of one run: cheap to clone, shared by the engine and whoever steers it.
#[derive(Debug, Clone)]
pub struct RunControl {
    shared: Arc<Shared>,
}

impl Default for RunControl {
    fn default() -> Self {
        RunControl {
            shared: Arc::new(Shared {
                stop: Arc::new(StopRequest::default()),
                level: AtomicU64::new(UNSET),
                spawn_rate: AtomicU64::new(UNSET),
            }),
        }
    }
}

fn read(slot: &AtomicU64) -> Option<f64> {
    let bits = slot.load(Ordering::Acquire);
    (bits != UNSET).then(|| f64::from_bits(bits))
}

impl RunControl {
    /// A handle that changes nothing until used.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stop request the run's schedulers poll (the engine uses it as the run's own).
    pub fn stop_request(&self) -> Arc<StopRequest> {
        self.shared.stop.clone()
    }

    /// Ends the run as a stop rule does: in-flight requests finish, the files are written.
    pub fn stop(&self, reason: &str) {
        self.shared.stop.raise(reason.to_owned());
    }

    /// Closed model: run `users` users from now on, started (or stopped) at `spawn_rate` per
    /// second.
    pub fn set_users(&self, users: usize, spawn_rate: f64) -> Result<(), RunnerError> {
        if !(spawn_rate > 0.0 && spawn_rate.is_finite()) {
            return Err(RunnerError::InvalidSetting(format!(
                "the spawn rate must be a positive number of users per second, got {spawn_rate}"
            )));
        }
        self.shared
            .spawn_rate
            .store(spawn_rate.to_bits(), Ordering::Release);
        self.shared
            .level
            .store((users as f64).to_bits(), Ordering::Release);
        Ok(())
    }

    /// Open model: start `per_second` iterations per second from now on (at most `max`).
    pub fn set_rate(&self, per_second: f64, max: f64) -> Result<(), RunnerError> {
        if !(per_second > 0.0 && per_second <= max) {
            return Err(RunnerError::InvalidSetting(format!(
                "the arrival rate must be above 0 and at most {max} per second, got {per_second}"
            )));
        }
        self.shared
            .level
            .store(per_second.to_bits(), Ordering::Release);
        Ok(())
    }

    /// The level set through this handle, if any.
    pub fn level(&self) -> Option<f64> {
        read(&self.shared.level)
    }

    /// `shape`, overridden by the level and spawn rate set through this handle.
    pub fn shape(&self, shape: Arc<dyn LoadShape>) -> Arc<dyn LoadShape> {
        Arc::new(ControlledShape {
            inner: shape,
            control: self.clone(),
        })
    }
}

/// A run's shape as its control handle leaves it: the shape's own level until one is set.
#[derive(Debug)]
struct ControlledShape {
    inner: Arc<dyn LoadShape>,
    control: RunControl,
}

impl LoadShape for ControlledShape {
    fn level_at(&self, elapsed: Duration) -> Option<f64> {
        let level = self.inner.level_at(elapsed)?;
        Some(self.control.level().unwrap_or(level))
    }

    fn step_at(&self, elapsed: Duration) -> Option<StepWindow> {
        self.inner.step_at(elapsed)
    }

    fn sets_its_own_pace(&self) -> bool {
        self.control.level().is_none() && self.inner.sets_its_own_pace()
    }

    fn spawn_rate(&self) -> Option<f64> {
        read(&self.control.shared.spawn_rate).or_else(|| self.inner.spawn_rate())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::{Constant, Stages};

    #[test]
    fn a_level_set_replaces_the_shapes_until_the_shape_ends() {
        let control = RunControl::new();
        let stages = Stages::parse("10s:5").expect("stages");
        let shape = control.shape(Arc::new(stages));
        let at = Duration::from_secs(5);
        assert_eq!(shape.level_at(at), Some(2.5));
        assert!(shape.sets_its_own_pace());
        assert_eq!(shape.spawn_rate(), None);
        control.set_users(20, 4.0).expect("valid");
        assert_eq!(shape.level_at(at), Some(20.0));
        assert!(!shape.sets_its_own_pace());
        assert_eq!(shape.spawn_rate(), Some(4.0));
        assert_eq!(shape.level_at(Duration::from_secs(11)), None);
        assert!(control.set_users(1, 0.0).is_err());
        assert!(control.set_rate(0.0, 10.0).is_err());
        assert!(control.set_rate(11.0, 10.0).is_err());
        let rate = RunControl::new();
        let open = rate.shape(Arc::new(Constant(50.0)));
        rate.set_rate(7.5, 10.0).expect("valid");
        assert_eq!(open.level_at(at), Some(7.5));
    }

    #[test]
    fn stopping_raises_the_runs_stop_request_once() {
        let control = RunControl::new();
        let request = control.stop_request();
        assert!(!request.is_raised());
        control.stop("stopped from the web page");
        control.stop("again");
        assert!(request.is_raised());
        assert_eq!(
            request.reason().as_deref(),
            Some("stopped from the web page")
        );
    }
}

//! Wall-clock times for monotonic instants: requests are timed with `Instant`, files speak epoch
//! seconds, so one anchor taken at the start of the run converts between them.

use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// Converts monotonic instants to epoch seconds.
#[derive(Debug, Clone, Copy)]
pub struct RunClock {
    anchor: Instant,
    anchor_epoch: f64,
}

impl Default for RunClock {
    fn default() -> Self {
        Self::start()
    }
}

impl RunClock {
    /// Anchors the clock now.
    pub fn start() -> Self {
        RunClock {
            anchor: Instant::now(),
            anchor_epoch: epoch_now(),
        }
    }

    /// Epoch seconds (fractional) of `instant`.
    pub fn epoch_of(&self, instant: Instant) -> f64 {
        if instant >= self.anchor {
            self.anchor_epoch + (instant - self.anchor).as_secs_f64()
        } else {
            self.anchor_epoch - (self.anchor - instant).as_secs_f64()
        }
    }

    /// Epoch seconds (fractional) now.
    pub fn now(&self) -> f64 {
        self.epoch_of(Instant::now())
    }

    /// Epoch seconds at which the clock was anchored.
    pub fn anchor_epoch(&self) -> f64 {
        self.anchor_epoch
    }
}

/// The system clock in epoch seconds.
pub fn epoch_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

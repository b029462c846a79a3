//! The measured result of one step: its steady part only (the ramp at the start of the step is
//! left out).

use hdrhistogram::Histogram;

/// What one step measured.
#[derive(Debug, Clone)]
pub struct StepResult {
    /// 0-based step number.
    pub index: usize,
    /// The step's level: users, or offered iterations per second in the open model.
    pub level: f64,
    /// Users running at the end of the step (in the open model: iterations in flight).
    pub users: usize,
    /// Start of the step, epoch seconds.
    pub start: f64,
    /// End of the step (or of the run, if it ended within the step), epoch seconds.
    pub end: f64,
    /// Seconds of steady data counted.
    pub steady_seconds: u64,
    /// Requests completed in the steady part.
    pub requests: u64,
    /// Of which failed.
    pub failures: u64,
    /// Business events carried by the steady part's requests (from event weights).
    pub events: f64,
    /// Response times of the steady part, microseconds.
    pub latency: Histogram<u64>,
    /// Why the run stopped, on the last step.
    pub stop_reason: Option<String>,
}

impl StepResult {
    /// Requests per second over the steady part.
    pub fn rps(&self) -> f64 {
        if self.steady_seconds == 0 {
            0.0
        } else {
            self.requests as f64 / self.steady_seconds as f64
        }
    }

    /// Business events per second over the steady part.
    pub fn events_per_second(&self) -> f64 {
        if self.steady_seconds == 0 {
            0.0
        } else {
            self.events / self.steady_seconds as f64
        }
    }

    /// Failed requests, percent.
    pub fn error_pct(&self) -> f64 {
        if self.requests == 0 {
            0.0
        } else {
            self.failures as f64 * 100.0 / self.requests as f64
        }
    }

    /// A response-time percentile (`percentile` like 95.0), ms.
    pub fn percentile_ms(&self, percentile: f64) -> f64 {
        if self.latency.is_empty() {
            0.0
        } else {
            self.latency.value_at_quantile(percentile / 100.0) as f64 / 1_000.0
        }
    }
}

//! Cuts a stepped run into per-step results as seconds arrive, and raises the stop request when a
//! breaking-point rule fires at the end of a step.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use super::result::StepResult;
use super::rule::{breaking_reason, StopRule};
use crate::metrics::{new_latency_histogram, IntervalStats};
use crate::shape::{LoadShape, StepWindow};

/// A request to end the run early, raised by the aggregator and polled by the scheduler.
#[derive(Debug, Default)]
pub struct StopRequest {
    raised: AtomicBool,
    reason: Mutex<Option<String>>,
}

impl StopRequest {
    /// Raises the request with its reason (the first reason wins).
    pub fn raise(&self, reason: String) {
        let mut slot = self.reason.lock().unwrap_or_else(PoisonError::into_inner);
        if slot.is_none() {
            *slot = Some(reason);
        }
        self.raised.store(true, Ordering::Release);
    }

    /// True once raised.
    pub fn is_raised(&self) -> bool {
        self.raised.load(Ordering::Acquire)
    }

    /// Why, once raised.
    pub fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

/// Per-step accounting for a run whose shape has steps.
#[derive(Debug)]
pub struct StepTracker {
    shape: Arc<dyn LoadShape>,
    run_start_epoch: f64,
    settle: Duration,
    rules: Vec<StopRule>,
    stop: Arc<StopRequest>,
    current: Option<StepResult>,
    done: Vec<StepResult>,
    offered_rate: bool,
    /// Whether one of `rules` fired (the run stops at a breaking point, not for another reason).
    fired: bool,
}

impl StepTracker {
    /// A tracker for `shape`, whose run started at `run_start_epoch`; the first `settle` of each
    /// step is left out of its figures; `rules` are checked at the end of each step.
    pub fn new(
        shape: Arc<dyn LoadShape>,
        run_start_epoch: f64,
        settle: Duration,
        rules: Vec<StopRule>,
        stop: Arc<StopRequest>,
    ) -> Self {
        StepTracker {
            shape,
            run_start_epoch,
            settle,
            rules,
            stop,
            current: None,
            done: Vec::new(),
            offered_rate: false,
            fired: false,
        }
    }

    /// Steps are arrival rates (the open model): stop reasons name the offered rate, not users.
    pub fn in_rate_terms(mut self) -> Self {
        self.offered_rate = true;
        self
    }

    fn open(&self, window: StepWindow) -> StepResult {
        let start = self.run_start_epoch + window.starts_at.as_secs_f64();
        StepResult {
            index: window.index,
            level: window.level,
            users: 0,
            start,
            end: start + window.length.as_secs_f64(),
            steady_seconds: 0,
            requests: 0,
            failures: 0,
            events: 0.0,
            latency: new_latency_histogram(),
            stop_reason: None,
        }
    }

    /// Takes the Aggregated data of the wall-clock second starting at epoch `second`, with `events`
    /// business events and `users` running. Returns true when a step was completed (so its file
    /// should be rewritten).
    pub fn observe(
        &mut self,
        second: i64,
        total: &IntervalStats,
        events: f64,
        users: usize,
    ) -> bool {
        let middle = second as f64 + 0.5 - self.run_start_epoch;
        if middle < 0.0 {
            return false;
        }
        let Some(window) = self.shape.step_at(Duration::from_secs_f64(middle)) else {
            return false;
        };
        let mut completed = false;
        if self
            .current
            .as_ref()
            .is_some_and(|c| c.index != window.index)
        {
            completed = self.complete_current();
        }
        if self.current.is_none() {
            self.current = Some(self.open(window));
        }
        // A second counts once most of it lies past the settle point (every unit interval holds
        // one second's middle, so a step of settle + 1 s always has steady data).
        let settled = Duration::from_secs_f64(middle) >= window.starts_at + self.settle;
        if let Some(step) = self.current.as_mut() {
            // Users are read just after each second ends, when the next step may already be
            // spawning (or the run has stopped): the step's count is the most seen, capped at
            // its level (see `users_of`).
            step.users = step.users.max(users);
            if settled {
                step.steady_seconds += 1;
                step.requests += total.requests;
                step.failures += total.failures;
                step.events += events;
                let _ = step.latency.add(&total.hdr);
            }
        }
        // The step's last second: complete it now, so its rules are checked at the step's end
        // rather than a second into the next step.
        let step_end = (window.starts_at + window.length).as_secs_f64();
        if middle + 1.0 >= step_end {
            completed |= self.complete_current();
        }
        completed
    }

    /// Moves the current step to the completed ones and checks the rules on it.
    fn complete_current(&mut self) -> bool {
        let Some(mut step) = self.current.take() else {
            return false;
        };
        step.users = users_of(&step);
        if step.steady_seconds == 0 {
            return false;
        }
        self.done.push(step);
        if let Some(reason) = breaking_reason(&self.rules, &self.done) {
            let last = self.done.last_mut().map(|s| {
                let text = if self.offered_rate {
                    format!(
                        "{reason} (at {} iterations/s offered, {:.1} req/s)",
                        s.level,
                        s.rps()
                    )
                } else {
                    format!("{reason} (at {} users, {:.1} req/s)", s.users, s.rps())
                };
                s.stop_reason = Some(text.clone());
                text
            });
            self.fired = true;
            self.stop.raise(last.unwrap_or(reason));
        }
        true
    }

    /// Ends the run: keeps the step in progress if it has steady data (unless a rule fired: the
    /// step after the breaking point is not measured), and notes on the last step why the run
    /// stopped (`reason`) unless a rule already did. A stop for any other reason (the run time,
    /// a signal, Stop on the web page, a failed threshold) keeps the step in progress. Returns
    /// every step.
    pub fn finish(&mut self, end_epoch: f64, reason: &str) -> &[StepResult] {
        if !self.fired {
            if let Some(mut step) = self.current.take() {
                step.users = users_of(&step);
                if step.steady_seconds > 0 {
                    step.end = step.end.min(end_epoch);
                    self.done.push(step);
                }
            }
        }
        self.current = None;
        if let Some(last) = self.done.last_mut() {
            if last.stop_reason.is_none() {
                last.stop_reason = Some(reason.to_owned());
            }
        }
        &self.done
    }

    /// The steps completed so far.
    pub fn steps(&self) -> &[StepResult] {
        &self.done
    }
}

/// A step's user count: the most users seen during it, but no more than its level (a reading
/// taken at the boundary may already include the next step's users).
fn users_of(step: &StepResult) -> usize {
    let level = step.level.round();
    if level >= 0.0 && (level as usize) < step.users {
        level as usize
    } else {
        step.users
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shape::Steps;

    /// Steps of 10, 20, 30 users, 5 s each, the first second of each left out.
    fn tracker(rules: Vec<StopRule>, stop: Arc<StopRequest>) -> StepTracker {
        let shape = Steps::new(10.0, 10.0, Duration::from_secs(5), None, Some(3)).expect("valid");
        StepTracker::new(Arc::new(shape), 1000.0, Duration::from_secs(1), rules, stop)
    }

    /// One second of `requests` requests of 2 ms, `failures` of them failed.
    fn second(requests: u64, failures: u64) -> IntervalStats {
        let mut interval = IntervalStats::default();
        for i in 0..requests {
            interval.record(2_000_000, 10, i < failures);
        }
        interval
    }

    #[test]
    fn a_stop_from_outside_keeps_the_step_in_progress() {
        let stop = Arc::new(StopRequest::default());
        let mut tracker = tracker(Vec::new(), stop.clone());
        // Step 1 (seconds 0-4), then 3 seconds of step 2 before Stop is pressed.
        for s in 0..8 {
            tracker.observe(1000 + s, &second(100, 0), 0.0, 10);
        }
        stop.raise("stopped from the web page".to_owned());
        let steps = tracker.finish(1008.0, "stopped from the web page");
        assert_eq!(steps.len(), 2, "{steps:?}");
        assert_eq!(steps[1].level, 20.0);
        assert_eq!(steps[1].steady_seconds, 2);
        assert_eq!(steps[1].requests, 200);
        assert_eq!(
            steps[1].stop_reason.as_deref(),
            Some("stopped from the web page")
        );
    }

    #[test]
    fn a_rule_that_fired_drops_the_step_after_the_breaking_point() {
        let stop = Arc::new(StopRequest::default());
        let rules = vec!["errors>1%".parse::<StopRule>().expect("a valid rule")];
        let mut tracker = tracker(rules, stop.clone());
        // Step 1 fails 10 % of its requests: the rule fires at its end.
        for s in 0..5 {
            tracker.observe(1000 + s, &second(100, 10), 0.0, 10);
        }
        assert!(stop.is_raised());
        for s in 5..8 {
            tracker.observe(1000 + s, &second(100, 0), 0.0, 10);
        }
        let steps = tracker.finish(1008.0, "stopped");
        assert_eq!(steps.len(), 1, "{steps:?}");
        let reason = steps[0].stop_reason.as_deref().unwrap_or_default();
        assert!(reason.contains("(at 10 users"), "{reason}");
    }
}

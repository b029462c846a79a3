//! Load shapes: how much load the run wants at each moment. The level is a number of users for the
//! closed model (`run`, `step`) and iterations started per second for the open model (`rate`), so
//! one engine and one set of shapes serve both. The scheduler asks the shape; the aggregator asks
//! it which step a second belongs to.

use std::time::Duration;

use crate::error::RunnerError;

/// A step of a stepped shape, as the aggregator needs it to cut per-step statistics.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct StepWindow {
    /// 0-based step number.
    pub index: usize,
    /// The step's level (users, or iterations per second).
    pub level: f64,
    /// When the step starts, from the start of the run.
    pub starts_at: Duration,
    /// How long it lasts.
    pub length: Duration,
}

/// How much load a run wants over time.
pub trait LoadShape: Send + Sync + std::fmt::Debug {
    /// The level wanted `elapsed` after the start; `None` when the shape is over and the run ends.
    fn level_at(&self, elapsed: Duration) -> Option<f64>;

    /// The step `elapsed` falls in, for shapes made of steps.
    fn step_at(&self, _elapsed: Duration) -> Option<StepWindow> {
        None
    }

    /// True when the shape itself sets the pace of change (stages ramp linearly), so users are
    /// started at once when the level rises instead of at the spawn rate.
    fn sets_its_own_pace(&self) -> bool {
        false
    }

    /// Users per second the shape asks to be started or stopped at, overriding the run's
    /// `-r` (like the spawn rate of Locust's shape `tick`); `None`: the run's.
    fn spawn_rate(&self) -> Option<f64> {
        None
    }
}

/// A constant level (Locust's `-u`, or `--rps`), until the run time is up.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Constant(pub f64);

impl LoadShape for Constant {
    fn level_at(&self, _elapsed: Duration) -> Option<f64> {
        Some(self.0)
    }
}

/// Step load: `start`, then `start + step`, `start + 2·step`, … every `every`.
#[derive(Debug, Clone, PartialEq)]
pub struct Steps {
    /// Level of the first step.
    pub start: f64,
    /// Added at each step.
    pub step: f64,
    /// Length of each step.
    pub every: Duration,
    /// Highest level: the run ends after the step that reaches it.
    pub max_level: Option<f64>,
    /// Number of steps: the run ends after this many.
    pub max_steps: Option<usize>,
}

impl Steps {
    /// Validates and builds a step shape.
    pub fn new(
        start: f64,
        step: f64,
        every: Duration,
        max_level: Option<f64>,
        max_steps: Option<usize>,
    ) -> Result<Self, RunnerError> {
        if !start.is_finite() || start <= 0.0 || !step.is_finite() || step < 0.0 {
            return Err(RunnerError::InvalidSetting(format!(
                "step load needs --start > 0 and --step >= 0, got {start} and {step}"
            )));
        }
        if every.is_zero() {
            return Err(RunnerError::InvalidSetting(
                "--every must be longer than 0s".to_owned(),
            ));
        }
        if max_steps == Some(0) {
            return Err(RunnerError::InvalidSetting(
                "--max-steps must be at least 1".to_owned(),
            ));
        }
        Ok(Steps {
            start,
            step,
            every,
            max_level,
            max_steps,
        })
    }

    /// How many steps the shape has (`None`: unbounded).
    pub fn step_count(&self) -> Option<usize> {
        let by_level = self.max_level.map(|max| {
            if self.step <= 0.0 || max <= self.start {
                1
            } else {
                ((max - self.start) / self.step).floor() as usize + 1
            }
        });
        match (by_level, self.max_steps) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

impl LoadShape for Steps {
    fn level_at(&self, elapsed: Duration) -> Option<f64> {
        self.step_at(elapsed).map(|s| s.level)
    }

    fn step_at(&self, elapsed: Duration) -> Option<StepWindow> {
        let index = (elapsed.as_secs_f64() / self.every.as_secs_f64()).floor() as usize;
        if self.step_count().is_some_and(|count| index >= count) {
            return None;
        }
        Some(StepWindow {
            index,
            level: self.start + self.step * index as f64,
            starts_at: self.every * index as u32,
            length: self.every,
        })
    }
}

/// One stage: move linearly to `target` over `duration`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stage {
    /// How long the stage lasts.
    pub duration: Duration,
    /// The level at its end.
    pub target: f64,
}

/// Stages like k6's: linear ramps between targets, starting from 0 (`30s:1,10s:50,1m:50,10s:1`).
#[derive(Debug, Clone, PartialEq)]
pub struct Stages {
    stages: Vec<Stage>,
}

impl Stages {
    /// Parses `duration:level,duration:level,…` (durations like `30s`, `1m30s`).
    pub fn parse(text: &str) -> Result<Self, RunnerError> {
        let mut stages = Vec::new();
        for (position, item) in text.split(',').enumerate() {
            let item = item.trim();
            if item.is_empty() {
                continue;
            }
            let invalid = |why: &str| {
                RunnerError::InvalidSetting(format!(
                    "stage {} {item:?}: {why}; expected DURATION:LEVEL like 30s:10",
                    position + 1
                ))
            };
            let (duration, level) = item.split_once(':').ok_or_else(|| invalid("no ':'"))?;
            let duration = humantime::parse_duration(duration.trim())
                .map_err(|_| invalid("unreadable duration"))?;
            let target: f64 = level
                .trim()
                .parse()
                .map_err(|_| invalid("the level is not a number"))?;
            if !target.is_finite() || target < 0.0 {
                return Err(invalid("the level must be 0 or more"));
            }
            stages.push(Stage { duration, target });
        }
        if stages.is_empty() {
            return Err(RunnerError::InvalidSetting(
                "no stages given; expected DURATION:LEVEL,… like 30s:10,1m:10".to_owned(),
            ));
        }
        Ok(Stages { stages })
    }

    /// The stages.
    pub fn stages(&self) -> &[Stage] {
        &self.stages
    }

    /// Total length of all stages.
    pub fn total(&self) -> Duration {
        self.stages.iter().map(|s| s.duration).sum()
    }
}

impl LoadShape for Stages {
    fn level_at(&self, elapsed: Duration) -> Option<f64> {
        let mut from = 0.0;
        let mut stage_start = Duration::ZERO;
        for stage in &self.stages {
            let stage_end = stage_start + stage.duration;
            if elapsed < stage_end {
                let fraction = if stage.duration.is_zero() {
                    1.0
                } else {
                    (elapsed - stage_start).as_secs_f64() / stage.duration.as_secs_f64()
                };
                return Some(from + (stage.target - from) * fraction);
            }
            from = stage.target;
            stage_start = stage_end;
        }
        None
    }

    fn sets_its_own_pace(&self) -> bool {
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secs(s: f64) -> Duration {
        Duration::from_secs_f64(s)
    }

    #[test]
    fn steps_rise_every_interval_and_end_after_the_last() {
        let shape = Steps::new(10.0, 20.0, secs(120.0), Some(50.0), None).expect("valid");
        assert_eq!(shape.level_at(secs(0.0)), Some(10.0));
        assert_eq!(shape.level_at(secs(119.9)), Some(10.0));
        assert_eq!(shape.level_at(secs(120.0)), Some(30.0));
        assert_eq!(shape.level_at(secs(359.0)), Some(50.0));
        assert_eq!(shape.level_at(secs(360.0)), None);
        assert_eq!(shape.step_at(secs(130.0)).map(|s| s.index), Some(1));
        let counted = Steps::new(1.0, 1.0, secs(1.0), None, Some(3)).expect("valid");
        assert_eq!(counted.level_at(secs(2.5)), Some(3.0));
        assert_eq!(counted.level_at(secs(3.0)), None);
    }

    #[test]
    fn stages_ramp_linearly_between_targets() {
        let shape = Stages::parse("30s:1,10s:50,1m:50,10s:1").expect("valid");
        assert_eq!(shape.total(), secs(110.0));
        assert_eq!(shape.level_at(secs(15.0)), Some(0.5));
        assert_eq!(shape.level_at(secs(35.0)), Some(25.5));
        assert_eq!(shape.level_at(secs(60.0)), Some(50.0));
        assert_eq!(shape.level_at(secs(105.0)), Some(25.5));
        assert_eq!(shape.level_at(secs(110.0)), None);
    }

    #[test]
    fn bad_stages_say_which_and_what_was_expected() {
        let error = Stages::parse("30s:1,soon:5")
            .expect_err("invalid")
            .to_string();
        assert!(error.contains("stage 2"), "{error}");
        assert!(Stages::parse("30s").is_err());
        assert!(Stages::parse("").is_err());
        assert!(Stages::parse("10s:-1").is_err());
    }
}

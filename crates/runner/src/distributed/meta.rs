//! `_shard.json`: what a shard is part of, so a merge can refuse shards of different runs (see
//! `captest_format::files::SHARD_META`).

use serde::{Deserialize, Serialize};

use super::exact::ExactF64;
use crate::engine::StepSettings;
use crate::metrics::{ExceptionRecord, HDR_SIGNIFICANT_DIGITS};
use crate::shape::Steps;
use crate::steps::StopRule;

/// The version of the bundle format written.
pub const BUNDLE_FORMAT: u32 = 1;

/// A shard's (or a merged run's) description.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ShardMeta {
    /// Bundle format version ([`BUNDLE_FORMAT`]).
    pub format: u32,
    /// Which shard, or which shards a merge holds.
    pub shard: ShardPosition,
    /// SHA-256 (hex) of the scenario the shard ran.
    pub scenario_hash: String,
    /// The unsharded load, as its flags (`run -u 10 -r 2 -t 30s`).
    pub load: String,
    /// How response times were recorded.
    pub hdr: HdrSettings,
    /// The run's start, unix seconds (the first history row is its whole second).
    pub start: ExactF64,
    /// Whether the level is an arrival rate.
    pub open_model: bool,
    /// Whether the history holds every entry (`--csv-full-history`).
    pub full_history: bool,
    /// Business events per request of the entries that declare them.
    pub event_weights: Vec<EventWeight>,
    /// Task-logic errors, in first-seen order (written when the shard ends).
    #[serde(default)]
    pub exceptions: Vec<ExceptionLine>,
    /// Why the shard ended (`None` while it runs, or when it was killed).
    #[serde(default)]
    pub ended: Option<String>,
    /// When it ended, unix seconds (the end of its last step).
    #[serde(default)]
    pub ended_at: Option<ExactF64>,
    /// The unsharded steps of a `step` run, so a merge cuts the merged figures into them.
    #[serde(default)]
    pub steps: Option<StepPlan>,
}

/// A step run's plan: the unsharded [`Steps`] shape, settle time and stop rules.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StepPlan {
    /// Level of the first step.
    pub start: f64,
    /// Added at each step.
    pub step: f64,
    /// Length of each step, seconds.
    pub every: ExactF64,
    /// Highest level.
    pub max_level: Option<f64>,
    /// Number of steps.
    pub max_steps: Option<usize>,
    /// The first part of each step left out of its figures, seconds.
    pub settle: ExactF64,
    /// Breaking-point rules, as `--stop-on` takes them.
    pub rules: Vec<String>,
}

impl StepPlan {
    /// The plan of `shape` cut with `settings`.
    pub fn new(shape: &Steps, settings: &StepSettings) -> Self {
        StepPlan {
            start: shape.start,
            step: shape.step,
            every: ExactF64(shape.every.as_secs_f64()),
            max_level: shape.max_level,
            max_steps: shape.max_steps,
            settle: ExactF64(settings.settle.as_secs_f64()),
            rules: settings.rules.iter().map(ToString::to_string).collect(),
        }
    }

    /// The shape and settings back, or what is wrong.
    pub fn parts(&self) -> Result<(Steps, StepSettings), String> {
        let seconds = |value: ExactF64| {
            std::time::Duration::try_from_secs_f64(value.0).map_err(|e| e.to_string())
        };
        let shape = Steps::new(
            self.start,
            self.step,
            seconds(self.every)?,
            self.max_level,
            self.max_steps,
        )
        .map_err(|e| e.to_string())?;
        let rules = self
            .rules
            .iter()
            .map(|rule| rule.parse().map_err(|e| format!("stop rule {rule:?}: {e}")))
            .collect::<Result<Vec<StopRule>, String>>()?;
        let settle = seconds(self.settle)?;
        Ok((shape, StepSettings { settle, rules }))
    }
}

/// A shard's place among the others, or what a merge holds.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(untagged)]
pub enum ShardPosition {
    /// Shard `index` (0-based) of `count`.
    One {
        /// 0-based index.
        index: usize,
        /// Number of shards.
        count: usize,
    },
    /// A merge of shards `merged` of `count`; `partial` when some were missing.
    Merged {
        /// The indexes merged.
        merged: Vec<usize>,
        /// Number of shards of the run.
        count: usize,
        /// The indexes left out (`--allow-partial`).
        missing: Vec<usize>,
        /// True when any is missing or lost: the run's figures are only the merged shards'.
        partial: bool,
        /// Shards a coordinator lost mid-run: their figures end at their last report.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        lost: Vec<usize>,
    },
}

/// The HDR recording settings (shards with other settings do not merge exactly).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HdrSettings {
    /// Significant digits.
    pub significant_digits: u8,
    /// The unit of values.
    pub unit: String,
}

impl Default for HdrSettings {
    fn default() -> Self {
        HdrSettings {
            significant_digits: HDR_SIGNIFICANT_DIGITS,
            unit: "us".to_owned(),
        }
    }
}

/// One entry's business-event weight.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct EventWeight {
    /// Request method.
    pub method: String,
    /// Entry name.
    pub name: String,
    /// Events per successful request.
    pub weight: ExactF64,
}

/// One `_exceptions.csv` row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ExceptionLine {
    /// Occurrences.
    pub count: u64,
    /// The message.
    pub message: String,
    /// Where.
    pub traceback: String,
}

impl From<&ExceptionRecord> for ExceptionLine {
    fn from(record: &ExceptionRecord) -> Self {
        ExceptionLine {
            count: record.count,
            message: record.message.clone(),
            traceback: record.traceback.clone(),
        }
    }
}

impl ShardMeta {
    /// The run settings shards must share to merge, as one comparable text.
    pub fn run_identity(&self) -> String {
        format!(
            "scenario {}, load {:?}, HDR {} digits in {}, {} shards, {}",
            self.scenario_hash,
            self.load,
            self.hdr.significant_digits,
            self.hdr.unit,
            self.shard_count(),
            if self.open_model {
                "open model"
            } else {
                "closed model"
            }
        )
    }

    /// How many shards the run has.
    pub fn shard_count(&self) -> usize {
        match &self.shard {
            ShardPosition::One { count, .. } | ShardPosition::Merged { count, .. } => *count,
        }
    }
}

/// The SHA-256 (hex) of what defines a scenario (its file's bytes, or the flags that make one).
pub fn scenario_hash(definition: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(definition)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

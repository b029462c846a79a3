//! The step view of a `step` run on the page: the steps completed so far, the knee so far (found
//! as `captest analyze` finds it in the run's `_steps.csv`) and the HTML report's step charts.

use captest_analyze::analysis::{knees, usl_of};
use captest_analyze::steps::StepFigures;
use captest_analyze::usl::UslFit;
use captest_analyze::Knee;
use captest_report::build::steps::{charts, StepView};
use captest_runner::live::LiveStep;
use serde_json::{json, Value};

/// The figures `analyze` reads from `_steps.csv` for `step` (its times as the file has them,
/// in whole seconds).
fn figures(step: &LiveStep) -> StepFigures {
    let [p50, p95, p99] = step.percentiles_ms.map_or([None; 3], |p| p.map(Some));
    StepFigures {
        users: step.users as f64,
        start: step.start.floor(),
        end: step.end.floor(),
        rps: step.rps,
        avg_ms: None,
        p50_ms: p50,
        p95_ms: p95,
        p99_ms: p99,
        error_pct: step.error_pct,
        error_pct_excl_429: None,
    }
}

/// The steps a run has completed so far and what they say.
#[derive(Debug)]
pub struct StepsSoFar {
    steps: Vec<LiveStep>,
    figures: Vec<StepFigures>,
    knee: Option<Knee>,
    knee_note: String,
    latency_knee: Option<Knee>,
    usl: Option<UslFit>,
}

impl StepsSoFar {
    /// The view of `steps` (completed, in run order).
    pub fn of(steps: &[LiveStep]) -> StepsSoFar {
        let figures: Vec<StepFigures> = steps.iter().map(figures).collect();
        let (knee, knee_note, latency_knee) = knees(&figures);
        let usl = usl_of(&figures);
        StepsSoFar {
            steps: steps.to_vec(),
            figures,
            knee,
            knee_note,
            latency_knee,
            usl,
        }
    }

    /// `{"steps": [{"step", "level", "users", "rps", "p50_ms", "p95_ms", "p99_ms",
    /// "error_pct", "stop_reason"}], "knee": {"users", "rps", "p95_ms"} or null, "knee_note"}`.
    pub fn json(&self) -> Value {
        let steps: Vec<Value> = self
            .steps
            .iter()
            .map(|s| {
                let [p50, p95, p99] = s.percentiles_ms.map_or([None; 3], |p| p.map(Some));
                json!({
                    "step": s.number,
                    "level": s.level,
                    "users": s.users,
                    "rps": s.rps,
                    "p50_ms": p50,
                    "p95_ms": p95,
                    "p99_ms": p99,
                    "error_pct": s.error_pct,
                    "stop_reason": s.stop_reason,
                })
            })
            .collect();
        let knee = self
            .knee
            .as_ref()
            .map(|k| json!({ "users": k.users, "rps": k.rps, "p95_ms": k.p95_ms }));
        json!({ "steps": steps, "knee": knee, "knee_note": self.knee_note })
    }

    /// The report's step charts of these steps, `(id, svg)` (none before two steps).
    pub fn charts(&self) -> Vec<(String, String)> {
        let view = StepView {
            steps: &self.figures,
            knee: self.knee.as_ref(),
            knee_note: &self.knee_note,
            latency_knee: self.latency_knee.as_ref(),
            usl: self.usl.as_ref(),
        };
        // A chart that cannot be drawn is left out, as the page's other charts are.
        charts(&view, None)
            .map(|charts| charts.into_iter().map(|c| (c.id, c.svg)).collect())
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A step of `users` users serving `rps` requests/s at a p95 of `p95` ms.
    fn step(number: usize, users: usize, rps: f64, p95: f64) -> LiveStep {
        LiveStep {
            number,
            level: users as f64,
            users,
            start: 1000.0 + 10.0 * number as f64,
            end: 1010.0 + 10.0 * number as f64,
            rps,
            error_pct: 0.0,
            percentiles_ms: Some([p95 / 2.0, p95, p95 * 1.5]),
            stop_reason: None,
        }
    }

    #[test]
    fn the_knee_so_far_is_the_one_analyze_finds_in_the_steps() {
        // Throughput grows linearly to 40 users, then stays flat: the knee is at 40.
        let steps: Vec<LiveStep> = [(10, 100.0), (20, 200.0), (30, 300.0), (40, 400.0)]
            .into_iter()
            .chain([(50, 405.0), (60, 406.0), (70, 404.0)])
            .enumerate()
            .map(|(i, (users, rps))| step(i + 1, users, rps, 5.0 + i as f64))
            .collect();
        let so_far = StepsSoFar::of(&steps[..2]);
        let value = so_far.json();
        assert_eq!(value["knee"], Value::Null);
        assert!(value["knee_note"]
            .as_str()
            .unwrap_or("")
            .contains("only 2 steps"));
        assert_eq!(value["steps"][1]["users"], 20);
        assert_eq!(value["steps"][1]["p95_ms"], 6.0);
        let ids: Vec<String> = so_far.charts().into_iter().map(|(id, _)| id).collect();
        assert_eq!(ids, ["scalability", "latency-throughput"]);

        let all = StepsSoFar::of(&steps).json();
        assert_eq!(all["knee"]["users"], 40.0, "{all}");
        assert_eq!(all["knee"]["rps"], 400.0);
        let svg = StepsSoFar::of(&steps).charts().remove(0).1;
        assert!(
            svg.contains("knee: 40 users"),
            "the knee is marked on the chart"
        );
    }
}

//! The page's charts, drawn by the HTML report's own chart code (same colours, titles and
//! labels) from the history the page kept, once per new second.

use captest_report::charts::{line_chart, LineChart, Series};
use serde_json::{json, Value};

use super::session::{LoadCommand, Point, Session};
use super::steps::StepsSoFar;

/// The x axis of every chart, as the report labels it.
const X_LABEL: &str = "time since start (s)";

type Figure = (&'static str, fn(&Point) -> Option<f64>);

const THROUGHPUT: [Figure; 2] = [
    ("requests/s", |p| Some(p.rps)),
    ("failures/s", |p| Some(p.failures_per_s)),
];
const LATENCY: [Figure; 3] = [
    ("p50", |p| Some(p.percentiles_ms?[0] as f64)),
    ("p95", |p| Some(p.percentiles_ms?[1] as f64)),
    ("p99", |p| Some(p.percentiles_ms?[2] as f64)),
];
const USERS: [Figure; 1] = [("users", |p| Some(p.users as f64))];
const RATE: [Figure; 2] = [
    ("offered rate", |p| p.offered_rate),
    ("requests/s", |p| Some(p.rps)),
];

fn draw(points: &[Point], title: &str, y_label: &str, figures: &[Figure]) -> String {
    let series = figures
        .iter()
        .map(|(name, value)| {
            let line = points
                .iter()
                .filter_map(|p| Some((p.t, value(p)?)))
                .collect();
            Series::line(*name, line)
        })
        .collect();
    let chart = LineChart {
        title: title.into(),
        x_label: X_LABEL.into(),
        y_label: y_label.into(),
        series,
        shade: None,
        markers: Vec::new(),
    };
    // A chart that cannot be drawn (no data yet) is left empty.
    line_chart(&chart).unwrap_or_default()
}

/// `GET /api/charts`: `{"points": N, "charts": [{"id", "svg"}]}`, each SVG as the report
/// draws it.
pub fn charts(session: &Session) -> Value {
    let points = session.history();
    if points.len() < 2 {
        return json!({ "points": points.len(), "charts": [] });
    }
    let mut charts: Vec<(String, String)> = vec![
        (
            "throughput",
            draw(
                &points,
                "Requests and failures per second",
                "per second",
                &THROUGHPUT,
            ),
        ),
        (
            "latency",
            draw(
                &points,
                "Response time percentiles",
                "response time (ms)",
                &LATENCY,
            ),
        ),
        ("users", draw(&points, "Running users", "users", &USERS)),
    ]
    .into_iter()
    .map(|(id, svg)| (id.to_owned(), svg))
    .collect();
    if session.command == LoadCommand::Rate {
        charts.push((
            "rate".to_owned(),
            draw(&points, "Offered and achieved rate", "per second", &RATE),
        ));
    }
    if session.command == LoadCommand::Step {
        if let Some(run) = session.attached() {
            charts.extend(StepsSoFar::of(&run.state.snapshot().steps).charts());
        }
    }
    json!({
        "points": points.len(),
        "charts": charts
            .into_iter()
            .map(|(id, svg)| json!({ "id": id, "svg": svg }))
            .collect::<Vec<_>>(),
    })
}

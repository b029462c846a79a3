//! The built-in scenario `captest demo` runs against the demo server: an items API and an events
//! API used the way a product's clients use them, with business-event weights.

use bytes::Bytes;
use http::{header, HeaderMap, HeaderValue, Method};

use crate::client::Target;
use crate::metrics::{EntryRegistry, RequestKey};
use crate::task::{Acceptance, RequestStep, Scenario, Task, UserClass, WaitTime};
use crate::RunnerError;

/// One task of the demo scenario: weight, method, path, stats name, body, business events.
struct DemoTask {
    weight: u32,
    method: Method,
    path: &'static str,
    name: &'static str,
    body: Option<String>,
    events: f64,
}

fn event_json(kind: &str, n: usize) -> String {
    format!(
        r#"{{"type":"{kind}","user":{},"props":{{"path":"/items","ms":{}}}}}"#,
        1 + n * 37 % 5000,
        5 + n * 53 % 900
    )
}

fn tasks() -> Vec<DemoTask> {
    let batch: Vec<String> = (0..20).map(|n| event_json("click", n)).collect();
    vec![
        DemoTask {
            weight: 4,
            method: Method::GET,
            path: "/items?limit=20&offset=40",
            name: "/items",
            body: None,
            events: 0.0,
        },
        DemoTask {
            weight: 10,
            method: Method::GET,
            path: "/item/42",
            name: "/item/[id]",
            body: None,
            events: 0.0,
        },
        DemoTask {
            weight: 2,
            method: Method::PUT,
            path: "/item/7",
            name: "/item/[id]",
            body: Some(r#"{"price":12.5}"#.to_owned()),
            events: 0.0,
        },
        DemoTask {
            weight: 6,
            method: Method::POST,
            path: "/api/v1/event",
            name: "/api/v1/event",
            body: Some(event_json("page_view", 1)),
            events: 1.0,
        },
        DemoTask {
            weight: 2,
            method: Method::POST,
            path: "/api/v1/event/batch",
            name: "/api/v1/event/batch",
            body: Some(format!(r#"{{"events":[{}]}}"#, batch.join(","))),
            events: 20.0,
        },
    ]
}

/// The demo scenario against `target`: one user class with no wait between tasks, and the
/// business events per request indexed by entry id (for `RunSettings::event_weights`).
pub fn demo_scenario(
    target: &Target,
    registry: &EntryRegistry,
) -> Result<(Scenario, Vec<f64>), RunnerError> {
    let mut weights = Vec::new();
    let mut tasks_out = Vec::new();
    for task in tasks() {
        let entry = registry.intern(&RequestKey::new(task.method.as_str(), task.name));
        let index = entry.0 as usize;
        if weights.len() <= index {
            weights.resize(index + 1, 0.0);
        }
        weights[index] = task.events;
        let mut headers = HeaderMap::new();
        if task.body.is_some() {
            headers.insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            );
        }
        tasks_out.push(Task {
            name: format!("{} {}", task.method, task.name),
            weight: task.weight,
            steps: vec![RequestStep {
                events: task.events,
                ..RequestStep::fixed(
                    task.method,
                    target.request_uri(task.path)?,
                    headers,
                    task.body.map(Bytes::from).unwrap_or_default(),
                    entry,
                    Acceptance::Below400,
                )
            }],
        });
    }
    let scenario = Scenario {
        classes: vec![UserClass {
            name: "DemoUser".to_owned(),
            weight: 1,
            fixed_count: None,
            wait: WaitTime::Constant(std::time::Duration::ZERO),
            on_start: Vec::new(),
            vars: Default::default(),
            tasks: tasks_out,
        }],
    };
    Ok((scenario, weights))
}

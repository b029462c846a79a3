//! The JSON API the page uses and scripts may drive: `GET /api/stats` (the run as the
//! aggregator last published it) and `POST /api/control` (start, stop, users, rate).

use captest_runner::live::{LiveEntry, LiveSnapshot};
use captest_runner::scheduler::MAX_ARRIVAL_RATE;
use serde_json::{json, Value};

use super::session::{LoadCommand, Order, Session, StartForm};
use super::steps::StepsSoFar;

/// Why the run stops when Stop is pressed on the page (the stop request's reason).
pub const STOPPED_FROM_THE_PAGE: &str = "stopped from the web page";

/// One row of the entries table, in Locust's columns.
fn entry(entry: &LiveEntry) -> Value {
    let requests = entry.requests;
    let [p50, p95, p99] = entry.percentiles_ms.map_or([None; 3], |p| p.map(Some));
    let (min, max) = entry.min_max_ms.unzip();
    let per_request = |sum: f64| (requests > 0).then(|| sum / requests as f64);
    json!({
        "method": entry.key.method,
        "name": entry.key.name,
        "requests": requests,
        "failures": entry.failures,
        "median_ms": p50,
        "p95_ms": p95,
        "p99_ms": p99,
        "avg_ms": per_request(entry.duration_sum_seconds * 1000.0),
        "min_ms": min,
        "max_ms": max,
        "avg_size_bytes": per_request(entry.content_bytes as f64),
        "current_rps": entry.current_rps,
        "current_failures_per_s": entry.current_fail_per_sec,
    })
}

fn snapshot_fields(snapshot: &LiveSnapshot) -> Value {
    json!({
        "elapsed_seconds": snapshot.elapsed_seconds,
        "users": snapshot.users,
        "offered_rate": snapshot.arrivals.map(|a| a.offered_rate),
        "dropped_iterations": snapshot.arrivals.map(|a| a.dropped),
        "stop_reason": snapshot.stopped,
        "entries": snapshot.entries.iter().map(entry).collect::<Vec<_>>(),
        "total": snapshot.total.as_ref().map(entry),
        "current_percentiles_ms": snapshot.current_percentiles_ms,
        "failures": snapshot.failures.iter().map(|f| json!({
            "method": f.key.method,
            "name": f.key.name,
            "error": f.error,
            "occurrences": f.occurrences,
        })).collect::<Vec<_>>(),
        "exceptions": snapshot.exceptions.iter().map(|e| json!({
            "count": e.count,
            "message": e.message,
            "traceback": e.traceback,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /api/stats`.
pub fn stats(session: &Session) -> Value {
    let defaults = json!({
        "users": session.defaults.users,
        "spawn_rate": session.defaults.spawn_rate,
        "host": session.defaults.host,
    });
    let Some(run) = session.attached() else {
        return json!({
            "command": session.command.name(),
            "state": "waiting",
            "defaults": defaults,
            "points": 0,
        });
    };
    let snapshot = run.state.snapshot();
    let mut value = snapshot_fields(&snapshot);
    let state = if snapshot.is_final() {
        "stopped"
    } else {
        "running"
    };
    if let Value::Object(map) = &mut value {
        map.insert("command".into(), session.command.name().into());
        map.insert("state".into(), state.into());
        map.insert("host".into(), run.state.info().host.into());
        map.insert("defaults".into(), defaults);
        map.insert("points".into(), session.history_len().into());
        map.insert("level_set".into(), run.control.level().into());
        if session.command == LoadCommand::Step {
            map.insert("steps".into(), StepsSoFar::of(&snapshot.steps).json());
        }
    }
    value
}

/// An answer of `/api/control`: the HTTP status and its JSON.
pub type Answer = (u16, Value);

fn refused(status: u16, message: impl Into<String>) -> Answer {
    (status, json!({ "error": message.into() }))
}

fn number(body: &Value, field: &str) -> Result<f64, Answer> {
    body.get(field)
        .and_then(|v| v.as_f64().or_else(|| v.as_str()?.trim().parse().ok()))
        .ok_or_else(|| refused(400, format!("{field}: expected a number")))
}

fn users(body: &Value) -> Result<usize, Answer> {
    let users = number(body, "users")?;
    if users >= 1.0 && users.fract() == 0.0 && users <= 10_000_000.0 {
        Ok(users as usize)
    } else {
        Err(refused(
            400,
            format!("users: expected a whole number of 1 or more, got {users}"),
        ))
    }
}

/// `POST /api/control` with `body`: `{"action": "start"|"stop"|"users"|"rate", …}`.
pub async fn control(session: &Session, body: &[u8]) -> Answer {
    let Ok(body) = serde_json::from_slice::<Value>(body) else {
        return refused(400, "expected a JSON object such as {\"action\": \"stop\"}");
    };
    let action = body.get("action").and_then(Value::as_str).unwrap_or("");
    let outcome = match action {
        "start" => start(session, &body).await,
        "stop" => stop(session),
        "users" => set_users(session, &body),
        "rate" => set_rate(session, &body),
        other => Err(refused(
            400,
            format!("action: expected start, stop, users or rate, got {other:?}"),
        )),
    };
    match outcome {
        Ok(()) => (200, json!({ "ok": true })),
        Err(answer) => answer,
    }
}

async fn start(session: &Session, body: &Value) -> Result<(), Answer> {
    let Some(orders) = session.orders() else {
        return Err(refused(
            409,
            "the run has already started (or does not wait for Start)",
        ));
    };
    let form = StartForm {
        users: users(body)?,
        spawn_rate: number(body, "spawn_rate")?,
        host: body
            .get("host")
            .and_then(Value::as_str)
            .unwrap_or("")
            .trim()
            .to_owned(),
    };
    let (answer, answered) = tokio::sync::oneshot::channel();
    if orders.send(Order::Start(form, answer)).is_err() {
        return Err(refused(409, "the run is no longer waiting for Start"));
    }
    match answered.await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(message)) => Err(refused(400, message)),
        Err(_) => Err(refused(409, "the run is no longer waiting for Start")),
    }
}

fn stop(session: &Session) -> Result<(), Answer> {
    if let Some(run) = session.attached() {
        run.control.stop(STOPPED_FROM_THE_PAGE);
        return Ok(());
    }
    match session.orders() {
        Some(orders) => {
            let _ = orders.send(Order::Quit);
            Ok(())
        }
        None => Err(refused(409, "no run to stop")),
    }
}

fn set_users(session: &Session, body: &Value) -> Result<(), Answer> {
    if session.command != LoadCommand::Run {
        return Err(refused(
            409,
            format!(
                "users can be changed in `run`, not in `{}`",
                session.command.name()
            ),
        ));
    }
    let Some(run) = session.attached() else {
        return Err(refused(
            409,
            "the run has not started yet: use action start",
        ));
    };
    let users = users(body)?;
    let spawn_rate = match body.get("spawn_rate") {
        Some(_) => number(body, "spawn_rate")?,
        None => session.defaults.spawn_rate,
    };
    run.control
        .set_users(users, spawn_rate)
        .map_err(|e| refused(400, e.to_string()))
}

fn set_rate(session: &Session, body: &Value) -> Result<(), Answer> {
    if session.command != LoadCommand::Rate {
        return Err(refused(
            409,
            format!(
                "the rate can be changed in `rate`, not in `{}`",
                session.command.name()
            ),
        ));
    }
    let Some(run) = session.attached() else {
        return Err(refused(409, "the run has not started yet"));
    };
    let rate = number(body, "rate")?;
    run.control
        .set_rate(rate, MAX_ARRIVAL_RATE)
        .map_err(|e| refused(400, e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn session(command: LoadCommand) -> Session {
        let form = StartForm {
            users: 1,
            spawn_rate: 1.0,
            host: String::new(),
        };
        Session::new(command, form)
    }

    fn answer(session: &Session, body: &str) -> Answer {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .expect("runtime");
        runtime.block_on(control(session, body.as_bytes()))
    }

    #[test]
    fn control_refuses_what_the_run_cannot_do_with_a_status_and_a_reason() {
        let step = session(LoadCommand::Step);
        for (body, status) in [
            ("not json", 400),
            (r#"{"action": "jump"}"#, 400),
            (r#"{"action": "start", "users": 2, "spawn_rate": 1}"#, 409),
            (r#"{"action": "users", "users": 2}"#, 409),
            (r#"{"action": "rate", "rate": 2}"#, 409),
            (r#"{"action": "stop"}"#, 409),
        ] {
            let (got, value) = answer(&step, body);
            assert_eq!(got, status, "{body}: {value}");
            assert!(value["error"].as_str().is_some_and(|e| !e.is_empty()));
        }
        let waiting = session(LoadCommand::Run);
        let orders = waiting.await_start();
        for body in [
            r#"{"action": "start", "users": 1.5, "spawn_rate": 1}"#,
            r#"{"action": "start", "users": 2}"#,
        ] {
            assert_eq!(answer(&waiting, body).0, 400, "{body}");
        }
        assert_eq!(answer(&waiting, r#"{"action": "stop"}"#).0, 200);
        assert!(matches!(orders.try_recv(), Ok(Order::Quit)));
        assert_eq!(stats(&waiting)["state"], "waiting");
    }
}

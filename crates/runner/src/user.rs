//! A virtual user: its own keep-alive connection and random state, running its class's `on_start`
//! steps once and then weighted tasks with waits, until it is told to stop.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use tokio::sync::Notify;

use crate::client::{Exchange, HttpClient, Outgoing, RequestOptions, Session, Target};
use crate::dynamic::{inspect, UserState};
use crate::in_flight::InFlight;
use crate::metrics::{FailureKind, Recorder, Sample};
use crate::task::{RequestStep, UserClass};

/// Tells one user (or all of them) to stop after the request in flight.
#[derive(Debug, Default)]
pub struct StopSignal {
    stopped: AtomicBool,
    notify: Notify,
}

impl StopSignal {
    /// Raises the signal and wakes a user that is waiting between tasks.
    pub fn stop(&self) {
        self.stopped.store(true, Ordering::Release);
        self.notify.notify_waiters();
    }

    /// True once raised.
    pub fn is_stopped(&self) -> bool {
        self.stopped.load(Ordering::Acquire)
    }

    /// Sleeps for `pause` unless the signal is raised first; returns false if it was.
    pub async fn sleep(&self, pause: Duration) -> bool {
        if pause.is_zero() {
            return !self.is_stopped();
        }
        let notified = self.notify.notified();
        if self.is_stopped() {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(pause) => !self.is_stopped(),
            _ = notified => false,
        }
    }
}

/// What every user of a run shares.
#[derive(Debug, Clone)]
pub struct UserEnvironment {
    /// The service under test.
    pub target: Arc<Target>,
    /// Where samples go.
    pub recorder: Recorder,
    /// Per-request timeout (connect, send and whole body).
    pub request_timeout: Duration,
    /// TLS, proxies, cookies and default headers every user's session shares.
    pub client: Arc<HttpClient>,
}

fn record_failure(env: &UserEnvironment, step: &RequestStep, message: String) {
    env.recorder.record(Sample {
        entry: step.entry,
        elapsed_ns: 0,
        content_length: 0,
        finished: Instant::now(),
        failure: Some(FailureKind::Other(message.into())),
        events: 0.0,
    });
}

/// The sample's content length and failure for `outcome`: a status the step does not accept, or a
/// check or capture that failed on the body (captures store into `state`).
fn judge(
    step: &RequestStep,
    outcome: Result<Exchange, FailureKind>,
    state: &mut UserState,
) -> (u64, Option<FailureKind>) {
    let exchange = match outcome {
        Ok(exchange) => exchange,
        Err(failure) => return (0, Some(failure)),
    };
    let status = exchange.status.as_u16();
    let mut failure = (!step.accept.accepts(status)).then_some(FailureKind::Status(status));
    if failure.is_none() && step.needs_body() {
        if let Err(message) = inspect(
            &step.checks,
            &step.captures,
            &exchange.headers,
            exchange.body.as_ref(),
            state,
        ) {
            failure = Some(FailureKind::Other(message.into()));
        }
    }
    (exchange.content_length, failure)
}

/// Sends one step's request in the user's `session` and records the sample. Templated parts are rendered
/// with `state`'s variables; captures store into them. The response time runs from
/// `intended_start` when given (the open model's schedule, so a stalled target shows in the
/// percentiles), else from the moment the request is sent. Returns whether the request succeeded.
pub async fn execute_step(
    env: &UserEnvironment,
    session: &mut Session,
    step: &RequestStep,
    state: &mut UserState,
    intended_start: Option<Instant>,
) -> bool {
    let target: &Target = step.origin.as_deref().unwrap_or(&env.target);
    let rendered = match &step.dynamic {
        Some(dynamic) => match dynamic.render(state, target) {
            Ok(rendered) => Some(rendered),
            Err(message) => {
                record_failure(env, step, message);
                return false;
            }
        },
        None => None,
    };
    let uri = match rendered.as_ref().and_then(|r| r.uri.as_ref()) {
        Some(uri) => uri,
        None => &step.uri,
    };
    let body = match rendered.as_ref().and_then(|r| r.body.as_ref()) {
        Some(body) => body,
        None => &step.body,
    };
    let merged;
    let headers = match &rendered {
        Some(rendered) if !rendered.headers.is_empty() => {
            let mut all = step.headers.clone();
            all.extend(rendered.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
            merged = all;
            &merged
        }
        _ => &step.headers,
    };
    let request = Outgoing {
        method: &step.method,
        uri,
        headers,
        body,
    };
    let started = intended_start.unwrap_or_else(Instant::now);
    let options = RequestOptions {
        keep_body: step.needs_body(),
        follow_redirects: step.follow_redirects,
        decompress: step.decompress,
        timeout: step.timeout.unwrap_or(env.request_timeout),
    };
    let in_flight = InFlight::new(&env.recorder, step.entry, started);
    let outcome = session.send(target, request, options).await;
    in_flight.landed();
    let finished = Instant::now();
    let elapsed_ns = finished.saturating_duration_since(started).as_nanos() as u64;
    let (content_length, failure) = judge(step, outcome, state);
    let succeeded = failure.is_none();
    let events = match (&step.dynamic, succeeded) {
        (_, false) => 0.0,
        (Some(dynamic), true) => dynamic.events(state).unwrap_or(step.events),
        (None, true) => step.events,
    };
    env.recorder.record(Sample {
        entry: step.entry,
        elapsed_ns,
        content_length,
        finished,
        failure,
        events,
    });
    succeeded
}

/// Runs one user of `class` until `stop` is raised.
pub async fn run_user(env: UserEnvironment, class: Arc<UserClass>, stop: Arc<StopSignal>) {
    let mut session = Session::new(&env.client);
    let mut rng = SmallRng::from_os_rng();
    let mut state = UserState::new(&class.vars);
    for step in &class.on_start {
        if stop.is_stopped() {
            return;
        }
        execute_step(&env, &mut session, step, &mut state, None).await;
    }
    while !stop.is_stopped() {
        let Some(task) = class.pick_task(&mut rng) else {
            return;
        };
        let task_started = Instant::now();
        for step in &task.steps {
            let succeeded = execute_step(&env, &mut session, step, &mut state, None).await;
            if stop.is_stopped() {
                return;
            }
            if !succeeded && !step.captures.is_empty() {
                // Later steps of the flow need what this one should have captured.
                break;
            }
        }
        let pause = class.wait.pause(task_started.elapsed(), &mut rng);
        if !stop.sleep(pause).await {
            return;
        }
        if pause.is_zero() {
            // A user with no wait must still let its neighbours run on a busy worker.
            tokio::task::consume_budget().await;
        }
    }
}

//! One request through the demo server: stall gate, rate limit, capacity slot, faults, route.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use http::{header, Request, Response, StatusCode};
use http_body_util::BodyExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use crate::RunnerError;

pub use super::answer::DemoBody;
use super::answer::{respond, Answer};
use super::config::DemoServerConfig;
use super::counters::{ConnectionTally, Counters};
use super::fault::FaultPlan;
use super::items::{ItemFields, ItemStore};
use super::rate_limit::RateLimiter;
use super::routes::Route;
use super::session::Sessions;
use super::tls::TlsIdentity;

/// Everything the handlers share.
#[derive(Debug)]
pub struct DemoState {
    /// The settings.
    pub config: DemoServerConfig,
    /// When the server started (stalls are timed from here).
    pub started: Instant,
    /// The capacity slots.
    pub slots: Semaphore,
    /// What was received.
    pub counters: Counters,
    /// Per-API-key limits.
    pub limiter: RateLimiter,
    /// The items.
    pub items: ItemStore,
    /// The `session` cookies `POST /login` handed out.
    pub sessions: Sessions,
    /// The certificate and acceptor, with `--tls`.
    pub tls: Option<TlsIdentity>,
    /// The injected faults (`--fault`).
    pub faults: FaultPlan,
}

impl DemoState {
    /// Fresh state for `config` (with `tls`, a new self-signed certificate).
    pub fn new(config: DemoServerConfig) -> Result<Self, RunnerError> {
        let tls = match config.tls {
            true => Some(TlsIdentity::generate(config.http2)?),
            false => None,
        };
        let faults = FaultPlan::new(config.faults.clone(), config.tls)?;
        Ok(DemoState {
            faults,
            slots: Semaphore::new(config.capacity),
            config,
            started: Instant::now(),
            counters: Counters::default(),
            limiter: RateLimiter::default(),
            items: ItemStore::default(),
            sessions: Sessions::default(),
            tls,
        })
    }

    /// Waits while the server is stalled.
    async fn pass_stall(&self) {
        if let Some(plan) = self.config.stall {
            while let Some(left) = plan.remaining(self.started.elapsed()) {
                tokio::time::sleep(left).await;
            }
        }
    }

    /// Holds a capacity slot for one jittered service time; returns that time.
    async fn serve_in_slot(&self) -> Duration {
        let nominal = self.config.service_time.as_secs_f64();
        let spread = self.config.jitter;
        let factor = if spread > 0.0 {
            rand::random_range((1.0 - spread)..(1.0 + spread))
        } else {
            1.0
        };
        let served = Duration::from_secs_f64(nominal * factor);
        // The semaphore is never closed, so acquiring only waits.
        if let Ok(_permit) = self.slots.acquire().await {
            tokio::time::sleep(served).await;
        }
        served
    }

    /// Sleeps the extra time `--slow` plants on `route` (after the slot is released, so other
    /// routes do not queue behind it).
    async fn slow_down(&self, route: Route, served: Duration) {
        let extra = super::slow::extra_time(&self.config.slow, route, served);
        if !extra.is_zero() {
            tokio::time::sleep(extra).await;
        }
    }
}

/// Handles one request received on `connection`; never fails (errors are answers).
pub async fn handle<B>(
    state: Arc<DemoState>,
    connection: Arc<ConnectionTally>,
    request: Request<B>,
) -> Result<Response<DemoBody>, Infallible>
where
    B: hyper::body::Body,
{
    let (parts, body) = request.into_parts();
    let route = Route::resolve(&parts.method, parts.uri.path());
    if route == Route::Counters {
        let snapshot = serde_json::to_value(state.counters.snapshot()).unwrap_or_default();
        return Ok(respond(Answer::json(StatusCode::OK, snapshot), None));
    }
    let body = match body.collect().await {
        Ok(collected) => collected.to_bytes(),
        // The client went away mid-body: nothing to answer, nothing received.
        Err(_) => {
            return Ok(respond(
                Answer::detail(StatusCode::BAD_REQUEST, "body"),
                None,
            ))
        }
    };
    state.pass_stall().await;
    let request = Incoming {
        route,
        parts: &parts,
        body: &body,
    };
    let answer = answer(&state, &request).await;
    state.pass_stall().await;
    if let Some(pattern) = route.pattern() {
        state.counters.record(
            pattern,
            answer.status.as_u16(),
            answer.events,
            parts.version,
            &connection,
        );
    }
    let compress_for = state.config.compress.then_some(&parts.headers);
    Ok(respond(answer, compress_for))
}

/// What the handlers need of a request: its route, head and body.
pub(crate) struct Incoming<'a> {
    /// The route it resolved to.
    pub(crate) route: Route,
    /// Method, URI, version and headers.
    pub(crate) parts: &'a http::request::Parts,
    /// The whole body.
    pub(crate) body: &'a [u8],
}

impl Incoming<'_> {
    /// The path (no query).
    pub(crate) fn path(&self) -> &str {
        self.parts.uri.path()
    }

    /// The query string, empty if none.
    pub(crate) fn query(&self) -> &str {
        self.parts.uri.query().unwrap_or("")
    }

    /// The first value of header `name`, if it is text.
    pub(crate) fn header(&self, name: impl header::AsHeaderName) -> Option<&str> {
        self.parts.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

async fn answer(state: &DemoState, request: &Incoming<'_>) -> Answer {
    let route = request.route;
    if let Some(key) = request.header("x-api-key") {
        if let Err(retry_after) = state.limiter.admit(key, Instant::now()) {
            let mut answer = Answer::detail(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit of your API plan exceeded",
            );
            answer.retry_after = Some(retry_after.as_secs_f64().ceil() as u64);
            return answer;
        }
    }
    let served = match route.holds_a_slot() {
        true => state.serve_in_slot().await,
        false => Duration::ZERO,
    };
    state.slow_down(route, served).await;
    if route.holds_a_slot() {
        let draw: f64 = rand::random();
        if draw < state.config.error_rate {
            return Answer::detail(StatusCode::INTERNAL_SERVER_ERROR, "injected server error");
        }
        if draw < state.config.error_rate + state.config.not_found_rate {
            return Answer::detail(StatusCode::NOT_FOUND, "injected not found");
        }
    }
    let token = request
        .header(header::AUTHORIZATION)
        .and_then(|v| v.strip_prefix("Bearer "));
    super::session::answer(state, request)
        .or_else(|| super::redirects::answer(state, request))
        .or_else(|| super::compress::answer(request))
        .or_else(|| super::more_routes::answer(state, route, request.path(), token, request.body))
        .unwrap_or_else(|| route_answer(state, route, request.query(), request.body))
}

#[derive(Deserialize)]
struct Batch {
    events: Vec<serde_json::Value>,
}

fn route_answer(state: &DemoState, route: Route, query: &str, body: &[u8]) -> Answer {
    let not_found = || Answer::detail(StatusCode::NOT_FOUND, "item not found");
    let fields = || serde_json::from_slice::<ItemFields>(body);
    match route {
        Route::Health => Answer::json(
            StatusCode::OK,
            json!({"status": "ok", "uptime_s": state.started.elapsed().as_secs()}),
        ),
        Route::ListItems => match paging(query) {
            Some((offset, limit)) => {
                let (items, total) = state.items.page(offset, limit);
                Answer::json(
                    StatusCode::OK,
                    json!({"items": items, "total": total, "offset": offset}),
                )
            }
            None => Answer::detail(StatusCode::BAD_REQUEST, "bad paging parameters"),
        },
        Route::GetItem(id) => match state.items.get(id) {
            Some(item) => Answer::json(StatusCode::OK, json!(item)),
            None => not_found(),
        },
        Route::CreateItem => match fields() {
            Ok(fields) => Answer::json(StatusCode::CREATED, json!(state.items.create(fields))),
            Err(_) => Answer::detail(StatusCode::BAD_REQUEST, "expected a JSON item"),
        },
        Route::UpdateItem(id) => match fields() {
            Ok(fields) => match state.items.update(id, fields) {
                Some(item) => Answer::json(StatusCode::OK, json!(item)),
                None => not_found(),
            },
            Err(_) => Answer::detail(StatusCode::BAD_REQUEST, "expected a JSON item"),
        },
        Route::DeleteItem(id) => {
            if state.items.delete(id) {
                Answer::json(StatusCode::OK, json!({"deleted": id}))
            } else {
                not_found()
            }
        }
        Route::PostEvent => {
            let mut answer = Answer::json(StatusCode::ACCEPTED, json!({"accepted": 1}));
            answer.events = 1;
            answer
        }
        Route::PostEventBatch => match serde_json::from_slice::<Batch>(body) {
            Ok(batch) => {
                let count = batch.events.len() as u64;
                let mut answer = Answer::json(StatusCode::ACCEPTED, json!({"accepted": count}));
                answer.events = count;
                answer
            }
            Err(_) => Answer::detail(StatusCode::BAD_REQUEST, "expected {\"events\": [...]}"),
        },
        _ => Answer::detail(StatusCode::NOT_FOUND, "no such route"),
    }
}

/// `offset` and `limit` (1..=100, default 20) from a query string; `None` if unreadable.
fn paging(query: &str) -> Option<(usize, usize)> {
    let mut offset = 0usize;
    let mut limit = 20usize;
    for pair in query.split('&').filter(|p| !p.is_empty()) {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        match key {
            "offset" => offset = value.parse().ok()?,
            "limit" => limit = value.parse::<usize>().ok()?.clamp(1, 100),
            _ => {}
        }
    }
    Some((offset, limit))
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;
    use http_body_util::Full;

    #[test]
    fn paging_reads_offset_and_clamps_limit() {
        assert_eq!(paging(""), Some((0, 20)));
        assert_eq!(paging("limit=500&offset=7"), Some((7, 100)));
        assert_eq!(paging("offset=x"), None);
    }

    #[tokio::test]
    async fn batch_counts_its_events_and_rejects_bad_bodies() {
        let state = Arc::new(
            DemoState::new(DemoServerConfig {
                service_time: Duration::from_millis(1),
                ..DemoServerConfig::default()
            })
            .unwrap(),
        );
        let connection = Arc::new(ConnectionTally::default());
        let request = |body: &'static str| {
            Request::post("/api/v1/event/batch")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap()
        };
        let ok = handle(
            state.clone(),
            connection.clone(),
            request(r#"{"events":[1,2,3]}"#),
        )
        .await
        .unwrap();
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        let bad = handle(state.clone(), connection, request("[]"))
            .await
            .unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let snapshot = state.counters.snapshot();
        assert_eq!(snapshot.events, 3);
        assert_eq!(snapshot.routes["POST /api/v1/event/batch"].count, 2);
    }
}

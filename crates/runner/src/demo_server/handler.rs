//! One request through the demo server: stall gate, rate limit, capacity slot, faults, route.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http::{header, HeaderValue, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};
use serde::Deserialize;
use serde_json::json;
use tokio::sync::Semaphore;

use super::config::DemoServerConfig;
use super::counters::Counters;
use super::items::{ItemFields, ItemStore};
use super::rate_limit::RateLimiter;
use super::routes::Route;

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
}

impl DemoState {
    /// Fresh state for `config`.
    pub fn new(config: DemoServerConfig) -> Self {
        DemoState {
            slots: Semaphore::new(config.capacity),
            config,
            started: Instant::now(),
            counters: Counters::default(),
            limiter: RateLimiter::default(),
            items: ItemStore::default(),
        }
    }

    /// Waits while the server is stalled.
    async fn pass_stall(&self) {
        if let Some(plan) = self.config.stall {
            while let Some(left) = plan.remaining(self.started.elapsed()) {
                tokio::time::sleep(left).await;
            }
        }
    }

    /// Holds a capacity slot for one jittered service time.
    async fn serve_in_slot(&self) {
        let nominal = self.config.service_time.as_secs_f64();
        let spread = self.config.jitter;
        let factor = if spread > 0.0 {
            rand::random_range((1.0 - spread)..(1.0 + spread))
        } else {
            1.0
        };
        // The semaphore is never closed, so acquiring only waits.
        if let Ok(_permit) = self.slots.acquire().await {
            tokio::time::sleep(Duration::from_secs_f64(nominal * factor)).await;
        }
    }
}

/// The body type of every answer.
pub type DemoBody = Full<Bytes>;

/// An answer: status, JSON body and the business events accepted.
pub(crate) struct Answer {
    status: StatusCode,
    body: serde_json::Value,
    events: u64,
    retry_after: Option<u64>,
}

impl Answer {
    pub(crate) fn json(status: StatusCode, body: serde_json::Value) -> Self {
        Answer {
            status,
            body,
            events: 0,
            retry_after: None,
        }
    }

    pub(crate) fn detail(status: StatusCode, detail: &str) -> Self {
        Answer::json(status, json!({ "detail": detail }))
    }
}

/// Handles one request; never fails (errors are answers).
pub async fn handle<B>(
    state: Arc<DemoState>,
    request: Request<B>,
) -> Result<Response<DemoBody>, Infallible>
where
    B: hyper::body::Body,
{
    let route = Route::resolve(request.method(), request.uri().path());
    if route == Route::Counters {
        let snapshot = serde_json::to_value(state.counters.snapshot()).unwrap_or_default();
        return Ok(respond(Answer::json(StatusCode::OK, snapshot)));
    }
    let query = request.uri().query().unwrap_or("").to_owned();
    let path = request.uri().path().to_owned();
    let token = request
        .headers()
        .get(http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned);
    let api_key = request
        .headers()
        .get("x-api-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = match request.into_body().collect().await {
        Ok(collected) => collected.to_bytes(),
        // The client went away mid-body: nothing to answer, nothing received.
        Err(_) => return Ok(respond(Answer::detail(StatusCode::BAD_REQUEST, "body"))),
    };
    state.pass_stall().await;
    let request = Incoming {
        route,
        query: &query,
        path: &path,
        token: token.as_deref(),
        api_key: api_key.as_deref(),
        body: &body,
    };
    let answer = answer(&state, &request).await;
    state.pass_stall().await;
    if let Some(pattern) = route.pattern() {
        state
            .counters
            .record(pattern, answer.status.as_u16(), answer.events);
    }
    Ok(respond(answer))
}

/// What the handlers need of a request.
struct Incoming<'a> {
    route: Route,
    query: &'a str,
    path: &'a str,
    token: Option<&'a str>,
    api_key: Option<&'a str>,
    body: &'a [u8],
}

async fn answer(state: &DemoState, request: &Incoming<'_>) -> Answer {
    let route = request.route;
    if let Some(key) = request.api_key {
        if let Err(retry_after) = state.limiter.admit(key, Instant::now()) {
            let mut answer = Answer::detail(
                StatusCode::TOO_MANY_REQUESTS,
                "rate limit of your API plan exceeded",
            );
            answer.retry_after = Some(retry_after.as_secs_f64().ceil() as u64);
            return answer;
        }
    }
    if route.holds_a_slot() {
        state.serve_in_slot().await;
        let draw: f64 = rand::random();
        if draw < state.config.error_rate {
            return Answer::detail(StatusCode::INTERNAL_SERVER_ERROR, "injected server error");
        }
        if draw < state.config.error_rate + state.config.not_found_rate {
            return Answer::detail(StatusCode::NOT_FOUND, "injected not found");
        }
    }
    super::more_routes::answer(state, route, request.path, request.token, request.body)
        .unwrap_or_else(|| route_answer(state, route, request.query, request.body))
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

fn respond(answer: Answer) -> Response<DemoBody> {
    let body = serde_json::to_vec(&answer.body).unwrap_or_default();
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = answer.status;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    if let Some(seconds) = answer.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paging_reads_offset_and_clamps_limit() {
        assert_eq!(paging(""), Some((0, 20)));
        assert_eq!(paging("limit=500&offset=7"), Some((7, 100)));
        assert_eq!(paging("offset=x"), None);
    }

    #[tokio::test]
    async fn batch_counts_its_events_and_rejects_bad_bodies() {
        let state = Arc::new(DemoState::new(DemoServerConfig {
            service_time: Duration::from_millis(1),
            ..DemoServerConfig::default()
        }));
        let request = |body: &'static str| {
            Request::post("/api/v1/event/batch")
                .body(Full::new(Bytes::from_static(body.as_bytes())))
                .unwrap()
        };
        let ok = handle(state.clone(), request(r#"{"events":[1,2,3]}"#))
            .await
            .unwrap();
        assert_eq!(ok.status(), StatusCode::ACCEPTED);
        let bad = handle(state.clone(), request("[]")).await.unwrap();
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let snapshot = state.counters.snapshot();
        assert_eq!(snapshot.events, 3);
        assert_eq!(snapshot.routes["POST /api/v1/event/batch"].count, 2);
    }
}

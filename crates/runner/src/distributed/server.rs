//! The coordinator's HTTP side (a [`BackgroundServer`]): `POST
//! /register` answers once every shard registered, with their common start; `POST /report`
//! hands a shard's report to the [`Hub`] and answers whether to stop. A watchdog gives up on
//! silent shards; SIGINT or SIGTERM tells every shard to stop.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};
use tokio::sync::watch;

use super::error::BundleError;
use super::events::HubSettings;
use super::exact::ExactF64;
use super::hub::Hub;
use super::merge::MergeOutcome;
use super::meta::ShardMeta;
use super::report::{ReportPost, ShardReport, StartReply, REGISTER_PATH, REPORT_PATH};
use crate::background::{bind, BackgroundServer};
use crate::error::RunnerError;

/// How often the watchdog looks for silent shards.
const WATCH_EVERY: Duration = Duration::from_millis(250);

/// How long the last answers get to leave before the server closes.
const LINGER: Duration = Duration::from_millis(300);

/// How long the answer to a second's report may wait for that second to be merged, so that a
/// stop rule it fires reaches every shard in that answer (not a second later, in the next).
const MERGE_WAIT: Duration = Duration::from_millis(500);

/// The largest report accepted (a tick of many entries' histograms is far below it).
const MAX_BODY: usize = 64 * 1024 * 1024;

struct Shared {
    /// Taken out when the run is over.
    hub: Mutex<Option<Hub>>,
    changed: Condvar,
    start: watch::Sender<Option<f64>>,
    /// The latest tick merged.
    merged: watch::Sender<Option<i64>>,
}

impl Shared {
    fn hub(&self) -> MutexGuard<'_, Option<Hub>> {
        self.hub.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A running coordinator.
pub struct Coordinator {
    address: SocketAddr,
    shared: Arc<Shared>,
    server: Option<BackgroundServer>,
}

impl std::fmt::Debug for Coordinator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Coordinator")
            .field("address", &self.address)
            .finish_non_exhaustive()
    }
}

/// How a coordinated run ended.
#[derive(Debug)]
pub struct CoordinatorOutcome {
    /// The merged run.
    pub merged: MergeOutcome,
    /// The shards lost mid-run.
    pub lost: Vec<usize>,
    /// Why the coordinator stopped the shards, if it did.
    pub stopped: Option<String>,
}

impl Coordinator {
    /// Listens on `address` (an error at once if it cannot) for the shards `settings` expects.
    pub fn start(address: SocketAddr, settings: HubSettings) -> Result<Coordinator, RunnerError> {
        let listener = bind(address).map_err(|e| {
            RunnerError::InvalidSetting(format!("--listen {address}: cannot listen: {e}"))
        })?;
        let shared = Arc::new(Shared {
            hub: Mutex::new(Some(Hub::new(settings, Instant::now()))),
            changed: Condvar::new(),
            start: watch::Sender::new(None),
            merged: watch::Sender::new(None),
        });
        let served = shared.clone();
        let handler = move |request: Request<Incoming>| {
            let shared = served.clone();
            async move { answer(request, &shared).await }
        };
        let server = BackgroundServer::start(
            listener,
            "captest-coordinator",
            handler,
            watchdog(shared.clone()),
        )
        .map_err(RunnerError::Runtime)?;
        Ok(Coordinator {
            address: server.local_addr(),
            shared,
            server: Some(server),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Waits until every shard finished or was lost, then writes the merged run's final files.
    pub fn wait(mut self) -> Result<CoordinatorOutcome, BundleError> {
        {
            let hub = self.shared.hub();
            let _done = self
                .shared
                .changed
                .wait_while(hub, |hub| hub.as_ref().is_some_and(|h| !h.is_done()))
                .unwrap_or_else(PoisonError::into_inner);
        }
        std::thread::sleep(LINGER);
        self.close();
        let Some(hub) = self.shared.hub().take() else {
            return Err(BundleError::Mismatch(
                "the coordinator ended twice".to_owned(),
            ));
        };
        let lost = hub.lost();
        let stopped = hub.stop().reason();
        let merged = hub.finish()?;
        Ok(CoordinatorOutcome {
            merged,
            lost,
            stopped,
        })
    }

    fn close(&mut self) {
        if let Some(server) = self.server.take() {
            server.stop();
        }
    }
}

/// Beside the server: the watchdog that gives up on silent shards, and SIGINT or SIGTERM.
async fn watchdog(shared: Arc<Shared>) {
    let mut watchdog = tokio::time::interval(WATCH_EVERY);
    let mut signals = crate::signals::ShutdownSignals::new();
    loop {
        tokio::select! {
            _ = watchdog.tick() => {
                if let Some(hub) = shared.hub().as_mut() {
                    hub.watch(Instant::now());
                    shared.merged.send_replace(hub.merged_through());
                }
            }
            _ = signals.recv() => {
                if let Some(hub) = shared.hub().as_mut() {
                    hub.interrupt("stopped by signal at the coordinator");
                }
            }
        }
        shared.changed.notify_all();
    }
}

fn reply(status: StatusCode, body: Vec<u8>, json: bool) -> Response<Full<Bytes>> {
    let kind = if json {
        "application/json"
    } else {
        "text/plain; charset=utf-8"
    };
    Response::builder()
        .status(status)
        .header(http::header::CONTENT_TYPE, kind)
        .body(Full::new(Bytes::from(body)))
        .unwrap_or_default()
}

async fn answer(request: Request<Incoming>, shared: &Shared) -> Response<Full<Bytes>> {
    let path = request.uri().path().to_owned();
    if request.method() != Method::POST || (path != REGISTER_PATH && path != REPORT_PATH) {
        let text =
            format!("a captest coordinator: shards POST {REGISTER_PATH} and {REPORT_PATH}\n");
        return reply(StatusCode::NOT_FOUND, text.into_bytes(), false);
    }
    let body = match http_body_util::Limited::new(request.into_body(), MAX_BODY)
        .collect()
        .await
    {
        Ok(body) => body.to_bytes(),
        Err(e) => return reply(StatusCode::BAD_REQUEST, e.to_string().into_bytes(), false),
    };
    if path == REGISTER_PATH {
        register(&body, shared).await
    } else {
        report(&body, shared).await
    }
}

async fn register(body: &[u8], shared: &Shared) -> Response<Full<Bytes>> {
    let meta: ShardMeta = match serde_json::from_slice(body) {
        Ok(meta) => meta,
        Err(e) => {
            let text = format!("expected a shard description: {e}");
            return reply(StatusCode::BAD_REQUEST, text.into_bytes(), false);
        }
    };
    let start_at = {
        let mut hub = shared.hub();
        let Some(hub) = hub.as_mut() else {
            return reply(StatusCode::CONFLICT, b"the run is over".to_vec(), false);
        };
        if let Err(reason) = hub.register(&meta, Instant::now()) {
            return reply(StatusCode::CONFLICT, reason.into_bytes(), false);
        }
        hub.start_at()
    };
    if start_at.is_some() {
        shared.start.send_replace(start_at);
    }
    let mut start = shared.start.subscribe();
    let Ok(start_at) = start.wait_for(Option::is_some).await.map(|s| *s) else {
        return reply(StatusCode::SERVICE_UNAVAILABLE, b"closing".to_vec(), false);
    };
    let start_at = ExactF64(start_at.unwrap_or_default());
    let body = serde_json::to_vec(&StartReply { start_at }).unwrap_or_default();
    reply(StatusCode::OK, body, true)
}

async fn report(body: &[u8], shared: &Shared) -> Response<Full<Bytes>> {
    let post: ReportPost = match serde_json::from_slice(body) {
        Ok(post) => post,
        Err(e) => {
            let text = format!("expected a shard report: {e}");
            return reply(StatusCode::BAD_REQUEST, text.into_bytes(), false);
        }
    };
    let tick = match &post.report {
        ShardReport::Second(record) => Some(record.now),
        _ => None,
    };
    let answered = match shared.hub().as_mut() {
        Some(hub) => {
            let answered = hub.report(post, Instant::now());
            shared.merged.send_replace(hub.merged_through());
            answered
        }
        None => Err("the run is over".to_owned()),
    };
    shared.changed.notify_all();
    let mut answer = match answered {
        Ok(answer) => answer,
        Err(reason) => return reply(StatusCode::CONFLICT, reason.into_bytes(), false),
    };
    if let Some(tick) = tick.filter(|_| answer.stop.is_none()) {
        let mut merged = shared.merged.subscribe();
        let merged_it = merged.wait_for(|m| m.is_some_and(|m| m >= tick));
        let _ = tokio::time::timeout(MERGE_WAIT, merged_it).await;
        answer.stop = shared.hub().as_ref().and_then(Hub::stop_reason);
    }
    reply(
        StatusCode::OK,
        serde_json::to_vec(&answer).unwrap_or_default(),
        true,
    )
}

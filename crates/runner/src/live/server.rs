//! `--metrics`: a [`BackgroundServer`] (its own thread and runtime, so it never takes a worker's
//! turn) that answers `GET /metrics` with the live state in Prometheus' text
//! format. It is started before the run and stopped after its files are written; if a scraper
//! has been coming regularly, stopping waits for it to take the final figures (at most one of
//! its intervals and a half, never more than [`MAX_LINGER`]), so that what it stored ends at the
//! files' counts.

use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

use super::prometheus::{render, CONTENT_TYPE};
use super::state::LiveState;
use crate::background::{bind, BackgroundServer};
use crate::error::RunnerError;

/// The longest a stopping server waits for a scraper to take the final figures.
pub const MAX_LINGER: Duration = Duration::from_secs(5);

/// When `/metrics` was scraped, to know whether a scraper is due.
#[derive(Debug, Default)]
struct Scrapes {
    last: Option<Instant>,
    interval: Option<Duration>,
    final_served: bool,
}

#[derive(Debug, Default)]
struct ScrapeLog {
    scrapes: Mutex<Scrapes>,
    served: Condvar,
}

impl ScrapeLog {
    fn lock(&self) -> MutexGuard<'_, Scrapes> {
        self.scrapes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn note(&self, final_figures: bool) {
        let mut scrapes = self.lock();
        let now = Instant::now();
        if let Some(last) = scrapes.last {
            scrapes.interval = Some(now - last);
        }
        scrapes.last = Some(now);
        scrapes.final_served |= final_figures;
        self.served.notify_all();
    }

    /// Waits until a scrape took the final figures, or the scraper's next visit is overdue.
    fn wait_for_final(&self) {
        let scrapes = self.lock();
        let (Some(last), Some(interval)) = (scrapes.last, scrapes.interval) else {
            return;
        };
        let due = last + interval + interval / 2;
        let deadline = due.min(Instant::now() + MAX_LINGER);
        let wait = deadline.saturating_duration_since(Instant::now());
        let _ = self
            .served
            .wait_timeout_while(scrapes, wait, |s| !s.final_served);
    }
}

/// The `--metrics` server of a run.
#[derive(Debug)]
pub struct MetricsServer {
    state: LiveState,
    log: Arc<ScrapeLog>,
    server: BackgroundServer,
}

impl MetricsServer {
    /// Binds `address` (an error at once if it cannot) and serves `state` until stopped.
    pub fn start(address: SocketAddr, state: LiveState) -> Result<MetricsServer, RunnerError> {
        let listener = bind(address).map_err(|e| {
            RunnerError::InvalidSetting(format!("--metrics {address}: cannot listen: {e}"))
        })?;
        let log = Arc::new(ScrapeLog::default());
        let (served, served_log) = (state.clone(), log.clone());
        let handler = move |request: Request<Incoming>| {
            let response = answer(&request, &served, &served_log);
            async move { response }
        };
        let server =
            BackgroundServer::start(listener, "captest-metrics", handler, std::future::pending())
                .map_err(RunnerError::Runtime)?;
        Ok(MetricsServer { state, log, server })
    }

    /// The live state it serves.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops serving: once the run's last figures are published, first lets a regular scraper
    /// take them (see the module's description).
    pub fn stop(self) {
        if self.state.snapshot().is_final() {
            self.log.wait_for_final();
        }
        self.server.stop();
    }
}

fn answer<B>(request: &Request<B>, state: &LiveState, log: &ScrapeLog) -> Response<Full<Bytes>> {
    let reply = |status: StatusCode, body: String| {
        Response::builder()
            .status(status)
            .header(http::header::CONTENT_TYPE, CONTENT_TYPE)
            .body(Full::new(Bytes::from(body)))
            .unwrap_or_default()
    };
    if request.uri().path() != "/metrics" {
        return reply(
            StatusCode::NOT_FOUND,
            "captest serves its metrics at /metrics\n".into(),
        );
    }
    if request.method() != Method::GET && request.method() != Method::HEAD {
        return reply(StatusCode::METHOD_NOT_ALLOWED, "GET /metrics\n".into());
    }
    let snapshot = state.snapshot();
    let body = render(&state.info(), &snapshot);
    log.note(snapshot.is_final());
    reply(StatusCode::OK, body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stopping_waits_for_a_regular_scraper_to_take_the_final_figures_and_no_longer() {
        let log = Arc::new(ScrapeLog::default());
        let started = Instant::now();
        log.wait_for_final();
        assert!(
            started.elapsed() < Duration::from_millis(50),
            "nobody scrapes: no wait"
        );
        log.note(false);
        std::thread::sleep(Duration::from_millis(100));
        log.note(false);
        let scraper = log.clone();
        let late = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(60));
            scraper.note(true);
        });
        let started = Instant::now();
        log.wait_for_final();
        let waited = started.elapsed();
        late.join().expect("scraper thread");
        assert!(waited >= Duration::from_millis(50), "{waited:?}");
        // A scraper that does not come back: the wait ends 1.5 intervals after its last visit.
        let gone = ScrapeLog::default();
        gone.note(false);
        std::thread::sleep(Duration::from_millis(100));
        gone.note(false);
        let started = Instant::now();
        gone.wait_for_final();
        let waited = started.elapsed();
        assert!(
            waited >= Duration::from_millis(100) && waited < Duration::from_secs(1),
            "{waited:?}"
        );
    }
}

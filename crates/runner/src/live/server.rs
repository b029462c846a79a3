//! `--metrics`: an HTTP server (hyper, on its own thread and single-threaded runtime, so it never
//! takes a worker's turn) that answers `GET /metrics` with the live state in Prometheus' text
//! format. It is started before the run and stopped after its files are written; if a scraper
//! has been coming regularly, stopping waits for it to take the final figures (at most one of
//! its intervals and a half, never more than [`MAX_LINGER`]), so that what it stored ends at the
//! files' counts.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::prometheus::{render, CONTENT_TYPE};
use super::state::LiveState;
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
    address: SocketAddr,
    state: LiveState,
    log: Arc<ScrapeLog>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsServer {
    /// Binds `address` (an error at once if it cannot) and serves `state` until stopped.
    pub fn start(address: SocketAddr, state: LiveState) -> Result<MetricsServer, RunnerError> {
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .map_err(|e| {
                RunnerError::InvalidSetting(format!("--metrics {address}: cannot listen: {e}"))
            })?;
        let address = listener.local_addr().map_err(RunnerError::Runtime)?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(RunnerError::Runtime)?;
        let log = Arc::new(ScrapeLog::default());
        let (stop, stopped) = oneshot::channel::<()>();
        let (served, served_log) = (state.clone(), log.clone());
        let thread = std::thread::Builder::new()
            .name("captest-metrics".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        accept(listener, served, served_log, stopped).await;
                    }
                });
            })
            .map_err(RunnerError::Runtime)?;
        Ok(MetricsServer {
            address,
            state,
            log,
            shutdown: Some(stop),
            thread: Some(thread),
        })
    }

    /// The live state it serves.
    pub fn state(&self) -> &LiveState {
        &self.state
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving: once the run's last figures are published, first lets a regular scraper
    /// take them (see the module's description).
    pub fn stop(mut self) {
        if self.state.snapshot().is_final() {
            self.log.wait_for_final();
        }
        self.close();
    }

    fn close(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.close();
    }
}

async fn accept(
    listener: TcpListener,
    state: LiveState,
    log: Arc<ScrapeLog>,
    mut stopped: oneshot::Receiver<()>,
) {
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (state, log) = (state.clone(), log.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let response = answer(&request, &state, &log);
                async move { Ok::<_, Infallible>(response) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
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

//! The demo target: a hyper server with a **known** capacity (`capacity / service_time` requests
//! per second), an items API, an events API with per-key rate limits, fault switches, and
//! `GET /__counters` telling what it received — the embedded default for the demo, the tests and
//! the benchmarks. Bind it to loopback only.

mod config;
mod counters;
mod handler;
mod items;
mod more_routes;
mod rate_limit;
mod routes;
mod scenario;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use config::{DemoServerConfig, StallPlan};
pub use counters::{CountersSnapshot, RouteCount};
pub use handler::DemoState;
pub use items::{Item, SEEDED_ITEMS};
pub use more_routes::{PRODUCTS, TOKEN_PREFIX};
pub use rate_limit::ApiPlan;
pub use routes::Route;
pub use scenario::demo_scenario;

use crate::RunnerError;

/// Accepts connections on `listener` and serves them until `shutdown` resolves.
pub async fn serve(
    listener: TcpListener,
    state: Arc<DemoState>,
    shutdown: impl Future<Output = ()>,
) -> Result<(), RunnerError> {
    // One descriptor per client connection: lift the soft limit to the hard one (best effort).
    let _ = rlimit::increase_nofile_limit(u64::MAX);
    tokio::pin!(shutdown);
    loop {
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // Out of file descriptors and the like: keep serving the open connections.
                Err(_) => {
                    tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        let state = state.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| handler::handle(state.clone(), request));
            // A connection error is the client's business (it went away); nothing to do.
            let _ = http1::Builder::new()
                .keep_alive(true)
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// Binds `address` with a non-blocking std listener (errors surface to the caller at once).
fn bind(address: SocketAddr) -> Result<std::net::TcpListener, RunnerError> {
    let listener = std::net::TcpListener::bind(address).map_err(|source| {
        RunnerError::InvalidSetting(format!("cannot listen on {address}: {source}"))
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| RunnerError::InvalidSetting(format!("{address}: {source}")))?;
    Ok(listener)
}

fn runtime(threads: usize) -> Result<tokio::runtime::Runtime, RunnerError> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .thread_name("demo-server")
        .enable_all()
        .build()
        .map_err(RunnerError::Runtime)
}

/// A demo server running on its own thread and runtime (so it never competes with the load
/// generator's runtime); stops when shut down or dropped.
#[derive(Debug)]
pub struct DemoServer {
    address: SocketAddr,
    state: Arc<DemoState>,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl DemoServer {
    /// Validates `config`, binds `address` (use `127.0.0.1:0` for a free port) and starts serving.
    pub fn spawn_background(
        config: DemoServerConfig,
        address: SocketAddr,
    ) -> Result<DemoServer, RunnerError> {
        config.validate()?;
        let listener = bind(address)?;
        let address = listener
            .local_addr()
            .map_err(|source| RunnerError::InvalidSetting(format!("{address}: {source}")))?;
        let runtime = runtime(config.threads)?;
        let state = Arc::new(DemoState::new(config));
        let (stop, stopped) = oneshot::channel::<()>();
        let served = state.clone();
        let thread = std::thread::Builder::new()
            .name("demo-server".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        let _ = serve(listener, served, async {
                            let _ = stopped.await;
                        })
                        .await;
                    }
                });
                // Dropping the runtime closes every connection still open.
            })
            .map_err(RunnerError::Runtime)?;
        Ok(DemoServer {
            address,
            state,
            shutdown: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// `http://ADDRESS`.
    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// What it has received so far (as `GET /__counters` answers).
    pub fn counters(&self) -> CountersSnapshot {
        self.state.counters.snapshot()
    }

    /// Its settings.
    pub fn config(&self) -> &DemoServerConfig {
        &self.state.config
    }

    /// Stops accepting, closes the connections and joins the server thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        if let Some(stop) = self.shutdown.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for DemoServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs a demo server in the foreground until SIGINT or SIGTERM; `on_listening` is called with
/// the bound address before the first connection is accepted.
pub fn run_until_signalled(
    config: DemoServerConfig,
    address: SocketAddr,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<CountersSnapshot, RunnerError> {
    config.validate()?;
    let listener = bind(address)?;
    let bound = listener
        .local_addr()
        .map_err(|source| RunnerError::InvalidSetting(format!("{address}: {source}")))?;
    let runtime = runtime(config.threads)?;
    let state = Arc::new(DemoState::new(config));
    let served = state.clone();
    runtime.block_on(async move {
        let listener = TcpListener::from_std(listener)
            .map_err(|source| RunnerError::InvalidSetting(format!("{bound}: {source}")))?;
        let mut signals = crate::signals::ShutdownSignals::new();
        on_listening(bound);
        serve(listener, served, signals.recv()).await
    })?;
    Ok(state.counters.snapshot())
}

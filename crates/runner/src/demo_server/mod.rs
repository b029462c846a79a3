//! The demo target: a hyper server with a **known** capacity (`capacity / service_time` requests
//! per second), an items API, an events API with per-key rate limits, fault switches, and
//! `GET /__counters` telling what it received, and injected wire faults (`--fault`: resets,
//! garbage, stalls, floods) — the embedded default for the demo, the tests and
//! the benchmarks. Optionally HTTPS (self-signed), HTTP/2, compression, plus routes for testing
//! clients: redirects, cookies, header echo, compressed and corrupt bodies. Bind it to loopback
//! only.

mod answer;
mod compress;
mod config;
mod connection;
mod counters;
mod fault;
mod fault_writers;
mod faulty;
mod handler;
mod items;
mod more_routes;
mod rate_limit;
mod redirects;
mod refusal;
mod routes;
mod scenario;
mod session;
mod slow;
#[cfg(test)]
mod tests;
mod tls;

use std::net::SocketAddr;
use std::sync::Arc;
use std::thread::JoinHandle;

use tokio::net::TcpListener;
use tokio::sync::oneshot;

pub use compress::{Encoding, CORRUPT_GZIP, DEFAULT_COMPRESSED_SIZE, MAX_COMPRESSED_SIZE};
pub use config::{DemoServerConfig, StallPlan};
pub use connection::{serve, HANDSHAKE_TIMEOUT};
pub use counters::{ConnectionTally, CountersSnapshot, RouteCount, TlsHandshakes};
pub use fault::{Fault, FaultKind, FaultPlan, REFUSED_PERIOD};
pub use fault_writers::{HUGE_BODY, HUGE_HEADERS, UNSOLICITED};
pub use handler::DemoState;
pub use items::{Item, SEEDED_ITEMS};
pub use more_routes::{PRODUCTS, TOKEN_PREFIX};
pub use rate_limit::ApiPlan;
pub use routes::Route;
pub use scenario::demo_scenario;
pub use session::{Sessions, MAX_SESSIONS, SESSION_COOKIE};
pub use slow::{Extra, Slowdown};
pub use tls::{TlsIdentity, CERTIFICATE_NAMES};

use crate::RunnerError;

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

/// A server ready to run: bound listener, its address, runtime and state (with `--tls`, the
/// certificate made and written to `tls_cert_out`).
struct Prepared {
    listener: std::net::TcpListener,
    address: SocketAddr,
    runtime: tokio::runtime::Runtime,
    state: Arc<DemoState>,
}

fn prepare(config: DemoServerConfig, address: SocketAddr) -> Result<Prepared, RunnerError> {
    config.validate()?;
    let listener = bind(address)?;
    let address = listener
        .local_addr()
        .map_err(|source| RunnerError::InvalidSetting(format!("{address}: {source}")))?;
    let runtime = runtime(config.threads)?;
    let state = Arc::new(DemoState::new(config)?);
    if let (Some(path), Some(tls)) = (&state.config.tls_cert_out, &state.tls) {
        std::fs::write(path, tls.certificate_pem()).map_err(|e| RunnerError::io(path, e))?;
    }
    Ok(Prepared {
        listener,
        address,
        runtime,
        state,
    })
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
        let Prepared {
            listener,
            address,
            runtime,
            state,
        } = prepare(config, address)?;
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

    /// `http://ADDRESS`, or `https://ADDRESS` with TLS.
    pub fn url(&self) -> String {
        let scheme = if self.state.config.tls {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.address)
    }

    /// The certificate (PEM) a client must trust, with TLS.
    pub fn certificate_pem(&self) -> Option<&str> {
        self.state.tls.as_ref().map(TlsIdentity::certificate_pem)
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
/// the bound address before the first connection is accepted (and after the certificate was
/// written to `tls_cert_out`, with TLS).
pub fn run_until_signalled(
    config: DemoServerConfig,
    address: SocketAddr,
    on_listening: impl FnOnce(SocketAddr),
) -> Result<CountersSnapshot, RunnerError> {
    let Prepared {
        listener,
        address: bound,
        runtime,
        state,
    } = prepare(config, address)?;
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

//! An HTTP/1.1 server in the background: hyper on its own thread and single-threaded runtime,
//! so that it never takes a worker's turn. It answers every request with a handler and runs
//! its chores (a watchdog, a sampler) beside the accept loop until it is stopped. `--metrics`,
//! the coordinator and the live web page are each one of these with their own routes.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::thread::JoinHandle;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

/// A server answering on its own thread until [`BackgroundServer::stop`] (or drop).
#[derive(Debug)]
pub struct BackgroundServer {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// Binds `address` for a background server (non-blocking, as its runtime needs it).
pub fn bind(address: SocketAddr) -> std::io::Result<std::net::TcpListener> {
    let listener = std::net::TcpListener::bind(address)?;
    listener.set_nonblocking(true)?;
    Ok(listener)
}

impl BackgroundServer {
    /// Serves `listener` (from [`bind`]) on a thread named `name`: every request is answered by
    /// `handler`, and `chores` runs beside the accept loop (`std::future::pending()` for none).
    pub fn start<H, A, C>(
        listener: std::net::TcpListener,
        name: &str,
        handler: H,
        chores: C,
    ) -> std::io::Result<BackgroundServer>
    where
        H: Fn(Request<Incoming>) -> A + Clone + Send + 'static,
        A: Future<Output = Response<Full<Bytes>>> + Send + 'static,
        C: Future<Output = ()> + Send + 'static,
    {
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        tokio::select! {
                            _ = stopped => {}
                            _ = accept(listener, handler) => {}
                            _ = chores => {}
                        }
                    }
                });
            })?;
        Ok(BackgroundServer {
            address,
            shutdown: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving and waits for its thread (connections still open are dropped).
    pub fn stop(mut self) {
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

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        self.close();
    }
}

/// Accepts connections for ever, each served by `handler` on its own task.
async fn accept<H, A>(listener: TcpListener, handler: H)
where
    H: Fn(Request<Incoming>) -> A + Clone + Send + 'static,
    A: Future<Output = Response<Full<Bytes>>> + Send + 'static,
{
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let handler = handler.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let answer = handler(request);
                async move { Ok::<_, Infallible>(answer.await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

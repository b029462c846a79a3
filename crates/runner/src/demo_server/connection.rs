//! Accepting and serving connections: the TLS handshake (with `--tls`), then HTTP/1.1 only, or
//! HTTP/1.1 and HTTP/2 on the same port (with `--http2`: by ALPN over TLS, by prior knowledge
//! over plain TCP).

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto;
use rustls::HandshakeKind;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::{TcpListener, TcpStream};

use super::counters::ConnectionTally;
use super::handler::{self, DemoState};
use crate::RunnerError;

/// How long a client may take to complete its TLS handshake.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

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
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, state.clone()));
    }
}

/// Serves one accepted connection, after its TLS handshake with `--tls`. A connection error is
/// the client's business (it went away, or failed its handshake): nothing to do.
async fn serve_connection(stream: TcpStream, state: Arc<DemoState>) {
    let Some(acceptor) = state.tls.as_ref().map(|tls| tls.acceptor().clone()) else {
        return serve_http(TokioIo::new(stream), state, None).await;
    };
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let handshake = stream.get_ref().1.handshake_kind();
    serve_http(TokioIo::new(stream), state, handshake).await
}

/// Serves HTTP on `io` until the client closes it: HTTP/1.1 (keep-alive), or with `--http2`
/// whichever of HTTP/1.1 and HTTP/2 the client speaks.
async fn serve_http<I>(io: TokioIo<I>, state: Arc<DemoState>, handshake: Option<HandshakeKind>)
where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let http2 = state.config.http2;
    let connection = Arc::new(ConnectionTally::new(handshake));
    let service =
        service_fn(move |request| handler::handle(state.clone(), connection.clone(), request));
    if http2 {
        let _ = auto::Builder::new(TokioExecutor::new())
            .serve_connection(io, service)
            .await;
    } else {
        let _ = http1::Builder::new()
            .keep_alive(true)
            .serve_connection(io, service)
            .await;
    }
}

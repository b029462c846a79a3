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
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

use super::counters::ConnectionTally;
use super::fault::FaultKind;
use super::handler::{self, DemoState};
use super::refusal::Refusal;
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
    let mut listener = listener;
    let mut refusal = state.faults.refusal().map(Refusal::new);
    loop {
        let accepted = tokio::select! {
            accepted = listener.accept() => Some(accepted),
            _ = &mut shutdown => return Ok(()),
            _ = Refusal::until_closing(refusal.as_ref()) => None,
        };
        let (stream, _) = match (accepted, refusal.as_mut()) {
            (Some(Ok(accepted)), _) => accepted,
            // Out of file descriptors and the like: keep serving the open connections.
            (Some(Err(_)), _) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            (None, Some(refusal)) => {
                let address = listener
                    .local_addr()
                    .map_err(|e| RunnerError::InvalidSetting(format!("listener: {e}")))?;
                drop(listener);
                state.counters.note_fault(FaultKind::Refused.name());
                listener = tokio::select! {
                    reopened = refusal.reopen(address) => reopened?,
                    _ = &mut shutdown => return Ok(()),
                };
                continue;
            }
            (None, None) => continue,
        };
        let _ = stream.set_nodelay(true);
        tokio::spawn(serve_connection(stream, state.clone()));
    }
}

/// Serves one accepted connection, after its TLS handshake with `--tls`. A connection error is
/// the client's business (it went away, or failed its handshake): nothing to do.
async fn serve_connection(mut stream: TcpStream, state: Arc<DemoState>) {
    let faulty = !state.faults.is_empty();
    let Some(acceptor) = state.tls.as_ref().map(|tls| tls.acceptor().clone()) else {
        if faulty {
            let tally = Arc::new(ConnectionTally::new(None));
            return super::faulty::serve(stream, state, tally).await;
        }
        return serve_http(TokioIo::new(stream), state, None).await;
    };
    if state.faults.garbage_for_connection(rand::random()) {
        state.counters.note_fault(FaultKind::TlsGarbage.name());
        let _ = stream.write_all(TLS_GARBAGE).await;
        let _ = stream.shutdown().await;
        return;
    }
    let Ok(Ok(stream)) = tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await
    else {
        return;
    };
    let handshake = stream.get_ref().1.handshake_kind();
    if faulty {
        let tally = Arc::new(ConnectionTally::new(handshake));
        return super::faulty::serve(stream, state, tally).await;
    }
    serve_http(TokioIo::new(stream), state, handshake).await
}

/// What `tls-garbage` sends instead of a TLS handshake: text, which no TLS record starts with.
const TLS_GARBAGE: &[u8] = b"this is not TLS, whatever the port says\r\n";

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

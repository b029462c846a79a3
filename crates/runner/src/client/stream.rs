//! The byte stream under a connection: plain TCP or TLS over TCP, reached directly or through a
//! proxy's `CONNECT` tunnel.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::client::TlsStream;

use super::proxy::Proxy;
use super::target::{Origin, Scheme};
use super::tls;
use crate::metrics::FailureKind;

/// A connected stream.
#[derive(Debug)]
pub enum Stream {
    /// Plain TCP.
    Plain(TcpStream),
    /// TLS over TCP.
    Tls(Box<TlsStream<TcpStream>>),
}

impl Stream {
    /// Whether the TLS handshake chose HTTP/2 by ALPN.
    pub fn negotiated_h2(&self) -> bool {
        match self {
            Stream::Plain(_) => false,
            Stream::Tls(tls) => tls.get_ref().1.alpn_protocol() == Some(b"h2"),
        }
    }
}

impl AsyncRead for Stream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_read(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_write(cx, buf),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_flush(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Stream::Plain(tcp) => Pin::new(tcp).poll_shutdown(cx),
            Stream::Tls(tls) => Pin::new(tls.as_mut()).poll_shutdown(cx),
        }
    }
}

/// Maps an I/O error to the failure Locust would report (TLS errors by their cause).
pub fn io_failure(error: &io::Error) -> FailureKind {
    if let Some(tls) = error
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<rustls::Error>())
    {
        return FailureKind::Other(tls::failure_text(tls).into());
    }
    match error.raw_os_error() {
        Some(errno) => FailureKind::Os(errno),
        None => FailureKind::Other(format!("ConnectionError({:?})", error.to_string()).into()),
    }
}

/// Opens a TCP connection to `host_port`: first to the `spread`-th of its addresses when it has
/// several (so users spread over a name's addresses), then to the others in turn if that one
/// refuses (`localhost` names ::1 and 127.0.0.1; a server may listen on one of them only).
async fn tcp(host_port: &str, spread: usize) -> Result<TcpStream, FailureKind> {
    let unresolved =
        || FailureKind::Other(format!("ConnectionError('Failed to resolve {host_port:?}')").into());
    let addresses: Vec<SocketAddr> = tokio::net::lookup_host(host_port)
        .await
        .map_err(|e| match e.raw_os_error() {
            Some(_) => io_failure(&e),
            None => unresolved(),
        })?
        .collect();
    if addresses.is_empty() {
        return Err(unresolved());
    }
    let first = spread % addresses.len();
    let mut failure = None;
    for address in addresses[first..].iter().chain(&addresses[..first]) {
        match TcpStream::connect(address).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(error) => {
                failure.get_or_insert(io_failure(&error));
            }
        }
    }
    Err(failure.unwrap_or_else(unresolved))
}

/// Asks `proxy` for a tunnel to `origin` (`CONNECT host:port`).
async fn tunnel(stream: &mut TcpStream, proxy: &Proxy, origin: &Origin) -> Result<(), FailureKind> {
    let authority = origin.host_port();
    let mut request = format!("CONNECT {authority} HTTP/1.1\r\nhost: {authority}\r\n");
    if let Some(auth) = &proxy.authorization {
        request.push_str("proxy-authorization: ");
        request.push_str(auth.to_str().unwrap_or_default());
        request.push_str("\r\n");
    }
    request.push_str("\r\n");
    stream
        .write_all(request.as_bytes())
        .await
        .map_err(|e| io_failure(&e))?;
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    // Byte by byte up to the blank line: what follows belongs to the tunnel.
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 || stream.read(&mut byte).await.map_err(|e| io_failure(&e))? == 0
        {
            return Err(FailureKind::Other(
                "ProxyError('Cannot connect to proxy.', RemoteDisconnected('Remote end closed connection without response'))".into(),
            ));
        }
        head.push(byte[0]);
    }
    let status_line = String::from_utf8_lossy(&head);
    let status = status_line.split_whitespace().nth(1).unwrap_or("");
    if status.starts_with('2') {
        Ok(())
    } else {
        Err(FailureKind::Other(
            format!("ProxyError('Tunnel connection failed: {status}')").into(),
        ))
    }
}

/// How one connection is opened.
#[derive(Debug, Clone, Copy)]
pub struct Dial<'a> {
    /// Where the connection goes in the end.
    pub origin: &'a Origin,
    /// Through this proxy, if any.
    pub proxy: Option<&'a Proxy>,
    /// The user's TLS configuration (for `https://`).
    pub tls: Option<&'a Arc<ClientConfig>>,
    /// Which of several addresses to use.
    pub spread: usize,
}

/// Connects as `dial` says: TCP (to the proxy, then a tunnel for `https://`), then TLS.
pub async fn connect(dial: Dial<'_>) -> Result<Stream, FailureKind> {
    let origin = dial.origin;
    let mut stream = match dial.proxy {
        Some(proxy) => tcp(&proxy.address, dial.spread)
            .await
            .map_err(|failure| match failure {
                FailureKind::Os(errno) => FailureKind::Other(
                    format!(
                        "ProxyError('Cannot connect to proxy.', {})",
                        FailureKind::Os(errno).describe("")
                    )
                    .into(),
                ),
                other => other,
            })?,
        None => tcp(&origin.host_port(), dial.spread).await?,
    };
    if origin.scheme == Scheme::Http {
        return Ok(Stream::Plain(stream));
    }
    if let Some(proxy) = dial.proxy {
        tunnel(&mut stream, proxy, origin).await?;
    }
    let config = dial
        .tls
        .ok_or_else(|| FailureKind::Other("SSLError(no TLS configuration)".into()))?;
    let name = tls::server_name(&origin.host).ok_or_else(|| {
        FailureKind::Other(format!("SSLError(invalid server name {:?})", origin.host).into())
    })?;
    let connector = tokio_rustls::TlsConnector::from(config.clone());
    let tls = connector
        .connect(name, stream)
        .await
        .map_err(|e| io_failure(&e))?;
    Ok(Stream::Tls(Box::new(tls)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn users_spread_over_addresses_and_fall_back_from_a_refusing_one() {
        // localhost names ::1 and 127.0.0.1 here; the server listens on 127.0.0.1 only.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("address").port();
        let names: Vec<SocketAddr> = tokio::net::lookup_host(("localhost", port))
            .await
            .expect("localhost resolves")
            .collect();
        for spread in 0..names.len().max(2) {
            let stream = tcp(&format!("localhost:{port}"), spread).await;
            assert!(stream.is_ok(), "user {spread} of {names:?}: {stream:?}");
        }
        let refused = tcp(&format!("127.0.0.1:{}", closed_port()), 0).await;
        assert!(matches!(refused, Err(FailureKind::Os(111))), "{refused:?}");
    }

    fn closed_port() -> u16 {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.local_addr().expect("address").port()
    }
}

//! The demo server in-process on 127.0.0.1:0, talked to by a small hyper client: plain or TLS
//! (trusting the certificate the server made), HTTP/1.1 or HTTP/2.

mod bodies;
mod faults;
mod protocols;
mod routes;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{header, HeaderValue, Method, Request, Response};
use http_body_util::{BodyExt, Full};
use hyper::client::conn::{http1, http2};
use hyper_util::rt::{TokioExecutor, TokioIo};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName};
use rustls::ClientConfig;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;

use super::{DemoServer, DemoServerConfig};

/// A fast server with the given options.
fn start(options: impl FnOnce(&mut DemoServerConfig)) -> DemoServer {
    let mut config = DemoServerConfig {
        service_time: Duration::from_millis(1),
        ..DemoServerConfig::default()
    };
    options(&mut config);
    DemoServer::spawn_background(config, SocketAddr::from(([127, 0, 0, 1], 0))).unwrap()
}

/// A client configuration trusting the certificate in `pem`, offering `alpn`.
fn client_config(pem: &[u8], alpn: &[&[u8]]) -> Arc<ClientConfig> {
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(CertificateDer::from_pem_slice(pem).unwrap())
        .unwrap();
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = alpn.iter().map(|p| p.to_vec()).collect();
    Arc::new(config)
}

/// A TLS connection to `server` as `name`; the protocol ALPN chose with it.
async fn connect_tls(
    server: &DemoServer,
    config: Arc<ClientConfig>,
    name: &str,
) -> std::io::Result<(tokio_rustls::client::TlsStream<TcpStream>, Option<Vec<u8>>)> {
    let tcp = TcpStream::connect(server.local_addr()).await?;
    let name = ServerName::try_from(name.to_owned()).unwrap();
    let stream = TlsConnector::from(config).connect(name, tcp).await?;
    let alpn = stream.get_ref().1.alpn_protocol().map(<[u8]>::to_vec);
    Ok((stream, alpn))
}

/// One client connection: HTTP/1.1 or HTTP/2 over any stream.
enum Client {
    H1(http1::SendRequest<Full<Bytes>>, String),
    H2(http2::SendRequest<Full<Bytes>>, String),
}

impl Client {
    /// Opens HTTP/2 (`h2`) or HTTP/1.1 on `io`; `base` is `scheme://authority`.
    async fn open<I>(io: I, h2: bool, base: &str) -> Client
    where
        I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    {
        let io = TokioIo::new(io);
        if h2 {
            let (sender, connection) = http2::handshake(TokioExecutor::new(), io).await.unwrap();
            tokio::spawn(connection);
            Client::H2(sender, base.to_owned())
        } else {
            let (sender, connection) = http1::handshake(io).await.unwrap();
            tokio::spawn(connection);
            Client::H1(sender, base.to_owned())
        }
    }

    /// A plain TCP connection to `server`.
    async fn plain(server: &DemoServer, h2: bool) -> Client {
        let tcp = TcpStream::connect(server.local_addr()).await.unwrap();
        Client::open(tcp, h2, &server.url()).await
    }

    /// Sends `method path` with `headers` and `body`; the response with its whole body.
    async fn send(
        &mut self,
        method: Method,
        path: &str,
        headers: &[(&str, &str)],
        body: &'static [u8],
    ) -> Response<Bytes> {
        let (uri, host) = match self {
            Client::H1(_, base) => (
                path.to_owned(),
                base.split("://").nth(1).unwrap().to_owned(),
            ),
            Client::H2(_, base) => (format!("{base}{path}"), String::new()),
        };
        let mut request = Request::builder().method(method).uri(uri);
        let host_given = headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host"));
        if !host.is_empty() && !host_given {
            request = request.header(header::HOST, host);
        }
        for (name, value) in headers {
            request = request.header(*name, HeaderValue::from_str(value).unwrap());
        }
        let request = request.body(Full::new(Bytes::from_static(body))).unwrap();
        let response = match self {
            Client::H1(sender, _) => sender.send_request(request).await.unwrap(),
            Client::H2(sender, _) => sender.send_request(request).await.unwrap(),
        };
        let (parts, body) = response.into_parts();
        Response::from_parts(parts, body.collect().await.unwrap().to_bytes())
    }

    /// `GET path` with `headers`.
    async fn get(&mut self, path: &str, headers: &[(&str, &str)]) -> Response<Bytes> {
        self.send(Method::GET, path, headers, b"").await
    }
}

/// A response header as text (empty if absent).
fn header_of<'a>(response: &'a Response<Bytes>, name: &str) -> &'a str {
    response
        .headers()
        .get(name)
        .map(|v| v.to_str().unwrap())
        .unwrap_or("")
}

/// A response body as JSON.
fn json_of(response: &Response<Bytes>) -> serde_json::Value {
    serde_json::from_slice(response.body()).unwrap()
}

//! The page's HTTP server: hyper on its own thread and single-threaded runtime (like
//! `--metrics`', so it never takes a worker's turn), basic authentication when asked for, and
//! the routes: `/` (the page), `/api/stats`, `/api/charts`, `/api/control`, `/download/…`.

use std::convert::Infallible;
use std::net::SocketAddr;
use std::thread::JoinHandle;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use http::header;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;

use super::session::Session;
use super::{api, charts, downloads, Credentials, WebOptions};

/// The page: inline CSS and JS, no external asset.
const PAGE: &str = include_str!("page.html");

/// Largest `/api/control` body read.
const MAX_BODY: usize = 64 * 1024;

/// How often the history takes the aggregator's latest second.
const SAMPLE_EVERY: Duration = Duration::from_millis(250);

/// The `--web` server of a run.
#[derive(Debug)]
pub struct WebServer {
    address: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl WebServer {
    /// Binds the page's address (an error at once if it cannot) and serves `session`.
    pub fn start(options: &WebOptions, session: Session) -> anyhow::Result<WebServer> {
        let address = options.address;
        let listener = std::net::TcpListener::bind(address)
            .and_then(|l| l.set_nonblocking(true).map(|()| l))
            .with_context(|| format!("--web {address}: cannot listen"))?;
        let address = listener.local_addr()?;
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let (stop, stopped) = oneshot::channel::<()>();
        let auth = options.auth.clone();
        let thread = std::thread::Builder::new()
            .name("captest-web".into())
            .spawn(move || {
                runtime.block_on(async move {
                    if let Ok(listener) = TcpListener::from_std(listener) {
                        accept(listener, session, auth, stopped).await;
                    }
                });
            })?;
        Ok(WebServer {
            address,
            shutdown: Some(stop),
            thread: Some(thread),
        })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.address
    }

    /// Stops serving.
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

impl Drop for WebServer {
    fn drop(&mut self) {
        self.close();
    }
}

async fn accept(
    listener: TcpListener,
    session: Session,
    auth: Option<Credentials>,
    mut stopped: oneshot::Receiver<()>,
) {
    let mut sampling = tokio::time::interval(SAMPLE_EVERY);
    loop {
        let stream = tokio::select! {
            _ = &mut stopped => return,
            _ = sampling.tick() => {
                session.sample();
                continue;
            }
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => stream,
                Err(_) => continue,
            },
        };
        let (session, auth) = (session.clone(), auth.clone());
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let (session, auth) = (session.clone(), auth.clone());
                async move { Ok::<_, Infallible>(answer(request, &session, auth.as_ref()).await) }
            });
            let _ = http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

fn reply(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    Response::builder()
        .status(status)
        .header(header::CONTENT_TYPE, content_type)
        .header(header::CACHE_CONTROL, "no-store")
        .body(Full::new(body.into()))
        .unwrap_or_default()
}

fn json(status: u16, value: &serde_json::Value) -> Response<Full<Bytes>> {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    reply(status, "application/json", value.to_string())
}

fn text(status: StatusCode, message: String) -> Response<Full<Bytes>> {
    reply(status, "text/plain; charset=utf-8", message + "\n")
}

async fn answer(
    request: Request<Incoming>,
    session: &Session,
    auth: Option<&Credentials>,
) -> Response<Full<Bytes>> {
    if let Some(credentials) = auth {
        let given = request
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok());
        if !credentials.accepts(given) {
            let mut response = text(
                StatusCode::UNAUTHORIZED,
                "captest: authentication required".into(),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                http::HeaderValue::from_static("Basic realm=\"captest\", charset=\"UTF-8\""),
            );
            return response;
        }
    }
    let path = request.uri().path().to_owned();
    let method = request.method().clone();
    match (method, path.as_str()) {
        (Method::GET, "/") => reply(StatusCode::OK, "text/html; charset=utf-8", PAGE),
        (Method::GET, "/api/stats") => {
            let stats = api::stats(session);
            session.note_poll(stats["state"] == "stopped");
            json(200, &stats)
        }
        (Method::GET, "/api/charts") => json(200, &charts::charts(session)),
        (Method::POST, "/api/control") => {
            let body = match Limited::new(request.into_body(), MAX_BODY).collect().await {
                Ok(body) => body.to_bytes(),
                Err(_) => return json(413, &serde_json::json!({"error": "body too large"})),
            };
            let (status, value) = api::control(session, &body).await;
            json(status, &value)
        }
        (Method::GET, download) if download.starts_with("/download/") => {
            serve_download(session, &download["/download/".len()..]).await
        }
        (_, "/" | "/api/stats" | "/api/charts" | "/api/control") => text(
            StatusCode::METHOD_NOT_ALLOWED,
            "GET /, /api/stats, /api/charts; POST /api/control".into(),
        ),
        _ => text(StatusCode::NOT_FOUND, format!("{path}: no such page")),
    }
}

async fn serve_download(session: &Session, name: &str) -> Response<Full<Bytes>> {
    let Some(run) = session.attached() else {
        return text(
            StatusCode::SERVICE_UNAVAILABLE,
            "the run has not started yet".into(),
        );
    };
    let prefix = run.csv_prefix.clone();
    let download = match name {
        "report.html" => tokio::task::spawn_blocking(move || downloads::report(&prefix))
            .await
            .unwrap_or_else(|_| Err("the report could not be rendered".into())),
        csv => match downloads::csv(&prefix, csv) {
            Some(download) => download,
            None => {
                return text(
                    StatusCode::NOT_FOUND,
                    format!("{name}: expected stats.csv, stats_history.csv, failures.csv, exceptions.csv or report.html"),
                )
            }
        },
    };
    match download {
        Ok((file_name, content_type, bytes)) => {
            let mut response = reply(StatusCode::OK, content_type, bytes);
            let disposition = format!(
                "attachment; filename=\"{}\"",
                file_name.replace(['"', '\\'], "_")
            );
            if let Ok(value) = http::HeaderValue::from_str(&disposition) {
                response
                    .headers_mut()
                    .insert(header::CONTENT_DISPOSITION, value);
            }
            response
        }
        Err(message) => text(StatusCode::SERVICE_UNAVAILABLE, message),
    }
}

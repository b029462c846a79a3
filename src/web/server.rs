//! The page's HTTP server: a [`BackgroundServer`] (its own thread and runtime, like `--metrics`',
//! so it never takes a worker's turn), basic authentication when asked for, and
//! the routes: `/` (the page), `/api/stats`, `/api/charts`, `/api/control`, `/download/…`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use captest_runner::background::{bind, BackgroundServer};
use http::header;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::{Method, Request, Response, StatusCode};

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
    server: BackgroundServer,
}

impl WebServer {
    /// Binds the page's address (an error at once if it cannot) and serves `session`.
    pub fn start(options: &WebOptions, session: Session) -> anyhow::Result<WebServer> {
        let address = options.address;
        let listener = bind(address).with_context(|| format!("--web {address}: cannot listen"))?;
        let (served, auth) = (session.clone(), options.auth.clone());
        let handler = move |request: Request<Incoming>| {
            let (session, auth) = (served.clone(), auth.clone());
            async move { answer(request, &session, auth.as_ref()).await }
        };
        let server = BackgroundServer::start(listener, "captest-web", handler, sample(session))?;
        Ok(WebServer { server })
    }

    /// The address it listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }

    /// Stops serving.
    pub fn stop(self) {
        self.server.stop();
    }
}

/// Beside the server: the history of the charts takes the aggregator's latest second.
async fn sample(session: Session) {
    let mut sampling = tokio::time::interval(SAMPLE_EVERY);
    loop {
        sampling.tick().await;
        session.sample();
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

//! A shard's side of a coordinated run (`--coordinator URL`): it registers, learns the common
//! start, posts each report its bundle gets and learns from the answers when to stop. Posts are
//! made from the aggregator's thread (never a worker's), one at a time, over one kept-alive
//! HTTP/1.1 connection. A coordinator that cannot be reached mid-run is given up on: the shard
//! goes on alone, its bundle holding everything (`captest merge` takes it).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, SendRequest};
use hyper::{Request, StatusCode};
use hyper_util::rt::TokioIo;

use super::meta::ShardMeta;
use super::report::{ReportPost, ReportReply, ShardReport, StartReply, REGISTER_PATH, REPORT_PATH};

/// How long a report may take to be answered before the coordinator counts as gone.
const REPORT_TIMEOUT: Duration = Duration::from_secs(3);

/// How long connecting may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);

/// Between two attempts to register with a coordinator not yet listening.
const RETRY_EVERY: Duration = Duration::from_millis(500);

/// What can go wrong between a shard and its coordinator.
#[derive(Debug, thiserror::Error)]
pub enum LinkError {
    /// The URL is not `http://HOST:PORT`.
    #[error(
        "--coordinator {url:?}: {reason} (expected http://HOST:PORT, e.g. http://coordinator:5557)"
    )]
    BadUrl {
        /// The URL as given.
        url: String,
        /// What is wrong.
        reason: String,
    },
    /// The coordinator did not answer.
    #[error("coordinator {url}: {reason}")]
    Unreachable {
        /// Its URL.
        url: String,
        /// What happened.
        reason: String,
    },
    /// The coordinator refused this shard (another run's, or one already registered).
    #[error("the coordinator {url} refused this shard: {reason}")]
    Refused {
        /// Its URL.
        url: String,
        /// Its reason.
        reason: String,
    },
}

/// A shard's connection to its coordinator.
pub struct CoordinatorLink {
    url: String,
    authority: String,
    shard: usize,
    runtime: tokio::runtime::Runtime,
    connection: Mutex<Option<SendRequest<Full<Bytes>>>>,
    stop: Mutex<Option<String>>,
    gone: Mutex<Option<String>>,
    given_up: AtomicBool,
}

impl std::fmt::Debug for CoordinatorLink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CoordinatorLink")
            .field("url", &self.url)
            .field("shard", &self.shard)
            .finish_non_exhaustive()
    }
}

impl CoordinatorLink {
    /// Registers the shard `meta` describes with the coordinator at `url` (retrying while it
    /// does not listen yet, for at most `patience`) and waits for every shard to register;
    /// returns the link and the common start (unix seconds).
    pub fn register(
        url: &str,
        meta: &ShardMeta,
        patience: Duration,
    ) -> Result<(CoordinatorLink, f64), LinkError> {
        let parsed = url::Url::parse(url).map_err(|e| bad_url(url, &e.to_string()))?;
        if parsed.scheme() != "http" {
            return Err(bad_url(url, "only http:// is spoken"));
        }
        let host = parsed.host_str().ok_or_else(|| bad_url(url, "no host"))?;
        let port = parsed.port_or_known_default().unwrap_or(80);
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| unreachable(url, e.to_string()))?;
        let shard = match meta.shard {
            super::meta::ShardPosition::One { index, .. } => index,
            super::meta::ShardPosition::Merged { .. } => 0,
        };
        let link = CoordinatorLink {
            url: url.trim_end_matches('/').to_owned(),
            authority: format!("{host}:{port}"),
            shard,
            runtime,
            connection: Mutex::new(None),
            stop: Mutex::new(None),
            gone: Mutex::new(None),
            given_up: AtomicBool::new(false),
        };
        let body = serde_json::to_vec(meta).map_err(|e| unreachable(url, e.to_string()))?;
        let deadline = Instant::now() + patience;
        let (status, answer) = loop {
            match link.post(REGISTER_PATH, body.clone(), None) {
                Ok(answer) => break answer,
                Err(reason) if Instant::now() >= deadline => {
                    return Err(unreachable(url, reason));
                }
                Err(_) => std::thread::sleep(RETRY_EVERY),
            }
        };
        if status != StatusCode::OK {
            let reason = String::from_utf8_lossy(&answer).trim().to_owned();
            return Err(LinkError::Refused {
                url: link.url.clone(),
                reason,
            });
        }
        let reply: StartReply = serde_json::from_slice(&answer)
            .map_err(|e| unreachable(url, format!("unexpected answer: {e}")))?;
        Ok((link, reply.start_at.0))
    }

    /// Posts `report`; the answer may say to stop ([`stop_reason`](Self::stop_reason)). Once a
    /// post fails (twice), the coordinator is given up on and nothing more is posted.
    pub fn report(&self, report: ShardReport) {
        if self.given_up.load(Ordering::Acquire) {
            return;
        }
        let post = ReportPost {
            shard: self.shard,
            report,
        };
        let Ok(body) = serde_json::to_vec(&post) else {
            return;
        };
        let answer = self
            .post(REPORT_PATH, body.clone(), Some(REPORT_TIMEOUT))
            .or_else(|_| self.post(REPORT_PATH, body, Some(REPORT_TIMEOUT)));
        let reply = match answer {
            Ok((StatusCode::OK, bytes)) => serde_json::from_slice::<ReportReply>(&bytes)
                .map_err(|e| format!("unexpected answer: {e}")),
            Ok((status, bytes)) => Err(format!(
                "{status}: {}",
                String::from_utf8_lossy(&bytes).trim()
            )),
            Err(reason) => Err(reason),
        };
        match reply {
            Ok(ReportReply { stop: Some(reason) }) => {
                lock(&self.stop).get_or_insert(reason);
            }
            Ok(ReportReply { stop: None }) => {}
            Err(reason) => {
                self.given_up.store(true, Ordering::Release);
                lock(&self.gone).get_or_insert(reason);
            }
        }
    }

    /// Why the coordinator told the shard to stop, once it did.
    pub fn stop_reason(&self) -> Option<String> {
        lock(&self.stop).clone()
    }

    /// Why the coordinator was given up on, if it was.
    pub fn lost(&self) -> Option<String> {
        lock(&self.gone).clone()
    }

    /// The coordinator's URL.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// POSTs `body` to `path`, over the kept connection (a new one when there is none or it
    /// broke); the answer's status and body.
    fn post(
        &self,
        path: &str,
        body: Vec<u8>,
        timeout: Option<Duration>,
    ) -> Result<(StatusCode, Bytes), String> {
        let mut connection = lock(&self.connection);
        let kept = connection.take().filter(|c| c.is_ready());
        let exchange = async {
            let mut sender = match kept {
                Some(sender) => sender,
                None => self.connect().await?,
            };
            let request = Request::post(path)
                .header(http::header::HOST, &self.authority)
                .header(http::header::CONTENT_TYPE, "application/json")
                .body(Full::new(Bytes::from(body)))
                .map_err(|e| e.to_string())?;
            let response = sender
                .send_request(request)
                .await
                .map_err(|e| e.to_string())?;
            let status = response.status();
            let bytes = response
                .into_body()
                .collect()
                .await
                .map_err(|e| e.to_string())?
                .to_bytes();
            Ok::<_, String>((status, bytes, sender))
        };
        let outcome = self.runtime.block_on(async {
            match timeout {
                Some(limit) => tokio::time::timeout(limit, exchange)
                    .await
                    .unwrap_or_else(|_| Err(format!("no answer within {limit:?}"))),
                None => exchange.await,
            }
        });
        let (status, bytes, sender) = outcome?;
        *connection = Some(sender);
        Ok((status, bytes))
    }

    async fn connect(&self) -> Result<SendRequest<Full<Bytes>>, String> {
        let stream = tokio::time::timeout(
            CONNECT_TIMEOUT,
            tokio::net::TcpStream::connect(&self.authority),
        )
        .await
        .map_err(|_| format!("no connection within {CONNECT_TIMEOUT:?}"))?
        .map_err(|e| e.to_string())?;
        let _ = stream.set_nodelay(true);
        let (sender, connection) = http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(async move {
            let _ = connection.await;
        });
        Ok(sender)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn bad_url(url: &str, reason: &str) -> LinkError {
    LinkError::BadUrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

fn unreachable(url: &str, reason: String) -> LinkError {
    LinkError::Unreachable {
        url: url.to_owned(),
        reason,
    }
}

//! The client settings of a run (TLS, HTTP/2, cookies, keep-alive, proxies, default headers),
//! checked once before any request, and what every user's session shares.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use http::header::{ACCEPT, ACCEPT_ENCODING, USER_AGENT};
use http::{HeaderMap, HeaderValue};
use rustls::ClientConfig;

use super::decode::ACCEPTED;
use super::proxy::ProxyRules;
use super::redirect::MAX_REDIRECTS;
use super::tls::{self, TlsSettings};

/// A client setting that cannot be used; the text names the flag or file and what is wrong.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// A certificate or key file is unreadable or not what it should be.
    #[error("{flag} {}: {problem}", path.display())]
    File {
        /// The flag that named the file.
        flag: &'static str,
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        problem: String,
    },
    /// A setting is out of range or conflicts with another.
    #[error("{0}")]
    Setting(String),
}

/// How users talk to the services: everything but the target itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// TLS for `https://` services.
    pub tls: TlsSettings,
    /// HTTP/2 (ALPN `h2` on TLS, prior knowledge on `http://`) instead of HTTP/1.1.
    pub http2: bool,
    /// A cookie jar per user.
    pub cookies: bool,
    /// Keep connections open between requests (off: a new connection per request).
    pub keepalive: bool,
    /// `--proxy URL` for every request, instead of `HTTP_PROXY`/`HTTPS_PROXY`.
    pub proxy: Option<String>,
    /// `User-Agent` of requests that do not set their own (default `captest/VERSION`).
    pub user_agent: Option<String>,
    /// Body bytes kept of a response a check or capture reads (`--max-body`); the rest of the
    /// body is still read (and counted), then dropped.
    pub max_body: usize,
}

impl Default for ClientSettings {
    fn default() -> Self {
        ClientSettings {
            tls: TlsSettings::default(),
            http2: false,
            cookies: true,
            keepalive: true,
            proxy: None,
            user_agent: None,
            max_body: super::wire::DEFAULT_MAX_BODY,
        }
    }
}

/// Connections opened over a run, by kind (the console's "Protocol" line).
#[derive(Debug, Default)]
pub struct ProtocolCounts {
    /// HTTP/1.1 connections.
    pub http1: AtomicU64,
    /// HTTP/2 connections.
    pub http2: AtomicU64,
    /// Of these, connections over TLS.
    pub tls: AtomicU64,
}

impl ProtocolCounts {
    /// One line: `HTTP/1.1 (12 connections, 12 over TLS)`; `None` before any connection.
    pub fn summary(&self) -> Option<String> {
        let (h1, h2, tls) = (
            self.http1.load(Ordering::Relaxed),
            self.http2.load(Ordering::Relaxed),
            self.tls.load(Ordering::Relaxed),
        );
        let name = match (h1, h2) {
            (0, 0) => return None,
            (_, 0) => "HTTP/1.1".to_owned(),
            (0, _) => "HTTP/2".to_owned(),
            _ => "HTTP/1.1 and HTTP/2".to_owned(),
        };
        let total = h1 + h2;
        let over_tls = if tls == 0 {
            String::new()
        } else {
            format!(", {tls} over TLS")
        };
        Some(format!("{name} ({total} connections{over_tls})"))
    }
}

/// What every user's session shares: the TLS configuration, proxies, default headers.
#[derive(Debug)]
pub struct HttpClient {
    pub(super) tls: ClientConfig,
    pub(super) resumption: bool,
    pub(super) http2: bool,
    pub(super) cookies: bool,
    pub(super) keepalive: bool,
    pub(super) max_redirects: u32,
    pub(super) defaults: HeaderMap,
    pub(super) proxies: ProxyRules,
    pub(super) max_body: usize,
    next_user: AtomicUsize,
    /// Connections opened so far, by kind.
    pub counts: ProtocolCounts,
}

impl HttpClient {
    /// Checks `settings` (certificate files, proxy URLs) and builds what the users share.
    pub fn new(settings: &ClientSettings) -> Result<Arc<HttpClient>, ClientError> {
        let proxies = ProxyRules::new(settings.proxy.as_deref())?;
        let agent = settings
            .user_agent
            .clone()
            .unwrap_or_else(|| format!("captest/{}", env!("CARGO_PKG_VERSION")));
        let agent = HeaderValue::from_str(&agent).map_err(|_| {
            ClientError::Setting("--user-agent: not a valid header value".to_owned())
        })?;
        let mut defaults = HeaderMap::new();
        defaults.insert(USER_AGENT, agent);
        defaults.insert(ACCEPT_ENCODING, HeaderValue::from_static(ACCEPTED));
        defaults.insert(ACCEPT, HeaderValue::from_static("*/*"));
        Ok(Arc::new(HttpClient {
            tls: tls::client_config(&settings.tls, settings.http2)?,
            resumption: settings.tls.resumption,
            http2: settings.http2,
            cookies: settings.cookies,
            keepalive: settings.keepalive,
            max_redirects: MAX_REDIRECTS,
            defaults,
            proxies,
            max_body: settings.max_body,
            next_user: AtomicUsize::new(0),
            counts: ProtocolCounts::default(),
        }))
    }

    /// Refuses `--http2` for `http://` services reached through a proxy: a forward proxy
    /// speaks HTTP/1.1 to its clients, and prior knowledge cannot pass it.
    pub fn check_origin(&self, origin: &super::Origin) -> Result<(), ClientError> {
        if self.http2
            && origin.scheme == super::Scheme::Http
            && self.proxies.for_origin(origin).is_some()
        {
            return Err(ClientError::Setting(format!(
                "--http2 with {origin} through a proxy: an HTTP proxy forwards HTTP/1.1 only (use https://, NO_PROXY, or drop --http2)"
            )));
        }
        Ok(())
    }

    /// The next user's number (spreads users over a host's addresses).
    pub(super) fn next_user(&self) -> usize {
        self.next_user.fetch_add(1, Ordering::Relaxed)
    }

    /// A user's own TLS configuration (its own session store).
    pub(super) fn user_tls(&self) -> Arc<ClientConfig> {
        tls::per_user(&self.tls, self.resumption)
    }
}

//! The flags of how users talk to services: TLS, HTTP/2, cookies, keep-alive, proxy, User-Agent.
//! Each also comes from `CAPTEST_*` and captest.toml; the scenario's `cookies`, `http2` and
//! `[tls]` apply where no flag is given.

use std::path::PathBuf;

use captest_runner::client::{ClientSettings, TlsSettings, DEFAULT_MAX_BODY};
use captest_runner::scenario::ScenarioClient;

/// Client flags shared by `run`, `step` and `rate`.
#[derive(Debug, Clone, clap::Args)]
pub struct ClientArgs {
    /// Also trust the certificate authorities in this PEM file (beside the platform's roots).
    #[arg(long, value_name = "FILE", env = "CAPTEST_CACERT")]
    pub cacert: Option<PathBuf>,
    /// Client certificate (PEM) for mutual TLS; needs --key.
    #[arg(long, value_name = "FILE", env = "CAPTEST_CERT")]
    pub cert: Option<PathBuf>,
    /// The client certificate's private key (PEM).
    #[arg(long, value_name = "FILE", env = "CAPTEST_KEY")]
    pub key: Option<PathBuf>,
    /// Do not verify the server's certificate (like curl -k, requests verify=False).
    #[arg(short = 'k', long, env = "CAPTEST_INSECURE")]
    pub insecure: bool,
    /// Resume TLS sessions when a user reconnects (on by default; off measures full handshakes).
    #[arg(long = "tls-resumption", value_name = "on|off", env = "CAPTEST_TLS_RESUMPTION",
          value_parser = clap::builder::BoolishValueParser::new())]
    pub tls_resumption: Option<bool>,
    /// Speak HTTP/2 (ALPN h2 on https://, prior knowledge on http://), each user's requests on
    /// its own connection.
    #[arg(long, env = "CAPTEST_HTTP2")]
    pub http2: bool,
    /// No cookie jar (by default each user keeps the cookies its responses set).
    #[arg(long = "no-cookies", env = "CAPTEST_NO_COOKIES")]
    pub no_cookies: bool,
    /// A new connection for every request (measures connection and TLS handshakes).
    #[arg(long = "no-keepalive", env = "CAPTEST_NO_KEEPALIVE")]
    pub no_keepalive: bool,
    /// Send every request through this HTTP proxy (default: HTTP_PROXY/HTTPS_PROXY, NO_PROXY).
    #[arg(long, value_name = "URL", env = "CAPTEST_PROXY")]
    pub proxy: Option<String>,
    /// User-Agent of requests that set none (default captest/VERSION).
    #[arg(long = "user-agent", env = "CAPTEST_USER_AGENT")]
    pub user_agent: Option<String>,
    /// Bytes of a response body kept for checks and captures (they see only these); the rest
    /// is read, counted and dropped, so a huge or endless body never fills memory.
    #[arg(long = "max-body", value_name = "BYTES", env = "CAPTEST_MAX_BODY",
          default_value_t = DEFAULT_MAX_BODY)]
    pub max_body: usize,
}

impl ClientArgs {
    /// The client settings: a flag wins, then the scenario file, then the defaults.
    pub fn settings(&self, scenario: &ScenarioClient) -> ClientSettings {
        let file = &scenario.tls;
        let path = |flag: &Option<PathBuf>, file: &Option<String>| {
            flag.clone().or_else(|| file.as_ref().map(PathBuf::from))
        };
        ClientSettings {
            tls: TlsSettings {
                cacert: path(&self.cacert, &file.cacert),
                cert: path(&self.cert, &file.cert),
                key: path(&self.key, &file.key),
                insecure: self.insecure || file.insecure.unwrap_or(false),
                resumption: self.tls_resumption.or(file.resumption).unwrap_or(true),
            },
            http2: self.http2 || scenario.http2.unwrap_or(false),
            cookies: !self.no_cookies && scenario.cookies.unwrap_or(true),
            keepalive: !self.no_keepalive,
            proxy: self.proxy.clone(),
            user_agent: self.user_agent.clone(),
            max_body: self.max_body,
        }
    }
}

//! `--web`: the live web page of a run, like Locust's web UI. A small hyper server (its own
//! thread, like `--metrics`') serves one page (inline CSS and JS, no external assets), the JSON
//! API the page uses (`/api/stats`, `/api/control`, `/api/charts`) and downloads of the run's
//! CSV files and HTML report. It reads the run's live state (the aggregator's snapshots, the
//! figures the console and files show) and steers the run through the runner's
//! [`captest_runner::control::RunControl`].

mod api;
mod charts;
mod downloads;
mod server;
pub mod session;
mod steps;

use std::net::{IpAddr, SocketAddr};

use anyhow::bail;
use base64::Engine as _;

pub use server::WebServer;
pub use session::{LoadCommand, Order, Session, StartForm};

/// Where `--web` given without an address listens (Locust's port, on loopback).
pub const DEFAULT_WEB: &str = "127.0.0.1:8089";

/// Parses `--web`'s address (`IP:PORT`; port 0 picks a free one).
fn parse_web_address(text: &str) -> Result<SocketAddr, String> {
    text.trim().parse::<SocketAddr>().map_err(|_| {
        format!("expected IP:PORT such as {DEFAULT_WEB} or 0.0.0.0:8089, got {text:?}")
    })
}

/// `--web-auth USER:PASSWORD`, kept as the `Authorization` header value a browser sends.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    header: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Credentials(…)")
    }
}

impl Credentials {
    /// Whether `header` (an `Authorization` value) carries these credentials.
    pub fn accepts(&self, header: Option<&str>) -> bool {
        header.is_some_and(|h| h.trim() == self.header)
    }
}

fn parse_credentials(text: &str) -> Result<Credentials, String> {
    match text.split_once(':') {
        Some((user, password)) if !user.is_empty() && !password.is_empty() => Ok(Credentials {
            header: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(text)
            ),
        }),
        _ => Err("expected USER:PASSWORD, both non-empty".to_owned()),
    }
}

/// Locust's web flags: the page's address, its password, and whether the run starts at once.
#[derive(Debug, Clone, clap::Args)]
pub struct WebArgs {
    /// Serve the live web page at http://ADDR/ while the run lasts (ADDR defaults to
    /// 127.0.0.1:8089; put the flag after SCENARIO.toml or write --web=ADDR). `run` without
    /// -u/-t/--autostart waits for Start on the page. A non-loopback ADDR needs --web-auth.
    #[arg(
        long,
        env = "CAPTEST_WEB",
        value_name = "ADDR",
        num_args = 0..=1,
        default_missing_value = DEFAULT_WEB,
        value_parser = parse_web_address,
        conflicts_with = "headless"
    )]
    pub web: Option<SocketAddr>,
    /// The web page's IP address (Locust's spelling; implies --web).
    #[arg(
        long = "web-host",
        env = "CAPTEST_WEB_HOST",
        value_name = "IP",
        conflicts_with = "headless"
    )]
    pub web_host: Option<IpAddr>,
    /// The web page's port (Locust's spelling; implies --web).
    #[arg(
        long = "web-port",
        env = "CAPTEST_WEB_PORT",
        value_name = "PORT",
        conflicts_with = "headless"
    )]
    pub web_port: Option<u16>,
    /// HTTP basic authentication for the web page, USER:PASSWORD (required off loopback).
    #[arg(long = "web-auth", env = "CAPTEST_WEB_AUTH", value_name = "USER:PASSWORD", value_parser = parse_credentials)]
    pub web_auth: Option<Credentials>,
    /// With --web: start the run at once with the given -u/-r/-t instead of waiting for Start.
    #[arg(long, env = "CAPTEST_AUTOSTART")]
    pub autostart: bool,
    /// No web page: the run starts at once and shows itself in the console (the default).
    #[arg(long, env = "CAPTEST_HEADLESS")]
    pub headless: bool,
}

/// The web page's settings, checked.
#[derive(Debug, Clone)]
pub struct WebOptions {
    /// Where it listens.
    pub address: SocketAddr,
    /// Basic authentication, if asked for.
    pub auth: Option<Credentials>,
}

impl WebArgs {
    /// The page's settings (`None` without a web flag); a non-loopback address without
    /// `--web-auth` is refused, as are `--autostart` and `--web-auth` without a page.
    pub fn options(&self) -> anyhow::Result<Option<WebOptions>> {
        let asked = self.web.is_some() || self.web_host.is_some() || self.web_port.is_some();
        if !asked {
            if self.autostart {
                bail!("--autostart needs --web (without it the run starts at once anyway)");
            }
            if self.web_auth.is_some() {
                bail!("--web-auth needs --web ADDR");
            }
            return Ok(None);
        }
        let mut address: SocketAddr = self
            .web
            .unwrap_or_else(|| DEFAULT_WEB.parse().expect("a valid address"));
        if let Some(host) = self.web_host {
            address.set_ip(host);
        }
        if let Some(port) = self.web_port {
            address.set_port(port);
        }
        if !address.ip().is_loopback() && self.web_auth.is_none() {
            bail!(
                "--web {address}: not a loopback address, and no --web-auth USER:PASSWORD given (whoever reaches the page can stop and steer the run)"
            );
        }
        Ok(Some(WebOptions {
            address,
            auth: self.web_auth.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_match_the_header_a_browser_sends_for_them() {
        let credentials = parse_credentials("ann:s3cret:x").expect("valid");
        // base64("ann:s3cret:x")
        assert!(credentials.accepts(Some("Basic YW5uOnMzY3JldDp4")));
        assert!(!credentials.accepts(Some("Basic YW5uOnMzY3JldA==")));
        assert!(!credentials.accepts(None));
        assert!(parse_credentials("ann").is_err());
        assert!(parse_credentials(":pw").is_err());
        assert!(parse_credentials("ann:").is_err());
    }
}

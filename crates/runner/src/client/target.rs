//! The service under test as a base URL: scheme, host, port, base path and the credentials a URL
//! may carry (`https://user:pass@host/api`).

use std::fmt;

use base64::Engine;
use http::{HeaderValue, Uri};

use crate::error::RunnerError;

/// `http` or `https`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Scheme {
    /// Plain HTTP.
    Http,
    /// HTTP over TLS.
    Https,
}

impl Scheme {
    /// `"http"` or `"https"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Scheme::Http => "http",
            Scheme::Https => "https",
        }
    }

    /// The port a URL without one means.
    pub fn default_port(self) -> u16 {
        match self {
            Scheme::Http => 80,
            Scheme::Https => 443,
        }
    }
}

/// Scheme, host and port: where a connection goes and what a connection may be reused for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Origin {
    /// `http` or `https`.
    pub scheme: Scheme,
    /// Host name or IP address, IPv6 without brackets.
    pub host: String,
    /// TCP port.
    pub port: u16,
}

impl Origin {
    /// `host:port` as a socket address is written (`[::1]:8089` for IPv6).
    pub fn host_port(&self) -> String {
        if self.host.contains(':') {
            format!("[{}]:{}", self.host, self.port)
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}://{}", self.scheme.as_str(), self.host_port())
    }
}

/// The service under test: where to connect and what to send as `Host`.
#[derive(Debug, Clone)]
pub struct Target {
    origin: Origin,
    /// The `Host` header value (the URL's authority without credentials).
    host_header: HeaderValue,
    /// Path prefix of the base URL (`/api` for `http://h/api`), without a trailing slash.
    base_path: String,
    /// `Authorization: Basic …` from credentials in the URL.
    basic_auth: Option<HeaderValue>,
    /// The URL as given, credentials masked, for messages.
    url: String,
}

/// An `Authorization: Basic` value for `user` and `password`.
pub fn basic_auth(user: &str, password: &str) -> HeaderValue {
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    let mut value = HeaderValue::from_str(&format!("Basic {token}"))
        .unwrap_or_else(|_| HeaderValue::from_static("Basic"));
    value.set_sensitive(true);
    value
}

/// Decodes `%XX` escapes of URL credentials (`p%40ss` → `p@ss`).
fn percent_decoded(text: &str) -> String {
    url::form_urlencoded::parse(format!("x={}", text.replace('+', "%2B")).as_bytes())
        .next()
        .map(|(_, value)| value.into_owned())
        .unwrap_or_default()
}

impl Target {
    /// Parses a base URL such as `http://127.0.0.1:8089`, `https://host/api/v1`,
    /// `http://[::1]:8089` or `https://user:pass@host`.
    pub fn parse(url: &str) -> Result<Target, RunnerError> {
        let invalid = |reason: &str| RunnerError::InvalidHost {
            url: mask_credentials(url),
            reason: reason.to_owned(),
        };
        let (credentials, without) = split_credentials(url);
        let uri: Uri = without
            .parse()
            .map_err(|_| invalid("expected a URL like http://127.0.0.1:8080"))?;
        let scheme = match uri.scheme_str() {
            Some("http") => Scheme::Http,
            Some("https") => Scheme::Https,
            _ => return Err(invalid("expected a URL starting with http:// or https://")),
        };
        let authority = uri
            .authority()
            .ok_or_else(|| invalid("the URL has no host"))?;
        let host = authority.host();
        if host.is_empty() {
            return Err(invalid("the URL has no host"));
        }
        let host = unbracketed(host).to_ascii_lowercase();
        let port = authority
            .port_u16()
            .unwrap_or_else(|| scheme.default_port());
        let host_header = HeaderValue::from_str(authority.as_str())
            .map_err(|_| invalid("the host is not a valid header value"))?;
        let basic_auth = credentials
            .map(|(user, password)| basic_auth(&percent_decoded(user), &percent_decoded(password)));
        Ok(Target {
            origin: Origin { scheme, host, port },
            host_header,
            base_path: uri.path().trim_end_matches('/').to_owned(),
            basic_auth,
            url: mask_credentials(url),
        })
    }

    /// The target a redirect's absolute URL points at (no base path, no credentials).
    pub fn of_url(url: &url::Url) -> Option<Target> {
        let scheme = match url.scheme() {
            "http" => Scheme::Http,
            "https" => Scheme::Https,
            _ => return None,
        };
        let host = url.host_str()?;
        let port = url.port_or_known_default()?;
        let host_header = match url.port() {
            Some(port) => HeaderValue::from_str(&format!("{host}:{port}")).ok()?,
            None => HeaderValue::from_str(host).ok()?,
        };
        Some(Target {
            origin: Origin {
                scheme,
                host: unbracketed(host).to_owned(),
                port,
            },
            host_header,
            base_path: String::new(),
            basic_auth: None,
            url: format!("{scheme}://{host}", scheme = scheme.as_str()),
        })
    }

    /// The full request target for `path` (which starts with `/`, may carry a query).
    ///
    /// The error says what is wrong but never repeats the path: a rendered path may carry a
    /// secret (an `env(...)` value, a captured token), and failure messages reach the CSV files.
    pub fn request_uri(&self, path: &str) -> Result<Uri, RunnerError> {
        let joined = format!("{}{}", self.base_path, path);
        joined.parse().map_err(|_| {
            RunnerError::InvalidSetting(format!("invalid request path: {}", path_problem(path)))
        })
    }

    /// Scheme, host and port.
    pub fn origin(&self) -> &Origin {
        &self.origin
    }

    /// `host:port` connections go to.
    pub fn connect_address(&self) -> String {
        self.origin.host_port()
    }

    /// The `Host` header value.
    pub fn host_header(&self) -> &HeaderValue {
        &self.host_header
    }

    /// `Authorization: Basic …` from credentials in the URL.
    pub fn basic_auth(&self) -> Option<&HeaderValue> {
        self.basic_auth.as_ref()
    }

    /// The URL as given (credentials masked).
    pub fn url(&self) -> &str {
        &self.url
    }
}

/// An IPv6 literal without its brackets (`[::1]` → `::1`); other hosts as they are.
pub fn unbracketed(host: &str) -> &str {
    host.trim_start_matches('[').trim_end_matches(']')
}

/// Splits `scheme://user:pass@rest` into the credentials and `scheme://rest`.
fn split_credentials(url: &str) -> (Option<(&str, &str)>, String) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return (None, url.to_owned());
    };
    // The last '@' of the URL ends the credentials, even when a password holds a '/' that
    // should have been written %2F: better a URL refused than a password printed.
    let Some(at) = rest.rfind('@') else {
        return (None, url.to_owned());
    };
    let userinfo = &rest[..at];
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    (
        Some((user, password)),
        format!("{scheme}://{}", &rest[at + 1..]),
    )
}

/// The URL with any password replaced by `***`, for messages.
pub fn mask_credentials(url: &str) -> String {
    match split_credentials(url) {
        (Some((user, _)), rest) => rest.replacen("://", &format!("://{user}:***@"), 1),
        (None, _) => url.to_owned(),
    }
}

/// Why `path` is not a valid request target, in words that do not quote it.
pub fn path_problem(path: &str) -> &'static str {
    if path.is_empty() {
        "it is empty"
    } else if path.contains(' ') {
        "it contains a space (write %20)"
    } else if path.chars().any(char::is_control) {
        "it contains a control character"
    } else if !path.is_ascii() {
        "it contains a non-ASCII character (percent-encode it)"
    } else if path.len() > u16::MAX as usize {
        "it is too long"
    } else {
        "it contains a character not allowed in a URL (percent-encode it)"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_parses_loopback_urls() {
        let target = Target::parse("http://127.0.0.1:8089/api/").expect("valid");
        assert_eq!(target.connect_address(), "127.0.0.1:8089");
        assert_eq!(
            target.request_uri("/items?x=1").expect("valid").to_string(),
            "/api/items?x=1"
        );
        let plain = Target::parse("http://LocalHost").expect("valid");
        assert_eq!(plain.connect_address(), "localhost:80");
        let tls = Target::parse("https://localhost/api/v1").expect("valid");
        assert_eq!(tls.origin().scheme, Scheme::Https);
        assert_eq!(tls.connect_address(), "localhost:443");
        assert_eq!(
            tls.request_uri("/x").expect("valid").to_string(),
            "/api/v1/x"
        );
    }

    #[test]
    fn ipv6_literals_and_credentials() {
        let v6 = Target::parse("http://[::1]:8089").expect("valid");
        assert_eq!(v6.origin().host, "::1");
        assert_eq!(v6.connect_address(), "[::1]:8089");
        assert_eq!(v6.host_header(), "[::1]:8089");
        let secret = Target::parse("https://ann:p%40ss@127.0.0.1:9/api").expect("valid");
        assert_eq!(secret.host_header(), "127.0.0.1:9");
        // "ann:p@ss" in base64.
        assert_eq!(
            secret.basic_auth().expect("auth").to_str().expect("ascii"),
            "Basic YW5uOnBAc3M="
        );
        assert_eq!(secret.url(), "https://ann:***@127.0.0.1:9/api");
        let error = Target::parse("ftp://ann:hunter2@x")
            .expect_err("ftp")
            .to_string();
        assert!(!error.contains("hunter2"), "{error}");
    }

    #[test]
    fn invalid_paths_are_described_without_quoting_them() {
        let target = Target::parse("http://127.0.0.1:8089").expect("valid");
        for (path, problem) in [
            ("/item?token=top secret", "space"),
            ("/item?token=top\u{1}secret", "control character"),
            ("/item?token=top\"secret", "not allowed"),
        ] {
            let message = target.request_uri(path).expect_err(path).to_string();
            assert!(message.contains(problem), "{message}");
            assert!(!message.contains("secret"), "{message}");
        }
    }

    #[test]
    fn target_rejects_what_it_cannot_serve() {
        assert!(Target::parse("ftp://x").is_err());
        assert!(Target::parse("not a url").is_err());
        assert!(Target::parse("127.0.0.1:80").is_err());
    }
}

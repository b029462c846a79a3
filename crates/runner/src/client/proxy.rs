//! Forward proxies as requests honours them: `HTTP_PROXY`/`HTTPS_PROXY`/`NO_PROXY` (either case)
//! or `--proxy URL`; `http://` requests go to the proxy in absolute form, `https://` ones through
//! a `CONNECT` tunnel.

use http::HeaderValue;

use super::target::{Origin, Scheme, Target};
use super::ClientError;

/// A proxy server.
#[derive(Debug, Clone)]
pub struct Proxy {
    /// Where the proxy listens (always plain HTTP to the proxy).
    pub address: String,
    /// `Proxy-Authorization` from credentials in the proxy URL.
    pub authorization: Option<HeaderValue>,
}

/// Which proxy each origin goes through.
#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    http: Option<Proxy>,
    https: Option<Proxy>,
    no_proxy: Vec<String>,
}

fn proxy_of(url: &str, source: &str) -> Result<Proxy, ClientError> {
    let with_scheme = if url.contains("://") {
        url.to_owned()
    } else {
        format!("http://{url}")
    };
    let target =
        Target::parse(&with_scheme).map_err(|e| ClientError::Setting(format!("{source}: {e}")))?;
    if target.origin().scheme != Scheme::Http {
        return Err(ClientError::Setting(format!(
            "{source}: only http:// proxies are supported (https:// targets go through them with CONNECT)"
        )));
    }
    Ok(Proxy {
        address: target.connect_address(),
        authorization: target.basic_auth().cloned(),
    })
}

fn variable(name: &str) -> Option<(String, String)> {
    [name.to_ascii_lowercase(), name.to_owned()]
        .into_iter()
        .find_map(|key| {
            let value = std::env::var(&key).ok()?;
            (!value.trim().is_empty()).then_some((key, value.trim().to_owned()))
        })
}

impl ProxyRules {
    /// The rules from `--proxy URL` (for both schemes) or else the environment.
    pub fn new(explicit: Option<&str>) -> Result<ProxyRules, ClientError> {
        let no_proxy = variable("NO_PROXY")
            .map(|(_, list)| {
                list.split(',')
                    .map(|entry| entry.trim().to_ascii_lowercase())
                    .filter(|entry| !entry.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(url) = explicit {
            let proxy = proxy_of(url, "--proxy")?;
            return Ok(ProxyRules {
                http: Some(proxy.clone()),
                https: Some(proxy),
                no_proxy,
            });
        }
        let from = |name: &str| -> Result<Option<Proxy>, ClientError> {
            match variable(name).or_else(|| variable("ALL_PROXY")) {
                Some((key, url)) => proxy_of(&url, &key).map(Some),
                None => Ok(None),
            }
        };
        Ok(ProxyRules {
            http: from("HTTP_PROXY")?,
            https: from("HTTPS_PROXY")?,
            no_proxy,
        })
    }

    /// The proxy for `origin`, unless `NO_PROXY` exempts it.
    pub fn for_origin(&self, origin: &Origin) -> Option<&Proxy> {
        let proxy = match origin.scheme {
            Scheme::Http => self.http.as_ref(),
            Scheme::Https => self.https.as_ref(),
        }?;
        (!self.bypassed(origin)).then_some(proxy)
    }

    /// requests' `NO_PROXY` matching: `*`, a host, a domain suffix (`.example.com` or
    /// `example.com`), optionally with `:port`.
    fn bypassed(&self, origin: &Origin) -> bool {
        let host = origin.host.to_ascii_lowercase();
        let with_port = format!("{host}:{}", origin.port);
        self.no_proxy.iter().any(|entry| {
            if entry == "*" {
                return true;
            }
            let entry = entry.trim_start_matches('.');
            let entry = entry.trim_start_matches('[').replace("]:", ":");
            let entry = entry.trim_end_matches(']');
            let (name, candidate) = if entry.contains(':') && !host.contains(':') {
                (entry, with_port.as_str())
            } else {
                (entry, host.as_str())
            };
            candidate == name || candidate.ends_with(&format!(".{name}"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin(scheme: Scheme, host: &str, port: u16) -> Origin {
        Origin {
            scheme,
            host: host.into(),
            port,
        }
    }

    #[test]
    fn no_proxy_matches_hosts_suffixes_and_ports() {
        let rules = ProxyRules {
            http: Some(proxy_of("http://u:p@127.0.0.1:3128", "test").expect("proxy")),
            https: None,
            no_proxy: vec![
                "example.com".into(),
                ".internal".into(),
                "10.0.0.1:8080".into(),
            ],
        };
        let proxied = |host: &str, port| {
            rules
                .for_origin(&origin(Scheme::Http, host, port))
                .is_some()
        };
        assert!(proxied("127.0.0.1", 80));
        assert!(!proxied("example.com", 80));
        assert!(!proxied("api.example.com", 80));
        assert!(proxied("notexample.com", 80));
        assert!(!proxied("db.internal", 5432));
        assert!(!proxied("10.0.0.1", 8080));
        assert!(proxied("10.0.0.1", 8081));
        assert!(rules.for_origin(&origin(Scheme::Https, "x", 443)).is_none());
        let proxy = rules.http.as_ref().expect("proxy");
        assert_eq!(proxy.address, "127.0.0.1:3128");
        assert!(proxy.authorization.is_some());
    }

    #[test]
    fn bad_proxy_urls_are_named() {
        let error = proxy_of("https://p:1", "HTTPS_PROXY").expect_err("https proxy");
        assert!(error.to_string().starts_with("HTTPS_PROXY: "), "{error}");
        assert!(proxy_of("127.0.0.1:3128", "--proxy").is_ok());
    }
}

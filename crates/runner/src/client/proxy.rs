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

/// One entry of `NO_PROXY`.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Exempt {
    /// `*` as the whole value: no proxy at all.
    All,
    /// An IPv4 network (`10.0.0.0/8`): addresses in it.
    Network(u32, u32),
    /// A name, address or suffix (`example.com`, `.internal`, `host:8080`), lower case, without
    /// its leading dot.
    Name(String),
}

/// Which proxy each origin goes through.
#[derive(Debug, Clone, Default)]
pub struct ProxyRules {
    http: Option<Proxy>,
    https: Option<Proxy>,
    no_proxy: Vec<Exempt>,
}

/// Reads `NO_PROXY`'s comma-separated entries.
fn exemptions(list: &str) -> Vec<Exempt> {
    if list.trim() == "*" {
        return vec![Exempt::All];
    }
    list.split(',')
        .map(|entry| entry.trim().trim_start_matches('.').to_ascii_lowercase())
        .filter(|entry| !entry.is_empty())
        .map(|entry| {
            let network = entry.split_once('/').and_then(|(address, bits)| {
                let address: std::net::Ipv4Addr = address.parse().ok()?;
                let bits: u32 = bits.parse().ok().filter(|b| *b <= 32)?;
                let mask = if bits == 0 {
                    0
                } else {
                    u32::MAX << (32 - bits)
                };
                Some(Exempt::Network(u32::from(address) & mask, mask))
            });
            network.unwrap_or(Exempt::Name(entry))
        })
        .collect()
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
            .map(|(_, list)| exemptions(&list))
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

    /// requests' `NO_PROXY` matching (`should_bypass_proxies`, then urllib's
    /// `proxy_bypass_environment`): an IPv4 host by network or exact address; a name by suffix
    /// (`ample.com` exempts `example.com`, as in requests) with or without its port; `*` alone
    /// exempts every host.
    fn bypassed(&self, origin: &Origin) -> bool {
        let host = origin.host.as_str();
        if let Ok(ip) = host.parse::<std::net::Ipv4Addr>() {
            let ip = u32::from(ip);
            return self.no_proxy.iter().any(|exempt| match exempt {
                Exempt::All => true,
                Exempt::Network(network, mask) => ip & mask == *network,
                Exempt::Name(name) => name == host,
            });
        }
        let with_port = format!("{host}:{}", origin.port);
        self.no_proxy.iter().any(|exempt| match exempt {
            Exempt::All => true,
            Exempt::Network(..) => false,
            Exempt::Name(name) => {
                let name = super::target::unbracketed(name);
                host.ends_with(name) || with_port.ends_with(name)
            }
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
            no_proxy: exemptions("example.com, .internal,192.168.0.0/16,10.0.0.1,myhost:8080"),
        };
        let proxied = |host: &str, port| {
            rules
                .for_origin(&origin(Scheme::Http, host, port))
                .is_some()
        };
        assert!(proxied("127.0.0.1", 80));
        assert!(!proxied("example.com", 80));
        assert!(!proxied("api.example.com", 80));
        assert!(
            !proxied("notexample.com", 80),
            "a plain suffix, as in requests"
        );
        assert!(proxied("example.org", 80));
        assert!(!proxied("db.internal", 5432));
        assert!(!proxied("10.0.0.1", 8080));
        assert!(proxied("10.0.0.2", 80));
        assert!(!proxied("192.168.7.9", 80), "in the network");
        assert!(!proxied("myhost", 8080));
        assert!(proxied("myhost", 8081));
        assert_eq!(exemptions(" * "), vec![Exempt::All]);
        assert!(
            !exemptions("a,*").contains(&Exempt::All),
            "* only as the whole value"
        );
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

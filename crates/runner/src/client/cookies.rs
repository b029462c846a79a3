//! A user's cookie jar, like requests.Session's: `Set-Cookie` (Domain, Path, Expires, Max-Age,
//! Secure) stored per user and sent on that user's later requests. The jar is cookie_store's
//! (the one reqwest uses).

use cookie_store::{CookieStore, RawCookie};
use http::header::{COOKIE, SET_COOKIE};
use http::{HeaderMap, HeaderValue};

use super::target::Origin;

/// One user's cookies.
#[derive(Debug, Default)]
pub struct CookieJar {
    store: CookieStore,
    /// Whether a cookie was stored since the jar was made or cleared (cookie_store has no
    /// cheap emptiness test; this spares a per-request walk of its maps while nothing is set).
    filled: bool,
}

/// The URL a request goes to, as the jar matches cookies against it.
pub fn request_url(origin: &Origin, path_and_query: &str) -> Option<url::Url> {
    url::Url::parse(&format!("{origin}{path_and_query}")).ok()
}

impl CookieJar {
    /// Whether the jar holds no cookie (then nothing is looked up per request).
    pub fn is_empty(&self) -> bool {
        !self.filled || self.store.iter_any().next().is_none()
    }

    /// Forgets every cookie (a new user, or a new iteration of the open model).
    pub fn clear(&mut self) {
        self.store.clear();
        self.filled = false;
    }

    /// The `Cookie` header for a request to `url`, if any cookie applies.
    pub fn header_for(&self, url: &url::Url) -> Option<HeaderValue> {
        // Secure cookies go over https only (cookie_store also counts http://localhost as
        // secure; Python's cookiejar, and so Locust, does not).
        let plain = url.scheme() == "http";
        let mut text = String::new();
        for cookie in self.store.matches(url) {
            if plain && cookie.secure() == Some(true) {
                continue;
            }
            if !text.is_empty() {
                text.push_str("; ");
            }
            text.push_str(cookie.name());
            text.push('=');
            text.push_str(cookie.value());
        }
        if text.is_empty() {
            return None;
        }
        let mut value = HeaderValue::from_str(&text).ok()?;
        value.set_sensitive(true);
        Some(value)
    }

    /// Stores the `Set-Cookie` headers of a response to `url`; malformed ones are ignored, as
    /// browsers and requests do.
    pub fn store(&mut self, url: &url::Url, headers: &HeaderMap) {
        let cookies = headers
            .get_all(SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .filter_map(|text| RawCookie::parse(text.to_owned()).ok());
        self.store.store_response_cookies(cookies, url);
        self.filled = true;
    }

    /// Whether a request's own headers already carry a `Cookie` (then the jar stays out of it,
    /// as in requests).
    pub fn overridden_by(headers: &HeaderMap) -> bool {
        headers.contains_key(COOKIE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::target::Scheme;

    fn origin(scheme: Scheme, host: &str, port: u16) -> Origin {
        Origin {
            scheme,
            host: host.into(),
            port,
        }
    }

    fn set(jar: &mut CookieJar, url: &url::Url, cookies: &[&str]) {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(SET_COOKIE, cookie.parse().expect("value"));
        }
        jar.store(url, &headers);
    }

    #[test]
    fn paths_secure_expiry_and_domains() {
        let http = origin(Scheme::Http, "shop.local", 80);
        let login = request_url(&http, "/login").expect("url");
        let mut jar = CookieJar::default();
        assert!(jar.is_empty());
        set(
            &mut jar,
            &login,
            &[
                "session=abc; Path=/; HttpOnly",
                "admin=1; Path=/admin",
                "secure=s; Secure; Path=/",
                "gone=x; Max-Age=0",
                "old=y; Expires=Wed, 21 Oct 2015 07:28:00 GMT",
                "other=z; Domain=elsewhere.example",
            ],
        );
        let cart = request_url(&http, "/cart?x=1").expect("url");
        assert_eq!(jar.header_for(&cart).expect("cookie"), "session=abc");
        let admin = request_url(&http, "/admin/users").expect("url");
        let header = jar.header_for(&admin).expect("cookie");
        let mut names: Vec<&str> = header.to_str().expect("ascii").split("; ").collect();
        names.sort_unstable();
        assert_eq!(names, ["admin=1", "session=abc"]);
        let loopback = request_url(&origin(Scheme::Http, "localhost", 80), "/login").expect("url");
        set(&mut jar, &loopback, &["sid=1; Secure; Path=/"]);
        assert!(
            jar.header_for(&loopback).is_none(),
            "no Secure cookie over http"
        );
        let https = request_url(&origin(Scheme::Https, "shop.local", 443), "/").expect("url");
        let header = jar.header_for(&https).expect("cookie");
        assert!(header.to_str().expect("ascii").contains("secure=s"));
        let stranger = request_url(&origin(Scheme::Http, "other.local", 80), "/").expect("url");
        assert!(jar.header_for(&stranger).is_none());
        jar.clear();
        assert!(jar.is_empty());
    }
}

//! A user's session (requests.Session): connections by origin, the cookie jar, redirects and
//! decoding. A redirect chain is one exchange, timed and counted as one request, as in Locust.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, PROXY_AUTHORIZATION,
    TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Method};
use rustls::ClientConfig;

use super::connection::Connection;
use super::cookies::{request_url, CookieJar};
use super::proxy::Proxy;
use super::redirect::{self, Chain};
use super::settings::HttpClient;
use super::stream::Dial;
use super::target::{Origin, Scheme, Target};
use super::wire::{RequestHead, WireResponse};
use super::{decode, Exchange, Outgoing, RequestOptions};
use crate::metrics::FailureKind;

/// One user's HTTP state.
#[derive(Debug)]
pub struct Session {
    client: Arc<HttpClient>,
    /// The user's TLS configuration (its own session store), made on its first `https://` use.
    tls: Option<Arc<ClientConfig>>,
    routes: Vec<Route>,
    jar: Option<CookieJar>,
    user: usize,
}

/// Services one user keeps connections to at most (urllib3 keeps 10 pools).
const MAX_ORIGINS: usize = 10;

/// A connection to one origin and the proxy it goes through.
#[derive(Debug)]
struct Route {
    origin: Origin,
    proxy: Option<Proxy>,
    connection: Connection,
}

/// One hop of a request: where it goes and what it carries.
struct Hop<'a> {
    target: &'a Target,
    method: &'a Method,
    path: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
    /// A later hop of a redirect chain: its credentials are in `headers` (or gone).
    redirected: bool,
}

/// The request's headers for a redirected hop, rebuilt as requests does: without the body's
/// headers once the body is dropped, without a `Cookie` header (the jar supplies the hop's
/// cookies), and with the request's credentials only while the chain keeps them.
fn hop_headers(original: &HeaderMap, chain: &Chain, auth: Option<&HeaderValue>) -> HeaderMap {
    let mut headers = original.clone();
    if chain.drop_body {
        for name in [CONTENT_TYPE, CONTENT_LENGTH, TRANSFER_ENCODING] {
            headers.remove(name);
        }
    }
    headers.remove(COOKIE);
    headers.remove(AUTHORIZATION);
    if let (Some(auth), false) = (auth, chain.drop_auth) {
        headers.insert(AUTHORIZATION, auth.clone());
    }
    headers
}

/// An empty header map, for requests the session adds no header to.
fn no_headers() -> &'static HeaderMap {
    static EMPTY: std::sync::OnceLock<HeaderMap> = std::sync::OnceLock::new();
    EMPTY.get_or_init(HeaderMap::new)
}

/// The exchange of a final response, its body decoded when asked.
fn finish(response: WireResponse, options: RequestOptions) -> Result<Exchange, FailureKind> {
    let WireResponse {
        status,
        headers,
        mut content_length,
        mut body,
        encoded,
        ..
    } = response;
    if options.decompress && encoded {
        if let (Some(encodings), Some(raw)) = (decode::encodings(&headers), body.as_ref()) {
            if !raw.is_empty() {
                let failed = |text: String| FailureKind::Other(text.into());
                if options.keep_body {
                    let decoded = decode::decode(&encodings, raw).map_err(failed)?;
                    content_length = decoded.len() as u64;
                    body = Some(Bytes::from(decoded));
                } else {
                    content_length = decode::decoded_len(&encodings, raw).map_err(failed)?;
                }
            }
        }
    }
    if !options.keep_body {
        body = None;
    }
    Ok(Exchange {
        status,
        headers,
        content_length,
        body,
    })
}

impl Session {
    /// A new user's session: no connection, an empty jar.
    pub fn new(client: &Arc<HttpClient>) -> Session {
        Session {
            client: client.clone(),
            tls: None,
            routes: Vec::new(),
            jar: client.cookies.then(CookieJar::default),
            user: client.next_user(),
        }
    }

    /// Forgets the cookies (an open-model iteration is a new user; its connections stay).
    pub fn clear_cookies(&mut self) {
        if let Some(jar) = &mut self.jar {
            jar.clear();
        }
    }

    /// Sends `request` to `target`, following redirects, within `options.timeout`.
    pub async fn send(
        &mut self,
        target: &Target,
        request: Outgoing<'_>,
        options: RequestOptions,
    ) -> Result<Exchange, FailureKind> {
        match tokio::time::timeout(options.timeout, self.follow(target, request, options)).await {
            Ok(result) => result,
            Err(_) => {
                // A connection may still carry the late response: never reuse one.
                self.routes.clear();
                Err(FailureKind::Timeout(options.timeout.as_millis() as u64))
            }
        }
    }

    async fn follow(
        &mut self,
        target: &Target,
        request: Outgoing<'_>,
        options: RequestOptions,
    ) -> Result<Exchange, FailureKind> {
        let first = Hop {
            target,
            method: request.method,
            path: request.uri.path_and_query().map_or("/", |p| p.as_str()),
            headers: request.headers,
            body: request.body,
            redirected: false,
        };
        let response = self.round_trip(&first, options).await?;
        if !options.follow_redirects || !redirect::is_redirect(response.status) {
            return finish(response, options);
        }
        let auth = request
            .headers
            .get(AUTHORIZATION)
            .or(target.basic_auth())
            .cloned();
        let mut chain = Chain::new(target, first.path, request.method);
        let mut response = response;
        for _ in 0..self.client.max_redirects {
            let Some(location) = response.headers.get(LOCATION).and_then(|v| v.to_str().ok())
            else {
                return finish(response, options);
            };
            chain.follow(response.status, location).ok_or_else(|| {
                FailureKind::Other(
                    "InvalidURL('the redirect Location is not a valid http(s) URL')".into(),
                )
            })?;
            let headers = hop_headers(request.headers, &chain, auth.as_ref());
            let hop = Hop {
                target: &chain.target,
                method: &chain.method,
                path: &chain.path,
                headers: &headers,
                body: if chain.drop_body { &[] } else { request.body },
                redirected: true,
            };
            response = self.round_trip(&hop, options).await?;
            if !redirect::is_redirect(response.status) {
                return finish(response, options);
            }
        }
        if response.headers.contains_key(LOCATION) {
            return Err(FailureKind::Other(
                redirect::too_many(self.client.max_redirects).into(),
            ));
        }
        finish(response, options)
    }

    /// The headers the session adds to a hop: URL credentials, the jar's cookies, `Connection:
    /// close` without keep-alive, `Proxy-Authorization` for a proxy that forwards it. `url` is
    /// the hop's URL once parsed for the jar. `None` when there is none to add (most requests:
    /// then no map is made and dropped per request).
    fn extra_headers(
        &self,
        hop: &Hop<'_>,
        proxy: Option<&Proxy>,
        url: &mut Option<url::Url>,
    ) -> Option<HeaderMap> {
        let mut extra: Option<HeaderMap> = None;
        let mut add = |name, value| {
            extra.get_or_insert_with(HeaderMap::new).insert(name, value);
        };
        if let (Some(auth), false) = (hop.target.basic_auth(), hop.redirected) {
            if !hop.headers.contains_key(AUTHORIZATION) {
                add(AUTHORIZATION, auth.clone());
            }
        }
        if let Some(jar) = &self.jar {
            if !jar.is_empty() && !CookieJar::overridden_by(hop.headers) {
                *url = request_url(hop.target.origin(), hop.path);
                if let Some(cookie) = url.as_ref().and_then(|u| jar.header_for(u)) {
                    add(COOKIE, cookie);
                }
            }
        }
        if !self.client.keepalive {
            add(CONNECTION, HeaderValue::from_static("close"));
        }
        if let Some(auth) = proxy.and_then(|p| p.authorization.as_ref()) {
            if hop.target.origin().scheme == Scheme::Http {
                add(PROXY_AUTHORIZATION, auth.clone());
            }
        }
        extra
    }

    /// The route to `origin` (its connection and proxy), opened on first use; at most
    /// [`MAX_ORIGINS`] are kept, the oldest closed first.
    fn route_to(&mut self, origin: &Origin) -> usize {
        if self.routes.first().is_some_and(|r| r.origin == *origin) {
            return 0; // the run's own target, nearly always
        }
        if let Some(index) = self.routes.iter().position(|r| r.origin == *origin) {
            return index;
        }
        if self.routes.len() >= MAX_ORIGINS {
            // Not the first: that is the run's own target.
            self.routes.remove(1);
        }
        self.routes.push(Route {
            origin: origin.clone(),
            proxy: self.client.proxies.for_origin(origin).cloned(),
            connection: Connection::new(),
        });
        self.routes.len() - 1
    }

    async fn round_trip(
        &mut self,
        hop: &Hop<'_>,
        options: RequestOptions,
    ) -> Result<WireResponse, FailureKind> {
        let origin = hop.target.origin();
        let index = self.route_to(origin);
        if origin.scheme == Scheme::Https && self.tls.is_none() {
            self.tls = Some(self.client.user_tls());
        }
        let mut url = None;
        let extra = self.extra_headers(hop, self.routes[index].proxy.as_ref(), &mut url);
        let Session {
            client,
            tls,
            routes,
            jar,
            user,
        } = self;
        let route = &mut routes[index];
        let absolute;
        let request_target = match &route.proxy {
            Some(_) if origin.scheme == Scheme::Http => {
                absolute = format!("{origin}{}", hop.path);
                absolute.as_str()
            }
            _ => hop.path,
        };
        let head = RequestHead {
            method: hop.method,
            request_target,
            host: hop.target.host_header(),
            headers: hop.headers,
            extra: extra.as_ref().unwrap_or(no_headers()),
            defaults: &client.defaults,
        };
        let dial = Dial {
            origin,
            proxy: route.proxy.as_ref(),
            tls: tls.as_ref(),
            spread: *user,
        };
        let response = route
            .connection
            .exchange(
                client,
                dial,
                head,
                hop.body,
                options.keep_body,
                options.decompress,
            )
            .await?;
        if let Some(jar) = jar.as_mut() {
            if response.set_cookie {
                if let Some(url) = url.or_else(|| request_url(origin, hop.path)) {
                    jar.store(&url, &response.headers);
                }
            }
        }
        Ok(response)
    }
}

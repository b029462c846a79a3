//! A user's session (requests.Session): connections by origin, the cookie jar, redirects and
//! decoding. A redirect chain is one exchange, timed and counted as one request, as in Locust.

use std::sync::Arc;

use bytes::Bytes;
use http::header::{
    AUTHORIZATION, CONNECTION, CONTENT_LENGTH, CONTENT_TYPE, COOKIE, LOCATION, PROXY_AUTHORIZATION,
    SET_COOKIE, TRANSFER_ENCODING,
};
use http::{HeaderMap, HeaderValue, Method};
use rustls::ClientConfig;

use super::connection::Connection;
use super::cookies::{request_url, CookieJar};
use super::settings::HttpClient;
use super::stream::Dial;
use super::target::{Origin, Scheme, Target};
use super::wire::{RequestHead, WireResponse};
use super::{decode, redirect, Exchange, Outgoing, RequestOptions};
use crate::metrics::FailureKind;

/// One user's HTTP state.
#[derive(Debug)]
pub struct Session {
    client: Arc<HttpClient>,
    /// The user's TLS configuration (its own session store), made on its first `https://` use.
    tls: Option<Arc<ClientConfig>>,
    connections: Vec<(Origin, Connection)>,
    jar: Option<CookieJar>,
    user: usize,
}

/// One hop of a request: where it goes and what it carries.
struct Hop<'a> {
    target: &'a Target,
    method: &'a Method,
    path: &'a str,
    headers: &'a HeaderMap,
    body: &'a [u8],
}

/// The request's headers for a redirected hop: without the body's headers when the body is
/// dropped, without credentials when the hop leaves the origin, and without a `Cookie` header
/// (the jar supplies the hop's cookies), as requests rebuilds them.
fn hop_headers(original: &HeaderMap, drop_body: bool, left_origin: bool) -> HeaderMap {
    let mut headers = original.clone();
    if drop_body {
        for name in [CONTENT_TYPE, CONTENT_LENGTH, TRANSFER_ENCODING] {
            headers.remove(name);
        }
    }
    if left_origin {
        headers.remove(AUTHORIZATION);
    }
    headers.remove(COOKIE);
    headers
}

/// The exchange of a final response, its body decoded when asked.
fn finish(response: WireResponse, options: RequestOptions) -> Result<Exchange, FailureKind> {
    let WireResponse {
        status,
        headers,
        mut content_length,
        mut body,
        ..
    } = response;
    if options.decompress {
        if let (Some(encodings), Some(raw)) = (decode::encodings(&headers), body.as_ref()) {
            if !raw.is_empty() {
                let decoded =
                    decode::decode(&encodings, raw).map_err(|t| FailureKind::Other(t.into()))?;
                content_length = decoded.len() as u64;
                body = Some(Bytes::from(decoded));
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
            connections: Vec::new(),
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
                self.connections.clear();
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
        };
        let response = self.round_trip(&first, options).await?;
        if !options.follow_redirects || !redirect::is_redirect(response.status) {
            return finish(response, options);
        }
        let (mut current_target, mut path) = (target.clone(), first.path.to_owned());
        let mut method = request.method.clone();
        let mut drop_body = false;
        let mut response = response;
        for _ in 0..self.client.max_redirects {
            let Some(location) = response.headers.get(LOCATION).and_then(|v| v.to_str().ok())
            else {
                return finish(response, options);
            };
            let (next_target, next_path) = redirect::resolve(&current_target, &path, location)
                .ok_or_else(|| {
                    FailureKind::Other(
                        "InvalidURL('the redirect Location is not a valid http(s) URL')".into(),
                    )
                })?;
            if let Some(changed) = redirect::next_method(response.status, &method) {
                method = changed;
                drop_body = true;
            }
            (current_target, path) = (next_target, next_path);
            let headers = hop_headers(
                request.headers,
                drop_body,
                current_target.origin() != target.origin(),
            );
            let hop = Hop {
                target: &current_target,
                method: &method,
                path: &path,
                headers: &headers,
                body: if drop_body { &[] } else { request.body },
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

    async fn round_trip(
        &mut self,
        hop: &Hop<'_>,
        options: RequestOptions,
    ) -> Result<WireResponse, FailureKind> {
        let Session {
            client,
            tls,
            connections,
            jar,
            user,
        } = self;
        let origin = hop.target.origin();
        let proxy = client.proxies.for_origin(origin);
        let mut extra = HeaderMap::new();
        if let Some(auth) = hop.target.basic_auth() {
            if !hop.headers.contains_key(AUTHORIZATION) {
                extra.insert(AUTHORIZATION, auth.clone());
            }
        }
        if let Some(jar) = jar.as_ref() {
            if !jar.is_empty() && !CookieJar::overridden_by(hop.headers) {
                if let Some(cookie) = request_url(origin, hop.path).and_then(|u| jar.header_for(&u))
                {
                    extra.insert(COOKIE, cookie);
                }
            }
        }
        if !client.keepalive {
            extra.insert(CONNECTION, HeaderValue::from_static("close"));
        }
        let absolute;
        let request_target = match proxy {
            Some(proxy) if origin.scheme == Scheme::Http => {
                if let Some(auth) = &proxy.authorization {
                    extra.insert(PROXY_AUTHORIZATION, auth.clone());
                }
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
            extra: &extra,
            defaults: &client.defaults,
        };
        if origin.scheme == Scheme::Https && tls.is_none() {
            *tls = Some(client.user_tls());
        }
        let dial = Dial {
            origin,
            proxy,
            tls: tls.as_ref(),
            spread: *user,
        };
        let index = match connections.iter().position(|(o, _)| o == origin) {
            Some(index) => index,
            None => {
                connections.push((origin.clone(), Connection::new()));
                connections.len() - 1
            }
        };
        let response = connections[index]
            .1
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
            if response.headers.contains_key(SET_COOKIE) {
                if let Some(url) = request_url(origin, hop.path) {
                    jar.store(&url, &response.headers);
                }
            }
        }
        Ok(response)
    }
}

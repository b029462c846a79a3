//! Following redirects as requests does: 301/302/303 become GET without a body (except HEAD),
//! 307/308 keep the method and body; `Location` relative or absolute; at most 30 hops.

use http::{Method, StatusCode};

use super::target::{Origin, Scheme, Target};

/// Most redirects followed for one request (requests' `DEFAULT_REDIRECT_LIMIT`).
pub const MAX_REDIRECTS: u32 = 30;

/// The failure text when a chain is longer than the limit.
pub fn too_many(limit: u32) -> String {
    format!("TooManyRedirects('Exceeded {limit} redirects.')")
}

/// Whether `status` sends the client elsewhere (with a `Location`).
pub fn is_redirect(status: StatusCode) -> bool {
    matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308)
}

/// The method of the next hop (requests' `rebuild_method`): `None` keeps method and body.
pub fn next_method(status: StatusCode, method: &Method) -> Option<Method> {
    let code = status.as_u16();
    let to_get = (matches!(code, 302 | 303) && *method != Method::HEAD)
        || (code == 301 && *method == Method::POST);
    to_get.then_some(Method::GET)
}

/// Whether credentials must be dropped going from `old` to `new` (requests'
/// `should_strip_auth`): another host, or another scheme or port, except http:80 → https:443.
pub fn should_strip_auth(old: &Origin, new: &Origin) -> bool {
    if old.host != new.host {
        return true;
    }
    if old.scheme == Scheme::Http
        && old.port == 80
        && new.scheme == Scheme::Https
        && new.port == 443
    {
        return false;
    }
    old.scheme != new.scheme || old.port != new.port
}

/// Where a redirected request stands: the hop it goes to next and what it still carries.
#[derive(Debug)]
pub struct Chain {
    /// The next hop's service.
    pub target: Target,
    /// The next hop's path and query.
    pub path: String,
    /// The next hop's method.
    pub method: Method,
    /// The body is gone (every redirect but 307/308 drops it, as requests does).
    pub drop_body: bool,
    /// Credentials are gone (the chain left the origin; they stay gone).
    pub drop_auth: bool,
}

impl Chain {
    /// The chain of a request to `target` at `path` with `method`.
    pub fn new(target: &Target, path: &str, method: &Method) -> Chain {
        Chain {
            target: target.clone(),
            path: path.to_owned(),
            method: method.clone(),
            drop_body: false,
            drop_auth: false,
        }
    }

    /// Moves on to `location` of a `status` response; `None` when it is not an http(s) URL.
    pub fn follow(&mut self, status: StatusCode, location: &str) -> Option<()> {
        let (target, path) = resolve(&self.target, &self.path, location)?;
        if !matches!(status.as_u16(), 307 | 308) {
            self.drop_body = true;
        }
        if let Some(method) = next_method(status, &self.method) {
            self.method = method;
        }
        self.drop_auth |= should_strip_auth(self.target.origin(), target.origin());
        (self.target, self.path) = (target, path);
        Some(())
    }
}

/// The next hop: its target (scheme, host, port) and path with query, from `location` read
/// relative to the URL that answered.
pub fn resolve(current: &Target, path_and_query: &str, location: &str) -> Option<(Target, String)> {
    let base = url::Url::parse(&format!("{}{path_and_query}", current.origin())).ok()?;
    let next = base.join(location.trim()).ok()?;
    let mut path = next.path().to_owned();
    if let Some(query) = next.query() {
        path.push('?');
        path.push_str(query);
    }
    let same_origin = next.scheme() == current.origin().scheme.as_str()
        && next.port_or_known_default() == Some(current.origin().port)
        && next.host_str().map(super::target::unbracketed) == Some(current.origin().host.as_str());
    let target = if same_origin {
        current.clone()
    } else {
        Target::of_url(&next)?
    };
    Some((target, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn methods_change_as_in_requests() {
        let see_other = StatusCode::SEE_OTHER;
        assert_eq!(next_method(see_other, &Method::POST), Some(Method::GET));
        assert_eq!(next_method(see_other, &Method::HEAD), None);
        assert_eq!(
            next_method(StatusCode::FOUND, &Method::PUT),
            Some(Method::GET)
        );
        assert_eq!(
            next_method(StatusCode::MOVED_PERMANENTLY, &Method::POST),
            Some(Method::GET)
        );
        assert_eq!(
            next_method(StatusCode::MOVED_PERMANENTLY, &Method::PUT),
            None
        );
        assert_eq!(
            next_method(StatusCode::TEMPORARY_REDIRECT, &Method::POST),
            None
        );
        assert_eq!(
            next_method(StatusCode::PERMANENT_REDIRECT, &Method::POST),
            None
        );
    }

    #[test]
    fn bodies_and_credentials_are_dropped_as_in_requests() {
        let target = Target::parse("http://h.local/").expect("target");
        let mut chain = Chain::new(&target, "/a", &Method::PUT);
        chain
            .follow(StatusCode::PERMANENT_REDIRECT, "/b")
            .expect("307/308 keep");
        assert!(!chain.drop_body && !chain.drop_auth);
        chain
            .follow(StatusCode::MOVED_PERMANENTLY, "/c")
            .expect("301");
        assert_eq!(chain.method, Method::PUT, "a PUT stays a PUT on 301");
        assert!(chain.drop_body, "but its body is gone");
        chain
            .follow(StatusCode::FOUND, "https://h.local/d")
            .expect("to https");
        assert!(!chain.drop_auth, "http:80 -> https:443 keeps credentials");
        chain
            .follow(StatusCode::FOUND, "https://other.local/e")
            .expect("other host");
        assert!(chain.drop_auth);
        chain
            .follow(StatusCode::FOUND, "https://h.local/f")
            .expect("back");
        assert!(chain.drop_auth, "once dropped, for the rest of the chain");
        let origin = |scheme, port| Origin {
            scheme,
            host: "h".into(),
            port,
        };
        assert!(should_strip_auth(
            &origin(Scheme::Http, 80),
            &origin(Scheme::Http, 8080)
        ));
        assert!(should_strip_auth(
            &origin(Scheme::Https, 443),
            &origin(Scheme::Http, 80)
        ));
        assert!(!should_strip_auth(
            &origin(Scheme::Https, 8443),
            &origin(Scheme::Https, 8443)
        ));
    }

    #[test]
    fn locations_resolve_against_the_answering_url() {
        let target = Target::parse("http://127.0.0.1:8089/api").expect("target");
        let (same, path) = resolve(&target, "/api/a/b?x=1", "c?y=2").expect("relative");
        assert_eq!(path, "/api/a/c?y=2");
        assert_eq!(same.origin(), target.origin());
        let (_, path) = resolve(&target, "/api/a/b", "/root").expect("absolute path");
        assert_eq!(path, "/root");
        let (other, path) =
            resolve(&target, "/a", "https://[::1]:9443/login?next=%2F").expect("absolute");
        assert_eq!(other.origin().to_string(), "https://[::1]:9443");
        assert_eq!(other.host_header(), "[::1]:9443");
        assert_eq!(path, "/login?next=%2F");
        assert!(resolve(&target, "/a", "ftp://x/y").is_none());
    }
}

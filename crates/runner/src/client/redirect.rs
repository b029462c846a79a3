//! Following redirects as requests does: 301/302/303 become GET without a body (except HEAD),
//! 307/308 keep the method and body; `Location` relative or absolute; at most 30 hops.

use http::{Method, StatusCode};

use super::target::Target;

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
        && next
            .host_str()
            .map(|h| h.trim_start_matches('[').trim_end_matches(']'))
            == Some(current.origin().host.as_str());
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

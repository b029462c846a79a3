//! Redirects: `/redirect/{n}` answers a chain of n redirects (any method) ending in a JSON echo
//! of the method and body length the last request carried; `/redirect-loop` never ends.

use http::{header, HeaderValue, StatusCode};
use serde_json::json;

use super::answer::Answer;
use super::handler::{DemoState, Incoming};
use super::routes::Route;

/// The answer of a redirect route, or `None` for other routes.
pub(crate) fn answer(state: &DemoState, request: &Incoming<'_>) -> Option<Answer> {
    match request.route {
        Route::Redirect(_) => Some(chain(state, request)),
        Route::RedirectLoop => Some(redirect(
            StatusCode::FOUND,
            HeaderValue::from_static("/redirect-loop"),
        )),
        _ => None,
    }
}

/// `/redirect/{n}?status=S&absolute=1`: a redirect to `/redirect/{n-1}` with the same query,
/// or at n = 0 `{"method": "...", "body_bytes": N}`.
fn chain(state: &DemoState, request: &Incoming<'_>) -> Answer {
    let bad = |detail: &str| Answer::detail(StatusCode::BAD_REQUEST, detail);
    let Ok(left) = request
        .path()
        .trim_start_matches("/redirect/")
        .parse::<u64>()
    else {
        return Answer::detail(StatusCode::NOT_FOUND, "expected /redirect/{n}, n >= 0");
    };
    let Some(options) = Options::parse(request.query()) else {
        return bad("status must be 301, 302, 303, 307 or 308; absolute 0 or 1");
    };
    if left == 0 {
        return Answer::json(
            StatusCode::OK,
            json!({"method": request.parts.method.as_str(), "body_bytes": request.body.len()}),
        );
    }
    let mut location = format!("/redirect/{}", left - 1);
    if let Some(query) = request.parts.uri.query() {
        location = format!("{location}?{query}");
    }
    if options.absolute {
        let scheme = if state.config.tls { "https" } else { "http" };
        location = format!("{scheme}://{}{location}", authority(request));
    }
    match HeaderValue::from_str(&location) {
        Ok(location) => redirect(options.status, location),
        Err(_) => bad("the query cannot go into a Location header"),
    }
}

/// The host (and port) the client addressed: the URI's authority (HTTP/2) or `Host`.
fn authority(request: &Incoming<'_>) -> String {
    match request.parts.uri.authority() {
        Some(authority) => authority.to_string(),
        None => request
            .header(header::HOST)
            .unwrap_or("localhost")
            .to_owned(),
    }
}

fn redirect(status: StatusCode, location: HeaderValue) -> Answer {
    let target = location.to_str().unwrap_or("").to_owned();
    Answer::json(status, json!({ "redirect": target })).with_header(header::LOCATION, location)
}

/// What the query of `/redirect/{n}` asks for.
#[derive(Debug, PartialEq, Eq)]
struct Options {
    status: StatusCode,
    absolute: bool,
}

impl Options {
    /// `status` (301, 302, 303, 307, 308; default 302) and `absolute` (0 or 1); `None` for
    /// anything else.
    fn parse(query: &str) -> Option<Options> {
        let mut options = Options {
            status: StatusCode::FOUND,
            absolute: false,
        };
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            match key {
                "status" => {
                    let code = value.parse::<u16>().ok()?;
                    if !matches!(code, 301 | 302 | 303 | 307 | 308) {
                        return None;
                    }
                    options.status = StatusCode::from_u16(code).ok()?;
                }
                "absolute" => {
                    options.absolute = match value {
                        "1" | "true" => true,
                        "0" | "false" => false,
                        _ => return None,
                    }
                }
                _ => {}
            }
        }
        Some(options)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn options_read_status_and_absolute() {
        assert_eq!(
            Options::parse(""),
            Some(Options {
                status: StatusCode::FOUND,
                absolute: false
            })
        );
        assert_eq!(
            Options::parse("status=307&absolute=1"),
            Some(Options {
                status: StatusCode::TEMPORARY_REDIRECT,
                absolute: true
            })
        );
        assert_eq!(Options::parse("status=200"), None);
        assert_eq!(Options::parse("absolute=yes"), None);
    }
}

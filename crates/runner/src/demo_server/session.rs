//! Cookies and headers: `POST /login` hands out a `session` cookie that `GET /cart` asks for,
//! `GET /cookies/set?name=value` sets cookies, `GET /cookies` and `GET /headers` echo what the
//! request carried (to check what a client sends).

use std::collections::{BTreeMap, HashSet, VecDeque};
use std::sync::Mutex;

use http::{header, HeaderValue, StatusCode};
use serde_json::json;

use super::answer::Answer;
use super::handler::{DemoState, Incoming};
use super::routes::Route;

/// The name of the login cookie.
pub const SESSION_COOKIE: &str = "session";
/// Sessions remembered at most; the oldest are forgotten first.
pub const MAX_SESSIONS: usize = 100_000;

/// The session tokens handed out, oldest first.
#[derive(Debug, Default)]
pub struct Sessions {
    inner: Mutex<SessionSet>,
}

#[derive(Debug, Default)]
struct SessionSet {
    known: HashSet<String>,
    order: VecDeque<String>,
}

impl Sessions {
    /// A new random token, remembered.
    pub fn open(&self) -> String {
        let token = format!("{:032x}", rand::random::<u128>());
        let mut set = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        if set.order.len() >= MAX_SESSIONS {
            if let Some(oldest) = set.order.pop_front() {
                set.known.remove(&oldest);
            }
        }
        set.known.insert(token.clone());
        set.order.push_back(token.clone());
        token
    }

    /// Whether `token` was handed out (and not forgotten).
    pub fn is_valid(&self, token: &str) -> bool {
        let set = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        set.known.contains(token)
    }
}

/// The answer of a route of this module, or `None` for routes handled elsewhere.
pub(crate) fn answer(state: &DemoState, request: &Incoming<'_>) -> Option<Answer> {
    Some(match request.route {
        Route::SessionLogin => {
            let answer = Answer::json(StatusCode::OK, json!({"logged_in": true}));
            match session_cookie(state) {
                Some(cookie) => answer.with_header(header::SET_COOKIE, cookie),
                None => Answer::detail(StatusCode::INTERNAL_SERVER_ERROR, "bad token"),
            }
        }
        Route::ViewCart => cart(state, request),
        Route::ShopIndex => shop_index(state, request),
        Route::Cookies => Answer::json(StatusCode::OK, json!(received_cookies(request))),
        Route::SetCookies => set_cookies(request),
        Route::Headers => Answer::json(StatusCode::OK, json!(received_headers(request))),
        _ => return None,
    })
}

/// A `Set-Cookie` for a new session.
fn session_cookie(state: &DemoState) -> Option<HeaderValue> {
    let token = state.sessions.open();
    HeaderValue::from_str(&format!("{SESSION_COOKIE}={token}; Path=/; HttpOnly")).ok()
}

/// `GET /`: the shop's products; like Online Boutique's frontend, a visitor without a valid
/// session gets one (`Set-Cookie: session=…`).
fn shop_index(state: &DemoState, request: &Incoming<'_>) -> Answer {
    let answer = Answer::json(
        StatusCode::OK,
        json!({"products": super::more_routes::PRODUCTS}),
    );
    match received_cookies(request).get(SESSION_COOKIE) {
        Some(token) if state.sessions.is_valid(token) => answer,
        _ => match session_cookie(state) {
            Some(cookie) => answer.with_header(header::SET_COOKIE, cookie),
            None => Answer::detail(StatusCode::INTERNAL_SERVER_ERROR, "bad token"),
        },
    }
}

/// `GET /cart`: the cart of the session in the `session` cookie (from `POST /login` or `GET /`);
/// 401 without a valid one.
fn cart(state: &DemoState, request: &Incoming<'_>) -> Answer {
    let refused = || {
        Answer::detail(
            StatusCode::UNAUTHORIZED,
            "no session: POST /login or GET / first",
        )
    };
    match received_cookies(request).get(SESSION_COOKIE) {
        Some(token) if state.sessions.is_valid(token) => Answer::json(
            StatusCode::OK,
            json!({"items": [
                {"product_id": "OLJCESPC7Z", "quantity": 1},
                {"product_id": "66VCHSJNUP", "quantity": 2}
            ]}),
        ),
        _ => refused(),
    }
}

/// `GET /cookies/set?a=1&b=2`: `Set-Cookie: a=1; Path=/` per pair; answers the cookies received.
fn set_cookies(request: &Incoming<'_>) -> Answer {
    let mut answer = Answer::json(StatusCode::OK, json!(received_cookies(request)));
    for pair in request.query().split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let cookie = HeaderValue::from_str(&format!("{name}={value}; Path=/"));
        match cookie {
            Ok(cookie) if is_token(name) && value.bytes().all(is_cookie_octet) => {
                answer = answer.with_header(header::SET_COOKIE, cookie);
            }
            _ => {
                return Answer::detail(
                    StatusCode::BAD_REQUEST,
                    "expected ?name=value with a token name and a cookie-safe value",
                )
            }
        }
    }
    answer
}

/// The cookies of every `Cookie` header (HTTP/2 may split them), the last value of a name wins.
fn received_cookies(request: &Incoming<'_>) -> BTreeMap<String, String> {
    let mut cookies = BTreeMap::new();
    for value in request.parts.headers.get_all(header::COOKIE) {
        let Ok(value) = value.to_str() else { continue };
        for pair in value.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            cookies.insert(name.trim().to_owned(), value.trim().to_owned());
        }
    }
    cookies
}

/// The request headers by lower-case name; repeated headers joined by `, ` (`; ` for cookies).
fn received_headers(request: &Incoming<'_>) -> BTreeMap<String, String> {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in &request.parts.headers {
        let value = String::from_utf8_lossy(value.as_bytes());
        let separator = if name == header::COOKIE { "; " } else { ", " };
        headers
            .entry(name.as_str().to_owned())
            .and_modify(|joined| {
                joined.push_str(separator);
                joined.push_str(&value);
            })
            .or_insert_with(|| value.into_owned());
    }
    headers
}

/// Whether `name` is an HTTP token (a valid cookie name).
fn is_token(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
}

/// Whether `byte` may appear in a cookie value (RFC 6265 cookie-octet).
fn is_cookie_octet(byte: u8) -> bool {
    matches!(byte, 0x21 | 0x23..=0x2B | 0x2D..=0x3A | 0x3C..=0x5B | 0x5D..=0x7E)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_are_remembered_and_bounded_names_checked() {
        let sessions = Sessions::default();
        let token = sessions.open();
        assert_eq!(token.len(), 32);
        assert!(sessions.is_valid(&token));
        assert!(!sessions.is_valid("forged"));
        assert!(is_token("theme") && !is_token("a b") && !is_token(""));
        assert!(is_cookie_octet(b'x') && !is_cookie_octet(b';') && !is_cookie_octet(b' '));
    }
}

//! Routes beyond items and events, so that every example scenario runs against the demo server:
//! an insurance API behind a login token, an online shop, per-service health and bulk items.

use http::StatusCode;
use serde_json::json;

use super::answer::Answer;
use super::handler::DemoState;
use super::items::ItemFields;
use super::routes::Route;

/// The shop's products (the nine of Google's Online Boutique demo).
pub const PRODUCTS: [&str; 9] = [
    "0PUK6V6EV0",
    "1YMWWN1N4O",
    "2ZYFJ3GM2N",
    "66VCHSJNUP",
    "6E92ZMYYFZ",
    "9SIQT8TOJO",
    "L9ECAV7KIM",
    "LS4PSXUNUM",
    "OLJCESPC7Z",
];

/// Prefix of the tokens `/auth/login` hands out.
pub const TOKEN_PREFIX: &str = "demo-jwt.";

/// The answer of a route of this module, or `None` for routes handled elsewhere.
pub fn answer(
    state: &DemoState,
    route: Route,
    path: &str,
    token: Option<&str>,
    body: &[u8],
) -> Option<Answer> {
    if route.needs_token() && !token.is_some_and(|t| t.starts_with(TOKEN_PREFIX)) {
        return Some(Answer::detail(
            StatusCode::UNAUTHORIZED,
            "missing or invalid bearer token",
        ));
    }
    let ok = |value: serde_json::Value| Answer::json(StatusCode::OK, value);
    let created = |value: serde_json::Value| Answer::json(StatusCode::CREATED, value);
    let serial = || rand::random_range(100_000u64..999_999);
    Some(match route {
        Route::ServiceHealth => {
            let service = path
                .trim_start_matches("/services/")
                .trim_end_matches("/health");
            ok(json!({"service": service, "status": "ok"}))
        }
        Route::BulkItems => {
            #[derive(serde::Deserialize)]
            struct Bulk {
                items: Vec<ItemFields>,
            }
            match serde_json::from_slice::<Bulk>(body) {
                Ok(bulk) => {
                    let ids: Vec<u64> = bulk
                        .items
                        .into_iter()
                        .map(|f| state.items.create(f).id)
                        .collect();
                    created(json!({"created": ids.len(), "ids": ids}))
                }
                Err(_) => Answer::detail(StatusCode::BAD_REQUEST, "expected {\"items\": [...]}"),
            }
        }
        Route::Register => created(json!({"user_id": serial()})),
        Route::Login => {
            ok(json!({"token": format!("{TOKEN_PREFIX}{}", serial()), "expires_in": 3600}))
        }
        Route::ListPolicies => {
            ok(json!({"policies": [{"id": 1, "type": "auto"}, {"id": 2, "type": "home"}]}))
        }
        Route::CreatePolicy => created(json!({"id": serial(), "status": "active"})),
        Route::ListClaims => ok(json!({"claims": [{"id": 7, "status": "open"}]})),
        Route::CreateClaim => created(json!({"id": serial(), "status": "submitted"})),
        Route::Quote => ok(json!({"quote_id": serial(), "premium": 42.5})),
        Route::SetCurrency => ok(json!({"currency": "set"})),
        Route::Product => {
            let id = path.trim_start_matches("/product/");
            if PRODUCTS.contains(&id) {
                ok(json!({"id": id, "price": 19.99}))
            } else {
                Answer::detail(StatusCode::NOT_FOUND, "no such product")
            }
        }
        Route::AddToCart => ok(json!({"cart": "updated"})),
        Route::Checkout => ok(json!({"order_id": serial(), "status": "placed"})),
        _ => return None,
    })
}

//! The demo server's routes, named by their pattern as `/__counters` reports them.

use http::Method;

/// One route of the demo API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Route {
    /// `GET /items`: a page of items.
    ListItems,
    /// `GET /item/{id}`.
    GetItem(u64),
    /// `POST /items`: create an item from a JSON body.
    CreateItem,
    /// `PUT /item/{id}`: update an item.
    UpdateItem(u64),
    /// `DELETE /item/{id}`.
    DeleteItem(u64),
    /// `POST /api/v1/event`: one business event.
    PostEvent,
    /// `POST /api/v1/event/batch`: `{"events": [...]}`.
    PostEventBatch,
    /// `GET /health`: answered at once, holds no slot.
    Health,
    /// `GET /services/{name}/health`: one service's health, answered at once.
    ServiceHealth,
    /// `POST /items/bulk`: create many items (`{"items": [...]}`).
    BulkItems,
    /// `POST /auth/register`.
    Register,
    /// `POST /auth/login`: answers `{"token": ...}` for `Authorization: Bearer`.
    Login,
    /// `GET /policies` (needs a token).
    ListPolicies,
    /// `POST /policies` (needs a token).
    CreatePolicy,
    /// `GET /claims` (needs a token).
    ListClaims,
    /// `POST /claims` (needs a token).
    CreateClaim,
    /// `POST /quotes` (needs a token).
    Quote,
    /// `GET /`: the shop's home page.
    ShopIndex,
    /// `POST /setCurrency`.
    SetCurrency,
    /// `GET /product/{id}`.
    Product,
    /// `POST /cart`: add to cart.
    AddToCart,
    /// `GET /cart`.
    ViewCart,
    /// `POST /cart/checkout`.
    Checkout,
    /// `GET /compressed/{gzip|deflate|br|corrupt}`: a body compressed that way (or broken gzip).
    Compressed,
    /// `ANY /redirect/{n}`: a redirect chain; the pattern names the method.
    Redirect(&'static str),
    /// `GET /redirect-loop`: redirects to itself.
    RedirectLoop,
    /// `POST /login`: sets a `session` cookie.
    SessionLogin,
    /// `GET /cookies`: echoes the cookies received.
    Cookies,
    /// `GET /cookies/set?name=value`: sets cookies, echoes the ones received.
    SetCookies,
    /// `GET /headers`: echoes the request headers.
    Headers,
    /// `GET /__counters`: what the server received; not counted itself.
    Counters,
    /// Anything else (404, holds no slot).
    Unknown,
}

impl Route {
    /// Matches a request's method and path (query excluded).
    pub fn resolve(method: &Method, path: &str) -> Route {
        let item_id = |rest: &str| rest.parse::<u64>().ok();
        match (method, path) {
            (&Method::GET, "/items") => Route::ListItems,
            (&Method::POST, "/items") => Route::CreateItem,
            (&Method::POST, "/api/v1/event") => Route::PostEvent,
            (&Method::POST, "/api/v1/event/batch") => Route::PostEventBatch,
            (&Method::GET, "/health") => Route::Health,
            (&Method::POST, "/items/bulk") => Route::BulkItems,
            (&Method::POST, "/auth/register") => Route::Register,
            (&Method::POST, "/auth/login") => Route::Login,
            (&Method::GET, "/policies") => Route::ListPolicies,
            (&Method::POST, "/policies") => Route::CreatePolicy,
            (&Method::GET, "/claims") => Route::ListClaims,
            (&Method::POST, "/claims") => Route::CreateClaim,
            (&Method::POST, "/quotes") => Route::Quote,
            (&Method::GET, "/") => Route::ShopIndex,
            (&Method::POST, "/setCurrency") => Route::SetCurrency,
            (&Method::POST, "/cart") => Route::AddToCart,
            (&Method::GET, "/cart") => Route::ViewCart,
            (&Method::POST, "/cart/checkout") => Route::Checkout,
            (&Method::GET, path) if path.starts_with("/product/") => Route::Product,
            (&Method::GET, path) if path.starts_with("/services/") && path.ends_with("/health") => {
                Route::ServiceHealth
            }
            (&Method::GET, "/__counters") => Route::Counters,
            (&Method::GET, path) if path.starts_with("/compressed/") => Route::Compressed,
            (&Method::GET, "/redirect-loop") => Route::RedirectLoop,
            (&Method::POST, "/login") => Route::SessionLogin,
            (&Method::GET, "/cookies") => Route::Cookies,
            (&Method::GET, "/cookies/set") => Route::SetCookies,
            (&Method::GET, "/headers") => Route::Headers,
            (method, path) if path.starts_with("/redirect/") => {
                Route::Redirect(redirect_pattern(method))
            }
            (method, path) => match path.strip_prefix("/item/").and_then(item_id) {
                Some(id) if method == Method::GET => Route::GetItem(id),
                Some(id) if method == Method::PUT => Route::UpdateItem(id),
                Some(id) if method == Method::DELETE => Route::DeleteItem(id),
                _ => Route::Unknown,
            },
        }
    }

    /// The route's pattern, e.g. `GET /item/{id}`; `None` for routes that are not counted.
    pub fn pattern(&self) -> Option<&'static str> {
        Some(match self {
            Route::ListItems => "GET /items",
            Route::GetItem(_) => "GET /item/{id}",
            Route::CreateItem => "POST /items",
            Route::UpdateItem(_) => "PUT /item/{id}",
            Route::DeleteItem(_) => "DELETE /item/{id}",
            Route::PostEvent => "POST /api/v1/event",
            Route::PostEventBatch => "POST /api/v1/event/batch",
            Route::Health => "GET /health",
            Route::ServiceHealth => "GET /services/{name}/health",
            Route::BulkItems => "POST /items/bulk",
            Route::Register => "POST /auth/register",
            Route::Login => "POST /auth/login",
            Route::ListPolicies => "GET /policies",
            Route::CreatePolicy => "POST /policies",
            Route::ListClaims => "GET /claims",
            Route::CreateClaim => "POST /claims",
            Route::Quote => "POST /quotes",
            Route::ShopIndex => "GET /",
            Route::SetCurrency => "POST /setCurrency",
            Route::Product => "GET /product/{id}",
            Route::AddToCart => "POST /cart",
            Route::ViewCart => "GET /cart",
            Route::Checkout => "POST /cart/checkout",
            Route::Compressed => "GET /compressed/{encoding}",
            Route::Redirect(pattern) => pattern,
            Route::RedirectLoop => "GET /redirect-loop",
            Route::SessionLogin => "POST /login",
            Route::Cookies => "GET /cookies",
            Route::SetCookies => "GET /cookies/set",
            Route::Headers => "GET /headers",
            Route::Unknown => "unknown route",
            Route::Counters => return None,
        })
    }

    /// One route of each counted pattern (ids are placeholders), in the README's order: what
    /// `--slow` may name.
    pub fn counted() -> Vec<Route> {
        let mut routes = vec![
            Route::ListItems,
            Route::GetItem(1),
            Route::CreateItem,
            Route::UpdateItem(1),
            Route::DeleteItem(1),
            Route::PostEvent,
            Route::PostEventBatch,
            Route::Health,
            Route::ServiceHealth,
            Route::BulkItems,
            Route::Register,
            Route::Login,
            Route::ListPolicies,
            Route::CreatePolicy,
            Route::ListClaims,
            Route::CreateClaim,
            Route::Quote,
            Route::ShopIndex,
            Route::SetCurrency,
            Route::Product,
            Route::AddToCart,
            Route::ViewCart,
            Route::Checkout,
            Route::Compressed,
            Route::RedirectLoop,
            Route::SessionLogin,
            Route::Cookies,
            Route::SetCookies,
            Route::Headers,
        ];
        routes.extend(
            [
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::DELETE,
                Method::PATCH,
                Method::HEAD,
                Method::OPTIONS,
            ]
            .iter()
            .map(|method| Route::Redirect(redirect_pattern(method))),
        );
        routes
    }

    /// Whether the route does work: holds a capacity slot for the service time and is subject to
    /// the fault switches.
    pub fn holds_a_slot(&self) -> bool {
        !matches!(
            self,
            Route::Health
                | Route::ServiceHealth
                | Route::Counters
                | Route::Unknown
                | Route::Compressed
                | Route::Redirect(_)
                | Route::RedirectLoop
                | Route::SessionLogin
                | Route::Cookies
                | Route::SetCookies
                | Route::Headers
        )
    }

    /// Whether the route needs `Authorization: Bearer <token from /auth/login>`.
    pub fn needs_token(&self) -> bool {
        matches!(
            self,
            Route::ListPolicies
                | Route::CreatePolicy
                | Route::ListClaims
                | Route::CreateClaim
                | Route::Quote
        )
    }
}

/// The counted pattern of `/redirect/{n}` for `method`.
fn redirect_pattern(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET /redirect/{n}",
        Method::POST => "POST /redirect/{n}",
        Method::PUT => "PUT /redirect/{n}",
        Method::DELETE => "DELETE /redirect/{n}",
        Method::PATCH => "PATCH /redirect/{n}",
        Method::HEAD => "HEAD /redirect/{n}",
        Method::OPTIONS => "OPTIONS /redirect/{n}",
        _ => "OTHER /redirect/{n}",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_patterns_and_ids() {
        assert_eq!(Route::resolve(&Method::GET, "/item/42"), Route::GetItem(42));
        assert_eq!(
            Route::resolve(&Method::DELETE, "/item/7"),
            Route::DeleteItem(7)
        );
        assert_eq!(Route::resolve(&Method::GET, "/item/x"), Route::Unknown);
        assert_eq!(Route::resolve(&Method::PATCH, "/item/1"), Route::Unknown);
        assert_eq!(
            Route::resolve(&Method::PUT, "/item/3").pattern(),
            Some("PUT /item/{id}")
        );
        assert_eq!(Route::resolve(&Method::GET, "/__counters").pattern(), None);
    }

    #[test]
    fn counted_lists_the_pattern_of_every_route_a_request_reaches() {
        let patterns: Vec<&str> = Route::counted().iter().filter_map(Route::pattern).collect();
        for (method, path) in [
            (Method::GET, "/items"),
            (Method::GET, "/item/9"),
            (Method::DELETE, "/item/9"),
            (Method::POST, "/api/v1/event/batch"),
            (Method::GET, "/services/cart/health"),
            (Method::GET, "/product/OLJCESPC7Z"),
            (Method::POST, "/cart/checkout"),
            (Method::GET, "/compressed/br"),
            (Method::PATCH, "/redirect/2"),
            (Method::GET, "/headers"),
        ] {
            let pattern = Route::resolve(&method, path).pattern().unwrap_or_default();
            assert!(patterns.contains(&pattern), "{method} {path}: {pattern}");
        }
        assert!(!patterns.contains(&"unknown route"));
    }

    #[test]
    fn new_routes_are_counted_but_hold_no_slot() {
        let redirect = Route::resolve(&Method::POST, "/redirect/3");
        assert_eq!(redirect.pattern(), Some("POST /redirect/{n}"));
        assert!(!redirect.holds_a_slot());
        let compressed = Route::resolve(&Method::GET, "/compressed/br");
        assert_eq!(compressed.pattern(), Some("GET /compressed/{encoding}"));
        assert!(!compressed.holds_a_slot());
        assert_eq!(Route::resolve(&Method::POST, "/login"), Route::SessionLogin);
        assert_eq!(Route::resolve(&Method::GET, "/cart"), Route::ViewCart);
        assert!(Route::ViewCart.holds_a_slot());
        assert_eq!(Route::resolve(&Method::POST, "/headers"), Route::Unknown);
    }
}

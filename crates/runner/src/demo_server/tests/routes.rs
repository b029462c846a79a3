//! Redirect chains, the login/cart cookie flow, cookie and header echoes.

use http::{Method, StatusCode};
use serde_json::json;

use super::*;

#[tokio::test]
async fn redirect_chains_keep_their_status_and_end_in_an_echo() {
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    let first = client.get("/redirect/3", &[]).await;
    assert_eq!(first.status(), StatusCode::FOUND);
    assert_eq!(header_of(&first, "location"), "/redirect/2");
    for status in [301u16, 302, 303, 307, 308] {
        let path = format!("/redirect/2?status={status}");
        let response = client.send(Method::PUT, &path, &[], b"abc").await;
        assert_eq!(response.status().as_u16(), status);
        assert_eq!(
            header_of(&response, "location"),
            format!("/redirect/1?status={status}")
        );
    }
    let end = client
        .send(Method::POST, "/redirect/0?status=307", &[], b"hello")
        .await;
    assert_eq!(end.status(), StatusCode::OK);
    assert_eq!(json_of(&end), json!({"method": "POST", "body_bytes": 5}));
    let absolute = client.get("/redirect/1?absolute=1", &[]).await;
    assert_eq!(
        header_of(&absolute, "location"),
        format!("{}/redirect/0?absolute=1", server.url())
    );
    let named = client
        .get("/redirect/1?absolute=1", &[("host", "localhost:1234")])
        .await;
    assert_eq!(
        header_of(&named, "location"),
        "http://localhost:1234/redirect/0?absolute=1"
    );
    let looping = client.get("/redirect-loop", &[]).await;
    assert_eq!(looping.status(), StatusCode::FOUND);
    assert_eq!(header_of(&looping, "location"), "/redirect-loop");
    let bad = client.get("/redirect/1?status=200", &[]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let counters = server.counters();
    assert_eq!(counters.routes["GET /redirect/{n}"].count, 4);
    assert_eq!(counters.routes["PUT /redirect/{n}"].count, 5);
    assert_eq!(counters.routes["POST /redirect/{n}"].count, 1);
    assert_eq!(counters.routes["GET /redirect-loop"].count, 1);
    assert_eq!(counters.total, 11);
}

#[tokio::test]
async fn https_absolute_redirects_say_https() {
    let server = start(|c| c.tls = true);
    let pem = server.certificate_pem().unwrap().as_bytes().to_vec();
    let (stream, _) = connect_tls(&server, client_config(&pem, &[]), "localhost")
        .await
        .unwrap();
    let mut client = Client::open(stream, false, &server.url()).await;
    let response = client.get("/redirect/2?absolute=1&status=303", &[]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        header_of(&response, "location"),
        format!("{}/redirect/1?absolute=1&status=303", server.url())
    );
}

#[tokio::test]
async fn login_sets_the_session_cookie_the_cart_asks_for() {
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    let login = client.send(Method::POST, "/login", &[], b"user=a").await;
    assert_eq!(login.status(), StatusCode::OK);
    let set_cookie = header_of(&login, "set-cookie");
    assert!(set_cookie.ends_with("; Path=/; HttpOnly"), "{set_cookie}");
    let session = set_cookie.split(';').next().unwrap().to_owned();
    assert!(session.starts_with("session=") && session.len() > 20);
    let cart = client.get("/cart", &[("cookie", &session)]).await;
    assert_eq!(cart.status(), StatusCode::OK);
    assert!(!json_of(&cart)["items"].as_array().unwrap().is_empty());
    let forged = client.get("/cart", &[("cookie", "session=forged")]).await;
    assert_eq!(forged.status(), StatusCode::UNAUTHORIZED);
    // Without a cookie: 401; the shop's index hands out a session, as Online Boutique's does.
    assert_eq!(
        client.get("/cart", &[]).await.status(),
        StatusCode::UNAUTHORIZED
    );
    let index = client.get("/", &[]).await;
    let visitor = header_of(&index, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        client.get("/cart", &[("cookie", &visitor)]).await.status(),
        StatusCode::OK
    );
    let again = client.get("/", &[("cookie", &visitor)]).await;
    assert!(
        again.headers().get("set-cookie").is_none(),
        "a valid session is kept"
    );
    let login = client.send(Method::POST, "/login", &[], b"").await;
    let session = header_of(&login, "set-cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let cookies = format!("theme=dark; {session}");
    let cart = client.get("/cart", &[("cookie", &cookies)]).await;
    assert_eq!(cart.status(), StatusCode::OK);
    let counters = server.counters();
    // The forged cookie and the missing one.
    assert_eq!(counters.routes["GET /cart"].status["401"], 2);
    assert_eq!(counters.routes["GET /cart"].status["200"], 3);
    assert_eq!(counters.routes["POST /login"].count, 2);
}

#[tokio::test]
async fn cookies_are_set_and_echoed_and_headers_echoed() {
    let server = start(|_| {});
    let mut client = Client::plain(&server, false).await;
    let set = client
        .get("/cookies/set?theme=dark&lang=en", &[("cookie", "a=1")])
        .await;
    assert_eq!(set.status(), StatusCode::OK);
    let set_cookies: Vec<&str> = set
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert_eq!(set_cookies, ["theme=dark; Path=/", "lang=en; Path=/"]);
    assert_eq!(json_of(&set), json!({"a": "1"}));
    let bad = client.get("/cookies/set?=x", &[]).await;
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let echoed = client
        .get("/cookies", &[("cookie", "theme=dark; lang=en")])
        .await;
    assert_eq!(json_of(&echoed), json!({"theme": "dark", "lang": "en"}));
    let headers = client
        .get("/headers", &[("X-Custom", "yes"), ("accept", "*/*")])
        .await;
    let headers = json_of(&headers);
    assert_eq!(headers["x-custom"], "yes");
    assert_eq!(headers["accept"], "*/*");
    assert_eq!(headers["host"], server.url().trim_start_matches("http://"));
    assert!(headers.get("user-agent").is_none());
    assert_eq!(server.counters().total, 4);
}

//! Browsers and API clients share the routes but not the answers: a client that asks for HTML
//! (`Accept: text/html`, as every browser does for a page) gets pages, anything else keeps JSON.
//!
//! - `/` is the landing page for browsers, a JSON index for API clients.
//! - A page that needs a session sends a browser to `/signin?next=<the page>`, which returns to
//!   it after signing in; API clients keep their `401` JSON.
//! - Not found and not allowed are HTML pages for browsers.
//!
//! Every response also gets the security headers here: `nosniff`, a referrer policy, no
//! framing, and a strict Content-Security-Policy on HTML (scripts only from this server, no
//! inline script, no `eval`).

use super::assets;
use axum::extract::Request;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

/// The policy of every HTML page: scripts and connections only to this server; inline styles
/// are allowed (GraphiQL and CodeMirror set some); images may be `data:` or HTTPS (a payment
/// gateway's QR code); nothing may frame the pages.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; font-src 'self' data:; \
     connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Whether the client asked for an HTML page.
pub fn wants_html(headers: &HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            accept.split(',').any(|item| {
                item.split(';')
                    .next()
                    .is_some_and(|t| t.trim().eq_ignore_ascii_case("text/html"))
            })
        })
}

/// `GET /`: the landing page, or a small JSON index of the API for other clients.
pub async fn home(headers: HeaderMap) -> Response {
    if wants_html(&headers) {
        return page("index.html", &headers, StatusCode::OK);
    }
    (
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"service":"hpc-billing","graphql":"/graphql","subscriptions":"/graphql/ws","health":"/healthz","ready":"/readyz","metrics":"/metrics"}"#,
    )
        .into_response()
}

/// `GET /signin`.
pub async fn sign_in(headers: HeaderMap) -> Response {
    page("signin.html", &headers, StatusCode::OK)
}

fn page(path: &str, headers: &HeaderMap, status: StatusCode) -> Response {
    match assets::file(path, headers, status) {
        Some(response) => response,
        None => {
            tracing::error!(path, "page missing from the embedded ui/");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

/// Where to send a browser that needs a session: the sign-in page, returning to `target`.
fn sign_in_redirect(target: &str) -> Response {
    let mut next = String::with_capacity(target.len());
    for b in target.bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            next.push(char::from(b));
        } else {
            next.push_str(&format!("%{b:02X}"));
        }
    }
    Redirect::to(&format!("/signin?next={next}")).into_response()
}

/// Turns the JSON answers meant for scripts into pages when a browser asked for a page: `401`
/// becomes the sign-in page (returning here afterwards), `403` and `404` error pages.
pub async fn pages_for_browsers(req: Request, next: Next) -> Response {
    let for_browser = req.method() == Method::GET && wants_html(req.headers());
    let target = req
        .uri()
        .path_and_query()
        .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned());
    let headers = req.headers().clone();
    let response = next.run(req).await;
    if !for_browser || is_html(&response) {
        return response;
    }
    match response.status() {
        StatusCode::UNAUTHORIZED => sign_in_redirect(&target),
        StatusCode::FORBIDDEN => page("errors/403.html", &headers, StatusCode::FORBIDDEN),
        StatusCode::NOT_FOUND => page("errors/404.html", &headers, StatusCode::NOT_FOUND),
        _ => response,
    }
}

fn is_html(response: &Response) -> bool {
    response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/html"))
}

/// The security headers every response gets, as `tower-http` layers: `nosniff`, a referrer
/// policy and no framing everywhere, and the strict Content-Security-Policy on HTML (scripts
/// only from this server, no inline script, no `eval`) unless a page set its own.
pub fn security_headers<S>(router: axum::Router<S>) -> axum::Router<S>
where
    S: Clone + Send + Sync + 'static,
{
    use tower_http::set_header::SetResponseHeaderLayer;
    router
        .layer(SetResponseHeaderLayer::overriding(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::overriding(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            |response: &Response| is_html(response).then(|| HeaderValue::from_static(CONTENT_SECURITY_POLICY)),
        ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn browsers_are_told_apart_from_api_clients() {
        let accept = |v: &'static str| {
            let mut h = HeaderMap::new();
            h.insert(header::ACCEPT, HeaderValue::from_static(v));
            h
        };
        assert!(wants_html(&accept(
            "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
        )));
        assert!(!wants_html(&accept("*/*")));
        assert!(!wants_html(&accept("application/json")));
        assert!(!wants_html(&HeaderMap::new()));
    }

    #[test]
    fn the_return_address_stays_a_path_on_this_site() {
        let r = sign_in_redirect("/receipts/7?lang=th");
        let location = r.headers().get(header::LOCATION).and_then(|v| v.to_str().ok());
        assert_eq!(location, Some("/signin?next=/receipts/7%3Flang%3Dth"));
    }
}

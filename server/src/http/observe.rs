//! Middleware around every request: a request id (taken from a sane incoming `X-Request-Id` or
//! generated), a tracing span carrying it, the response header, and the HTTP metrics.

use crate::state::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use std::time::Instant;
use tracing::Instrument;

/// The id of the request being served, as an extension.
#[derive(Clone, Debug)]
pub struct RequestId(pub String);

/// Header carrying the request id in and out.
pub const REQUEST_ID_HEADER: &str = "x-request-id";

fn incoming_id(req: &Request) -> Option<String> {
    let v = req.headers().get(REQUEST_ID_HEADER)?.to_str().ok()?;
    let ok = !v.is_empty() && v.len() <= 64 && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    ok.then(|| v.to_owned())
}

/// The method as a metric label: the standard methods by name, anything else as `OTHER`, so a
/// client inventing methods cannot create new time series (every label value is one).
pub fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The middleware.
pub async fn observe(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let id = incoming_id(&req).unwrap_or_else(|| hex::encode(rand::random::<[u8; 8]>()));
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|m| m.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".into());
    let method = method_label(req.method()).to_owned();
    req.extensions_mut().insert(RequestId(id.clone()));
    let span = tracing::info_span!("request", request_id = %id, method = %method, route = %route);
    let started = Instant::now();
    let mut resp = next.run(req).instrument(span.clone()).await;
    let status = resp.status().as_u16();
    let elapsed = started.elapsed();
    state
        .metrics
        .requests
        .with_label_values(&[&method, &route, &status.to_string()])
        .inc();
    state
        .metrics
        .duration
        .with_label_values(&[&method, &route])
        .observe(elapsed.as_secs_f64());
    span.in_scope(|| tracing::debug!(status, elapsed_ms = elapsed.as_millis() as u64, "served"));
    if let Ok(v) = HeaderValue::from_str(&id) {
        resp.headers_mut().insert(REQUEST_ID_HEADER, v);
    }
    resp
}

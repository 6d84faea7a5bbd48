//! `GET /graphql/ws`: subscriptions over `graphql-transport-ws` (and the older
//! `graphql-ws` protocol). The caller authenticates in `connection_init` with
//! `{"authorization": "Bearer <token>"}` (or `{"token": "<token>"}`); a browser on the same
//! origin may rely on its session cookie instead.

use super::caller::{client_ip, cookie, request_meta};
use super::observe::RequestId;
use crate::state::AppState;
use async_graphql::Data;
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::ws::WebSocketUpgrade;
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use hpcb_schema::{Caller, ErrorCode, SessionCookies};
use std::net::SocketAddr;

/// Whether the upgrade request's `Origin` is this server (so its cookie may be trusted).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(o), Some(h)) => o.split_once("://").is_some_and(|(_, rest)| rest == h),
        _ => false,
    }
}

fn token_from_payload(payload: &serde_json::Value) -> Option<String> {
    let auth = payload
        .get("authorization")
        .or_else(|| payload.get("Authorization"))
        .and_then(|v| v.as_str());
    if let Some(a) = auth {
        let (scheme, token) = a.split_once(' ')?;
        return scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned());
    }
    payload.get("token").and_then(|v| v.as_str()).map(str::to_owned)
}

/// The upgrade handler.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    protocol: GraphQLProtocol,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let cookie_token = same_origin(&headers)
        .then(|| cookie(&headers, SessionCookies::SESSION).map(str::to_owned))
        .flatten();
    let meta = request_meta(client_ip(&state, peer, &headers), &headers, &rid);
    let schema = state.schema.clone();
    // Small buffers: an idle subscription should cost kilobytes, not the library's 128 KiB
    // defaults; messages are small GraphQL documents and results.
    ws.read_buffer_size(1024)
        .write_buffer_size(1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(256 * 1024)
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| {
            GraphQLWebSocket::new(socket, schema, protocol)
                .on_connection_init(move |payload| async move {
                    let (token, via_cookie) = match token_from_payload(&payload) {
                        Some(t) => (Some(t), false),
                        None => (cookie_token, true),
                    };
                    let principal = match token {
                        None => None,
                        Some(t) => {
                            // Subscriptions change nothing, so a cookie session needs no CSRF token.
                            let p = state
                                .services
                                .auth
                                .authenticate(&t, via_cookie, None)
                                .await
                                .map_err(|_| ErrorCode::Unauthenticated.error("invalid or expired token"))?;
                            Some(p)
                        }
                    };
                    let mut data = Data::default();
                    data.insert(Caller(principal));
                    data.insert(meta);
                    Ok(data)
                })
                .serve()
        })
}

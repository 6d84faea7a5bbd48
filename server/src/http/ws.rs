//! `GET /graphql/ws`: GraphQL over WebSocket, the `graphql-transport-ws` protocol, served here
//! rather than by the GraphQL library so that a socket is held to the same rules as HTTP:
//!
//! - The caller authenticates in `connection_init` (`{"authorization": "Bearer <token>"}`, or
//!   `{"token": …}`; a same-origin browser may rely on its session cookie and send its CSRF
//!   token as `{"csrf": …}` or `{"X-CSRF-Token": …}`), within `graphql.ws_init_timeout_secs`
//!   (else close 4408).
//! - Every operation is authorized against the session, role and account as they are when it
//!   starts; cookie mutations need the CSRF token as over HTTP; queries and mutations stop after
//!   `graphql.timeout_secs`.
//! - When the account's sessions or rights change (logout, password, role, disabling: an
//!   `AccountChanged` event, from any replica) or the session runs out, the socket re-checks
//!   itself and closes with 4401 (session ended) or 4403 (role changed): its subscriptions end.
//! - Bounds: sockets in all and per address, subscriptions per socket, per user and per
//!   address (over a bound: an `error` with `RATE_LIMITED`); a second operation with a live id
//!   closes with 4409; a ping every `graphql.ws_keepalive_secs`, and a socket silent for two of
//!   them is closed.

use super::caller::{client_ip, cookie, request_meta};
use super::graphql::operation_type;
use super::observe::RequestId;
use crate::state::AppState;
use async_graphql::parser::types::OperationType;
use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket, WebSocketUpgrade};
use axum::extract::{ConnectInfo, State};
use axum::http::{header, HeaderMap};
use axum::response::Response;
use axum::Extension;
use futures_util::{SinkExt as _, StreamExt as _};
use hpcb_core::auth::Principal;
use hpcb_core::context::RequestMeta;
use hpcb_core::events::Topic;
use hpcb_schema::{ensure_error_codes, Caller, ErrorCode, SessionCookies};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio::time::Instant;

/// The subprotocol served.
const PROTOCOL: &str = "graphql-transport-ws";

/// Close codes of `graphql-transport-ws` (and ours in its range).
mod close {
    pub const INVALID_MESSAGE: u16 = 4400;
    pub const SESSION_ENDED: u16 = 4401;
    pub const FORBIDDEN: u16 = 4403;
    pub const BAD_PROTOCOL: u16 = 4406;
    pub const INIT_TIMEOUT: u16 = 4408;
    pub const DUPLICATE_ID: u16 = 4409;
    pub const TOO_MANY_INITS: u16 = 4429;
}

/// Counters of open sockets and subscriptions, per address and per user, shared by all sockets.
#[derive(Default)]
pub struct WsCounts {
    sockets_per_address: Mutex<HashMap<IpAddr, usize>>,
    subs_per_address: Mutex<HashMap<IpAddr, usize>>,
    subs_per_user: Mutex<HashMap<String, usize>>,
}

/// One counted unit; gives itself back when dropped.
struct Counted<K: std::hash::Hash + Eq + Clone> {
    key: K,
    table: fn(&WsCounts) -> &Mutex<HashMap<K, usize>>,
    counts: Arc<WsCounts>,
}

impl<K: std::hash::Hash + Eq + Clone> Counted<K> {
    fn take(
        counts: &Arc<WsCounts>,
        table: fn(&WsCounts) -> &Mutex<HashMap<K, usize>>,
        key: K,
        max: usize,
    ) -> Option<Self> {
        let mut map = table(counts).lock().unwrap_or_else(|p| p.into_inner());
        let n = map.entry(key.clone()).or_insert(0);
        if *n >= max {
            return None;
        }
        *n += 1;
        Some(Counted {
            key,
            table,
            counts: Arc::clone(counts),
        })
    }
}

impl<K: std::hash::Hash + Eq + Clone> Drop for Counted<K> {
    fn drop(&mut self) {
        let mut map = (self.table)(&self.counts).lock().unwrap_or_else(|p| p.into_inner());
        if let Some(n) = map.get_mut(&self.key) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.key);
            }
        }
    }
}

/// Whether the upgrade request's `Origin` is this server (so its cookie may be trusted).
fn same_origin(headers: &HeaderMap) -> bool {
    let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
    let origin = headers.get(header::ORIGIN).and_then(|v| v.to_str().ok());
    match (origin, host) {
        (Some(o), Some(h)) => o.split_once("://").is_some_and(|(_, rest)| rest == h),
        _ => false,
    }
}

/// How the socket presented its session in `connection_init`.
struct Credentials {
    token: Option<String>,
    via_cookie: bool,
    csrf: Option<String>,
}

fn credentials(payload: &Value, cookie_token: Option<String>) -> Credentials {
    let text = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| payload.get(*n).and_then(Value::as_str))
            .map(str::to_owned)
    };
    let bearer = text(&["authorization", "Authorization"]).and_then(|a| {
        let (scheme, token) = a.split_once(' ')?;
        scheme.eq_ignore_ascii_case("bearer").then(|| token.trim().to_owned())
    });
    let csrf = text(&["csrf", "X-CSRF-Token", "x-csrf-token"]);
    match bearer.or_else(|| text(&["token"])) {
        Some(token) => Credentials {
            token: Some(token),
            via_cookie: false,
            csrf,
        },
        None => Credentials {
            token: cookie_token,
            via_cookie: true,
            csrf,
        },
    }
}

/// The upgrade handler.
pub async fn upgrade(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    headers: HeaderMap,
    ws: WebSocketUpgrade,
) -> Response {
    let cookie_token = same_origin(&headers)
        .then(|| cookie(&headers, SessionCookies::SESSION).map(str::to_owned))
        .flatten();
    let ip = client_ip(&state, peer, &headers);
    let meta = request_meta(ip, &headers, &rid);
    let g = &state.config.graphql;
    let total = Arc::clone(&state.ws_sockets).try_acquire_owned().ok();
    let per_address = Counted::take(
        &state.ws_counts,
        |c| &c.sockets_per_address,
        ip,
        g.max_ws_connections_per_address,
    );
    // Small buffers: an idle subscription should cost kilobytes, not the library's 128 KiB
    // defaults; messages are small GraphQL documents and results.
    let ws = ws
        .read_buffer_size(1024)
        .write_buffer_size(1024)
        .max_write_buffer_size(1024 * 1024)
        .max_message_size(256 * 1024)
        .protocols([PROTOCOL]);
    let speaks_protocol = ws.selected_protocol().is_some();
    ws.on_upgrade(move |socket| async move {
        let refusal = match (speaks_protocol, &total, &per_address) {
            (false, _, _) => Some((
                close::BAD_PROTOCOL,
                "Subprotocol not acceptable: use graphql-transport-ws",
            )),
            (_, None, _) => Some((1013, "too many WebSocket connections; try again later")),
            (_, _, None) => Some((1013, "too many WebSocket connections from your address")),
            _ => None,
        };
        if let Some((code, reason)) = refusal {
            let mut socket = socket;
            let _ = socket.send(close_message(code, reason)).await;
            return;
        }
        Connection {
            state,
            meta,
            ip,
            cookie_token,
            _slots: (total, per_address),
        }
        .run(socket)
        .await;
    })
}

fn close_message(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: Utf8Bytes::from(reason.to_owned()),
    }))
}

fn text(v: Value) -> Message {
    Message::Text(Utf8Bytes::from(v.to_string()))
}

/// One socket.
struct Connection {
    state: AppState,
    meta: RequestMeta,
    ip: IpAddr,
    cookie_token: Option<String>,
    _slots: (Option<OwnedSemaphorePermit>, Option<Counted<IpAddr>>),
}

/// A running operation: its task and the subscription counts it holds.
struct Running {
    task: tokio::task::AbortHandle,
    _counts: Option<(Counted<String>, Counted<IpAddr>)>,
}

/// Why the socket ends.
enum End {
    Close(u16, String),
    Gone,
}

impl Connection {
    async fn run(self, socket: WebSocket) {
        let (mut sink, mut inbox) = socket.split();
        let (out_tx, mut out_rx) = mpsc::channel::<Message>(64);
        // The only writer: operations and the loop queue messages; a slow reader holds up its
        // own operations (the queue is bounded), never the server.
        let writer = tokio::spawn(async move {
            while let Some(msg) = out_rx.recv().await {
                let closing = matches!(msg, Message::Close(_));
                if sink.send(msg).await.is_err() || closing {
                    break;
                }
            }
            let _ = sink.close().await;
        });
        let end = self.serve(&mut inbox, &out_tx).await;
        if let End::Close(code, reason) = end {
            let _ = out_tx.send(close_message(code, &reason)).await;
        }
        drop(out_tx);
        let _ = tokio::time::timeout(Duration::from_secs(5), writer).await;
    }

    async fn serve(
        &self,
        inbox: &mut futures_util::stream::SplitStream<WebSocket>,
        out: &mpsc::Sender<Message>,
    ) -> End {
        let g = &self.state.config.graphql;
        // connection_init, within the time allowed.
        let init_deadline = Instant::now() + Duration::from_secs(g.ws_init_timeout_secs);
        let payload = loop {
            let msg = match tokio::time::timeout_at(init_deadline, inbox.next()).await {
                Err(_) => return End::Close(close::INIT_TIMEOUT, "Connection initialisation timeout".into()),
                Ok(None) | Ok(Some(Err(_))) => return End::Gone,
                Ok(Some(Ok(m))) => m,
            };
            match parse(&msg) {
                Parsed::Message(v) if v["type"] == "connection_init" => {
                    break v.get("payload").cloned().unwrap_or(Value::Null);
                }
                Parsed::Message(v) if v["type"] == "ping" => {
                    let _ = out.send(text(json!({"type": "pong"}))).await;
                }
                Parsed::Message(v) if v["type"] == "subscribe" => {
                    return End::Close(close::SESSION_ENDED, "Unauthorized".into());
                }
                Parsed::Ignore => {}
                Parsed::Closed => return End::Gone,
                _ => return End::Close(close::INVALID_MESSAGE, "Invalid message received".into()),
            }
        };
        let creds = credentials(&payload, self.cookie_token.clone());
        let mut principal = match &creds.token {
            None => None,
            Some(token) => match self
                .state
                .services
                .auth
                .authenticate(token, creds.via_cookie, creds.csrf.as_deref())
                .await
            {
                Ok(p) => Some(p),
                Err(_) => return End::Close(close::FORBIDDEN, "Forbidden: invalid or expired session".into()),
            },
        };
        let mut session_ends = None;
        if let Some(p) = &principal {
            match self.state.services.auth.revalidate(p).await {
                Ok((fresh, ends)) => {
                    principal = Some(fresh);
                    session_ends = Some(ends);
                }
                Err(_) => return End::Close(close::FORBIDDEN, "Forbidden: invalid or expired session".into()),
            }
        }
        if out.send(text(json!({"type": "connection_ack"}))).await.is_err() {
            return End::Gone;
        }

        let mut account = principal
            .as_ref()
            .map(|p| self.state.services.events.subscribe(Topic::Account(p.username.clone())));
        let (done_tx, mut done_rx) = mpsc::unbounded_channel::<String>();
        let mut running: HashMap<String, Running> = HashMap::new();
        let keepalive = Duration::from_secs(g.ws_keepalive_secs);
        let mut ping = tokio::time::interval_at(Instant::now() + keepalive, keepalive);
        let mut heard = Instant::now();
        let end = loop {
            let expiry = async {
                match session_ends {
                    Some(ms) => {
                        let wait = ms - self.state.services.clock.now_ms();
                        tokio::time::sleep(Duration::from_millis(u64::try_from(wait).unwrap_or(0))).await;
                    }
                    None => std::future::pending::<()>().await,
                }
            };
            let changed = async {
                match account.as_mut() {
                    Some(rx) => rx.recv().await.map(|_| ()).map_err(|e| e.to_string()),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                msg = inbox.next() => {
                    heard = Instant::now();
                    let msg = match msg {
                        None | Some(Err(_)) => break End::Gone,
                        Some(Ok(m)) => m,
                    };
                    let v = match parse(&msg) {
                        Parsed::Message(v) => v,
                        Parsed::Ignore => continue,
                        Parsed::Closed => break End::Gone,
                        Parsed::Invalid => break End::Close(close::INVALID_MESSAGE, "Invalid message received".into()),
                    };
                    match v["type"].as_str() {
                        Some("ping") => { let _ = out.send(text(json!({"type": "pong"}))).await; }
                        Some("pong") => {}
                        Some("connection_init") => break End::Close(close::TOO_MANY_INITS, "Too many initialisation requests".into()),
                        Some("complete") => {
                            if let Some(id) = v["id"].as_str() {
                                if let Some(op) = running.remove(id) {
                                    op.task.abort();
                                }
                            }
                        }
                        Some("subscribe") => {
                            let Some(id) = v["id"].as_str().filter(|id| !id.is_empty() && id.len() <= 128) else {
                                break End::Close(close::INVALID_MESSAGE, "Invalid message received".into());
                            };
                            if running.contains_key(id) {
                                break End::Close(close::DUPLICATE_ID, format!("Subscriber for {id} already exists"));
                            }
                            // The operation runs as whoever the session is now.
                            let current = match &principal {
                                None => None,
                                Some(p) => match self.state.services.auth.revalidate(p).await {
                                    Ok((fresh, ends)) => {
                                        if fresh.role != p.role {
                                            break End::Close(close::FORBIDDEN, "Forbidden: your role changed; reconnect".into());
                                        }
                                        session_ends = Some(ends);
                                        Some(fresh)
                                    }
                                    Err(_) => break End::Close(close::SESSION_ENDED, "Unauthorized: the session ended; sign in again".into()),
                                },
                            };
                            match self.start(id, v.get("payload"), current, running.len(), out, &done_tx) {
                                Ok(op) => { running.insert(id.to_owned(), op); }
                                Err(refusal) => {
                                    let _ = out.send(text(json!({"type": "error", "id": id, "payload": [refusal]}))).await;
                                }
                            }
                        }
                        _ => break End::Close(close::INVALID_MESSAGE, "Invalid message received".into()),
                    }
                }
                Some(id) = done_rx.recv() => { running.remove(&id); }
                r = changed => {
                    let Some(p) = &principal else { continue };
                    if r.is_err() {
                        // The account feed closed or lagged: re-check all the same.
                        account = Some(self.state.services.events.subscribe(Topic::Account(p.username.clone())));
                    }
                    match self.state.services.auth.revalidate(p).await {
                        Ok((fresh, _)) if fresh.role != p.role => break End::Close(close::FORBIDDEN, "Forbidden: your role changed; reconnect".into()),
                        Ok((_, ends)) => session_ends = Some(ends),
                        Err(_) => break End::Close(close::SESSION_ENDED, "Unauthorized: the session ended; sign in again".into()),
                    }
                }
                () = expiry => break End::Close(close::SESSION_ENDED, "Unauthorized: the session expired; sign in again".into()),
                _ = ping.tick() => {
                    if heard.elapsed() > keepalive * 2 {
                        break End::Close(1001, "no answer to pings".into());
                    }
                    let _ = out.try_send(text(json!({"type": "ping"})));
                }
            }
        };
        for op in running.into_values() {
            op.task.abort();
        }
        end
    }

    /// Starts one operation, or says why not (a GraphQL error object).
    fn start(
        &self,
        id: &str,
        payload: Option<&Value>,
        principal: Option<Principal>,
        running: usize,
        out: &mpsc::Sender<Message>,
        done: &mpsc::UnboundedSender<String>,
    ) -> Result<Running, Value> {
        let g = &self.state.config.graphql;
        let request = payload.and_then(|p| parse_request(p).ok()).ok_or_else(|| {
            json!({"message": "the subscribe payload needs a `query` string (and optional `variables` object, `operationName`)", "extensions": {"code": ErrorCode::BadRequest.as_str()}})
        })?;
        let op = operation_type(&request.query, request.operation_name.as_deref());
        let limited = |what: &str| json!({"message": format!("too many subscriptions {what}; end some first"), "extensions": {"code": ErrorCode::RateLimited.as_str()}});
        let counts = if op == Some(OperationType::Subscription) {
            if running >= g.max_subscriptions_per_connection {
                return Err(limited("on this connection"));
            }
            let user = principal.as_ref().map_or_else(String::new, |p| p.username.clone());
            let per_user = Counted::take(
                &self.state.ws_counts,
                |c| &c.subs_per_user,
                user,
                g.max_subscriptions_per_user,
            )
            .ok_or_else(|| limited("for your account"))?;
            let per_address = Counted::take(
                &self.state.ws_counts,
                |c| &c.subs_per_address,
                self.ip,
                g.max_subscriptions_per_address,
            )
            .ok_or_else(|| limited("from your address"))?;
            Some((per_user, per_address))
        } else {
            None
        };
        // Queries and mutations take their turn among the caller's operations (in the task).
        let turn = (op != Some(OperationType::Subscription)).then(|| {
            principal
                .as_ref()
                .map_or_else(|| format!("address {}", self.ip), |p| format!("user {}", p.username))
        });
        let per_caller = Arc::clone(&self.state.per_caller);
        let busy = json!({"message": format!("more than {} operations at once and too many waiting; wait for one to finish", g.max_concurrent_per_caller), "extensions": {"code": ErrorCode::RateLimited.as_str()}});
        let request = request.data(Caller(principal)).data(self.meta.clone());
        let schema = self.state.schema.clone();
        let out = out.clone();
        let done = done.clone();
        let id = id.to_owned();
        let timeout = Duration::from_secs(g.timeout_secs);
        let task = tokio::spawn(async move {
            let _slot = match turn {
                None => None,
                Some(key) => match per_caller.enter(key).await {
                    Some(slot) => Some(slot),
                    None => {
                        let _ = out
                            .send(text(json!({"type": "error", "id": id, "payload": [busy]})))
                            .await;
                        let _ = done.send(id);
                        return;
                    }
                },
            };
            if op == Some(OperationType::Subscription) {
                let mut stream = schema.execute_stream(request);
                let mut first = true;
                while let Some(mut resp) = stream.next().await {
                    ensure_error_codes(&mut resp);
                    // Errors before anything executed (validation) are an `error` message.
                    let refused = first && resp.data == async_graphql::Value::Null && !resp.errors.is_empty();
                    first = false;
                    let msg = if refused {
                        json!({"type": "error", "id": id, "payload": resp.errors})
                    } else {
                        json!({"type": "next", "id": id, "payload": resp})
                    };
                    if out.send(text(msg)).await.is_err() || refused {
                        let _ = done.send(id);
                        return;
                    }
                }
            } else {
                let mut resp = match tokio::time::timeout(timeout, schema.execute(request)).await {
                    Ok(r) => r,
                    Err(_) => async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
                        format!("the operation took longer than {} s and was stopped", timeout.as_secs()),
                        None,
                    )
                    .with_extensions_code(ErrorCode::Timeout.as_str())]),
                };
                ensure_error_codes(&mut resp);
                let refused = resp.data == async_graphql::Value::Null
                    && !resp.errors.is_empty()
                    && resp.errors.iter().all(|e| e.path.is_empty());
                let msg = if refused {
                    json!({"type": "error", "id": id, "payload": resp.errors})
                } else {
                    json!({"type": "next", "id": id, "payload": resp})
                };
                if out.send(text(msg)).await.is_err() || refused {
                    let _ = done.send(id);
                    return;
                }
            }
            let _ = out.send(text(json!({"type": "complete", "id": id}))).await;
            let _ = done.send(id);
        });
        Ok(Running {
            task: task.abort_handle(),
            _counts: counts,
        })
    }
}

/// A message from the client.
enum Parsed {
    Message(Value),
    Ignore,
    Closed,
    Invalid,
}

fn parse(msg: &Message) -> Parsed {
    match msg {
        Message::Text(t) => match serde_json::from_str::<Value>(t.as_str()) {
            Ok(v) if v.get("type").and_then(Value::as_str).is_some() => Parsed::Message(v),
            _ => Parsed::Invalid,
        },
        Message::Binary(_) => Parsed::Invalid,
        Message::Ping(_) | Message::Pong(_) => Parsed::Ignore,
        Message::Close(_) => Parsed::Closed,
    }
}

fn parse_request(payload: &Value) -> Result<async_graphql::Request, ()> {
    let query = payload.get("query").and_then(Value::as_str).ok_or(())?;
    let mut req = async_graphql::Request::new(query);
    match payload.get("operationName") {
        None | Some(Value::Null) => {}
        Some(Value::String(n)) => req = req.operation_name(n),
        Some(_) => return Err(()),
    }
    match payload.get("variables") {
        None | Some(Value::Null) => {}
        Some(v @ Value::Object(_)) => req = req.variables(async_graphql::Variables::from_json(v.clone())),
        Some(_) => return Err(()),
    }
    Ok(req)
}

/// Adds a code to a server error (the library's errors have none).
trait WithCode {
    fn with_extensions_code(self, code: &str) -> Self;
}

impl WithCode for async_graphql::ServerError {
    fn with_extensions_code(mut self, code: &str) -> Self {
        self.extensions.get_or_insert_with(Default::default).set("code", code);
        self
    }
}

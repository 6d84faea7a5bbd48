//! `POST /graphql` and `GET /graphql`, following the GraphQL-over-HTTP specification: content
//! negotiation between `application/graphql-response+json` and `application/json`, status codes
//! for request errors, body-size and time limits, and mutations refused over GET.

use super::caller::{client_ip, request_meta, resolve};
use super::graphiql;
use super::observe::RequestId;
use crate::state::AppState;
use async_graphql::parser::types::{DocumentOperations, OperationType};
use async_graphql::Variables;
use axum::body::{to_bytes, Body};
use axum::extract::{ConnectInfo, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Extension;
use hpcb_core::CoreError;
use hpcb_schema::{core_to_graphql, ensure_error_codes, Caller, ErrorCode};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::Duration;

/// The two response media types of the specification.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Media {
    /// `application/graphql-response+json`: status codes tell request errors apart.
    GraphqlResponse,
    /// `application/json`: the legacy type; request errors still get 200 where the spec says so.
    Json,
}

impl Media {
    fn content_type(self) -> &'static str {
        match self {
            Media::GraphqlResponse => "application/graphql-response+json; charset=utf-8",
            Media::Json => "application/json; charset=utf-8",
        }
    }
}

/// Picks the response type from `Accept`; `None` when the client accepts neither (406).
pub fn negotiate(headers: &HeaderMap) -> Option<Media> {
    let Some(accept) = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()) else {
        return Some(Media::Json);
    };
    let mut best: Option<(Media, f32)> = None;
    for item in accept.split(',') {
        let mut parts = item.split(';');
        let ty = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        let media = match ty.as_str() {
            "application/graphql-response+json" => Media::GraphqlResponse,
            "application/json" | "application/*" | "*/*" => Media::Json,
            _ => continue,
        };
        if q > 0.0
            && best.is_none_or(|(m, bq)| q > bq || (q == bq && media == Media::GraphqlResponse && m == Media::Json))
        {
            best = Some((media, q));
        }
    }
    best.map(|(m, _)| m)
}

/// A response that is a GraphQL error document with no `data`, for failures before execution.
fn request_error(status: StatusCode, media: Media, code: ErrorCode, message: &str) -> Response {
    let body = serde_json::json!({"errors": [{"message": message, "extensions": {"code": code.as_str()}}]});
    (status, [(header::CONTENT_TYPE, media.content_type())], body.to_string()).into_response()
}

/// The response when the presented credentials cannot be resolved: 401 for a bad or dead
/// token, 500 when the session store cannot be read.
pub fn caller_error(e: CoreError, media: Media) -> Response {
    let status = match &e {
        CoreError::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        CoreError::Forbidden(_) => StatusCode::FORBIDDEN,
        CoreError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let err = core_to_graphql(e);
    let body = serde_json::json!({"errors": [{"message": err.message, "extensions": err.extensions}]});
    (status, [(header::CONTENT_TYPE, media.content_type())], body.to_string()).into_response()
}

/// The operation type the request will run (`None` if the document does not parse or does not
/// name a unique operation; execution then reports the error).
pub(crate) fn operation_type(query: &str, name: Option<&str>) -> Option<OperationType> {
    let doc = async_graphql::parser::parse_query(query).ok()?;
    match (&doc.operations, name) {
        (DocumentOperations::Single(op), _) => Some(op.node.ty),
        (DocumentOperations::Multiple(ops), Some(n)) => ops.get(n).map(|op| op.node.ty),
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops.values().next().map(|op| op.node.ty),
        _ => None,
    }
}

fn type_label(t: Option<OperationType>) -> &'static str {
    match t {
        Some(OperationType::Query) => "query",
        Some(OperationType::Mutation) => "mutation",
        Some(OperationType::Subscription) => "subscription",
        None => "unknown",
    }
}

/// Executes a parsed request for the resolved caller and renders the response.
async fn execute(
    state: &AppState,
    media: Media,
    headers: &HeaderMap,
    peer: SocketAddr,
    request_id: &str,
    request: async_graphql::Request,
    op: Option<OperationType>,
) -> Response {
    let resolved = match resolve(state, headers).await {
        Ok(r) => r,
        Err(e) => return caller_error(e, media),
    };
    let ip = client_ip(state, peer, headers);
    let caller_key = resolved
        .principal
        .as_ref()
        .map_or_else(|| format!("address {ip}"), |p| format!("user {}", p.username));
    let Some(_slot) = state.per_caller.enter(caller_key).await else {
        let mut r = request_error(
            StatusCode::TOO_MANY_REQUESTS,
            media,
            ErrorCode::RateLimited,
            &format!(
                "more than {} operations at once and too many waiting; wait for one to finish",
                state.config.graphql.max_concurrent_per_caller
            ),
        );
        r.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
        return r;
    };
    let meta = request_meta(ip, headers, request_id);
    let request = request.data(Caller(resolved.principal)).data(meta);
    let timeout = Duration::from_secs(state.config.graphql.timeout_secs);
    let mut resp = match tokio::time::timeout(timeout, state.schema.execute(request)).await {
        Ok(r) => r,
        Err(_) => async_graphql::Response::from_errors(vec![async_graphql::ServerError::new(
            format!("the operation took longer than {} s and was stopped", timeout.as_secs()),
            None,
        )]),
    };
    if resp
        .errors
        .iter()
        .any(|e| e.message.starts_with("the operation took longer"))
    {
        for e in &mut resp.errors {
            e.extensions
                .get_or_insert_with(Default::default)
                .set("code", ErrorCode::Timeout.as_str());
        }
    }
    ensure_error_codes(&mut resp);
    let outcome = if resp.errors.is_empty() { "ok" } else { "error" };
    state
        .metrics
        .graphql_ops
        .with_label_values(&[type_label(op), outcome])
        .inc();

    // A request error (nothing executed) has no `data` and no error with a path.
    let request_failed = resp.data == async_graphql::Value::Null
        && resp.errors.iter().all(|e| e.path.is_empty())
        && !resp.errors.is_empty();
    let status = if request_failed && media == Media::GraphqlResponse {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let mut body = serde_json::Map::new();
    if !request_failed {
        body.insert("data".into(), serde_json::to_value(&resp.data).unwrap_or_default());
    }
    if !resp.errors.is_empty() {
        body.insert("errors".into(), serde_json::to_value(&resp.errors).unwrap_or_default());
    }
    if !resp.extensions.is_empty() {
        body.insert(
            "extensions".into(),
            serde_json::to_value(&resp.extensions).unwrap_or_default(),
        );
    }
    let mut text = serde_json::Value::Object(body).to_string();
    let max = state.config.graphql.max_response_bytes;
    if text.len() > max {
        text = serde_json::json!({"errors": [{
            "message": format!("the answer is larger than {max} bytes; ask for fewer items (`first`) or fewer fields"),
            "extensions": {"code": ErrorCode::ResponseTooLarge.as_str()},
        }]})
        .to_string();
    }
    let mut out = (status, [(header::CONTENT_TYPE, media.content_type())], text).into_response();
    for (name, value) in resp.http_headers.iter() {
        out.headers_mut().append(name, value.clone());
    }
    for c in resolved.set_cookies {
        if let Ok(v) = HeaderValue::from_str(&c) {
            out.headers_mut().append(header::SET_COOKIE, v);
        }
    }
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    out
}

/// `POST /graphql`.
pub async fn post(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            ErrorCode::BadRequest,
            "accept application/graphql-response+json or application/json",
        );
    };
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let mut ct_parts = content_type.split(';').map(|s| s.trim().to_ascii_lowercase());
    let essence = ct_parts.next().unwrap_or_default();
    let charset_ok = ct_parts.all(|p| {
        p.strip_prefix("charset=")
            .is_none_or(|c| c.trim_matches('"') == "utf-8")
    });
    if essence != "application/json" || !charset_ok {
        return request_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            media,
            ErrorCode::BadRequest,
            "send the request as Content-Type: application/json (UTF-8)",
        );
    }
    let limit = state.config.graphql.max_body_bytes;
    let bytes = match to_bytes(body, limit).await {
        Ok(b) => b,
        Err(e) if is_length_limit(&e) => {
            return request_error(
                StatusCode::PAYLOAD_TOO_LARGE,
                media,
                ErrorCode::BadRequest,
                &format!("request body is larger than {limit} bytes"),
            )
        }
        Err(_) => {
            return request_error(
                StatusCode::REQUEST_TIMEOUT,
                media,
                ErrorCode::BadRequest,
                &format!(
                    "the request body did not arrive within {} s",
                    state.config.server.body_timeout_secs
                ),
            )
        }
    };
    let request: async_graphql::Request = match serde_json::from_slice::<serde_json::Value>(&bytes) {
        Err(_) => {
            return request_error(
                StatusCode::BAD_REQUEST,
                media,
                ErrorCode::BadRequest,
                "request body is not valid JSON",
            )
        }
        Ok(v) => match parse_params(v) {
            Ok(r) => r,
            Err(msg) => return request_error(StatusCode::BAD_REQUEST, media, ErrorCode::BadRequest, &msg),
        },
    };
    let op = operation_type(&request.query, request.operation_name.as_deref());
    execute(&state, media, &headers, peer, &rid, request, op).await
}

/// Whether reading a body failed on its size limit (not on a timeout or a broken connection).
fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
}

/// Checks the shape of the request parameters and builds the request.
fn parse_params(v: serde_json::Value) -> Result<async_graphql::Request, String> {
    let serde_json::Value::Object(mut m) = v else {
        return Err("the request body must be a JSON object".into());
    };
    let query = match m.remove("query") {
        Some(serde_json::Value::String(q)) => q,
        Some(_) => return Err("`query` must be a string".into()),
        None => return Err("`query` is missing".into()),
    };
    let mut req = async_graphql::Request::new(query);
    match m.remove("operationName") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::String(n)) => req = req.operation_name(n),
        Some(_) => return Err("`operationName` must be a string".into()),
    }
    match m.remove("variables") {
        None | Some(serde_json::Value::Null) => {}
        Some(v @ serde_json::Value::Object(_)) => req = req.variables(Variables::from_json(v)),
        Some(_) => return Err("`variables` must be an object".into()),
    }
    match m.remove("extensions") {
        None | Some(serde_json::Value::Null) => {}
        Some(serde_json::Value::Object(ext)) => {
            for (k, v) in ext {
                if let Ok(v) = async_graphql::Value::from_json(v) {
                    req.extensions.insert(k, v);
                }
            }
        }
        Some(_) => return Err("`extensions` must be an object".into()),
    }
    Ok(req)
}

/// `GET /graphql`: queries from URL parameters, or GraphiQL for a browser.
pub async fn get(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    Extension(RequestId(rid)): Extension<RequestId>,
    Query(params): Query<HashMap<String, String>>,
    headers: HeaderMap,
) -> Response {
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    if !params.contains_key("query") && wants_html && state.config.graphql.graphiql {
        return Html(graphiql::page("/graphql", "/graphql/ws")).into_response();
    }
    let Some(media) = negotiate(&headers) else {
        return request_error(
            StatusCode::NOT_ACCEPTABLE,
            Media::Json,
            ErrorCode::BadRequest,
            "accept application/graphql-response+json or application/json",
        );
    };
    let mut obj = serde_json::Map::new();
    for (k, v) in params {
        let value = match k.as_str() {
            "variables" | "extensions" => match serde_json::from_str(&v) {
                Ok(j) => j,
                Err(_) => {
                    return request_error(
                        StatusCode::BAD_REQUEST,
                        media,
                        ErrorCode::BadRequest,
                        &format!("`{k}` is not valid JSON"),
                    )
                }
            },
            _ => serde_json::Value::String(v),
        };
        obj.insert(k, value);
    }
    let request = match parse_params(serde_json::Value::Object(obj)) {
        Ok(r) => r,
        Err(msg) => return request_error(StatusCode::BAD_REQUEST, media, ErrorCode::BadRequest, &msg),
    };
    let op = operation_type(&request.query, request.operation_name.as_deref());
    if matches!(op, Some(OperationType::Mutation) | Some(OperationType::Subscription)) {
        let mut r = request_error(
            StatusCode::METHOD_NOT_ALLOWED,
            media,
            ErrorCode::BadRequest,
            "only queries may be sent with GET; use POST",
        );
        r.headers_mut().insert(header::ALLOW, HeaderValue::from_static("POST"));
        return r;
    }
    execute(&state, media, &headers, peer, &rid, request, op).await
}

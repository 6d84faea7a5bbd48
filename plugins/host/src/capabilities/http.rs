//! The `http` capability: requests to allow-listed hosts through the host's reqwest client,
//! with a capped timeout, no redirects and a response size limit.

use std::collections::BTreeMap;

use base64::{engine::general_purpose::STANDARD as BASE64, Engine as _};
use hpcb_plugin_api::errors as codes;
use reqwest::{Method, Url};
use serde::Deserialize;
use serde_json::{json, Value};

use super::{allow_list::host_allowed, capped_timeout, CapabilityError, HostServices};

#[derive(Deserialize)]
pub(super) struct HttpRequest {
    method: String,
    url: String,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    body_base64: Option<String>,
    timeout_ms: Option<u64>,
}

/// What came back, before it is turned into JSON.
struct Received {
    status: u16,
    headers: BTreeMap<String, String>,
    body: Vec<u8>,
}

pub(super) fn serve(services: &HostServices, request: HttpRequest) -> Result<Value, CapabilityError> {
    let policy = &services.policy.http;
    let url = Url::parse(&request.url).map_err(|err| CapabilityError::bad_request(format!("invalid URL: {err}")))?;
    match url.scheme() {
        "https" => {}
        "http" if policy.allow_plain_http => {}
        "http" => return Err(CapabilityError::denied("plain http:// is not allowed; use https")),
        other => return Err(CapabilityError::denied(format!("URL scheme `{other}` is not allowed"))),
    }
    if !host_allowed(&policy.allowed_hosts, &url) {
        return Err(CapabilityError::denied(format!(
            "host {} is not allow-listed for this plugin",
            authority(&url)
        )));
    }
    let method = Method::from_bytes(request.method.to_ascii_uppercase().as_bytes())
        .map_err(|_| CapabilityError::bad_request(format!("invalid method {:?}", request.method)))?;
    let body = match (request.body, request.body_base64) {
        (Some(_), Some(_)) => {
            return Err(CapabilityError::bad_request(
                "send either `body` or `body_base64`, not both",
            ))
        }
        (Some(text), None) => Some(text.into_bytes()),
        (None, Some(encoded)) => Some(
            BASE64
                .decode(encoded)
                .map_err(|err| CapabilityError::bad_request(format!("invalid body_base64: {err}")))?,
        ),
        (None, None) => None,
    };
    let timeout = capped_timeout(request.timeout_ms, policy.max_timeout);
    let limit = policy.max_response_bytes;

    let mut builder = services.http.request(method.clone(), url.clone()).timeout(timeout);
    for (name, value) in &request.headers {
        builder = builder.header(name, value);
    }
    if let Some(body) = body {
        builder = builder.body(body);
    }

    let exchange = async move {
        let mut response = builder.send().await.map_err(transport_error)?;
        if response.content_length().is_some_and(|length| length > limit as u64) {
            return Err(too_large(limit));
        }
        let status = response.status().as_u16();
        let mut headers = BTreeMap::<String, String>::new();
        for (name, value) in response.headers() {
            let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|joined| {
                    joined.push_str(", ");
                    joined.push_str(&value);
                })
                .or_insert(value);
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(transport_error)? {
            if body.len() + chunk.len() > limit {
                return Err(too_large(limit));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(Received { status, headers, body })
    };
    let received = services
        .runtime
        .block_on(async { tokio::time::timeout(timeout, exchange).await })
        .map_err(|_| CapabilityError::new(codes::TIMEOUT, format!("no complete response within {timeout:?}")))??;

    tracing::debug!(
        plugin = %services.plugin_id,
        method = %method,
        host = %authority(&url),
        status = received.status,
        bytes = received.body.len(),
        "plugin {} http {method} {} -> {}",
        services.plugin_id,
        authority(&url),
        received.status
    );
    let (body, body_base64) = match String::from_utf8(received.body) {
        Ok(text) => (Some(text), None),
        Err(not_text) => (None, Some(BASE64.encode(not_text.into_bytes()))),
    };
    Ok(json!({
        "status": received.status,
        "headers": received.headers,
        "body": body,
        "body_base64": body_base64,
    }))
}

/// `host[:port]` for messages and logs (never the path or query, which may carry tokens).
fn authority(url: &Url) -> String {
    match (url.host_str(), url.port()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_owned(),
        (None, _) => "(no host)".to_owned(),
    }
}

fn too_large(limit: usize) -> CapabilityError {
    CapabilityError::new(codes::TOO_LARGE, format!("response body larger than {limit} bytes"))
}

/// A reqwest failure with its causes (reqwest's own message omits them).
fn transport_error(err: reqwest::Error) -> CapabilityError {
    let code = if err.is_timeout() {
        codes::TIMEOUT
    } else if err.is_builder() {
        codes::BAD_REQUEST
    } else {
        codes::IO
    };
    let err = err.without_url();
    let mut message = err.to_string();
    let mut source = std::error::Error::source(&err);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    CapabilityError::new(code, message)
}

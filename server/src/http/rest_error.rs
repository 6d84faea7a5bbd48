//! The one table from errors to REST answers (exports, `/formula`, webhooks, pages' JSON): the
//! HTTP status and the body `{"error": "<what is wrong>", "code": "<CODE>"}` (plus `field` for
//! bad input, `Retry-After` when rate limited). The codes are the GraphQL API's
//! `extensions.code` values, so a client reads one vocabulary on both surfaces. Internal and
//! database details are logged, never sent.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use hpcb_core::CoreError;
use hpcb_schema::ErrorCode;
use serde_json::json;

/// An error answer of a REST route.
#[derive(Debug)]
pub struct RestError {
    status: StatusCode,
    code: ErrorCode,
    message: String,
    field: Option<String>,
    retry_after_secs: Option<i64>,
}

impl RestError {
    /// An answer with `status` and `message`; the code is the one that status stands for.
    pub fn new(status: StatusCode, message: impl Into<String>) -> RestError {
        let code = match status {
            StatusCode::UNAUTHORIZED => ErrorCode::Unauthenticated,
            StatusCode::FORBIDDEN => ErrorCode::Forbidden,
            StatusCode::NOT_FOUND => ErrorCode::NotFound,
            StatusCode::CONFLICT => ErrorCode::Conflict,
            StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
            StatusCode::SERVICE_UNAVAILABLE => ErrorCode::Unavailable,
            StatusCode::BAD_GATEWAY => ErrorCode::GatewayError,
            StatusCode::GATEWAY_TIMEOUT | StatusCode::REQUEST_TIMEOUT => ErrorCode::Timeout,
            s if s.is_server_error() => ErrorCode::Internal,
            _ => ErrorCode::BadRequest,
        };
        RestError {
            status,
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
        }
    }

    /// The status it answers with.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<CoreError> for RestError {
    fn from(e: CoreError) -> RestError {
        let (status, code, message) = match e {
            CoreError::Unauthenticated(m) => (StatusCode::UNAUTHORIZED, ErrorCode::Unauthenticated, m),
            CoreError::Forbidden(m) => (StatusCode::FORBIDDEN, ErrorCode::Forbidden, m),
            CoreError::Validation { field, message } => {
                return RestError {
                    status: StatusCode::BAD_REQUEST,
                    code: ErrorCode::BadUserInput,
                    message: format!("{field}: {message}"),
                    field: Some(field),
                    retry_after_secs: None,
                }
            }
            CoreError::NotFound(what) => (StatusCode::NOT_FOUND, ErrorCode::NotFound, format!("{what} not found")),
            CoreError::Conflict(m) => (StatusCode::CONFLICT, ErrorCode::Conflict, m),
            CoreError::RateLimited { retry_after_secs } => {
                return RestError {
                    status: StatusCode::TOO_MANY_REQUESTS,
                    code: ErrorCode::RateLimited,
                    message: format!("too many attempts; try again in {retry_after_secs} s"),
                    field: None,
                    retry_after_secs: Some(retry_after_secs),
                }
            }
            CoreError::Gateway(m) => (StatusCode::BAD_GATEWAY, ErrorCode::GatewayError, m),
            CoreError::Unavailable(detail) => {
                tracing::warn!(error = %detail, "database unavailable while serving a REST route");
                (
                    StatusCode::SERVICE_UNAVAILABLE,
                    ErrorCode::Unavailable,
                    "the database cannot be reached right now; retry in a moment".to_owned(),
                )
            }
            CoreError::Internal(detail) => {
                tracing::error!(error = %detail, "internal error while serving a REST route");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorCode::Internal,
                    "internal error; the server log has details under this request's id".to_owned(),
                )
            }
        };
        RestError {
            status,
            code,
            message,
            field: None,
            retry_after_secs: None,
        }
    }
}

impl IntoResponse for RestError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.message, "code": self.code.as_str()});
        if let Some(field) = self.field {
            body["field"] = json!(field);
        }
        let mut response = (
            self.status,
            [(header::CONTENT_TYPE, HeaderValue::from_static("application/json"))],
            body.to_string(),
        )
            .into_response();
        if let Some(secs) = self.retry_after_secs {
            if let Ok(v) = HeaderValue::from_str(&secs.max(1).to_string()) {
                response.headers_mut().insert(header::RETRY_AFTER, v);
            }
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn body(e: RestError) -> (StatusCode, serde_json::Value, Option<String>) {
        let r = e.into_response();
        let status = r.status();
        let retry = r
            .headers()
            .get(header::RETRY_AFTER)
            .map(|v| v.to_str().unwrap_or_default().to_owned());
        let bytes = axum::body::to_bytes(r.into_body(), 1 << 16).await.expect("body");
        (status, serde_json::from_slice(&bytes).expect("json"), retry)
    }

    #[tokio::test]
    async fn every_core_error_has_its_status_and_code_and_no_internal_detail() {
        let cases = [
            (CoreError::Unauthenticated("sign in".into()), 401, "UNAUTHENTICATED"),
            (CoreError::Forbidden("no".into()), 403, "FORBIDDEN"),
            (CoreError::validation("cpu", "is not a number"), 400, "BAD_USER_INPUT"),
            (CoreError::NotFound("receipt 7".into()), 404, "NOT_FOUND"),
            (CoreError::Conflict("already billed".into()), 409, "CONFLICT"),
            (CoreError::RateLimited { retry_after_secs: 30 }, 429, "RATE_LIMITED"),
            (CoreError::Gateway("declined".into()), 502, "GATEWAY_ERROR"),
            (
                CoreError::Unavailable("pool timed out at 10.0.0.5".into()),
                503,
                "UNAVAILABLE",
            ),
            (
                CoreError::Internal("SELECT failed: secret detail".into()),
                500,
                "INTERNAL",
            ),
        ];
        for (e, status, code) in cases {
            let (got, body, retry) = body(RestError::from(e)).await;
            assert_eq!(got.as_u16(), status, "{body}");
            assert_eq!(body["code"], code, "{body}");
            let text = body.to_string();
            assert!(!text.contains("secret detail") && !text.contains("10.0.0.5"), "{text}");
            assert_eq!(retry.is_some(), status == 429);
        }
        let (_, bad, _) = body(CoreError::validation("cpu", "is not a number").into()).await;
        assert_eq!(bad["field"], "cpu");
        assert_eq!(bad["error"], "cpu: is not a number");
    }

    #[tokio::test]
    async fn a_status_alone_gets_its_code() {
        let (status, body, _) = body(RestError::new(StatusCode::PAYLOAD_TOO_LARGE, "too big")).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(body, json!({"error": "too big", "code": "BAD_REQUEST"}));
    }
}

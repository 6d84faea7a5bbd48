//! The one mapping from core errors to GraphQL errors, and the table of `extensions.code`
//! values clients can rely on.
//!
//! | code | when |
//! |---|---|
//! | `UNAUTHENTICATED` | no valid session or token, wrong password |
//! | `FORBIDDEN` | signed in, but the role does not allow it; missing CSRF token; disabled account |
//! | `BAD_USER_INPUT` | an argument is invalid; `extensions.field` names it |
//! | `NOT_FOUND` | the object does not exist or is not visible to the caller |
//! | `CONFLICT` | the change conflicts with current state (duplicate, last admin) |
//! | `RATE_LIMITED` | locked out; `extensions.retryAfter` gives seconds |
//! | `INTERNAL` | a fault on our side; details are only in the server log |
//! | `UNAVAILABLE` | the database cannot be reached now; retry later (HTTP 503 where the request itself failed) |
//! | `GRAPHQL_VALIDATION_FAILED` | the document does not parse or validate, or exceeds limits |
//! | `BAD_REQUEST` | the HTTP request itself is malformed (body, JSON, content type) |
//! | `TIMEOUT` | the operation took longer than the configured limit |
//! | `GATEWAY_ERROR` | a payment gateway refused or did not answer; nothing was charged |
//! | `RESPONSE_TOO_LARGE` | the answer exceeds `graphql.max_response_bytes`; ask for fewer items |
//!
//! `ApiError` deliberately does not implement `Display`: async-graphql converts anything
//! printable into an error carrying its text, and core errors must never reach a client that
//! way. Resolvers return `Result<_, ApiError>`, so `?` on a core result always goes through
//! [`From<CoreError>`] below.

use async_graphql::ErrorExtensions;
use hpcb_core::CoreError;

/// Stable error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// See the module table.
    Unauthenticated,
    /// See the module table.
    Forbidden,
    /// See the module table.
    BadUserInput,
    /// See the module table.
    NotFound,
    /// See the module table.
    Conflict,
    /// See the module table.
    RateLimited,
    /// See the module table.
    Internal,
    /// See the module table.
    Unavailable,
    /// See the module table.
    GraphqlValidationFailed,
    /// See the module table.
    BadRequest,
    /// See the module table.
    Timeout,
    /// See the module table.
    GatewayError,
    /// See the module table.
    ResponseTooLarge,
}

impl ErrorCode {
    /// The wire value.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "UNAUTHENTICATED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::BadUserInput => "BAD_USER_INPUT",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Internal => "INTERNAL",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::GraphqlValidationFailed => "GRAPHQL_VALIDATION_FAILED",
            ErrorCode::BadRequest => "BAD_REQUEST",
            ErrorCode::Timeout => "TIMEOUT",
            ErrorCode::GatewayError => "GATEWAY_ERROR",
            ErrorCode::ResponseTooLarge => "RESPONSE_TOO_LARGE",
        }
    }

    /// A GraphQL error with this code and message.
    pub fn error(self, message: impl Into<String>) -> async_graphql::Error {
        async_graphql::Error::new(message).extend_with(|_, e| e.set("code", self.as_str()))
    }
}

/// The error type of every resolver.
#[derive(Debug)]
pub enum ApiError {
    /// A core refusal or failure.
    Core(CoreError),
    /// An error already shaped for the client (from async-graphql itself).
    Graphql(async_graphql::Error),
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        ApiError::Core(e)
    }
}

impl From<async_graphql::Error> for ApiError {
    fn from(e: async_graphql::Error) -> Self {
        ApiError::Graphql(e)
    }
}

impl From<ApiError> for async_graphql::Error {
    fn from(e: ApiError) -> Self {
        match e {
            ApiError::Graphql(g) => g,
            ApiError::Core(c) => core_to_graphql(c),
        }
    }
}

/// Maps a core error to its client-facing form; internal details are logged (inside the
/// request's span, so with its request id) and replaced by a generic message.
pub fn core_to_graphql(e: CoreError) -> async_graphql::Error {
    match e {
        CoreError::Unauthenticated(m) => ErrorCode::Unauthenticated.error(m),
        CoreError::Forbidden(m) => ErrorCode::Forbidden.error(m),
        CoreError::Validation { field, message } => ErrorCode::BadUserInput
            .error(format!("{field}: {message}"))
            .extend_with(|_, ext| ext.set("field", field.as_str())),
        CoreError::NotFound(what) => ErrorCode::NotFound.error(format!("{what} not found")),
        CoreError::Conflict(m) => ErrorCode::Conflict.error(m),
        CoreError::RateLimited { retry_after_secs } => ErrorCode::RateLimited
            .error(format!("too many failed attempts; try again in {retry_after_secs} s"))
            .extend_with(|_, ext| ext.set("retryAfter", retry_after_secs)),
        CoreError::Gateway(m) => ErrorCode::GatewayError.error(m),
        CoreError::Unavailable(detail) => {
            tracing::warn!(error = %detail, "database unavailable while serving GraphQL");
            ErrorCode::Unavailable.error("the database cannot be reached right now; retry in a moment")
        }
        CoreError::Internal(detail) => {
            tracing::error!(error = %detail, "internal error while serving GraphQL");
            ErrorCode::Internal.error("internal error; the server log has details under this request's id")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(e: CoreError) -> (String, async_graphql::Error) {
        let g = core_to_graphql(e);
        let c = g
            .extensions
            .as_ref()
            .and_then(|x| x.get("code").cloned())
            .map(|v| v.to_string())
            .unwrap_or_default();
        (c, g)
    }

    #[test]
    fn every_core_error_maps_to_its_code() {
        let cases: Vec<(CoreError, &str)> = vec![
            (CoreError::Unauthenticated("x".into()), "\"UNAUTHENTICATED\""),
            (CoreError::Forbidden("x".into()), "\"FORBIDDEN\""),
            (CoreError::validation("f", "bad"), "\"BAD_USER_INPUT\""),
            (CoreError::NotFound("user".into()), "\"NOT_FOUND\""),
            (CoreError::Conflict("x".into()), "\"CONFLICT\""),
            (CoreError::RateLimited { retry_after_secs: 3 }, "\"RATE_LIMITED\""),
            (CoreError::Internal("x".into()), "\"INTERNAL\""),
            (CoreError::Gateway("x".into()), "\"GATEWAY_ERROR\""),
        ];
        for (e, want) in cases {
            assert_eq!(code(e).0, want);
        }
    }

    #[test]
    fn internal_details_never_reach_the_client() {
        let (_, g) = code(CoreError::Internal("database: password=hunter2 at 10.0.0.1".into()));
        assert!(!g.message.contains("hunter2"));
        assert!(!g.message.contains("10.0.0.1"));
    }

    #[test]
    fn validation_names_the_field_and_rate_limit_the_wait() {
        let (_, g) = code(CoreError::validation("tier", "bad"));
        assert_eq!(
            g.extensions
                .as_ref()
                .and_then(|x| x.get("field").cloned())
                .map(|v| v.to_string()),
            Some("\"tier\"".into())
        );
        let (_, g) = code(CoreError::RateLimited { retry_after_secs: 42 });
        assert_eq!(
            g.extensions
                .as_ref()
                .and_then(|x| x.get("retryAfter").cloned())
                .map(|v| v.to_string()),
            Some("42".into())
        );
    }
}

//! The one error type of the core layer. Each variant corresponds to exactly one client-facing
//! code (the table lives in `hpcb-schema`); `Internal` carries detail for the log only.

use thiserror::Error;

/// Why a core operation did not happen.
#[derive(Debug, Error)]
pub enum CoreError {
    /// No valid credentials or session.
    #[error("{0}")]
    Unauthenticated(String),
    /// Authenticated, but not allowed to do this.
    #[error("{0}")]
    Forbidden(String),
    /// The input is invalid; `field` names the offending argument.
    #[error("{field}: {message}")]
    Validation {
        /// Argument or setting that is wrong.
        field: String,
        /// What is wrong with it, for the user.
        message: String,
    },
    /// The thing asked for does not exist (or the caller may not know that it does).
    #[error("{0} not found")]
    NotFound(String),
    /// The operation conflicts with the current state (duplicate, already billed, last admin).
    #[error("{0}")]
    Conflict(String),
    /// Too many attempts; retry after the given number of seconds.
    #[error("too many failed attempts; try again in {retry_after_secs} s")]
    RateLimited {
        /// Seconds until the lock ends.
        retry_after_secs: i64,
    },
    /// A payment gateway refused or did not answer; the text is written for the client (never
    /// the gateway's raw error or a secret).
    #[error("{0}")]
    Gateway(String),
    /// The database cannot be reached right now (no connection could be had or kept): the
    /// request may succeed if retried later. The text is logged, never sent.
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// Anything the client cannot act on: database failures, broken invariants. The text is
    /// logged, never sent.
    #[error("internal error: {0}")]
    Internal(String),
}

/// Result alias for core operations.
pub type CoreResult<T> = Result<T, CoreError>;

impl CoreError {
    /// Shorthand for a validation error.
    pub fn validation(field: &str, message: impl Into<String>) -> CoreError {
        CoreError::Validation {
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// Shorthand for an internal error from anything printable.
    pub fn internal(err: impl std::fmt::Display) -> CoreError {
        CoreError::Internal(err.to_string())
    }
}

impl From<sea_orm::DbErr> for CoreError {
    fn from(err: sea_orm::DbErr) -> Self {
        match &err {
            // The database is down or unreachable: retryable, unlike a failed statement.
            sea_orm::DbErr::ConnectionAcquire(_) | sea_orm::DbErr::Conn(_) => {
                CoreError::Unavailable(format!("database: {err}"))
            }
            sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e))
            | sea_orm::DbErr::Exec(sea_orm::RuntimeErr::SqlxError(e))
                if matches!(
                    e,
                    sea_orm::sqlx::Error::Io(_)
                        | sea_orm::sqlx::Error::PoolTimedOut
                        | sea_orm::sqlx::Error::PoolClosed
                        | sea_orm::sqlx::Error::WorkerCrashed
                ) =>
            {
                CoreError::Unavailable(format!("database: {err}"))
            }
            _ => CoreError::Internal(format!("database: {err}")),
        }
    }
}

impl From<sea_orm::TransactionError<CoreError>> for CoreError {
    fn from(err: sea_orm::TransactionError<CoreError>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(e) => e.into(),
            sea_orm::TransactionError::Transaction(e) => e,
        }
    }
}

/// True when a database error is a unique-constraint violation, on either backend; used to
/// turn races on unique keys into `Conflict` instead of `Internal`.
pub fn is_unique_violation(err: &sea_orm::DbErr) -> bool {
    matches!(err.sql_err(), Some(sea_orm::SqlErr::UniqueConstraintViolation(_)))
}

//! Port for authenticating against an account database we do not own (PAM on the cluster).

use crate::error::CoreResult;

/// Checks a user name and password elsewhere; `Ok(false)` means the credentials were refused.
/// Implementations may block (PAM does); the core calls them off the async runtime.
pub trait ExternalAuthenticator: Send + Sync + 'static {
    /// Short name recorded as the account's `auth_source` (`pam`).
    fn source(&self) -> &'static str;
    /// Verifies the credentials.
    fn authenticate(&self, username: &str, password: &str) -> CoreResult<bool>;
}

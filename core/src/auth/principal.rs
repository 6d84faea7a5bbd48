//! Roles and the authenticated caller.

use crate::error::CoreError;
use hpcb_entities::UserId;
use std::fmt;
use std::str::FromStr;

/// What an account may do. Ordered by nothing: each check names the roles it allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// Everything, including accounts and the audit export.
    Admin,
    /// Money: rates, tier overrides, receipts of everyone, the audit log.
    Finance,
    /// Their own usage, receipts and payments.
    User,
}

impl Role {
    /// Name as stored and shown.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Finance => "finance",
            Role::User => "user",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = CoreError;
    fn from_str(s: &str) -> Result<Role, CoreError> {
        match s {
            "admin" => Ok(Role::Admin),
            "finance" => Ok(Role::Finance),
            "user" => Ok(Role::User),
            other => Err(CoreError::validation(
                "role",
                format!("unknown role {other:?}; use admin, finance or user"),
            )),
        }
    }
}

/// How the caller presented their session.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthVia {
    /// `Authorization: Bearer`: cannot be sent by a browser on its own, so no CSRF check.
    Bearer,
    /// The session cookie; `csrf_ok` says whether the request echoed the session's CSRF token.
    Cookie {
        /// The `X-CSRF-Token` header matched.
        csrf_ok: bool,
    },
}

/// An authenticated caller, resolved fresh from the database on every request, so role changes,
/// disabling and logout take effect at once.
#[derive(Clone, Debug)]
pub struct Principal {
    /// Account id.
    pub user_id: UserId,
    /// Account name.
    pub username: String,
    /// Current role.
    pub role: Role,
    /// Session id.
    pub session_id: String,
    /// How the session was presented.
    pub via: AuthVia,
    /// Expiry of the presented token, Unix ms.
    pub token_expires_at: i64,
}

impl Principal {
    /// Refuses unless the caller has one of `roles`.
    pub fn require(&self, roles: &[Role]) -> Result<(), CoreError> {
        if roles.contains(&self.role) {
            Ok(())
        } else {
            Err(CoreError::Forbidden(format!(
                "this needs the {} role",
                roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(" or ")
            )))
        }
    }

    /// Refuses a state-changing request that came with the cookie but without the CSRF token.
    pub fn require_csrf(&self) -> Result<(), CoreError> {
        match self.via {
            AuthVia::Cookie { csrf_ok: false } => Err(CoreError::Forbidden(
                "missing or wrong X-CSRF-Token header for a cookie session".into(),
            )),
            _ => Ok(()),
        }
    }

    /// Whether the caller may see data that belongs to `username`.
    pub fn may_see_user(&self, username: &str) -> bool {
        matches!(self.role, Role::Admin | Role::Finance) || self.username == username
    }
}

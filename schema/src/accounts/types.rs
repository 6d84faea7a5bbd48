//! GraphQL types of accounts.

use crate::scalars::DateTime;
use async_graphql::{Enum, SimpleObject};
use hpcb_core::auth::Role;
use hpcb_core::users::{Language, User};

/// What an account may do.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Role")]
pub enum RoleGql {
    /// Everything, including accounts.
    Admin,
    /// Rates, tier overrides, all receipts, the audit log.
    Finance,
    /// Own usage, receipts and payments.
    User,
}

impl From<Role> for RoleGql {
    fn from(r: Role) -> Self {
        match r {
            Role::Admin => RoleGql::Admin,
            Role::Finance => RoleGql::Finance,
            Role::User => RoleGql::User,
        }
    }
}

impl From<RoleGql> for Role {
    fn from(r: RoleGql) -> Self {
        match r {
            RoleGql::Admin => Role::Admin,
            RoleGql::Finance => Role::Finance,
            RoleGql::User => Role::User,
        }
    }
}

/// An account.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "User")]
pub struct UserGql {
    /// Login name.
    pub username: String,
    /// Role.
    pub role: RoleGql,
    /// `local` (password kept here) or `pam` (cluster account).
    pub auth_source: String,
    /// Disabled accounts cannot sign in.
    pub disabled: bool,
    /// When the account was created.
    pub created_at: DateTime,
    /// Dashboard language chosen (empty: the browser's).
    pub language: Option<LanguageGql>,
}

/// A language the dashboard speaks.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "Language")]
pub enum LanguageGql {
    /// English.
    En,
    /// Thai.
    Th,
}

impl From<Language> for LanguageGql {
    fn from(l: Language) -> Self {
        match l {
            Language::En => LanguageGql::En,
            Language::Th => LanguageGql::Th,
        }
    }
}

impl From<LanguageGql> for Language {
    fn from(l: LanguageGql) -> Self {
        match l {
            LanguageGql::En => Language::En,
            LanguageGql::Th => Language::Th,
        }
    }
}

impl From<User> for UserGql {
    fn from(u: User) -> Self {
        UserGql {
            username: u.username,
            role: u.role.into(),
            auth_source: u.auth_source,
            disabled: u.disabled,
            created_at: DateTime(u.created_at),
            language: u.language.map(LanguageGql::from),
        }
    }
}

/// The result of signing in. Browsers also receive the token as an HttpOnly cookie and the
/// CSRF token as a readable cookie.
#[derive(SimpleObject, Clone, Debug)]
pub struct LoginPayload {
    /// Bearer token for `Authorization: Bearer`.
    pub token: String,
    /// When the token expires; sign in again after it (cookie sessions are renewed).
    pub expires_at: DateTime,
    /// Echo in `X-CSRF-Token` on mutations made with the session cookie.
    pub csrf_token: String,
    /// The signed-in account.
    pub user: UserGql,
}

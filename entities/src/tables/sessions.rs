//! `sessions`: server-side login sessions, so tokens can be revoked before they expire.

use sea_orm::entity::prelude::*;

/// One login session. Bearer tokens and cookies carry its id; a request is authenticated only
/// while the row exists, is not revoked and has not expired.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "sessions")]
pub struct Model {
    /// Random 256-bit id, hex.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: String,
    /// Owner.
    pub user_id: i64,
    /// SHA-256 (hex) of the CSRF token handed to the browser; the token itself is never stored.
    pub csrf_hash: String,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Absolute end of the session, Unix ms.
    pub expires_at: i64,
    /// Set by logout, disabling the user, or a password change.
    pub revoked_at: Option<i64>,
    /// Client address at login.
    pub ip: Option<String>,
    /// Client user agent at login.
    pub user_agent: Option<String>,
}

/// No relations are navigated through sea-orm; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

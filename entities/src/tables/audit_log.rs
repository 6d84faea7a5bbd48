//! `audit_log`: the append-only, hash-chained record of who did what.

use sea_orm::entity::prelude::*;

/// One audit entry. `seq` numbers entries without gaps (ids may skip when a transaction rolls
/// back); `hash` = HMAC-SHA256(key, prev_hash ‖ canonical fields), so editing, deleting or
/// reordering any entry breaks the chain from that point on.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "audit_log")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Position in the chain, 1-based, unique and gapless.
    #[sea_orm(unique)]
    pub seq: i64,
    /// Time of the event, Unix ms.
    pub at: i64,
    /// User name of the actor, `None` for anonymous or system actions.
    pub actor: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Request id, to join with the logs.
    pub request_id: Option<String>,
    /// Dotted action name, e.g. `auth.login.success`.
    pub action: String,
    /// What the action was applied to, e.g. `user:alice`.
    pub target: Option<String>,
    /// `ok`, `denied`, `failed`.
    pub status: String,
    /// JSON object with before/after and other details.
    pub details: String,
    /// Hash of the previous entry (64 zero digits for the first).
    pub prev_hash: String,
    /// Hash of this entry, hex.
    pub hash: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

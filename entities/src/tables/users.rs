//! `users`: local and PAM accounts.

use sea_orm::entity::prelude::*;

/// One account. `password_hash` is an argon2id PHC string for local accounts and `NULL` for
/// accounts that authenticate through PAM.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "users")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Login name, unique; for PAM accounts the cluster user name.
    #[sea_orm(unique)]
    pub username: String,
    /// argon2id hash in PHC format, `None` for PAM accounts.
    pub password_hash: Option<String>,
    /// `admin`, `finance` or `user`.
    pub role: String,
    /// `local` or `pam`.
    pub auth_source: String,
    /// A disabled account cannot log in and has no live sessions.
    pub disabled: bool,
    /// Creation time, Unix ms.
    pub created_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Dashboard language (`en`, `th`); `None` follows the browser.
    pub language: Option<String>,
}

/// No relations are navigated through sea-orm; queries join explicitly.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

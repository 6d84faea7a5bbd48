//! `tier_overrides`: per-user tier assignments that beat the classifier rules.

use sea_orm::entity::prelude::*;

/// The tier a user is priced at, set by an admin or finance.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "tier_overrides")]
pub struct Model {
    /// Cluster user name (need not have a login account).
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    /// Tier name.
    pub tier: String,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// Who set it.
    pub updated_by: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `rates`: effective-dated price versions per tier.

use sea_orm::entity::prelude::*;

/// One version of a tier's rates. Rows are never updated: a change inserts a new version with
/// its `effective_from`, so every priced line can point at the exact version it used.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "rates")]
pub struct Model {
    /// Row id, the rate version.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Tier name (`mu`, `gov`, `private`, or one an admin added).
    pub tier: String,
    /// Price per CPU core-hour, decimal string.
    pub cpu: String,
    /// Price per GPU-hour, decimal string.
    pub gpu: String,
    /// Price per memory GB-hour, decimal string.
    pub mem: String,
    /// ISO currency code.
    pub currency: crate::Currency,
    /// From when this version applies, Unix ms.
    pub effective_from: i64,
    /// When it was entered, Unix ms.
    pub created_at: i64,
    /// Who entered it; `None` for the built-in defaults.
    pub created_by: Option<String>,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

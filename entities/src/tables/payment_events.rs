//! `payment_events`: every verified gateway event and status check, once.

use sea_orm::entity::prelude::*;

/// One event as received; `(provider, event_id)` is unique, which is what makes redelivery a
/// no-op.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payment_events")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Gateway plugin id.
    pub provider: String,
    /// The gateway's event id (or `check:…` for status checks).
    pub event_id: String,
    /// The payment it concerns, when one matched.
    pub payment_id: Option<i64>,
    /// The gateway's event type.
    pub event_type: String,
    /// Status the event reported.
    pub status: Option<String>,
    /// Amount it reported, minor units.
    pub amount_minor: Option<i64>,
    /// Currency it reported.
    pub currency: Option<String>,
    /// What the server did with it: `applied`, `no_change`, `ignored`, `unmatched`, `mismatch`.
    pub outcome: String,
    /// Unix ms.
    pub received_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

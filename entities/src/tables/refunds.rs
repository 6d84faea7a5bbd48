//! `refunds`: money given back on a payment.

use sea_orm::entity::prelude::*;

/// One refund request and what the gateway said.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "refunds")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The payment refunded.
    pub payment_id: i64,
    /// Amount, minor units.
    pub amount_minor: i64,
    /// Currency.
    pub currency: crate::Currency,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// The gateway's refund id.
    pub external_id: Option<String>,
    /// Why.
    pub reason: Option<String>,
    /// Who asked.
    pub created_by: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

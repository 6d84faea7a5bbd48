//! `receipts`: one bill to one user.

use sea_orm::entity::prelude::*;

/// A receipt header. Amounts are minor units; `subtotal + tax = total` always holds.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipts")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Invoice number, gapless per year: `INV-2026-000123`.
    #[sea_orm(unique)]
    pub number: String,
    /// Year of the number.
    pub year: i32,
    /// Cluster user billed.
    pub username: String,
    /// `pending`, `paid` or `void`.
    pub status: String,
    /// Currency of every amount.
    pub currency: crate::Currency,
    /// Sum of the lines (exclusive tax) or total less tax (inclusive tax).
    pub subtotal_minor: i64,
    /// Tax.
    pub tax_minor: i64,
    /// What is owed.
    pub total_minor: i64,
    /// Tax rate, decimal string (`0.07`).
    pub tax_rate: String,
    /// Tax label (`VAT 7%`).
    pub tax_label: String,
    /// Whether line prices include the tax.
    pub tax_inclusive: bool,
    /// Jobs that ended at or before this, Unix ms.
    pub ended_before: i64,
    /// `YYYY-MM` for receipts made by the monthly run.
    pub period_month: Option<String>,
    /// Creation, Unix ms.
    pub created_at: i64,
    /// Who created it.
    pub created_by: String,
    /// When it was marked paid.
    pub paid_at: Option<i64>,
    /// How it was paid (`bank-transfer`, `cash`, a gateway name).
    pub paid_method: Option<String>,
    /// Payment reference.
    pub paid_reference: Option<String>,
    /// When it was voided.
    pub voided_at: Option<i64>,
    /// Why it was voided.
    pub void_reason: Option<String>,
    /// Last change, Unix ms.
    pub updated_at: i64,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

//! `payments`: one attempt to pay one receipt through one gateway.

use sea_orm::entity::prelude::*;

/// A payment attempt. The server owns its state; the gateway only reports on it.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "payments")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Unguessable id shown to clients and gateways (`pay_…`); return URLs carry it.
    #[sea_orm(unique)]
    pub public_id: String,
    /// The receipt being paid.
    pub receipt_id: i64,
    /// Owner of the receipt.
    pub username: String,
    /// Gateway plugin id (`stripe`, `omise`, `dummy`).
    pub provider: String,
    /// `pending`, `succeeded`, `failed`, `expired` or `refunded`.
    pub status: String,
    /// Amount asked for, minor units (the receipt's total when the payment started).
    pub amount_minor: i64,
    /// Currency of the amount.
    pub currency: crate::Currency,
    /// Refunded so far, minor units.
    pub refunded_minor: i64,
    /// Whether the customer disputed the charge.
    pub disputed: bool,
    /// The gateway's id for it (checkout session, charge, intent).
    pub external_id: Option<String>,
    /// Where the customer pays.
    pub checkout_url: Option<String>,
    /// QR code image for PromptPay-like methods.
    pub qr_image_url: Option<String>,
    /// Client-side confirmation secret (Stripe PaymentIntent flow); shown to the owner only.
    pub client_secret: Option<String>,
    /// Sent as the gateway's idempotency key so a retried call never charges twice.
    pub idempotency_key: String,
    /// Why the gateway refused to start it, for the user.
    pub error: Option<String>,
    /// Who started it.
    pub created_by: String,
    /// Unix ms.
    pub created_at: i64,
    /// Unix ms.
    pub updated_at: i64,
    /// When it reached a terminal state.
    pub settled_at: Option<i64>,
    /// When the gateway stops accepting it.
    pub expires_at: Option<i64>,
    /// When the janitor asks the gateway next; null when no check is due.
    pub next_check_at: Option<i64>,
    /// Status checks made so far by the janitor.
    pub check_attempts: i32,
}

/// No relations are navigated through sea-orm.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

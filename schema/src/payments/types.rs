//! GraphQL types of payments.

use crate::context::{principal, services};
use crate::error::ApiError;
use crate::scalars::DateTime;
use crate::usage::MoneyGql;
use async_graphql::{ComplexObject, Context, Enum, InputObject, SimpleObject, ID};
use hpcb_core::payments::{Payment, PaymentFilter, PaymentStatus, Refund};

/// Where a payment is in its life. `SUCCEEDED` never goes back; `FAILED` and `EXPIRED` end an
/// attempt without money (a late verified success still counts); `REFUNDED` is a full refund.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "PaymentStatus")]
pub enum PaymentStatusGql {
    /// Waiting for the customer or the gateway.
    Pending,
    /// Paid.
    Succeeded,
    /// Failed; nothing charged.
    Failed,
    /// The checkout expired unpaid.
    Expired,
    /// Paid, then refunded in full.
    Refunded,
}

impl From<PaymentStatusGql> for PaymentStatus {
    fn from(s: PaymentStatusGql) -> Self {
        match s {
            PaymentStatusGql::Pending => PaymentStatus::Pending,
            PaymentStatusGql::Succeeded => PaymentStatus::Succeeded,
            PaymentStatusGql::Failed => PaymentStatus::Failed,
            PaymentStatusGql::Expired => PaymentStatus::Expired,
            PaymentStatusGql::Refunded => PaymentStatus::Refunded,
        }
    }
}

pub(crate) fn status_of(s: &str) -> PaymentStatusGql {
    match PaymentStatus::parse(s) {
        Some(PaymentStatus::Succeeded) => PaymentStatusGql::Succeeded,
        Some(PaymentStatus::Failed) => PaymentStatusGql::Failed,
        Some(PaymentStatus::Expired) => PaymentStatusGql::Expired,
        Some(PaymentStatus::Refunded) => PaymentStatusGql::Refunded,
        _ => PaymentStatusGql::Pending,
    }
}

/// One attempt to pay a receipt through a gateway.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Payment", complex)]
pub struct PaymentGql {
    /// Id (`pay_…`).
    pub id: ID,
    /// The receipt paid.
    pub receipt_id: ID,
    /// Owner of the receipt.
    pub user: String,
    /// Gateway (`stripe`, `omise`, `dummy`).
    pub provider: String,
    /// Status.
    pub status: PaymentStatusGql,
    /// Amount asked for.
    pub amount: MoneyGql,
    /// Refunded so far.
    pub refunded: MoneyGql,
    /// Whether the customer disputed the charge with their bank.
    pub disputed: bool,
    /// The gateway's id.
    pub external_id: Option<String>,
    /// Where to pay.
    pub checkout_url: Option<String>,
    /// QR code image to scan (PromptPay).
    pub qr_image_url: Option<String>,
    /// Why the gateway refused to start it.
    pub error: Option<String>,
    /// Started.
    pub created_at: DateTime,
    /// Last change.
    pub updated_at: DateTime,
    /// When it reached its final state.
    pub settled_at: Option<DateTime>,
    /// When the checkout closes.
    pub expires_at: Option<DateTime>,
    #[graphql(skip)]
    pub row: Payment,
}

impl From<Payment> for PaymentGql {
    fn from(p: Payment) -> Self {
        PaymentGql {
            id: ID(p.public_id.clone()),
            receipt_id: ID(p.receipt_id.to_string()),
            user: p.username.clone(),
            provider: p.provider.clone(),
            status: status_of(&p.status),
            amount: MoneyGql::new(p.amount_minor, p.currency),
            refunded: MoneyGql::new(p.refunded_minor, p.currency),
            disputed: p.disputed,
            external_id: p.external_id.clone(),
            checkout_url: p.checkout_url.clone(),
            qr_image_url: p.qr_image_url.clone(),
            error: p.error.clone(),
            created_at: DateTime(p.created_at),
            updated_at: DateTime(p.updated_at),
            settled_at: p.settled_at.map(DateTime),
            expires_at: p.expires_at.map(DateTime),
            row: p,
        }
    }
}

#[ComplexObject]
impl PaymentGql {
    /// Secret for confirming the payment in the browser (Stripe PaymentIntent flow); only the
    /// payment's owner sees it.
    async fn client_secret(&self, ctx: &Context<'_>) -> Result<Option<String>, ApiError> {
        let p = principal(ctx)?;
        Ok((p.username == self.row.username)
            .then(|| self.row.client_secret.clone())
            .flatten())
    }

    /// Refunds, oldest first.
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn refunds(&self, ctx: &Context<'_>) -> Result<Vec<RefundGql>, ApiError> {
        Ok(services(ctx)?
            .payments
            .refunds_of(self.row.id)
            .await?
            .into_iter()
            .map(RefundGql::from)
            .collect())
    }
}

/// Money given back.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Refund")]
pub struct RefundGql {
    /// Id.
    pub id: ID,
    /// Amount.
    pub amount: MoneyGql,
    /// `pending`, `succeeded` or `failed`.
    pub status: String,
    /// Why.
    pub reason: Option<String>,
    /// Who asked.
    pub created_by: String,
    /// When.
    pub created_at: DateTime,
}

impl From<Refund> for RefundGql {
    fn from(r: Refund) -> Self {
        RefundGql {
            id: ID(r.id.to_string()),
            amount: MoneyGql::new(r.amount_minor, r.currency),
            status: r.status,
            reason: r.reason,
            created_by: r.created_by,
            created_at: DateTime(r.created_at),
        }
    }
}

/// A refund and the payment after it.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "RefundResult")]
pub struct RefundResultGql {
    /// The payment after the refund.
    pub payment: PaymentGql,
    /// The refund.
    pub refund: RefundGql,
}

/// Filter of `payments`.
#[derive(InputObject, Default, Debug)]
#[graphql(name = "PaymentFilter")]
pub struct PaymentFilterInput {
    /// Only this status.
    pub status: Option<PaymentStatusGql>,
    /// Only this user's (admin, finance).
    pub user: Option<String>,
    /// Only this receipt's.
    pub receipt_id: Option<ID>,
    /// Only this gateway's.
    pub provider: Option<String>,
}

impl PaymentFilterInput {
    pub(crate) fn into_core(self) -> Result<PaymentFilter, ApiError> {
        Ok(PaymentFilter {
            status: self.status.map(Into::into),
            user: self.user,
            receipt_id: match self.receipt_id {
                Some(id) => Some(crate::receipts::parse_receipt_id(&id)?),
                None => None,
            },
            provider: self.provider,
        })
    }
}

/// Page information of payment connections.
#[derive(SimpleObject, Debug)]
pub struct PaymentConnectionInfo {
    /// Payments matching the filter.
    pub total_count: u64,
}

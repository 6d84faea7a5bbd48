//! Payment mutations.

use super::types::{PaymentGql, RefundGql, RefundResultGql};
use crate::context::{meta, principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Object, ID};
use hpcb_core::context::Actor;

/// Payment mutations.
#[derive(Default)]
pub struct PaymentMutation;

#[Object]
impl PaymentMutation {
    /// Starts paying a pending receipt through a gateway (its owner or an admin) and returns
    /// where to pay (`checkoutUrl`, `qrImageUrl` or `clientSecret`). An open checkout for the
    /// same receipt and gateway is returned instead of a second one. The receipt becomes paid
    /// only when the gateway confirms, never from this call.
    async fn start_payment(&self, ctx: &Context<'_>, receipt_id: ID, provider: String) -> Result<PaymentGql, ApiError> {
        let p = principal(ctx)?;
        let id = crate::receipts::parse_receipt_id(&receipt_id)?;
        Ok(services(ctx)?
            .payments
            .start(Actor::User(p), &meta(ctx), id, &provider)
            .await?
            .into())
    }

    /// Refunds `amountMinor` (default: everything not yet refunded) of a succeeded payment
    /// through its gateway (admin, finance). The receipt stays paid; the refund is recorded.
    async fn refund_payment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        amount_minor: Option<i64>,
        reason: Option<String>,
    ) -> Result<RefundResultGql, ApiError> {
        let p = principal(ctx)?;
        let (payment, refund) = services(ctx)?
            .payments
            .refund(Actor::User(p), &meta(ctx), &id, amount_minor, reason.as_deref())
            .await?;
        Ok(RefundResultGql {
            payment: payment.into(),
            refund: RefundGql::from(refund),
        })
    }

    /// Asks the gateway for a payment's state now and settles what it says (admin, finance):
    /// the manual version of what the janitor does on its schedule.
    async fn reconcile_payment(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .payments
            .reconcile(Actor::User(p), &meta(ctx), &id)
            .await?
            .into())
    }
}

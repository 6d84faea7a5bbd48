//! Receipt mutations.

use super::query::parse_id;
use super::types::{MonthlyReportGql, ReceiptGql};
use crate::context::{meta, principal, services};
use crate::error::ApiError;
use crate::scalars::DateTime;
use async_graphql::{Context, Object, ID};
use hpcb_core::context::Actor;
use hpcb_core::receipts::ReceiptInput;

/// Receipt mutations.
#[derive(Default)]
pub struct ReceiptMutation;

#[Object]
impl ReceiptMutation {
    /// Bills your ended, unbilled jobs up to `endedBefore` (default now), or the listed ones.
    /// Admin and finance may bill any `user`. A job is on at most one live receipt: a job already
    /// billed gives `CONFLICT` naming it, never a second charge.
    async fn create_receipt(
        &self,
        ctx: &Context<'_>,
        ended_before: Option<DateTime>,
        jobs: Option<Vec<String>>,
        user: Option<String>,
    ) -> Result<ReceiptGql, ApiError> {
        let p = principal(ctx)?;
        let input = ReceiptInput {
            user,
            ended_before: ended_before.map(|d| d.0),
            jobs,
        };
        Ok(services(ctx)?
            .receipts
            .create(Actor::User(p), &meta(ctx), input)
            .await?
            .into())
    }

    /// Records a payment made outside the gateways (admin, finance).
    async fn mark_receipt_paid(
        &self,
        ctx: &Context<'_>,
        id: ID,
        method: String,
        reference: Option<String>,
    ) -> Result<ReceiptGql, ApiError> {
        let p = principal(ctx)?;
        let r = services(ctx)?
            .receipts
            .mark_paid(
                Actor::User(p),
                &meta(ctx),
                parse_id(&id)?,
                &method,
                reference.as_deref(),
            )
            .await?;
        Ok(r.into())
    }

    /// Cancels a pending receipt; its jobs can be billed again (admin, finance).
    async fn void_receipt(&self, ctx: &Context<'_>, id: ID, reason: String) -> Result<ReceiptGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .receipts
            .void(Actor::User(p), &meta(ctx), parse_id(&id)?, &reason)
            .await?
            .into())
    }

    /// Takes back a manual payment: paid → pending (admin, finance).
    async fn revert_receipt_to_pending(&self, ctx: &Context<'_>, id: ID) -> Result<ReceiptGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .receipts
            .revert_to_pending(Actor::User(p), &meta(ctx), parse_id(&id)?)
            .await?
            .into())
    }

    /// One receipt per user with unbilled jobs that ended in `month` (`YYYY-MM`, UTC); running
    /// it again creates nothing new (admin, finance).
    async fn create_monthly_receipts(&self, ctx: &Context<'_>, month: String) -> Result<MonthlyReportGql, ApiError> {
        let p = principal(ctx)?;
        let r = services(ctx)?
            .receipts
            .create_monthly(Actor::User(p), &meta(ctx), &month)
            .await?;
        Ok(MonthlyReportGql {
            month: r.month,
            created: r.created.into_iter().map(Into::into).collect(),
            users_checked: r.users_checked,
        })
    }
}

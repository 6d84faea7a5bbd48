//! Receipt queries.

use super::types::{BillingAdjustmentGql, ReceiptConnectionInfo, ReceiptFilterInput, ReceiptGql, StatusGql};
use crate::context::{principal, services};
use crate::error::ApiError;
use crate::scalars::DateTime;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, ID};
use hpcb_core::auth::Role;
use hpcb_core::context::Actor;
use hpcb_core::receipts::{ReceiptFilter, ReceiptInput};
use hpcb_core::CoreError;

const MAX_PAGE: i32 = 200;

type ReceiptConnection = Connection<String, ReceiptGql, ReceiptConnectionInfo>;

pub(crate) fn parse_id(id: &ID) -> Result<i64, ApiError> {
    id.parse::<i64>()
        .map_err(|_| CoreError::validation("id", "not a receipt id").into())
}

async fn page(
    ctx: &Context<'_>,
    filter: ReceiptFilter,
    first: i32,
    after: Option<String>,
) -> Result<ReceiptConnection, ApiError> {
    let p = principal(ctx)?;
    if !(1..=MAX_PAGE).contains(&first) {
        return Err(CoreError::validation("first", format!("must be between 1 and {MAX_PAGE}")).into());
    }
    let after_id = match &after {
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| CoreError::validation("after", "not a cursor from this connection"))?,
        ),
        None => None,
    };
    let page = services(ctx)?.receipts.list(p, filter, first as u64, after_id).await?;
    let mut conn = Connection::with_additional_fields(
        after.is_some(),
        page.has_next,
        ReceiptConnectionInfo {
            total_count: page.total,
        },
    );
    conn.edges.extend(
        page.receipts
            .into_iter()
            .map(|r| Edge::new(r.id.to_string(), ReceiptGql::from(r))),
    );
    Ok(conn)
}

/// Receipt queries.
#[derive(Default)]
pub struct ReceiptQuery;

#[Object]
impl ReceiptQuery {
    /// Your receipts, newest first.
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn my_receipts(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
        #[graphql(desc = "Only receipts in this status.")] status: Option<StatusGql>,
    ) -> Result<ReceiptConnection, ApiError> {
        let p = principal(ctx)?;
        page(
            ctx,
            ReceiptFilter {
                user: Some(p.username.clone()),
                status: status.map(Into::into),
                ..Default::default()
            },
            first,
            after,
        )
        .await
    }

    /// One receipt with its lines (its owner, admin and finance).
    async fn receipt(&self, ctx: &Context<'_>, id: ID) -> Result<ReceiptGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?.receipts.get(p, parse_id(&id)?).await?.into())
    }

    /// Everyone's receipts (admin, finance).
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn receipts(
        &self,
        ctx: &Context<'_>,
        filter: Option<ReceiptFilterInput>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<ReceiptConnection, ApiError> {
        principal(ctx)?.require(&[Role::Admin, Role::Finance])?;
        page(ctx, filter.unwrap_or_default().into(), first, after).await
    }

    /// What `createReceipt` would bill now, without storing anything.
    async fn preview_receipt(
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
        let (header, lines) = services(ctx)?.receipts.preview(Actor::User(p), input).await?;
        let mut r = ReceiptGql::from(header);
        r.preview_lines = Some(lines);
        Ok(r)
    }

    /// Billed jobs whose usage changed after billing (requeued, corrected): never re-priced on
    /// the issued receipt, listed here for finance (admin, finance).
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn billing_adjustments(&self, ctx: &Context<'_>) -> Result<Vec<BillingAdjustmentGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .receipts
            .adjustments(p)
            .await?
            .into_iter()
            .map(Into::into)
            .collect())
    }
}

//! Payment queries.

use super::types::{PaymentConnectionInfo, PaymentFilterInput, PaymentGql};
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Object, ID};
use hpcb_core::CoreError;

const MAX_PAGE: i32 = 200;

type PaymentConnection = Connection<String, PaymentGql, PaymentConnectionInfo>;

/// Payment queries.
#[derive(Default)]
pub struct PaymentQuery;

#[Object]
impl PaymentQuery {
    /// One payment (its owner, admin, finance).
    async fn payment(&self, ctx: &Context<'_>, id: ID) -> Result<PaymentGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?.payments.get(p, &id).await?.into())
    }

    /// Payments, newest first: your own, or anyone's for admin and finance.
    #[graphql(complexity = "crate::cost::page(first, child_complexity)")]
    async fn payments(
        &self,
        ctx: &Context<'_>,
        filter: Option<PaymentFilterInput>,
        #[graphql(default = 20)] first: i32,
        after: Option<String>,
    ) -> Result<PaymentConnection, ApiError> {
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
        let filter = filter.unwrap_or_default().into_core()?;
        let page = services(ctx)?.payments.list(p, filter, first as u64, after_id).await?;
        let mut conn = Connection::with_additional_fields(
            after.is_some(),
            page.has_next,
            PaymentConnectionInfo {
                total_count: page.total,
            },
        );
        conn.edges.extend(
            page.payments
                .into_iter()
                .map(|pay| Edge::new(pay.id.to_string(), PaymentGql::from(pay))),
        );
        Ok(conn)
    }

    /// Gateways this server can take payments through.
    async fn payment_providers(&self, ctx: &Context<'_>) -> Result<Vec<String>, ApiError> {
        principal(ctx)?;
        Ok(services(ctx)?.payments.providers())
    }
}

//! Overview and plugin queries.

use super::types::{BillingOverviewGql, PluginStatusGql};
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Object};

/// Overview and plugin queries.
#[derive(Default)]
pub struct OperationsQuery;

#[Object]
impl OperationsQuery {
    /// Receipts per month (paid and pending) over the last `months` months including this one,
    /// everything pending, the cost not yet billed, and the top users and accounts (admin,
    /// finance).
    async fn billing_overview(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 12)] months: i32,
    ) -> Result<BillingOverviewGql, ApiError> {
        let p = principal(ctx)?;
        let months = u32::try_from(months).unwrap_or(0);
        Ok(services(ctx)?.billing_overview(p, months).await?.into())
    }

    /// The plugin files the server found: loaded ones, and refused ones with the reason
    /// (admin, finance).
    async fn plugins(&self, ctx: &Context<'_>) -> Result<Vec<PluginStatusGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .plugin_statuses(p)?
            .into_iter()
            .map(PluginStatusGql::from)
            .collect())
    }
}

//! Rate queries.

use super::types::{RateGql, TierOverrideGql};
use crate::context::{principal, services};
use crate::error::ApiError;
use async_graphql::{Context, Object};

/// Rate queries.
#[derive(Default)]
pub struct RateQuery;

#[Object]
impl RateQuery {
    /// The rates in force now, one per tier (any signed-in user).
    async fn rates(&self, ctx: &Context<'_>) -> Result<Vec<RateGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .rates
            .current(p)
            .await?
            .into_iter()
            .map(RateGql::from)
            .collect())
    }

    /// Every rate version, newest first; of one tier when given.
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn rate_history(&self, ctx: &Context<'_>, tier: Option<String>) -> Result<Vec<RateGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .rates
            .history(p, tier.as_deref())
            .await?
            .into_iter()
            .map(RateGql::from)
            .collect())
    }

    /// Per-user tier overrides (admin, finance).
    async fn tier_overrides(&self, ctx: &Context<'_>) -> Result<Vec<TierOverrideGql>, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .rates
            .overrides(p)
            .await?
            .into_iter()
            .map(TierOverrideGql::from)
            .collect())
    }
}

//! Rate mutations.

use super::types::{RateGql, TierOverrideGql};
use crate::context::{meta, principal, services};
use crate::error::ApiError;
use crate::scalars::{DateTime, Dec};
use async_graphql::{Context, Object};
use hpcb_core::context::Actor;
use hpcb_core::rates::RateInput;
use hpcb_core::CoreError;
use hpcb_entities::Currency;

/// Rate mutations.
#[derive(Default)]
pub struct RateMutation;

#[Object]
impl RateMutation {
    /// Enters a new version of a tier's rates (admin, finance). Jobs that ended before
    /// `effectiveFrom` (default: now) keep their old price.
    #[expect(clippy::too_many_arguments, reason = "one GraphQL argument per price")]
    async fn update_rates(
        &self,
        ctx: &Context<'_>,
        tier: String,
        cpu: Dec,
        gpu: Dec,
        mem: Dec,
        effective_from: Option<DateTime>,
        currency: Option<String>,
    ) -> Result<RateGql, ApiError> {
        let p = principal(ctx)?;
        let currency = match currency {
            Some(c) => Some(
                Currency::parse(&c).ok_or_else(|| CoreError::validation("currency", "use a three-letter ISO code"))?,
            ),
            None => None,
        };
        let input = RateInput {
            tier,
            cpu: cpu.0,
            gpu: gpu.0,
            mem: mem.0,
            currency,
            effective_from: effective_from.map(|d| d.0),
        };
        Ok(services(ctx)?
            .rates
            .update(Actor::User(p), &meta(ctx), input)
            .await?
            .into())
    }

    /// Prices a user at a fixed tier (admin, finance).
    async fn set_tier_override(
        &self,
        ctx: &Context<'_>,
        username: String,
        tier: String,
    ) -> Result<TierOverrideGql, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .rates
            .set_override(Actor::User(p), &meta(ctx), &username, &tier)
            .await?
            .into())
    }

    /// Removes a user's tier override; returns whether there was one (admin, finance).
    async fn clear_tier_override(&self, ctx: &Context<'_>, username: String) -> Result<bool, ApiError> {
        let p = principal(ctx)?;
        Ok(services(ctx)?
            .rates
            .clear_override(Actor::User(p), &meta(ctx), &username)
            .await?)
    }
}

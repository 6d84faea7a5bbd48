//! Rate queries.

use super::types::{QuoteGql, RateGql, TierOverrideGql};
use crate::context::{principal, services};
use crate::error::ApiError;
use crate::scalars::Dec;
use crate::usage::{explanation, Basis, MoneyGql};
use async_graphql::{Context, Object};
use hpcb_core::pricing::{hours as in_hours, per_hour};
use hpcb_core::rates::QuoteInput;

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

    /// What a job of this size would cost if it ended now: priced by the same code, tier
    /// rules, rate version and rounding as real jobs (any signed-in user; `tier` defaults to
    /// yours).
    async fn quote(
        &self,
        ctx: &Context<'_>,
        cpus: i32,
        #[graphql(default = 0)] gpus: i32,
        mem_gb: Dec,
        hours: Dec,
        tier: Option<String>,
    ) -> Result<QuoteGql, ApiError> {
        let p = principal(ctx)?;
        let svc = services(ctx)?;
        let quote = svc
            .rates
            .quote(
                p,
                QuoteInput {
                    cpus: cpus.into(),
                    gpus: gpus.into(),
                    mem_gb: mem_gb.0,
                    hours: hours.0,
                    tier,
                },
            )
            .await?;
        let job = &quote.priced;
        let rate = match job.rate_id {
            Some(id) => svc.rates.by_ids(&[id]).await?.into_iter().next(),
            None => None,
        };
        let cost = MoneyGql::new(job.cost_minor, job.currency);
        let q = job.quantities;
        let explain = explanation(
            Basis {
                cpu: job.cpu_basis.as_str(),
                mem: job.mem_basis.as_str(),
                tier: &job.tier,
                tier_reason: &job.tier_reason,
            },
            q,
            rate,
            hpcb_entities::Money::new(job.cost_minor, job.currency),
        )?;
        Ok(QuoteGql {
            cost,
            cpu_core_hours: Dec(in_hours(q.cpu_ms, per_hour::CPU_MS)),
            gpu_hours: Dec(in_hours(q.gpu_s, per_hour::GPU_S)),
            mem_gb_hours: Dec(in_hours(q.mem_kib_s, per_hour::MEM_KIB_S)),
            elapsed_seconds: quote.elapsed_s,
            mem_mb: quote.mem_mb,
            explain,
        })
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

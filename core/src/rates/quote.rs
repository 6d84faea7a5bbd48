//! What a job that has not run would cost: a hypothetical usage record priced by the same
//! [`Pricer`] that prices ingested jobs (same tier rules and overrides, the rate version in
//! force now, the same single rounding), so the cost playground can never disagree with a bill.

use super::RateService;
use crate::auth::Principal;
use crate::error::{CoreError, CoreResult};
use crate::usage::{PricedJob, Pricer, UsageRecord};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;

/// Most CPUs, GPUs, memory (GB) and hours a quote accepts: far beyond any job, small enough
/// that no quantity overflows (a cost too large for its currency is still refused, clearly).
const MAX_CPUS: i64 = 1_000_000;
const MAX_GPUS: i64 = 100_000;
const MAX_MEM_GB: i64 = 1_000_000;
const MAX_HOURS: i64 = 100_000;

/// The job to price.
#[derive(Clone, Debug)]
pub struct QuoteInput {
    /// CPU cores allocated.
    pub cpus: i64,
    /// GPUs allocated.
    pub gpus: i64,
    /// Memory allocated, GB (GiB, as Slurm counts it).
    pub mem_gb: Decimal,
    /// Run time, hours.
    pub hours: Decimal,
    /// Tier to price at; `None` prices at the caller's own tier.
    pub tier: Option<String>,
}

/// A priced hypothetical job.
#[derive(Clone, Debug)]
pub struct Quote {
    /// Quantities, tier, rate version and cost, exactly as an ingested job gets them.
    pub priced: PricedJob,
    /// The run time the hours came to, in whole seconds (Slurm's resolution).
    pub elapsed_s: i64,
    /// The memory the GB came to, in whole MB (Slurm's resolution).
    pub mem_mb: i64,
}

fn whole(field: &str, value: Decimal, scale: i64, max: i64) -> CoreResult<i64> {
    if value.is_sign_negative() {
        return Err(CoreError::validation(field, "must not be negative"));
    }
    if value > Decimal::from(max) {
        return Err(CoreError::validation(field, format!("must be at most {max}")));
    }
    (value * Decimal::from(scale))
        .round()
        .to_i64()
        .ok_or_else(|| CoreError::validation(field, "is out of range"))
}

fn count(field: &str, value: i64, max: i64) -> CoreResult<i64> {
    if !(0..=max).contains(&value) {
        return Err(CoreError::validation(field, format!("must be between 0 and {max}")));
    }
    Ok(value)
}

impl RateService {
    /// Prices a job of `input`'s size that ends now, for the caller (any signed-in user: rates
    /// are public to those who pay them).
    pub async fn quote(&self, p: &Principal, input: QuoteInput) -> CoreResult<Quote> {
        let cpus = count("cpus", input.cpus, MAX_CPUS)?;
        let gpus = count("gpus", input.gpus, MAX_GPUS)?;
        let mem_mb = whole("memGb", input.mem_gb, 1024, MAX_MEM_GB)?;
        let elapsed_s = whole("hours", input.hours, 3600, MAX_HOURS)?;
        let mut pricer = Pricer::from_db(&self.db, self.rules.clone(), self.default_currency).await?;
        if let Some(tier) = &input.tier {
            super::validate_tier(tier)?;
            if !self.tier_exists(tier).await? {
                return Err(CoreError::validation("tier", format!("there is no tier {tier:?}")));
            }
            pricer.set_tier(&p.username, tier);
        }
        let now = self.clock.now_ms();
        let record = UsageRecord {
            job_id: "quote".into(),
            user: p.username.clone(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit: None,
            start: Some(now.saturating_sub(elapsed_s.saturating_mul(1000))),
            end: Some(now),
            elapsed_s,
            alloc_cpus: cpus,
            alloc_gpus: gpus,
            alloc_mem_mb: mem_mb,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        };
        let mut priced = pricer.price(&record, now).map_err(|e| match e {
            CoreError::Internal(_) => CoreError::validation("hours", "the cost of so large a job cannot be computed"),
            other => other,
        })?;
        if input.tier.is_some() {
            priced.tier_reason = "chosen for this quote".into();
        }
        Ok(Quote {
            priced,
            elapsed_s,
            mem_mb,
        })
    }
}

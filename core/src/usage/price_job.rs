//! From a usage record to a priced job: billable quantities (with the predecessor's fallbacks),
//! the tier (override, rules, default), the rate version in force when the job ended, the cost.

use super::record::UsageRecord;
use crate::db::Db;
use crate::error::CoreResult;
use crate::pricing::{cost_minor, Prices, Quantities};
use crate::rates::Rate;
use crate::tiers::TierRules;
use hpcb_entities::tables::{rates, tier_overrides};
use hpcb_entities::Currency;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use std::collections::HashMap;
use std::str::FromStr;

/// Where a billed quantity came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Basis {
    /// Measured use (steps' CPU time, AveRSS).
    Used,
    /// Slurm's CPUTimeRAW (allocated CPUs × elapsed as Slurm counted it).
    CpuTimeRaw,
    /// Allocation × elapsed.
    Allocated,
}

impl Basis {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Used => "used",
            Basis::CpuTimeRaw => "cputime_raw",
            Basis::Allocated => "allocated",
        }
    }
}

impl FromStr for Basis {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "used" => Ok(Basis::Used),
            "cputime_raw" => Ok(Basis::CpuTimeRaw),
            "allocated" => Ok(Basis::Allocated),
            _ => Err(()),
        }
    }
}

/// The predecessor's fallbacks: CPU from used time, else CPUTimeRAW, else allocated CPUs ×
/// elapsed; GPU = allocated GPUs × elapsed; memory from AveRSS × step elapsed, else allocated
/// memory × elapsed. Each first source that is greater than zero wins.
pub fn billable_quantities(r: &UsageRecord) -> (Quantities, Basis, Basis) {
    let (cpu_ms, cpu_basis) = match (r.cpu_used_ms.filter(|v| *v > 0), r.cpu_time_raw_s.filter(|v| *v > 0)) {
        (Some(used), _) => (used, Basis::Used),
        (None, Some(raw)) => (raw.saturating_mul(1000), Basis::CpuTimeRaw),
        (None, None) => (
            r.alloc_cpus.saturating_mul(r.elapsed_s).saturating_mul(1000),
            Basis::Allocated,
        ),
    };
    let (mem_kib_s, mem_basis) = match r.mem_used_kib_s.filter(|v| *v > 0) {
        Some(used) => (used, Basis::Used),
        None => (
            r.alloc_mem_mb.saturating_mul(1024).saturating_mul(r.elapsed_s),
            Basis::Allocated,
        ),
    };
    let gpu_s = r.alloc_gpus.saturating_mul(r.elapsed_s);
    (
        Quantities {
            cpu_ms,
            gpu_s,
            mem_kib_s,
        },
        cpu_basis,
        mem_basis,
    )
}

/// A record's price.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PricedJob {
    /// Billed quantities.
    pub quantities: Quantities,
    /// Source of the CPU figure.
    pub cpu_basis: Basis,
    /// Source of the memory figure.
    pub mem_basis: Basis,
    /// Tier.
    pub tier: String,
    /// Why that tier (and that rate).
    pub tier_reason: String,
    /// Rate version used, if any was in force.
    pub rate_id: Option<i64>,
    /// Cost in minor units.
    pub cost_minor: i64,
    /// Currency.
    pub currency: Currency,
}

/// Everything pricing needs, loaded once per ingestion run (rates and overrides are small).
#[derive(Clone, Debug)]
pub struct Pricer {
    rates: HashMap<String, Vec<Rate>>,
    overrides: HashMap<String, String>,
    rules: TierRules,
    currency: Currency,
}

/// Tier whose rates price tiers that have none (the predecessor priced unknown tiers as private).
const FALLBACK_TIER: &str = "private";

impl Pricer {
    /// Loads rate versions and overrides.
    pub async fn load<C: ConnectionTrait>(conn: &C, rules: TierRules, currency: Currency) -> CoreResult<Pricer> {
        let mut by_tier: HashMap<String, Vec<Rate>> = HashMap::new();
        for m in rates::Entity::find()
            .order_by_asc(rates::Column::EffectiveFrom)
            .order_by_asc(rates::Column::Id)
            .all(conn)
            .await?
        {
            let r = Rate::try_from(m)?;
            by_tier.entry(r.tier.clone()).or_default().push(r);
        }
        let overrides = tier_overrides::Entity::find()
            .all(conn)
            .await?
            .into_iter()
            .map(|o| (o.username, o.tier))
            .collect();
        Ok(Pricer {
            rates: by_tier,
            overrides,
            rules,
            currency,
        })
    }

    /// A pricer over given rate versions and overrides (benchmarks, previews).
    pub fn new(rates: Vec<Rate>, overrides: HashMap<String, String>, rules: TierRules, currency: Currency) -> Pricer {
        let mut by_tier: HashMap<String, Vec<Rate>> = HashMap::new();
        for r in rates {
            by_tier.entry(r.tier.clone()).or_default().push(r);
        }
        for versions in by_tier.values_mut() {
            versions.sort_by_key(|r| (r.effective_from, r.id));
        }
        Pricer {
            rates: by_tier,
            overrides,
            rules,
            currency,
        }
    }

    /// Loads from the database handle.
    pub async fn from_db(db: &Db, rules: TierRules, currency: Currency) -> CoreResult<Pricer> {
        Pricer::load(db.conn(), rules, currency).await
    }

    /// The tier of a user and why.
    pub fn tier_of(&self, user: &str) -> (String, String) {
        match self.overrides.get(user) {
            Some(t) => (t.clone(), "per-user override".into()),
            None => self.rules.classify(user),
        }
    }

    fn rate_at(&self, tier: &str, at: i64) -> Option<&Rate> {
        self.rates.get(tier)?.iter().rev().find(|r| r.effective_from <= at)
    }

    /// Prices a record: rates in force when it ended (now, for jobs still running).
    pub fn price(&self, r: &UsageRecord, now: i64) -> CoreResult<PricedJob> {
        let (quantities, cpu_basis, mem_basis) = billable_quantities(r);
        let (tier, mut reason) = self.tier_of(&r.user);
        let at = r.end.unwrap_or(now);
        let rate = match self.rate_at(&tier, at) {
            Some(rate) => Some(rate),
            None => {
                let fallback = self.rate_at(FALLBACK_TIER, at);
                if fallback.is_some() {
                    reason.push_str(&format!("; tier {tier:?} has no rates then, priced as {FALLBACK_TIER}"));
                }
                fallback
            }
        };
        let (rate_id, cost, currency) = match rate {
            Some(rate) => {
                let prices = Prices {
                    cpu: rate.cpu,
                    gpu: rate.gpu,
                    mem: rate.mem,
                };
                (
                    Some(rate.id.0),
                    cost_minor(quantities, prices, rate.currency)?,
                    rate.currency,
                )
            }
            None => {
                reason.push_str("; no rate in force, cost 0");
                (None, 0, self.currency)
            }
        };
        Ok(PricedJob {
            quantities,
            cpu_basis,
            mem_basis,
            tier,
            tier_reason: reason,
            rate_id,
            cost_minor: cost,
            currency,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> UsageRecord {
        UsageRecord {
            job_id: "1".into(),
            user: "alice".into(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit: None,
            start: Some(0),
            end: Some(3_600_000),
            elapsed_s: 3600,
            alloc_cpus: 4,
            alloc_gpus: 1,
            alloc_mem_mb: 2048,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        }
    }

    #[test]
    fn quantities_fall_back_in_the_predecessors_order() {
        let mut r = record();
        let (q, cpu, mem) = billable_quantities(&r);
        assert_eq!(
            (q.cpu_ms, cpu, q.mem_kib_s, mem, q.gpu_s),
            (
                4 * 3_600_000,
                Basis::Allocated,
                2048 * 1024 * 3600,
                Basis::Allocated,
                3600
            )
        );
        r.cpu_time_raw_s = Some(10_000);
        assert_eq!(billable_quantities(&r).0.cpu_ms, 10_000_000);
        assert_eq!(billable_quantities(&r).1, Basis::CpuTimeRaw);
        r.cpu_used_ms = Some(0);
        assert_eq!(
            billable_quantities(&r).1,
            Basis::CpuTimeRaw,
            "zero used time does not count"
        );
        r.cpu_used_ms = Some(123);
        r.mem_used_kib_s = Some(77);
        let (q, cpu, mem) = billable_quantities(&r);
        assert_eq!((q.cpu_ms, cpu, q.mem_kib_s, mem), (123, Basis::Used, 77, Basis::Used));
    }
}

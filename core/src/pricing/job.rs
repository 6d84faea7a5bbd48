//! From a usage record to a priced job: billable quantities (with the predecessor's fallbacks),
//! the tier (override, rules, default), the rate version in force when the job ended, the cost.

use super::tiers::TierRules;
use crate::db::Db;
use crate::error::CoreResult;
use crate::pricing::{cost_minor, Prices, Quantities, ScaledPrices};
use crate::rates::Rate;
use crate::usage::UsageRecord;
use hpcb_entities::tables::{rates, tier_overrides};
use hpcb_entities::Currency;
use sea_orm::{ConnectionTrait, EntityTrait, QueryOrder};
use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};
use std::str::FromStr;
use std::sync::{Arc, Mutex, PoisonError};

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
///
/// Pricing runs once per job, so what does not depend on the job is prepared once: each rate
/// version's prices are scaled to integers when the pricer is built, and each user's tier (with
/// its reason and rate versions) is worked out on first sight and remembered. Rates, overrides
/// and rules never change inside a pricer, so neither changes any result.
#[derive(Debug)]
pub struct Pricer {
    rates: HashMap<String, Arc<[Version]>>,
    overrides: HashMap<String, String>,
    rules: TierRules,
    currency: Currency,
    /// User name → tier, reason and that tier's versions, filled as users are seen.
    tiers: Mutex<HashMap<String, UserTier, NameHash>>,
}

/// Hashes user names for the tier memory eight bytes at a time with a folded multiply, far
/// cheaper per job than SipHash. The names come from the cluster's own accounting and the
/// memory is bounded, so a poor spread could only cost time, never change a price.
#[derive(Clone, Copy, Debug, Default)]
struct NameHash;

impl BuildHasher for NameHash {
    type Hasher = NameHasher;

    fn build_hasher(&self) -> NameHasher {
        NameHasher(0)
    }
}

/// See [`NameHash`].
#[derive(Clone, Copy, Debug)]
struct NameHasher(u64);

impl NameHasher {
    /// The two halves of the 128-bit product, combined: every input bit reaches every output bit.
    fn mix(a: u64, b: u64) -> u64 {
        let full = u128::from(a) * u128::from(b);
        (full as u64) ^ ((full >> 64) as u64)
    }
}

impl Hasher for NameHasher {
    fn write(&mut self, bytes: &[u8]) {
        const MIX: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut hash = self.0 ^ bytes.len() as u64;
        for word in bytes.chunks(8) {
            let mut padded = [0u8; 8];
            for (slot, byte) in padded.iter_mut().zip(word) {
                *slot = *byte;
            }
            hash = NameHasher::mix(hash ^ u64::from_le_bytes(padded), MIX);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        NameHasher::mix(self.0, 0xd6e8_feb8_6659_fd93)
    }
}

/// A rate version with its prices scaled once (`None` when [`cost_minor`] must judge them).
#[derive(Debug)]
struct Version {
    rate: Rate,
    scaled: Option<ScaledPrices>,
}

/// What [`Pricer::tier_of`] says of a user, with the rate versions of that tier.
#[derive(Debug)]
struct UserTier {
    tier: String,
    reason: String,
    versions: Option<Arc<[Version]>>,
}

/// Users remembered at most; beyond, the memory starts again (a cluster has far fewer users).
const MAX_REMEMBERED_USERS: usize = 100_000;

impl Clone for Pricer {
    /// The same rates, overrides and rules; users are worked out again as they are seen.
    fn clone(&self) -> Pricer {
        Pricer {
            rates: self.rates.clone(),
            overrides: self.overrides.clone(),
            rules: self.rules.clone(),
            currency: self.currency,
            tiers: Mutex::default(),
        }
    }
}

/// Tier whose rates price tiers that have none (the predecessor priced unknown tiers as private).
const FALLBACK_TIER: &str = "private";

/// Each tier's versions (in the order given) with their prices scaled.
fn prepare(by_tier: HashMap<String, Vec<Rate>>) -> HashMap<String, Arc<[Version]>> {
    by_tier
        .into_iter()
        .map(|(tier, versions)| {
            let versions: Arc<[Version]> = versions
                .into_iter()
                .map(|rate| {
                    let prices = Prices {
                        cpu: rate.cpu,
                        gpu: rate.gpu,
                        mem: rate.mem,
                    };
                    let scaled = ScaledPrices::new(prices, rate.currency);
                    Version { rate, scaled }
                })
                .collect();
            (tier, versions)
        })
        .collect()
}

/// The version in force at `at`: the last one that took effect at or before it.
fn version_at(versions: Option<&[Version]>, at: i64) -> Option<&Version> {
    versions?.iter().rev().find(|v| v.rate.effective_from <= at)
}

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
            rates: prepare(by_tier),
            overrides,
            rules,
            currency,
            tiers: Mutex::default(),
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
            rates: prepare(by_tier),
            overrides,
            rules,
            currency,
            tiers: Mutex::default(),
        }
    }

    /// Loads from the database handle.
    pub async fn from_db(db: &Db, rules: TierRules, currency: Currency) -> CoreResult<Pricer> {
        Pricer::load(db.conn(), rules, currency).await
    }

    /// Prices `user` at `tier` from now on, whatever the overrides and rules say (quotes for a
    /// chosen tier).
    pub fn set_tier(&mut self, user: &str, tier: &str) {
        self.overrides.insert(user.to_owned(), tier.to_owned());
        self.tiers.lock().unwrap_or_else(PoisonError::into_inner).remove(user);
    }

    /// The tier of a user and why.
    pub fn tier_of(&self, user: &str) -> (String, String) {
        match self.overrides.get(user) {
            Some(t) => (t.clone(), "per-user override".into()),
            None => self.rules.classify(user),
        }
    }

    /// Runs `f` on [`Pricer::tier_of`] of `user` and the tier's versions, remembered per user.
    /// `f` runs under the memory's lock (it only reads; uncontended in an ingestion run), so a
    /// remembered entry is used in place, without counting references.
    fn with_user_tier<T>(&self, user: &str, f: impl FnOnce(&UserTier) -> T) -> T {
        // a panic elsewhere while holding the lock cannot leave an entry half written
        let mut tiers = self.tiers.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(known) = tiers.get(user) {
            return f(known);
        }
        let (tier, reason) = self.tier_of(user);
        let versions = self.rates.get(&tier).cloned();
        let known = UserTier { tier, reason, versions };
        let result = f(&known);
        if tiers.len() >= MAX_REMEMBERED_USERS {
            tiers.clear();
        }
        tiers.insert(user.to_owned(), known);
        result
    }

    /// Prices a record: rates in force when it ended (now, for jobs still running).
    pub fn price(&self, r: &UsageRecord, now: i64) -> CoreResult<PricedJob> {
        let (quantities, cpu_basis, mem_basis) = billable_quantities(r);
        let at = r.end.unwrap_or(now);
        self.with_user_tier(&r.user, |user| {
            let (tier, mut reason) = (user.tier.clone(), user.reason.clone());
            let version = match version_at(user.versions.as_deref(), at) {
                Some(version) => Some(version),
                None => {
                    let fallback = version_at(self.rates.get(FALLBACK_TIER).map(|v| &**v), at);
                    if fallback.is_some() {
                        reason.push_str(&format!("; tier {tier:?} has no rates then, priced as {FALLBACK_TIER}"));
                    }
                    fallback
                }
            };
            let (rate_id, cost, currency) = match version {
                Some(Version { rate, scaled }) => {
                    let cost = match scaled {
                        Some(scaled) => scaled.cost_minor(quantities)?,
                        None => {
                            let prices = Prices {
                                cpu: rate.cpu,
                                gpu: rate.gpu,
                                mem: rate.mem,
                            };
                            cost_minor(quantities, prices, rate.currency)?
                        }
                    };
                    (Some(rate.id.0), cost, rate.currency)
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

    /// The pricing rule written out plainly, without anything prepared or remembered.
    fn priced_plainly(pricer: &Pricer, rates: &[Rate], r: &UsageRecord, now: i64) -> CoreResult<PricedJob> {
        let rate_at = |tier: &str, at: i64| {
            let mut versions: Vec<&Rate> = rates.iter().filter(|rate| rate.tier == tier).collect();
            versions.sort_by_key(|rate| (rate.effective_from, rate.id));
            versions.into_iter().rev().find(|rate| rate.effective_from <= at)
        };
        let (quantities, cpu_basis, mem_basis) = billable_quantities(r);
        let (tier, mut reason) = pricer.tier_of(&r.user);
        let at = r.end.unwrap_or(now);
        let rate = match rate_at(&tier, at) {
            Some(rate) => Some(rate),
            None => {
                let fallback = rate_at(FALLBACK_TIER, at);
                if fallback.is_some() {
                    reason.push_str(&format!("; tier {tier:?} has no rates then, priced as {FALLBACK_TIER}"));
                }
                fallback
            }
        };
        let (rate_id, cost_minor, currency) = match rate {
            Some(rate) => {
                let prices = Prices {
                    cpu: rate.cpu,
                    gpu: rate.gpu,
                    mem: rate.mem,
                };
                (
                    Some(rate.id.0),
                    crate::pricing::cost_minor(quantities, prices, rate.currency)?,
                    rate.currency,
                )
            }
            None => {
                reason.push_str("; no rate in force, cost 0");
                (None, 0, pricer.currency)
            }
        };
        Ok(PricedJob {
            quantities,
            cpu_basis,
            mem_basis,
            tier,
            tier_reason: reason,
            rate_id,
            cost_minor,
            currency,
        })
    }

    #[test]
    fn prepared_pricing_gives_what_the_plain_rule_gives() {
        use hpcb_entities::RateId;
        use rust_decimal::Decimal;
        let rate = |id: i64, tier: &str, from: i64, cpu: &str, currency: Currency| Rate {
            id: RateId(id),
            tier: tier.into(),
            cpu: cpu.parse().expect("decimal"),
            gpu: Decimal::new(5, 0),
            mem: Decimal::new(5, 1),
            currency,
            effective_from: from,
            created_at: 0,
            created_by: None,
        };
        let jpy = Currency::parse("JPY").expect("code");
        let rates = vec![
            rate(1, "mu", 0, "1", Currency::THB),
            rate(2, "mu", 5_000_000, "1.5", Currency::THB),
            rate(3, "private", 2_000_000, "5", Currency::THB),
            rate(4, "gov", 0, "0.000000001", Currency::THB),
            rate(5, "special", 0, "3", jpy),
        ];
        let overrides = HashMap::from([
            ("vip".to_owned(), "special".to_owned()),
            ("ghost".to_owned(), "no-such-tier".to_owned()),
        ]);
        let pricer = Pricer::new(rates.clone(), overrides, TierRules::default(), Currency::THB);
        let users = [
            "alice",
            "testuser",
            "nstda-lab",
            "somchai.s",
            "vip",
            "ghost",
            "acme.corp",
            "alice",
        ];
        let mut compared = 0;
        for round in 0..2 {
            let pricer = if round == 0 {
                pricer.clone()
            } else {
                pricer.clone().clone()
            };
            for user in users {
                for end in [
                    None,
                    Some(0),
                    Some(1_999_999),
                    Some(2_000_000),
                    Some(4_999_999),
                    Some(9_000_000),
                ] {
                    for cpu_used_ms in [None, Some(0), Some(18_000), Some(i64::MAX)] {
                        let mut r = record();
                        r.user = user.into();
                        r.end = end;
                        r.cpu_used_ms = cpu_used_ms;
                        r.alloc_gpus = if compared % 3 == 0 { i64::MAX } else { 2 };
                        let expected = priced_plainly(&pricer, &rates, &r, 3_000_000).map_err(|e| e.to_string());
                        assert_eq!(
                            pricer.price(&r, 3_000_000).map_err(|e| e.to_string()),
                            expected,
                            "{r:?}"
                        );
                        compared += 1;
                    }
                }
            }
        }
        assert_eq!(compared, 2 * 8 * 6 * 4);
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

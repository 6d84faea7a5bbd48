//! GraphQL types of usage.

use crate::error::ApiError;
use crate::rates::RateGql;
use crate::scalars::{DateTime, Dec};
use crate::usage::loaders::{BilledLoader, RateLoader};
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, InputObject, SimpleObject};
use hpcb_core::money::format_minor;
use hpcb_core::pricing::{explain, hours, per_hour, Prices, Quantities};
use hpcb_core::usage::{GroupBy, IngestReport, SourceStatus, SummaryRow, UsageFilter};
use hpcb_core::CoreError;
use hpcb_entities::tables::jobs;
use hpcb_entities::{Currency, Money};
use rust_decimal::Decimal;
use std::str::FromStr;

/// An amount of money.
#[derive(SimpleObject, Clone, Debug)]
pub struct MoneyGql {
    /// The amount as an exact decimal in the currency's major unit (`"123.45"`).
    pub amount: Dec,
    /// The amount in minor units (satang, cents).
    pub minor: i64,
    /// ISO currency code.
    pub currency: String,
}

impl MoneyGql {
    /// Builds from minor units of a currency (a `Currency` is always a valid code: rows with a
    /// damaged one fail to load, they never become some default currency here).
    pub fn new(minor: i64, currency: Currency) -> MoneyGql {
        MoneyGql {
            amount: Dec(Decimal::from_str(&format_minor(minor, currency)).unwrap_or_default()),
            minor,
            currency: currency.to_string(),
        }
    }
}

/// A stored job (or array task) with its price.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Job", complex)]
pub struct JobGql {
    /// Cluster.
    pub cluster: String,
    /// Canonical key (`1234`, `1234_7`), unique per cluster.
    pub job_key: String,
    /// Job id as Slurm shows it.
    pub job_id: String,
    /// Cluster user.
    pub user: String,
    /// Slurm account.
    pub account: Option<String>,
    /// Partition.
    pub partition: Option<String>,
    /// Base state.
    pub state: String,
    /// Submitted.
    pub submit_at: Option<DateTime>,
    /// Started.
    pub start_at: Option<DateTime>,
    /// Ended (empty while running).
    pub end_at: Option<DateTime>,
    /// Elapsed seconds.
    pub elapsed_seconds: i64,
    /// Allocated CPUs.
    pub alloc_cpus: i64,
    /// Allocated GPUs.
    pub alloc_gpus: i64,
    /// Allocated memory, MB.
    pub alloc_mem_mb: i64,
    /// Consumed energy, joules (shown, never priced).
    pub energy_joules: Option<i64>,
    /// CPU core-hours billed.
    pub cpu_core_hours: Dec,
    /// GPU-hours billed.
    pub gpu_hours: Dec,
    /// Memory GB-hours billed.
    pub mem_gb_hours: Dec,
    /// Tier priced at.
    pub tier: String,
    /// Cost, rounded once to minor units.
    pub cost: MoneyGql,
    #[graphql(skip)]
    pub row: jobs::Model,
}

impl From<jobs::Model> for JobGql {
    fn from(j: jobs::Model) -> Self {
        JobGql {
            cluster: j.cluster.clone(),
            job_key: j.job_key.clone(),
            job_id: j.job_id.clone(),
            user: j.username.clone(),
            account: j.account.clone(),
            partition: j.partition.clone(),
            state: j.state.clone(),
            submit_at: j.submit_at.map(DateTime),
            start_at: j.start_at.map(DateTime),
            end_at: j.end_at.map(DateTime),
            elapsed_seconds: j.elapsed_s,
            alloc_cpus: j.alloc_cpus,
            alloc_gpus: j.alloc_gpus,
            alloc_mem_mb: j.alloc_mem_mb,
            energy_joules: j.energy_j,
            cpu_core_hours: Dec(hours(j.cpu_ms, per_hour::CPU_MS)),
            gpu_hours: Dec(hours(j.gpu_s, per_hour::GPU_S)),
            mem_gb_hours: Dec(hours(j.mem_kib_s, per_hour::MEM_KIB_S)),
            tier: j.tier.clone(),
            cost: MoneyGql::new(j.cost_minor, j.currency),
            row: j,
        }
    }
}

/// How a job's cost came about.
#[derive(SimpleObject, Clone, Debug)]
pub struct CostExplanation {
    /// `used` (steps' CPU time), `cputime_raw` or `allocated`.
    pub cpu_basis: String,
    /// `used` (AveRSS × elapsed) or `allocated`.
    pub mem_basis: String,
    /// Tier.
    pub tier: String,
    /// Why that tier (override, which rule, default).
    pub tier_reason: String,
    /// The rate version used (none if no rate was in force).
    pub rate: Option<RateGql>,
    /// The arithmetic, e.g. `2.5 core-h × 1 + 0 GPU-h × 5 + 1.2 GB-h × 0.5 = 3.1 → 3.10 THB`.
    pub arithmetic: String,
}

#[ComplexObject]
impl JobGql {
    /// The live (pending or paid) receipt the job is on; empty while it is unbilled.
    async fn receipt_id(&self, ctx: &Context<'_>) -> Result<Option<async_graphql::ID>, ApiError> {
        let key = (self.row.cluster.clone(), self.row.job_key.clone());
        let receipt = ctx
            .data::<DataLoader<BilledLoader>>()?
            .load_one(key)
            .await
            .map_err(|e| CoreError::internal(e.to_string()))?;
        Ok(receipt.map(|id| async_graphql::ID(id.to_string())))
    }

    /// Whether the job is on a live receipt.
    async fn billed(&self, ctx: &Context<'_>) -> Result<bool, ApiError> {
        Ok(self.receipt_id(ctx).await?.is_some())
    }

    /// Resource hours, tier and why, the rate version and the arithmetic of the cost.
    async fn explain(&self, ctx: &Context<'_>) -> Result<CostExplanation, ApiError> {
        let j = &self.row;
        let rate = match j.rate_id {
            Some(id) => ctx
                .data::<DataLoader<RateLoader>>()?
                .load_one(id)
                .await
                .map_err(|e| CoreError::internal(e.to_string()))?,
            None => None,
        };
        let q = Quantities {
            cpu_ms: j.cpu_ms,
            gpu_s: j.gpu_s,
            mem_kib_s: j.mem_kib_s,
        };
        explanation(
            Basis {
                cpu: &j.cpu_basis,
                mem: &j.mem_basis,
                tier: &j.tier,
                tier_reason: &j.tier_reason,
            },
            q,
            rate,
            Money::new(j.cost_minor, j.currency),
        )
    }
}

/// Where an explanation's words come from: the stored or just-computed price of a job.
pub struct Basis<'a> {
    /// CPU basis.
    pub cpu: &'a str,
    /// Memory basis.
    pub mem: &'a str,
    /// Tier.
    pub tier: &'a str,
    /// Why that tier.
    pub tier_reason: &'a str,
}

/// The explanation of a cost of `q` at `rate` (jobs and quotes explain themselves the same way).
pub fn explanation(
    basis: Basis<'_>,
    q: Quantities,
    rate: Option<hpcb_core::rates::Rate>,
    cost: Money,
) -> Result<CostExplanation, ApiError> {
    let arithmetic = match &rate {
        Some(r) => explain::arithmetic(
            q,
            Prices {
                cpu: r.cpu,
                gpu: r.gpu,
                mem: r.mem,
            },
            cost,
        )?,
        None => explain::NO_RATE.to_owned(),
    };
    Ok(CostExplanation {
        cpu_basis: basis.cpu.to_owned(),
        mem_basis: basis.mem.to_owned(),
        tier: basis.tier.to_owned(),
        tier_reason: basis.tier_reason.to_owned(),
        rate: rate.map(RateGql::from),
        arithmetic,
    })
}

/// Narrows usage queries; time bounds apply to the end time.
#[derive(InputObject, Clone, Debug, Default)]
pub struct UsageFilterInput {
    /// Ended at or after.
    pub from: Option<DateTime>,
    /// Ended before.
    pub to: Option<DateTime>,
    /// Ended at or before (a receipt cut-off).
    pub ended_before: Option<DateTime>,
    /// Cluster.
    pub cluster: Option<String>,
    /// Slurm account.
    pub account: Option<String>,
    /// Partition.
    pub partition: Option<String>,
    /// State (`COMPLETED`, `FAILED`, …).
    pub state: Option<String>,
    /// On a live receipt (`true`) or not yet (`false`).
    pub billed: Option<bool>,
}

impl UsageFilterInput {
    /// The core filter for `user`.
    pub fn into_filter(self, user: Option<String>) -> UsageFilter {
        UsageFilter {
            user,
            from: self.from.map(|d| d.0),
            to: self.to.map(|d| d.0),
            ended_before: self.ended_before.map(|d| d.0),
            cluster: self.cluster,
            account: self.account,
            partition: self.partition,
            state: self.state,
            billed: self.billed,
        }
    }
}

/// Extra fields of job connections.
#[derive(SimpleObject, Clone, Debug)]
pub struct JobConnectionInfo {
    /// Jobs matching the filter.
    pub total_count: u64,
}

/// What `usageSummary` groups by.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "UsageGroupBy")]
pub enum GroupByGql {
    /// Cluster user.
    User,
    /// Slurm account.
    Account,
    /// Partition.
    Partition,
    /// Tier.
    Tier,
    /// UTC day of the end.
    Day,
    /// UTC month of the end.
    Month,
}

impl From<GroupByGql> for GroupBy {
    fn from(g: GroupByGql) -> Self {
        match g {
            GroupByGql::User => GroupBy::User,
            GroupByGql::Account => GroupBy::Account,
            GroupByGql::Partition => GroupBy::Partition,
            GroupByGql::Tier => GroupBy::Tier,
            GroupByGql::Day => GroupBy::Day,
            GroupByGql::Month => GroupBy::Month,
        }
    }
}

/// One group of `usageSummary`.
#[derive(SimpleObject, Clone, Debug)]
pub struct UsageSummaryRow {
    /// The group (user, account, `2026-11`, …; empty when the jobs have none).
    pub key: String,
    /// Jobs.
    pub jobs: i64,
    /// CPU core-hours.
    pub cpu_core_hours: Dec,
    /// GPU-hours.
    pub gpu_hours: Dec,
    /// Memory GB-hours.
    pub mem_gb_hours: Dec,
    /// Sum of the jobs' rounded costs.
    pub cost: MoneyGql,
}

impl From<SummaryRow> for UsageSummaryRow {
    fn from(r: SummaryRow) -> Self {
        UsageSummaryRow {
            key: r.key,
            jobs: r.jobs,
            cpu_core_hours: Dec(hours(r.cpu_ms, per_hour::CPU_MS)),
            gpu_hours: Dec(hours(r.gpu_s, per_hour::GPU_S)),
            mem_gb_hours: Dec(hours(r.mem_kib_s, per_hour::MEM_KIB_S)),
            cost: MoneyGql::new(r.cost_minor, r.currency),
        }
    }
}

/// A configured usage source and how it is doing.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "UsageSource")]
pub struct UsageSourceGql {
    /// Name.
    pub name: String,
    /// Cluster.
    pub cluster: String,
    /// Plugins tried in order.
    pub chain: Vec<String>,
    /// Seconds between scheduled runs (0: on demand only).
    pub interval_seconds: u64,
    /// Everything ended before this has been read.
    pub watermark: Option<DateTime>,
    /// Last run.
    pub last_run_at: Option<DateTime>,
    /// Last successful run.
    pub last_success_at: Option<DateTime>,
    /// Error of the last run, if it failed.
    pub last_error: Option<String>,
    /// Records read by the last run.
    pub last_rows: i64,
    /// Which plugin of the chain answered last.
    pub last_source_used: Option<String>,
    /// Seconds since the last successful run (freshness).
    pub seconds_since_success: Option<i64>,
}

impl UsageSourceGql {
    /// Builds the view at `now`.
    pub fn new(s: SourceStatus, now: i64) -> UsageSourceGql {
        let st = s.state;
        UsageSourceGql {
            name: s.name,
            cluster: s.cluster,
            chain: s.chain,
            interval_seconds: s.interval_secs,
            watermark: st.as_ref().and_then(|x| x.watermark).map(DateTime),
            last_run_at: st.as_ref().and_then(|x| x.last_run_at).map(DateTime),
            last_success_at: st.as_ref().and_then(|x| x.last_success_at).map(DateTime),
            last_error: st.as_ref().and_then(|x| x.last_error.clone()),
            last_rows: st.as_ref().map_or(0, |x| x.last_rows),
            last_source_used: st.as_ref().and_then(|x| x.last_source_used.clone()),
            seconds_since_success: st.as_ref().and_then(|x| x.last_success_at).map(|t| (now - t) / 1000),
        }
    }
}

/// What an ingestion run did.
#[derive(SimpleObject, Clone, Debug)]
pub struct IngestReportGql {
    /// Source.
    pub source: String,
    /// Plugin that answered.
    pub source_used: String,
    /// Window start.
    pub from: DateTime,
    /// Window end.
    pub to: DateTime,
    /// Records read.
    pub fetched: u64,
    /// New jobs.
    pub inserted: u64,
    /// Changed jobs.
    pub updated: u64,
    /// Jobs read again unchanged.
    pub unchanged: u64,
    /// Records refused.
    pub rejected: u64,
    /// Problems reported (first 50).
    pub warnings: Vec<String>,
    /// Wall time, ms.
    pub duration_ms: u64,
}

impl From<IngestReport> for IngestReportGql {
    fn from(r: IngestReport) -> Self {
        IngestReportGql {
            source: r.source,
            source_used: r.source_used,
            from: DateTime(r.from),
            to: DateTime(r.to),
            fetched: r.fetched,
            inserted: r.inserted,
            updated: r.updated,
            unchanged: r.unchanged,
            rejected: r.rejected,
            warnings: r.warnings,
            duration_ms: r.duration_ms,
        }
    }
}

//! `usage_daily`: the daily usage rollup that `usageSummary` reads.

use sea_orm::entity::prelude::*;

/// The jobs of one cluster, UTC day of the end, user, account, partition, state, tier and
/// currency: how many there are and the sums of what they were billed. Kept in step with `jobs`
/// in the transactions that write them.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_daily")]
pub struct Model {
    /// Cluster.
    #[sea_orm(primary_key, auto_increment = false)]
    pub cluster: String,
    /// UTC day of the end, days since 1970-01-01; `i64::MIN / 2` for jobs that have not ended.
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: i64,
    /// Cluster user name.
    #[sea_orm(primary_key, auto_increment = false)]
    pub username: String,
    /// Slurm account, empty for none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub account: String,
    /// Partition, empty for none.
    #[sea_orm(primary_key, auto_increment = false)]
    pub partition: String,
    /// Base state.
    #[sea_orm(primary_key, auto_increment = false)]
    pub state: String,
    /// Tier priced at.
    #[sea_orm(primary_key, auto_increment = false)]
    pub tier: String,
    /// Currency of `cost_minor`.
    #[sea_orm(primary_key, auto_increment = false)]
    pub currency: crate::Currency,
    /// The jobs' `end_day` (`2026-11-21`); `None` for jobs that have not ended.
    pub end_day: Option<String>,
    /// Jobs.
    pub jobs: i64,
    /// CPU core-milliseconds billed.
    pub cpu_ms: i64,
    /// GPU-seconds billed.
    pub gpu_s: i64,
    /// Memory KiB·seconds billed.
    pub mem_kib_s: i64,
    /// Cost, minor units.
    pub cost_minor: i64,
    /// 1 once a sum no longer fits in 64 bits: the sums are then left as they were, and
    /// summaries over this row are computed from the jobs.
    pub overflowed: i32,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

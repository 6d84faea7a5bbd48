//! `receipt_items`: the lines of a receipt, with the rates they were priced at locked in.

use sea_orm::entity::prelude::*;

/// One billed job as it was when billed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "receipt_items")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Receipt.
    pub receipt_id: i64,
    /// Cluster.
    pub cluster: String,
    /// Canonical job key.
    pub job_key: String,
    /// Job id as Slurm shows it.
    pub job_id: String,
    /// End of the job, Unix ms.
    pub end_at: i64,
    /// CPU core-milliseconds billed.
    pub cpu_ms: i64,
    /// GPU-seconds billed.
    pub gpu_s: i64,
    /// Memory KiB·seconds billed.
    pub mem_kib_s: i64,
    /// Tier.
    pub tier: String,
    /// Rate version used.
    pub rate_id: Option<i64>,
    /// CPU rate locked in, decimal string.
    pub cpu_rate: String,
    /// GPU rate locked in.
    pub gpu_rate: String,
    /// Memory rate locked in.
    pub mem_rate: String,
    /// Line amount, minor units (rounded once).
    pub cost_minor: i64,
    /// Content hash of the job version billed; differs from the job's when it changed since.
    pub content_hash: String,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

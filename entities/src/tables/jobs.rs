//! `jobs`: stored, priced usage, one row per billable job.

use sea_orm::entity::prelude::*;

/// One billable job (or array task) with its steps folded in, as last ingested, and its price.
/// Quantities are integers in base units (ms, s, KiB·s) so they sum exactly in SQL.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    /// Row id.
    #[sea_orm(primary_key)]
    pub id: i64,
    /// Cluster name of the source.
    pub cluster: String,
    /// Canonical key: the job id, or `jobid_taskid` for array tasks.
    pub job_key: String,
    /// Job id as Slurm shows it.
    pub job_id: String,
    /// Cluster user name.
    pub username: String,
    /// Slurm account.
    pub account: Option<String>,
    /// Partition.
    pub partition: Option<String>,
    /// Base state (`COMPLETED`, `RUNNING`, …).
    pub state: String,
    /// Submit time, Unix ms.
    pub submit_at: Option<i64>,
    /// Start time, Unix ms.
    pub start_at: Option<i64>,
    /// End time, Unix ms; `None` while the job has not ended.
    pub end_at: Option<i64>,
    /// UTC calendar day of the end (`2026-11-21`), for grouping by day and month.
    pub end_day: Option<String>,
    /// Elapsed seconds.
    pub elapsed_s: i64,
    /// Allocated CPUs.
    pub alloc_cpus: i64,
    /// Allocated GPUs.
    pub alloc_gpus: i64,
    /// Allocated memory, MB.
    pub alloc_mem_mb: i64,
    /// Used CPU time from the steps (or the job), ms.
    pub cpu_used_ms: Option<i64>,
    /// CPUTimeRAW, seconds.
    pub cpu_time_raw_s: Option<i64>,
    /// Σ steps AveRSS (KiB) × step elapsed (s).
    pub mem_used_kib_s: Option<i64>,
    /// Consumed energy, joules (shown, never priced).
    pub energy_j: Option<i64>,
    /// Node list.
    pub nodes: Option<String>,
    /// Name of the source (plugin) that delivered this version.
    pub source: String,
    /// Hash of the usage fields, to tell a changed job from a re-read one.
    pub content_hash: String,
    /// First ingestion, Unix ms.
    pub ingested_at: i64,
    /// Last change, Unix ms.
    pub updated_at: i64,
    /// CPU core-milliseconds billed.
    pub cpu_ms: i64,
    /// Where `cpu_ms` came from: `used`, `cputime_raw`, `allocated`.
    pub cpu_basis: String,
    /// GPU-seconds billed.
    pub gpu_s: i64,
    /// Memory KiB·seconds billed.
    pub mem_kib_s: i64,
    /// Where `mem_kib_s` came from: `used` or `allocated`.
    pub mem_basis: String,
    /// Tier priced at.
    pub tier: String,
    /// Why that tier.
    pub tier_reason: String,
    /// Rate version used; `None` if no rate was in force.
    pub rate_id: Option<i64>,
    /// Cost in minor units, rounded once.
    pub cost_minor: i64,
    /// Currency of the cost.
    pub currency: crate::Currency,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

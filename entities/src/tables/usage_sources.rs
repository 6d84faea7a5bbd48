//! `usage_sources`: run state of each configured usage source.

use sea_orm::entity::prelude::*;

/// Watermark and last-run facts of one source (its settings live in the configuration).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "usage_sources")]
pub struct Model {
    /// Source name from the configuration.
    #[sea_orm(primary_key, auto_increment = false)]
    pub name: String,
    /// Cluster it reads.
    pub cluster: String,
    /// Everything that ended before this time has been read, Unix ms.
    pub watermark: Option<i64>,
    /// Start of the last run, Unix ms.
    pub last_run_at: Option<i64>,
    /// End of the last successful run, Unix ms.
    pub last_success_at: Option<i64>,
    /// Error of the last run, if it failed.
    pub last_error: Option<String>,
    /// Records read by the last run.
    pub last_rows: i64,
    /// Which link of the fallback chain answered last.
    pub last_source_used: Option<String>,
    /// Runs so far.
    pub runs: i64,
}

/// No relations.
#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

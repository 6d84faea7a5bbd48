//! The daily usage rollup: per cluster, UTC day of the end, user, account, partition, state,
//! tier and currency, how many jobs there are and the sums of what they were billed. Ingestion
//! and re-pricing keep it in step with `jobs` in the same transactions; `usageSummary` reads it
//! instead of scanning every job. It replaces the covering index the summaries used to scan.
//!
//! Existing jobs are summed into it here. Sums are taken in two halves (high and low 32 bits)
//! so that a group whose total would not fit in 64 bits cannot make the migration fail: such a
//! group is stored marked `overflowed`, and summaries over it are computed from the jobs.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum UsageDaily {
    Table,
    Cluster,
    Day,
    Username,
    Account,
    Partition,
    State,
    Tier,
    Currency,
    EndDay,
    Jobs,
    CpuMs,
    GpuS,
    MemKibS,
    CostMinor,
    Overflowed,
}

#[derive(DeriveIden)]
enum Jobs {
    Table,
    EndDay,
    Currency,
    CpuMs,
    GpuS,
    MemKibS,
    CostMinor,
}

/// `day` of jobs that have not ended (below every real day: `i64::MIN / 2`).
const NOT_ENDED: &str = "-4611686018427387904";

/// The summed columns.
const SUMS: [&str; 4] = ["cpu_ms", "gpu_s", "mem_kib_s", "cost_minor"];

/// Fills the rollup from the stored jobs.
fn backfill() -> String {
    let halves: Vec<String> = SUMS
        .iter()
        .map(|c| format!("SUM({c} >> 32) AS {c}_hi, SUM({c} & 4294967295) AS {c}_lo"))
        .collect();
    // A total fits when its high half is not negative and high × 2³² + low ≤ i64::MAX.
    let overflow: Vec<String> = SUMS
        .iter()
        .map(|c| format!("{c}_hi < 0 OR {c}_hi > (9223372036854775807 - {c}_lo) / 4294967296"))
        .collect();
    let overflow = overflow.join(" OR ");
    let totals: Vec<String> = SUMS
        .iter()
        .map(|c| format!("CASE WHEN {overflow} THEN 0 ELSE {c}_hi * 4294967296 + {c}_lo END"))
        .collect();
    format!(
        "INSERT INTO usage_daily (cluster, day, username, account, \"partition\", state, tier, currency, end_day, \
         jobs, cpu_ms, gpu_s, mem_kib_s, cost_minor, overflowed) \
         SELECT cluster, day, username, account, \"partition\", state, tier, currency, end_day, jobs, {totals}, \
         CASE WHEN {overflow} THEN 1 ELSE 0 END \
         FROM (SELECT cluster, \
         CASE WHEN end_at IS NULL THEN {NOT_ENDED} \
         ELSE end_at / 86400000 - CASE WHEN end_at % 86400000 < 0 THEN 1 ELSE 0 END END AS day, \
         username, COALESCE(account, '') AS account, COALESCE(\"partition\", '') AS \"partition\", state, tier, \
         currency, MIN(end_day) AS end_day, COUNT(*) AS jobs, {halves} \
         FROM jobs GROUP BY 1, 2, 3, 4, 5, 6, 7, 8) AS g",
        totals = totals.join(", "),
        halves = halves.join(", "),
    )
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(UsageDaily::Table)
                .col(ColumnDef::new(UsageDaily::Cluster).string_len(64).not_null())
                .col(ColumnDef::new(UsageDaily::Day).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::Username).string_len(128).not_null())
                .col(ColumnDef::new(UsageDaily::Account).string_len(128).not_null())
                .col(ColumnDef::new(UsageDaily::Partition).string_len(128).not_null())
                .col(ColumnDef::new(UsageDaily::State).string_len(32).not_null())
                .col(ColumnDef::new(UsageDaily::Tier).string_len(32).not_null())
                .col(ColumnDef::new(UsageDaily::Currency).string_len(3).not_null())
                .col(ColumnDef::new(UsageDaily::EndDay).string_len(10))
                .col(ColumnDef::new(UsageDaily::Jobs).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::CpuMs).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::GpuS).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::MemKibS).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::CostMinor).big_integer().not_null())
                .col(ColumnDef::new(UsageDaily::Overflowed).integer().not_null().default(0))
                .primary_key(
                    Index::create()
                        .col(UsageDaily::Cluster)
                        .col(UsageDaily::Day)
                        .col(UsageDaily::Username)
                        .col(UsageDaily::Account)
                        .col(UsageDaily::Partition)
                        .col(UsageDaily::State)
                        .col(UsageDaily::Tier)
                        .col(UsageDaily::Currency),
                )
                .to_owned(),
        )
        .await?;
        m.get_connection().execute_unprepared(&backfill()).await?;
        m.drop_index(Index::drop().name("idx_jobs_day_totals").table(Jobs::Table).to_owned())
            .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_index(
            Index::create()
                .name("idx_jobs_day_totals")
                .table(Jobs::Table)
                .col(Jobs::EndDay)
                .col(Jobs::Currency)
                .col(Jobs::CpuMs)
                .col(Jobs::GpuS)
                .col(Jobs::MemKibS)
                .col(Jobs::CostMinor)
                .to_owned(),
        )
        .await?;
        m.drop_table(Table::drop().table(UsageDaily::Table).to_owned()).await
    }
}

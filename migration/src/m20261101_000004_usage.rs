//! Stored, priced usage: one row per billable job (array tasks separately, steps folded in), and
//! the run state of each configured usage source.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Id,
    Cluster,
    JobKey,
    JobId,
    Username,
    Account,
    Partition,
    State,
    SubmitAt,
    StartAt,
    EndAt,
    EndDay,
    ElapsedS,
    AllocCpus,
    AllocGpus,
    AllocMemMb,
    CpuUsedMs,
    CpuTimeRawS,
    MemUsedKibS,
    EnergyJ,
    Nodes,
    Source,
    ContentHash,
    IngestedAt,
    UpdatedAt,
    CpuMs,
    CpuBasis,
    GpuS,
    MemKibS,
    MemBasis,
    Tier,
    TierReason,
    RateId,
    CostMinor,
    Currency,
}

#[derive(DeriveIden)]
enum UsageSources {
    Table,
    Name,
    Cluster,
    Watermark,
    LastRunAt,
    LastSuccessAt,
    LastError,
    LastRows,
    LastSourceUsed,
    Runs,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Jobs::Table)
                .col(
                    ColumnDef::new(Jobs::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Jobs::Cluster).string_len(64).not_null())
                .col(ColumnDef::new(Jobs::JobKey).string_len(64).not_null())
                .col(ColumnDef::new(Jobs::JobId).string_len(64).not_null())
                .col(ColumnDef::new(Jobs::Username).string_len(128).not_null())
                .col(ColumnDef::new(Jobs::Account).string_len(128))
                .col(ColumnDef::new(Jobs::Partition).string_len(128))
                .col(ColumnDef::new(Jobs::State).string_len(32).not_null())
                .col(ColumnDef::new(Jobs::SubmitAt).big_integer())
                .col(ColumnDef::new(Jobs::StartAt).big_integer())
                .col(ColumnDef::new(Jobs::EndAt).big_integer())
                .col(ColumnDef::new(Jobs::EndDay).string_len(10))
                .col(ColumnDef::new(Jobs::ElapsedS).big_integer().not_null())
                .col(ColumnDef::new(Jobs::AllocCpus).big_integer().not_null())
                .col(ColumnDef::new(Jobs::AllocGpus).big_integer().not_null())
                .col(ColumnDef::new(Jobs::AllocMemMb).big_integer().not_null())
                .col(ColumnDef::new(Jobs::CpuUsedMs).big_integer())
                .col(ColumnDef::new(Jobs::CpuTimeRawS).big_integer())
                .col(ColumnDef::new(Jobs::MemUsedKibS).big_integer())
                .col(ColumnDef::new(Jobs::EnergyJ).big_integer())
                .col(ColumnDef::new(Jobs::Nodes).string_len(512))
                .col(ColumnDef::new(Jobs::Source).string_len(64).not_null())
                .col(ColumnDef::new(Jobs::ContentHash).string_len(32).not_null())
                .col(ColumnDef::new(Jobs::IngestedAt).big_integer().not_null())
                .col(ColumnDef::new(Jobs::UpdatedAt).big_integer().not_null())
                .col(ColumnDef::new(Jobs::CpuMs).big_integer().not_null())
                .col(ColumnDef::new(Jobs::CpuBasis).string_len(16).not_null())
                .col(ColumnDef::new(Jobs::GpuS).big_integer().not_null())
                .col(ColumnDef::new(Jobs::MemKibS).big_integer().not_null())
                .col(ColumnDef::new(Jobs::MemBasis).string_len(16).not_null())
                .col(ColumnDef::new(Jobs::Tier).string_len(32).not_null())
                .col(ColumnDef::new(Jobs::TierReason).string_len(256).not_null())
                .col(ColumnDef::new(Jobs::RateId).big_integer())
                .col(ColumnDef::new(Jobs::CostMinor).big_integer().not_null())
                .col(ColumnDef::new(Jobs::Currency).string_len(3).not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("ux_jobs_cluster_key")
                .table(Jobs::Table)
                .col(Jobs::Cluster)
                .col(Jobs::JobKey)
                .unique()
                .to_owned(),
        )
        .await?;
        for (name, cols) in [
            ("idx_jobs_user_end", vec![Jobs::Username, Jobs::EndAt]),
            ("idx_jobs_end", vec![Jobs::EndAt]),
            // Covers the monthly and daily summaries: an index-only scan in day order.
            (
                "idx_jobs_day_totals",
                vec![
                    Jobs::EndDay,
                    Jobs::Currency,
                    Jobs::CpuMs,
                    Jobs::GpuS,
                    Jobs::MemKibS,
                    Jobs::CostMinor,
                ],
            ),
            ("idx_jobs_account", vec![Jobs::Account]),
        ] {
            let mut idx = Index::create();
            idx.name(name).table(Jobs::Table);
            for c in cols {
                idx.col(c);
            }
            m.create_index(idx.to_owned()).await?;
        }
        m.create_table(
            Table::create()
                .table(UsageSources::Table)
                .col(
                    ColumnDef::new(UsageSources::Name)
                        .string_len(64)
                        .not_null()
                        .primary_key(),
                )
                .col(ColumnDef::new(UsageSources::Cluster).string_len(64).not_null())
                .col(ColumnDef::new(UsageSources::Watermark).big_integer())
                .col(ColumnDef::new(UsageSources::LastRunAt).big_integer())
                .col(ColumnDef::new(UsageSources::LastSuccessAt).big_integer())
                .col(ColumnDef::new(UsageSources::LastError).text())
                .col(
                    ColumnDef::new(UsageSources::LastRows)
                        .big_integer()
                        .not_null()
                        .default(0),
                )
                .col(ColumnDef::new(UsageSources::LastSourceUsed).string_len(64))
                .col(ColumnDef::new(UsageSources::Runs).big_integer().not_null().default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(UsageSources::Table).to_owned())
            .await?;
        m.drop_table(Table::drop().table(Jobs::Table).to_owned()).await
    }
}

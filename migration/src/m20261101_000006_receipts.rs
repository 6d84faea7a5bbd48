//! Receipts: headers, their lines (with the rates locked in), the billed-jobs guard that makes
//! double billing impossible, and gapless invoice counters per year.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Receipts {
    Table,
    Id,
    Number,
    Year,
    Username,
    Status,
    Currency,
    SubtotalMinor,
    TaxMinor,
    TotalMinor,
    TaxRate,
    TaxLabel,
    TaxInclusive,
    EndedBefore,
    PeriodMonth,
    CreatedAt,
    CreatedBy,
    PaidAt,
    PaidMethod,
    PaidReference,
    VoidedAt,
    VoidReason,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum ReceiptItems {
    Table,
    Id,
    ReceiptId,
    Cluster,
    JobKey,
    JobId,
    EndAt,
    CpuMs,
    GpuS,
    MemKibS,
    Tier,
    RateId,
    CpuRate,
    GpuRate,
    MemRate,
    CostMinor,
    ContentHash,
}

#[derive(DeriveIden)]
enum BilledJobs {
    Table,
    Cluster,
    JobKey,
    ReceiptId,
}

#[derive(DeriveIden)]
enum InvoiceCounters {
    Table,
    Year,
    Last,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(Receipts::Table)
                .col(
                    ColumnDef::new(Receipts::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(Receipts::Number).string_len(32).not_null().unique_key())
                .col(ColumnDef::new(Receipts::Year).integer().not_null())
                .col(ColumnDef::new(Receipts::Username).string_len(128).not_null())
                .col(ColumnDef::new(Receipts::Status).string_len(16).not_null())
                .col(ColumnDef::new(Receipts::Currency).string_len(3).not_null())
                .col(ColumnDef::new(Receipts::SubtotalMinor).big_integer().not_null())
                .col(ColumnDef::new(Receipts::TaxMinor).big_integer().not_null())
                .col(ColumnDef::new(Receipts::TotalMinor).big_integer().not_null())
                .col(ColumnDef::new(Receipts::TaxRate).string_len(16).not_null())
                .col(ColumnDef::new(Receipts::TaxLabel).string_len(64).not_null())
                .col(ColumnDef::new(Receipts::TaxInclusive).boolean().not_null())
                .col(ColumnDef::new(Receipts::EndedBefore).big_integer().not_null())
                .col(ColumnDef::new(Receipts::PeriodMonth).string_len(7))
                .col(ColumnDef::new(Receipts::CreatedAt).big_integer().not_null())
                .col(ColumnDef::new(Receipts::CreatedBy).string_len(128).not_null())
                .col(ColumnDef::new(Receipts::PaidAt).big_integer())
                .col(ColumnDef::new(Receipts::PaidMethod).string_len(32))
                .col(ColumnDef::new(Receipts::PaidReference).string_len(128))
                .col(ColumnDef::new(Receipts::VoidedAt).big_integer())
                .col(ColumnDef::new(Receipts::VoidReason).string_len(512))
                .col(ColumnDef::new(Receipts::UpdatedAt).big_integer().not_null())
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_receipts_user")
                .table(Receipts::Table)
                .col(Receipts::Username)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_receipts_status_created")
                .table(Receipts::Table)
                .col(Receipts::Status)
                .col(Receipts::CreatedAt)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(ReceiptItems::Table)
                .col(
                    ColumnDef::new(ReceiptItems::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(ReceiptItems::ReceiptId).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::Cluster).string_len(64).not_null())
                .col(ColumnDef::new(ReceiptItems::JobKey).string_len(64).not_null())
                .col(ColumnDef::new(ReceiptItems::JobId).string_len(64).not_null())
                .col(ColumnDef::new(ReceiptItems::EndAt).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::CpuMs).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::GpuS).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::MemKibS).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::Tier).string_len(32).not_null())
                .col(ColumnDef::new(ReceiptItems::RateId).big_integer())
                .col(ColumnDef::new(ReceiptItems::CpuRate).string_len(40).not_null())
                .col(ColumnDef::new(ReceiptItems::GpuRate).string_len(40).not_null())
                .col(ColumnDef::new(ReceiptItems::MemRate).string_len(40).not_null())
                .col(ColumnDef::new(ReceiptItems::CostMinor).big_integer().not_null())
                .col(ColumnDef::new(ReceiptItems::ContentHash).string_len(32).not_null())
                .foreign_key(
                    ForeignKey::create()
                        .from(ReceiptItems::Table, ReceiptItems::ReceiptId)
                        .to(Receipts::Table, Receipts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_receipt_items_receipt")
                .table(ReceiptItems::Table)
                .col(ReceiptItems::ReceiptId)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_receipt_items_job")
                .table(ReceiptItems::Table)
                .col(ReceiptItems::Cluster)
                .col(ReceiptItems::JobKey)
                .to_owned(),
        )
        .await?;
        // One row per job on a live (pending or paid) receipt: the primary key is what makes
        // billing a job twice impossible, whatever races happen. Voiding deletes the rows.
        m.create_table(
            Table::create()
                .table(BilledJobs::Table)
                .col(ColumnDef::new(BilledJobs::Cluster).string_len(64).not_null())
                .col(ColumnDef::new(BilledJobs::JobKey).string_len(64).not_null())
                .col(ColumnDef::new(BilledJobs::ReceiptId).big_integer().not_null())
                .primary_key(Index::create().col(BilledJobs::Cluster).col(BilledJobs::JobKey))
                .foreign_key(
                    ForeignKey::create()
                        .from(BilledJobs::Table, BilledJobs::ReceiptId)
                        .to(Receipts::Table, Receipts::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_billed_jobs_receipt")
                .table(BilledJobs::Table)
                .col(BilledJobs::ReceiptId)
                .to_owned(),
        )
        .await?;
        m.create_table(
            Table::create()
                .table(InvoiceCounters::Table)
                .col(ColumnDef::new(InvoiceCounters::Year).integer().not_null().primary_key())
                .col(ColumnDef::new(InvoiceCounters::Last).big_integer().not_null())
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for t in [
            BilledJobs::Table.into_iden(),
            ReceiptItems::Table.into_iden(),
            InvoiceCounters::Table.into_iden(),
            Receipts::Table.into_iden(),
        ] {
            m.drop_table(Table::drop().table(t).to_owned()).await?;
        }
        Ok(())
    }
}

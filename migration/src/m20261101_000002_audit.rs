//! The hash-chained audit log.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    Seq,
    At,
    Actor,
    Ip,
    UserAgent,
    RequestId,
    Action,
    Target,
    Status,
    Details,
    PrevHash,
    Hash,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.create_table(
            Table::create()
                .table(AuditLog::Table)
                .col(
                    ColumnDef::new(AuditLog::Id)
                        .big_integer()
                        .not_null()
                        .auto_increment()
                        .primary_key(),
                )
                .col(ColumnDef::new(AuditLog::Seq).big_integer().not_null().unique_key())
                .col(ColumnDef::new(AuditLog::At).big_integer().not_null())
                .col(ColumnDef::new(AuditLog::Actor).string_len(128))
                .col(ColumnDef::new(AuditLog::Ip).string_len(64))
                .col(ColumnDef::new(AuditLog::UserAgent).string_len(512))
                .col(ColumnDef::new(AuditLog::RequestId).string_len(64))
                .col(ColumnDef::new(AuditLog::Action).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Target).string_len(256))
                .col(ColumnDef::new(AuditLog::Status).string_len(16).not_null())
                .col(ColumnDef::new(AuditLog::Details).text().not_null())
                .col(ColumnDef::new(AuditLog::PrevHash).string_len(64).not_null())
                .col(ColumnDef::new(AuditLog::Hash).string_len(64).not_null())
                .to_owned(),
        )
        .await?;
        for (name, col) in [
            ("idx_audit_action", AuditLog::Action),
            ("idx_audit_actor", AuditLog::Actor),
            ("idx_audit_at", AuditLog::At),
        ] {
            m.create_index(Index::create().name(name).table(AuditLog::Table).col(col).to_owned())
                .await?;
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.drop_table(Table::drop().table(AuditLog::Table).to_owned()).await
    }
}

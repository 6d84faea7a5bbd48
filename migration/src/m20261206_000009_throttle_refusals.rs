//! Counts the attempts refused while a login lock holds, so a lock window is audited once (with
//! the count when it ends) instead of once per refused attempt: anonymous clients could
//! otherwise fill the audit chain with a row per request.

use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(Iden)]
enum LoginThrottle {
    Table,
    Refused,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(LoginThrottle::Table)
                .add_column(ColumnDef::new(LoginThrottle::Refused).integer().not_null().default(0))
                .to_owned(),
        )
        .await
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        m.alter_table(
            Table::alter()
                .table(LoginThrottle::Table)
                .drop_column(LoginThrottle::Refused)
                .to_owned(),
        )
        .await
    }
}

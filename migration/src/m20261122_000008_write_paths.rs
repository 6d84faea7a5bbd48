//! Lighter write paths: what every ingested job or billed line paid for without anything
//! reading it.
//!
//! - `idx_jobs_account`: summaries by account read the rollup, and an account holds too large
//!   a share of the jobs for an index to narrow a listing much (listings are sorted by end time
//!   anyway), while every ingested job paid for maintaining it.
//! - `idx_receipt_items_job`: nothing looks receipt lines up by job; the billed-job guard's
//!   primary key answers "is this job billed".
//! - On PostgreSQL, the foreign keys from receipt lines and billed-job guards to `receipts`:
//!   they are checked by a trigger per row, which doubled the cost of a large receipt. Both are
//!   only ever written by the transaction that inserts their receipt, with its id, and what the
//!   keys' `RESTRICT` protected against, deleting a receipt, is now refused outright on both
//!   databases by a trigger (receipts are voided, never deleted: the audit trail and the
//!   gapless invoice numbers depend on it). SQLite keeps its foreign keys: dropping one there
//!   means rebuilding the table, and its checks are cheap.

use sea_orm_migration::prelude::*;
use sea_orm_migration::sea_orm::DbBackend;

#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum Jobs {
    Table,
    Account,
}

#[derive(DeriveIden)]
enum ReceiptItems {
    Table,
    Cluster,
    JobKey,
}

/// The message a deletion of a receipt fails with.
const KEPT: &str = "receipts are never deleted: void them instead";

impl Migration {
    fn drop_indexes() -> [IndexDropStatement; 2] {
        [
            Index::drop().name("idx_jobs_account").table(Jobs::Table).to_owned(),
            Index::drop()
                .name("idx_receipt_items_job")
                .table(ReceiptItems::Table)
                .to_owned(),
        ]
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, m: &SchemaManager) -> Result<(), DbErr> {
        for index in Self::drop_indexes() {
            m.drop_index(index).await?;
        }
        let conn = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "DO $$ DECLARE c record; BEGIN \
                       FOR c IN SELECT conrelid::regclass AS tbl, conname FROM pg_constraint \
                         WHERE contype = 'f' AND confrelid = 'receipts'::regclass \
                           AND conrelid IN ('receipt_items'::regclass, 'billed_jobs'::regclass) LOOP \
                         EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', c.tbl, c.conname); \
                       END LOOP; \
                     END $$",
                )
                .await?;
                conn.execute_unprepared(&format!(
                    "CREATE FUNCTION hpcb_receipts_kept() RETURNS trigger LANGUAGE plpgsql AS $$ \
                     BEGIN RAISE EXCEPTION '{KEPT}' USING ERRCODE = 'restrict_violation'; END $$"
                ))
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER receipts_kept BEFORE DELETE ON receipts \
                     FOR EACH ROW EXECUTE FUNCTION hpcb_receipts_kept()",
                )
                .await?;
                conn.execute_unprepared(
                    "CREATE TRIGGER receipts_kept_truncate BEFORE TRUNCATE ON receipts \
                     FOR EACH STATEMENT EXECUTE FUNCTION hpcb_receipts_kept()",
                )
                .await?;
            }
            _ => {
                conn.execute_unprepared(&format!(
                    "CREATE TRIGGER receipts_kept BEFORE DELETE ON receipts \
                     BEGIN SELECT RAISE(ABORT, '{KEPT}'); END"
                ))
                .await?;
            }
        }
        Ok(())
    }

    async fn down(&self, m: &SchemaManager) -> Result<(), DbErr> {
        let conn = m.get_connection();
        match m.get_database_backend() {
            DbBackend::Postgres => {
                conn.execute_unprepared(
                    "DROP TRIGGER receipts_kept_truncate ON receipts; \
                     DROP TRIGGER receipts_kept ON receipts; \
                     DROP FUNCTION hpcb_receipts_kept(); \
                     ALTER TABLE receipt_items ADD FOREIGN KEY (receipt_id) REFERENCES receipts (id) \
                       ON DELETE RESTRICT; \
                     ALTER TABLE billed_jobs ADD FOREIGN KEY (receipt_id) REFERENCES receipts (id) \
                       ON DELETE RESTRICT",
                )
                .await?;
            }
            _ => {
                conn.execute_unprepared("DROP TRIGGER receipts_kept").await?;
            }
        }
        m.create_index(
            Index::create()
                .name("idx_receipt_items_job")
                .table(ReceiptItems::Table)
                .col(ReceiptItems::Cluster)
                .col(ReceiptItems::JobKey)
                .to_owned(),
        )
        .await?;
        m.create_index(
            Index::create()
                .name("idx_jobs_account")
                .table(Jobs::Table)
                .col(Jobs::Account)
                .to_owned(),
        )
        .await
    }
}

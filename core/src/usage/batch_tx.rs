//! The transaction an ingestion batch is written in: on SQLite the database's write transaction
//! (see [`crate::db`]); on PostgreSQL a transaction of the driver, so that whole columns travel
//! as binary arrays (see [`super::pg_rows`]), holding the lock every writer of `jobs` takes.

use super::job_rows::Mode;
use super::pg_rows::{self, PgTx};
use super::rollup::{Deltas, StoredJob, JOBS_LOCK};
use super::sqlite_rows;
use super::store::PreparedJob;
use crate::db::{Db, WriteTx};
use crate::error::{CoreError, CoreResult};
use sea_orm::sqlx::postgres::PgArguments;
use sea_orm::{DbBackend, Statement};
use std::collections::{HashMap, HashSet};

/// Rows ready to write.
pub(crate) enum Prepared {
    /// SQLite statements.
    Sqlite(Vec<Statement>),
    /// PostgreSQL arguments of the statement of their mode.
    Postgres(PgArguments),
}

impl Prepared {
    /// Prepares `rows` for `backend`.
    pub fn new(
        backend: DbBackend,
        cluster: &str,
        source: &str,
        now: i64,
        rows: &[&PreparedJob],
        mode: Mode,
    ) -> CoreResult<Prepared> {
        Ok(match backend {
            DbBackend::Postgres => Prepared::Postgres(pg_rows::arguments(cluster, source, now, rows)?),
            _ => Prepared::Sqlite(sqlite_rows::statements(cluster, source, now, rows, mode)),
        })
    }
}

/// An ingestion batch's transaction.
pub(crate) enum BatchTx {
    /// SQLite.
    Sqlite(WriteTx),
    /// PostgreSQL.
    Postgres(PgTx),
}

fn mismatch() -> CoreError {
    CoreError::internal("rows prepared for another database")
}

impl BatchTx {
    /// Starts a batch: a write transaction that excludes every other writer of `jobs`.
    pub async fn begin(db: &Db) -> CoreResult<BatchTx> {
        match db.backend() {
            DbBackend::Postgres => {
                let mut tx = db
                    .conn()
                    .get_postgres_connection_pool()
                    .begin()
                    .await
                    .map_err(pg_rows::db_error)?;
                pg_rows::lock(&mut tx, JOBS_LOCK).await?;
                Ok(BatchTx::Postgres(tx))
            }
            // The write lock already excludes every other writer.
            _ => Ok(BatchTx::Sqlite(db.begin_write().await?)),
        }
    }

    /// Inserts `rows` prepared rows (distinct keys) in [`Mode::New`], but none whose key is
    /// stored. Returns `None` if every row was inserted, else the keys of those that were
    /// (on PostgreSQL none then: see [`pg_rows::insert_new`]).
    pub async fn insert_new(&mut self, prepared: Prepared, rows: usize) -> CoreResult<Option<HashSet<String>>> {
        match (self, prepared) {
            (BatchTx::Sqlite(tx), Prepared::Sqlite(s)) => sqlite_rows::insert_new(&**tx, s, rows).await,
            (BatchTx::Postgres(tx), Prepared::Postgres(a)) => pg_rows::insert_new(tx, a, rows).await,
            _ => Err(mismatch()),
        }
    }

    /// Writes rows prepared in [`Mode::Replace`].
    pub async fn replace(&mut self, prepared: Prepared) -> CoreResult<()> {
        match (self, prepared) {
            (BatchTx::Sqlite(tx), Prepared::Sqlite(s)) => sqlite_rows::replace(&**tx, s).await,
            (BatchTx::Postgres(tx), Prepared::Postgres(a)) => pg_rows::replace(tx, a).await,
            _ => Err(mismatch()),
        }
    }

    /// The stored content hash of each of `keys` that is stored, by key.
    pub async fn stored_hashes(&mut self, cluster: &str, keys: &[&str]) -> CoreResult<HashMap<String, String>> {
        match self {
            BatchTx::Sqlite(tx) => sqlite_rows::stored_hashes(&**tx, cluster, keys).await,
            BatchTx::Postgres(tx) => pg_rows::stored_hashes(tx, cluster, keys).await,
        }
    }

    /// What the stored rows of `keys` contribute to the rollup.
    pub async fn stored_jobs(&mut self, cluster: &str, keys: &[&str]) -> CoreResult<Vec<StoredJob>> {
        match self {
            BatchTx::Sqlite(tx) => sqlite_rows::stored_jobs(&**tx, cluster, keys).await,
            BatchTx::Postgres(tx) => pg_rows::stored_jobs(tx, cluster, keys).await,
        }
    }

    /// Applies rollup changes.
    pub async fn apply(&mut self, deltas: Deltas<'_>) -> CoreResult<()> {
        match self {
            BatchTx::Sqlite(tx) => deltas.apply(&**tx).await,
            BatchTx::Postgres(tx) => pg_rows::apply(tx, deltas).await,
        }
    }

    /// Commits.
    pub async fn commit(self) -> CoreResult<()> {
        match self {
            BatchTx::Sqlite(tx) => tx.commit().await,
            BatchTx::Postgres(tx) => tx.commit().await.map_err(pg_rows::db_error),
        }
    }
}

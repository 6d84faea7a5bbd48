//! PostgreSQL: writing and reading ingested `jobs` rows in bulk, through the driver directly
//! (see [`super::job_rows`] for the statements).
//!
//! Each column of a batch travels as one binary array, which the server unpacks far faster than
//! array text, and the arguments are encoded when the batch is prepared, by the sender, so the
//! writer only sends them.

use super::job_rows::{encode, postgres_insert, Mode, Sink, COLUMNS};
use super::rollup::{upsert_sql, Deltas, StoredJob, CHUNK, STORED_COLUMNS};
use super::store::PreparedJob;
use crate::error::{CoreError, CoreResult};
use sea_orm::sqlx::postgres::{PgArguments, PgRow, Postgres};
use sea_orm::sqlx::{self, Arguments, Row, Transaction};
use std::collections::{HashMap, HashSet};

/// A transaction of the driver.
pub(crate) type PgTx = Transaction<'static, Postgres>;

/// A driver error as the rest of the core reports database errors.
pub(crate) fn db_error(e: sqlx::Error) -> CoreError {
    sea_orm::DbErr::Query(sea_orm::RuntimeErr::SqlxError(e)).into()
}

fn bind<'q, T>(args: &mut PgArguments, value: T) -> CoreResult<()>
where
    T: sqlx::Encode<'q, Postgres> + sqlx::Type<Postgres> + 'q,
{
    args.add(value)
        .map_err(|e| CoreError::internal(format!("encoding a batch of jobs: {e}")))
}

/// One array per column (of the kind the column travels as).
struct Columns<'a> {
    texts: Vec<Vec<Option<&'a str>>>,
    ints: Vec<Vec<Option<i64>>>,
    next: usize,
}

impl Columns<'_> {
    fn advance(&mut self) -> usize {
        let i = self.next;
        self.next = (self.next + 1) % COLUMNS.len();
        i
    }
}

impl<'a> Sink<'a> for Columns<'a> {
    fn text(&mut self, v: &'a str) {
        self.opt_text(Some(v));
    }
    fn opt_text(&mut self, v: Option<&'a str>) {
        let i = self.advance();
        self.texts[i].push(v);
    }
    fn int(&mut self, v: i64) {
        self.opt_int(Some(v));
    }
    fn opt_int(&mut self, v: Option<i64>) {
        let i = self.advance();
        self.ints[i].push(v);
    }
}

/// The arguments of the statement writing `rows` (the same in either mode).
pub(crate) fn arguments(cluster: &str, source: &str, now: i64, rows: &[&PreparedJob]) -> CoreResult<PgArguments> {
    let mut columns = Columns {
        texts: COLUMNS
            .iter()
            .map(|(_, k)| Vec::with_capacity(if k.is_text() { rows.len() } else { 0 }))
            .collect(),
        ints: COLUMNS
            .iter()
            .map(|(_, k)| Vec::with_capacity(if k.is_text() { 0 } else { rows.len() }))
            .collect(),
        next: 0,
    };
    for j in rows {
        encode(&mut columns, j);
    }
    let mut args = PgArguments::default();
    bind(&mut args, cluster)?;
    bind(&mut args, source)?;
    bind(&mut args, now)?;
    for (i, (_, kind)) in COLUMNS.iter().enumerate() {
        if kind.is_text() {
            bind(&mut args, &columns.texts[i])?;
        } else {
            bind(&mut args, &columns.ints[i])?;
        }
    }
    Ok(args)
}

/// Takes the writers' lock (see [`super::rollup::lock_jobs`]); the batch's commit need not
/// wait for the disk (see [`super::store`]).
pub(crate) async fn lock(tx: &mut PgTx, key: i64) -> CoreResult<()> {
    sqlx::query("SELECT pg_advisory_xact_lock($1), set_config('synchronous_commit', 'off', true)")
        .bind(key)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// Inserts the rows whose arguments are `args` (`rows` of them, distinct keys) if none of
/// their keys is stored. Returns `None` if they were inserted, else no key (none was).
///
/// A plain `INSERT` costs less than one that leaves out stored keys (which checks each row
/// twice and logs its confirmation); when a key turns out to be stored, the statement is
/// undone to a savepoint and the caller looks the keys up instead.
pub(crate) async fn insert_new(tx: &mut PgTx, args: PgArguments, rows: usize) -> CoreResult<Option<HashSet<String>>> {
    let run = |sql: &'static str| sqlx::query(sql);
    run("SAVEPOINT new_jobs").execute(&mut **tx).await.map_err(db_error)?;
    match sqlx::query_with(postgres_insert(Mode::New), args)
        .execute(&mut **tx)
        .await
    {
        Ok(done) if done.rows_affected() == rows as u64 => {
            run("RELEASE SAVEPOINT new_jobs")
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
            Ok(None)
        }
        Ok(done) => Err(CoreError::internal(format!(
            "{} of {rows} new jobs inserted",
            done.rows_affected()
        ))),
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => {
            run("ROLLBACK TO SAVEPOINT new_jobs")
                .execute(&mut **tx)
                .await
                .map_err(db_error)?;
            Ok(Some(HashSet::new()))
        }
        Err(e) => Err(db_error(e)),
    }
}

/// Replaces stored rows.
pub(crate) async fn replace(tx: &mut PgTx, args: PgArguments) -> CoreResult<()> {
    sqlx::query_with(postgres_insert(Mode::Replace), args)
        .execute(&mut **tx)
        .await
        .map_err(db_error)?;
    Ok(())
}

/// The rows selecting `columns` of the stored rows of `keys`, each key looked up on its own
/// through the unique index: a `LATERAL` subquery with `LIMIT` is never turned into a join,
/// and early in a large ingestion, before the table has statistics, a plain
/// `job_key = ANY(…)` would be planned as a filter over every job of the cluster.
async fn lookup(tx: &mut PgTx, cluster: &str, keys: &[&str], columns: &str) -> CoreResult<Vec<PgRow>> {
    if keys.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT j.* FROM UNNEST($2::text[]) AS k(key) CROSS JOIN LATERAL \
         (SELECT {columns} FROM jobs WHERE cluster = $1 AND job_key = k.key LIMIT 1) AS j"
    );
    sqlx::query(&sql)
        .bind(cluster)
        .bind(keys)
        .fetch_all(&mut **tx)
        .await
        .map_err(db_error)
}

/// The stored content hash of each of `keys` that is stored, by key.
pub(crate) async fn stored_hashes(tx: &mut PgTx, cluster: &str, keys: &[&str]) -> CoreResult<HashMap<String, String>> {
    lookup(tx, cluster, keys, "job_key, content_hash")
        .await?
        .iter()
        .map(|r| Ok((r.try_get(0)?, r.try_get(1)?)))
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db_error)
}

fn stored_job(r: &PgRow) -> Result<StoredJob, sqlx::Error> {
    Ok(StoredJob {
        job_key: r.try_get(0)?,
        end_at: r.try_get(1)?,
        end_day: r.try_get(2)?,
        username: r.try_get(3)?,
        account: r.try_get(4)?,
        partition: r.try_get(5)?,
        state: r.try_get(6)?,
        tier: r.try_get(7)?,
        currency: r.try_get(8)?,
        amounts: [r.try_get(9)?, r.try_get(10)?, r.try_get(11)?, r.try_get(12)?],
    })
}

/// What the stored rows of `keys` contribute to the rollup.
pub(crate) async fn stored_jobs(tx: &mut PgTx, cluster: &str, keys: &[&str]) -> CoreResult<Vec<StoredJob>> {
    lookup(tx, cluster, keys, STORED_COLUMNS)
        .await?
        .iter()
        .map(stored_job)
        .collect::<Result<_, _>>()
        .map_err(db_error)
}

/// Applies rollup changes.
pub(crate) async fn apply(tx: &mut PgTx, deltas: Deltas<'_>) -> CoreResult<()> {
    for chunk in deltas.into_rows().chunks(CHUNK) {
        let mut args = PgArguments::default();
        for r in chunk {
            let c = r.cell;
            bind(&mut args, c.cluster)?;
            bind(&mut args, c.day)?;
            for text in [c.username, c.account, c.partition, c.state, c.tier, c.currency] {
                bind(&mut args, text)?;
            }
            bind(&mut args, r.end_day)?;
            bind(&mut args, r.jobs)?;
            for a in r.amounts {
                bind(&mut args, a)?;
            }
            bind(&mut args, r.overflowed)?;
        }
        let sql = upsert_sql(sea_orm::DbBackend::Postgres, chunk.len());
        sqlx::query_with(&sql, args)
            .execute(&mut **tx)
            .await
            .map_err(db_error)?;
    }
    Ok(())
}

//! SQLite: writing and reading ingested `jobs` rows in bulk, inside a write transaction (see
//! [`super::job_rows`] for the statements).

use super::job_rows::{encode, sqlite_insert, sqlite_text_ref, Mode, Sink, COLUMNS, SQLITE_ROWS};
use super::rollup::{StoredJob, STORED_COLUMNS};
use super::store::PreparedJob;
use crate::error::CoreResult;
use sea_orm::{ConnectionTrait, DbBackend, QueryResult, Statement, Value};
use std::collections::{HashMap, HashSet};

/// Keys per lookup statement.
const LOOKUP_KEYS: usize = 1000;

/// A statement's parameters: the rows' text gathered in one blob, and one integer per value
/// (see [`sqlite_text_ref`]).
struct Values {
    blob: Vec<u8>,
    values: Vec<Value>,
}

impl Sink<'_> for Values {
    fn text(&mut self, v: &str) {
        self.values.push(sqlite_text_ref(self.blob.len(), v.len()).into());
        self.blob.extend_from_slice(v.as_bytes());
    }
    fn opt_text(&mut self, v: Option<&str>) {
        match v {
            Some(v) => self.text(v),
            None => self.values.push(Value::BigInt(None)),
        }
    }
    fn int(&mut self, v: i64) {
        self.values.push(v.into());
    }
    fn opt_int(&mut self, v: Option<i64>) {
        self.values.push(v.into());
    }
}

/// The statements writing `rows`.
pub(crate) fn statements(cluster: &str, source: &str, now: i64, rows: &[&PreparedJob], mode: Mode) -> Vec<Statement> {
    rows.chunks(SQLITE_ROWS)
        .map(|chunk| {
            let mut v = Values {
                blob: Vec::with_capacity(chunk.len() * 160),
                values: Vec::with_capacity(4 + chunk.len() * COLUMNS.len()),
            };
            v.values
                .extend([cluster.into(), source.into(), now.into(), Value::Bytes(None)]);
            for j in chunk {
                encode(&mut v, j);
            }
            v.values[3] = Value::Bytes(Some(Box::new(v.blob)));
            Statement::from_sql_and_values(DbBackend::Sqlite, sqlite_insert(chunk.len(), mode), v.values)
        })
        .collect()
}

/// Runs [`Mode::Replace`] statements.
pub(crate) async fn replace<C: ConnectionTrait>(conn: &C, statements: Vec<Statement>) -> CoreResult<()> {
    for s in statements {
        conn.execute(s).await?;
    }
    Ok(())
}

/// Runs the [`Mode::New`] statements of `rows` rows (distinct keys). Returns `None` if every
/// row was inserted, else the keys of those that were (the others are stored already).
pub(crate) async fn insert_new<C: ConnectionTrait>(
    conn: &C,
    statements: Vec<Statement>,
    rows: usize,
) -> CoreResult<Option<HashSet<String>>> {
    // Statements tell how many rows they inserted; which ones is told by their ids, above
    // every id stored before (the write lock is held).
    let last_id: i64 = match conn
        .query_one(Statement::from_string(
            DbBackend::Sqlite,
            "SELECT COALESCE(MAX(id), 0) FROM jobs",
        ))
        .await?
    {
        Some(row) => row.try_get_by_index(0)?,
        None => 0,
    };
    let mut inserted = 0;
    for s in statements {
        inserted += conn.execute(s).await?.rows_affected();
    }
    if inserted == rows as u64 {
        return Ok(None);
    }
    let rows = conn
        .query_all(Statement::from_sql_and_values(
            DbBackend::Sqlite,
            "SELECT job_key FROM jobs WHERE id > ?",
            [last_id.into()],
        ))
        .await?;
    let keys: Result<HashSet<String>, _> = rows.iter().map(|r| r.try_get_by_index(0)).collect();
    Ok(Some(keys?))
}

/// The statement selecting `columns` of the stored rows of `keys`.
fn lookup(cluster: &str, keys: &[&str], columns: &str) -> Statement {
    Statement::from_sql_and_values(
        DbBackend::Sqlite,
        format!("SELECT {columns} FROM jobs WHERE cluster = ? AND job_key IN (SELECT value FROM json_each(?))"),
        [cluster.into(), serde_json::to_string(keys).unwrap_or_default().into()],
    )
}

/// The stored content hash of each of `keys` that is stored, by key.
pub(crate) async fn stored_hashes<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    keys: &[&str],
) -> CoreResult<HashMap<String, String>> {
    let mut out = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(LOOKUP_KEYS) {
        for row in conn.query_all(lookup(cluster, chunk, "job_key, content_hash")).await? {
            out.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
    }
    Ok(out)
}

fn stored_job(r: &QueryResult) -> CoreResult<StoredJob> {
    Ok(StoredJob {
        job_key: r.try_get_by_index(0)?,
        end_at: r.try_get_by_index(1)?,
        end_day: r.try_get_by_index(2)?,
        username: r.try_get_by_index(3)?,
        account: r.try_get_by_index(4)?,
        partition: r.try_get_by_index(5)?,
        state: r.try_get_by_index(6)?,
        tier: r.try_get_by_index(7)?,
        currency: r.try_get_by_index(8)?,
        amounts: [
            r.try_get_by_index(9)?,
            r.try_get_by_index(10)?,
            r.try_get_by_index(11)?,
            r.try_get_by_index(12)?,
        ],
    })
}

/// What the stored rows of `keys` contribute to the rollup.
pub(crate) async fn stored_jobs<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    keys: &[&str],
) -> CoreResult<Vec<StoredJob>> {
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(LOOKUP_KEYS) {
        for row in conn.query_all(lookup(cluster, chunk, STORED_COLUMNS)).await? {
            out.push(stored_job(&row)?);
        }
    }
    Ok(out)
}

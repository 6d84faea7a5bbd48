//! The statements that read and write `jobs` rows in bulk during ingestion, without building a
//! model per row: each batch is written with a handful of prepared statements whose text is the
//! same from batch to batch (so the driver prepares them once per connection).
//!
//! - SQLite: multi-row `VALUES`; what every row shares (cluster, source, time) is bound once.
//! - PostgreSQL: one `INSERT … SELECT … FROM UNNEST(…)` per batch, each column bound as one
//!   array.

use super::pg_array::ArrayLiteral;
use super::price_job::Basis;
use super::store::PreparedJob;
use crate::error::CoreResult;
use hpcb_entities::tables::jobs;
use sea_orm::{ConnectionTrait, DbBackend, FromQueryResult, Statement, Value};
use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

/// How a column travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    /// Text (or `NULL`).
    Text,
    /// Integer (or `NULL`).
    Int,
    /// Text sent as `NULL` when it equals the job key (the job id almost always does).
    OrKey,
    /// A [`Basis`], sent as its position in [`BASES`].
    Basis,
}

/// Every column a row brings, in the order [`encode`] produces them. `cluster`, `source`,
/// `ingested_at` and `updated_at` are the same for every row of a batch and bound once.
const COLUMNS: [(&str, Kind); 30] = [
    ("job_key", Kind::Text),
    ("job_id", Kind::OrKey),
    ("username", Kind::Text),
    ("account", Kind::Text),
    ("\"partition\"", Kind::Text),
    ("state", Kind::Text),
    ("submit_at", Kind::Int),
    ("start_at", Kind::Int),
    ("end_at", Kind::Int),
    ("end_day", Kind::Text),
    ("elapsed_s", Kind::Int),
    ("alloc_cpus", Kind::Int),
    ("alloc_gpus", Kind::Int),
    ("alloc_mem_mb", Kind::Int),
    ("cpu_used_ms", Kind::Int),
    ("cpu_time_raw_s", Kind::Int),
    ("mem_used_kib_s", Kind::Int),
    ("energy_j", Kind::Int),
    ("nodes", Kind::Text),
    ("content_hash", Kind::Text),
    ("cpu_ms", Kind::Int),
    ("cpu_basis", Kind::Basis),
    ("gpu_s", Kind::Int),
    ("mem_kib_s", Kind::Int),
    ("mem_basis", Kind::Basis),
    ("tier", Kind::Text),
    ("tier_reason", Kind::Text),
    ("rate_id", Kind::Int),
    ("cost_minor", Kind::Int),
    ("currency", Kind::Text),
];

/// Every basis, by the number a row sends for it.
const BASES: [Basis; 3] = [Basis::Used, Basis::CpuTimeRaw, Basis::Allocated];

/// The number a row sends for a basis.
fn basis_code(b: Basis) -> i64 {
    match b {
        Basis::Used => 0,
        Basis::CpuTimeRaw => 1,
        Basis::Allocated => 2,
    }
}

/// Rows per SQLite statement: 30 parameters each stays below its 32 766.
const SQLITE_ROWS: usize = 1000;

/// Keys per lookup statement.
const LOOKUP_KEYS: usize = 1000;

/// Receives a row's values in [`COLUMNS`] order.
trait Sink {
    fn text(&mut self, v: &str);
    fn opt_text(&mut self, v: Option<&str>);
    fn int(&mut self, v: i64);
    fn opt_int(&mut self, v: Option<i64>);
}

/// Produces one row, column by column, in [`COLUMNS`] order.
fn encode<S: Sink>(s: &mut S, j: &PreparedJob) {
    let (r, p) = (&j.record, &j.priced);
    s.text(&j.key);
    s.opt_text(Some(r.job_id.as_str()).filter(|id| *id != j.key));
    s.text(&r.user);
    s.opt_text(r.account.as_deref());
    s.opt_text(r.partition.as_deref());
    s.text(&r.state);
    s.opt_int(r.submit);
    s.opt_int(r.start);
    s.opt_int(r.end);
    s.opt_text(j.end_day.as_deref());
    s.int(r.elapsed_s);
    s.int(r.alloc_cpus);
    s.int(r.alloc_gpus);
    s.int(r.alloc_mem_mb);
    s.opt_int(r.cpu_used_ms);
    s.opt_int(r.cpu_time_raw_s);
    s.opt_int(r.mem_used_kib_s);
    s.opt_int(r.energy_j);
    s.opt_text(r.nodes.as_deref());
    s.text(&j.hash);
    s.int(p.quantities.cpu_ms);
    s.int(basis_code(p.cpu_basis));
    s.int(p.quantities.gpu_s);
    s.int(p.quantities.mem_kib_s);
    s.int(basis_code(p.mem_basis));
    s.text(&p.tier);
    s.text(&p.tier_reason);
    s.opt_int(p.rate_id);
    s.int(p.cost_minor);
    s.text(p.currency.as_str());
}

/// SQLite: one parameter per value.
struct Values(Vec<Value>);

impl Sink for Values {
    fn text(&mut self, v: &str) {
        self.0.push(v.into());
    }
    fn opt_text(&mut self, v: Option<&str>) {
        self.0.push(v.map(str::to_owned).into());
    }
    fn int(&mut self, v: i64) {
        self.0.push(v.into());
    }
    fn opt_int(&mut self, v: Option<i64>) {
        self.0.push(v.into());
    }
}

/// PostgreSQL: one array per column.
struct Arrays {
    columns: Vec<ArrayLiteral>,
    next: usize,
}

impl Arrays {
    fn column(&mut self) -> &mut ArrayLiteral {
        let i = self.next;
        self.next = (self.next + 1) % COLUMNS.len();
        &mut self.columns[i]
    }
}

impl Sink for Arrays {
    fn text(&mut self, v: &str) {
        self.column().text(v);
    }
    fn opt_text(&mut self, v: Option<&str>) {
        self.column().opt_text(v);
    }
    fn int(&mut self, v: i64) {
        self.column().int(v);
    }
    fn opt_int(&mut self, v: Option<i64>) {
        self.column().opt_int(v);
    }
}

/// Appends `rows` groups of `per_row` placeholders: `?` on SQLite (numbered ones would make
/// binding quadratic in their number), `$n` numbered from `first + 1` on PostgreSQL.
pub(crate) fn push_placeholders(sql: &mut String, backend: DbBackend, rows: usize, per_row: usize, first: usize) {
    use std::fmt::Write;
    let mut n = first;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        for col in 0..per_row {
            if col > 0 {
                sql.push_str(", ");
            }
            if backend == DbBackend::Postgres {
                n += 1;
                // Writing to a String cannot fail.
                let _ = write!(sql, "${n}");
            } else {
                sql.push('?');
            }
        }
        sql.push(')');
    }
}

/// `INSERT INTO jobs (…) SELECT <shared>, <columns> ` with each column taken from `source(i)`
/// (the i-th value a row sends), turned back into what is stored.
fn insert_select(shared: &str, source: impl Fn(usize) -> String) -> String {
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    let key = source(0);
    let exprs: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| match kind {
            Kind::Text | Kind::Int => source(i),
            Kind::OrKey => format!("COALESCE({}, {key})", source(i)),
            Kind::Basis => {
                let arms: Vec<String> = BASES
                    .iter()
                    .map(|b| format!("WHEN {} THEN '{}'", basis_code(*b), b.as_str()))
                    .collect();
                format!("CASE {} {} END", source(i), arms.join(" "))
            }
        })
        .collect();
    format!(
        "INSERT INTO jobs (cluster, source, ingested_at, updated_at, {}) SELECT {shared}, {}",
        names.join(", "),
        exprs.join(", ")
    )
}

/// What a write statement does with a row whose key is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// Leaves the stored row (the row is not inserted; see [`insert_new`]).
    New,
    /// Replaces the stored row (all but key and first ingestion).
    Replace,
}

/// The clause ending a write statement.
fn on_conflict(backend: DbBackend, mode: Mode) -> String {
    match mode {
        Mode::New if backend == DbBackend::Postgres => {
            " ON CONFLICT (cluster, job_key) DO NOTHING RETURNING job_key".into()
        }
        Mode::New => " ON CONFLICT (cluster, job_key) DO NOTHING".into(),
        Mode::Replace => {
            let mut sql = String::from(
                " ON CONFLICT (cluster, job_key) DO UPDATE SET source = excluded.source, \
                 updated_at = excluded.updated_at",
            );
            for (name, _) in COLUMNS.iter().skip(1) {
                sql.push_str(&format!(", {name} = excluded.{name}"));
            }
            sql
        }
    }
}

fn sqlite_insert(rows: usize, mode: Mode) -> String {
    let build = || {
        let mut sql = insert_select("s.cluster, s.source, s.now, s.now", |i| format!("v.column{}", i + 1));
        sql.push_str(" FROM (SELECT ? AS cluster, ? AS source, ? AS now) AS s, (VALUES ");
        push_placeholders(&mut sql, DbBackend::Sqlite, rows, COLUMNS.len(), 0);
        // `WHERE true` tells SQLite's parser that `ON CONFLICT` is not a join constraint.
        sql.push_str(") AS v WHERE true");
        sql.push_str(&on_conflict(DbBackend::Sqlite, mode));
        sql
    };
    // Full statements of new rows are by far the most frequent: their text is built once.
    static FULL: OnceLock<String> = OnceLock::new();
    if rows == SQLITE_ROWS && mode == Mode::New {
        FULL.get_or_init(build).clone()
    } else {
        build()
    }
}

fn postgres_insert(mode: Mode) -> String {
    // `unnest` in the select list streams the rows; in `FROM` it would first copy them all.
    let arrays: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let ty = match kind {
                Kind::Text | Kind::OrKey => "text",
                Kind::Int | Kind::Basis => "int8",
            };
            format!("unnest(${}::{ty}[]) AS c{}", i + 4, i + 1)
        })
        .collect();
    let mut sql = insert_select("$1, $2, $3, $3", |i| format!("u.c{}", i + 1));
    sql.push_str(&format!(" FROM (SELECT {}) AS u", arrays.join(", ")));
    sql.push_str(&on_conflict(DbBackend::Postgres, mode));
    sql
}

/// The statements writing rows.
pub(crate) fn statements(
    backend: DbBackend,
    cluster: &str,
    source: &str,
    now: i64,
    rows: &[&PreparedJob],
    mode: Mode,
) -> Vec<Statement> {
    if rows.is_empty() {
        return Vec::new();
    }
    let shared: [Value; 3] = [cluster.into(), source.into(), now.into()];
    match backend {
        DbBackend::Postgres => {
            let mut arrays = Arrays {
                columns: (0..COLUMNS.len())
                    .map(|_| ArrayLiteral::with_capacity(rows.len() * 12))
                    .collect(),
                next: 0,
            };
            for j in rows {
                encode(&mut arrays, j);
            }
            let mut values = shared.to_vec();
            values.extend(arrays.columns.into_iter().map(|a| Value::from(a.finish())));
            vec![Statement::from_sql_and_values(backend, postgres_insert(mode), values)]
        }
        _ => rows
            .chunks(SQLITE_ROWS)
            .map(|chunk| {
                let mut values = Values(Vec::with_capacity(3 + chunk.len() * COLUMNS.len()));
                values.0.extend(shared.iter().cloned());
                for j in chunk {
                    encode(&mut values, j);
                }
                Statement::from_sql_and_values(backend, sqlite_insert(chunk.len(), mode), values.0)
            })
            .collect(),
    }
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
    if conn.get_database_backend() == DbBackend::Postgres {
        let mut inserted = Vec::with_capacity(rows);
        for s in statements {
            inserted.extend(conn.query_all(s).await?);
        }
        if inserted.len() == rows {
            return Ok(None);
        }
        let keys: Result<HashSet<String>, _> = inserted.iter().map(|r| r.try_get_by_index(0)).collect();
        return Ok(Some(keys?));
    }
    // SQLite counts what each statement inserted; which rows those were is told by their
    // ids, above every id stored before (the write lock is held).
    let backend = conn.get_database_backend();
    let last_id = conn
        .query_one(Statement::from_string(backend, "SELECT COALESCE(MAX(id), 0) FROM jobs"))
        .await?
        .map(|r| r.try_get_by_index::<i64>(0))
        .transpose()?
        .unwrap_or(0);
    let mut inserted = 0;
    for s in statements {
        inserted += conn.execute(s).await?.rows_affected();
    }
    if inserted == rows as u64 {
        return Ok(None);
    }
    let keys: Result<HashSet<String>, _> = conn
        .query_all(Statement::from_sql_and_values(
            backend,
            "SELECT job_key FROM jobs WHERE id > ?",
            [last_id.into()],
        ))
        .await?
        .iter()
        .map(|r| r.try_get_by_index(0))
        .collect();
    Ok(Some(keys?))
}

/// The statement selecting `columns` of the stored rows of `keys`.
///
/// On PostgreSQL each key is looked up on its own through the unique index (a `LATERAL`
/// subquery with `LIMIT` is never turned into a join): early in a large ingestion the table has
/// no statistics yet, and a plain `job_key = ANY(…)` would then be planned as a filter over
/// every job of the cluster, once per batch.
fn lookup(backend: DbBackend, cluster: &str, keys: &[&str], columns: &str) -> Statement {
    match backend {
        DbBackend::Postgres => {
            let mut a = ArrayLiteral::with_capacity(keys.len() * 10);
            for k in keys {
                a.text(k);
            }
            Statement::from_sql_and_values(
                backend,
                format!(
                    "SELECT j.* FROM UNNEST($2::text[]) AS k(key) CROSS JOIN LATERAL \
                     (SELECT {columns} FROM jobs WHERE cluster = $1 AND job_key = k.key LIMIT 1) AS j"
                ),
                [cluster.into(), a.finish().into()],
            )
        }
        _ => Statement::from_sql_and_values(
            backend,
            format!("SELECT {columns} FROM jobs WHERE cluster = ? AND job_key IN (SELECT value FROM json_each(?))"),
            [cluster.into(), serde_json::to_string(keys).unwrap_or_default().into()],
        ),
    }
}

/// The stored content hash of each of `keys` that is stored, by key.
pub(crate) async fn stored_hashes<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    keys: &[&str],
) -> CoreResult<HashMap<String, String>> {
    let backend = conn.get_database_backend();
    let mut out = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(LOOKUP_KEYS) {
        for row in conn
            .query_all(lookup(backend, cluster, chunk, "job_key, content_hash"))
            .await?
        {
            out.insert(row.try_get_by_index(0)?, row.try_get_by_index(1)?);
        }
    }
    Ok(out)
}

/// The stored rows of `keys`.
pub(crate) async fn stored_jobs<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    keys: &[&str],
) -> CoreResult<Vec<jobs::Model>> {
    let backend = conn.get_database_backend();
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(LOOKUP_KEYS) {
        out.extend(
            jobs::Model::find_by_statement(lookup(backend, cluster, chunk, "*"))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records the kinds [`encode`] produces.
    struct Kinds(Vec<Kind>);

    impl Sink for Kinds {
        fn text(&mut self, _: &str) {
            self.0.push(Kind::Text);
        }
        fn opt_text(&mut self, _: Option<&str>) {
            self.0.push(Kind::Text);
        }
        fn int(&mut self, _: i64) {
            self.0.push(Kind::Int);
        }
        fn opt_int(&mut self, _: Option<i64>) {
            self.0.push(Kind::Int);
        }
    }

    #[test]
    fn rows_follow_the_column_list() {
        let record = crate::usage::UsageRecord {
            job_id: "1".into(),
            user: "u".into(),
            account: None,
            partition: None,
            state: "COMPLETED".into(),
            submit: None,
            start: None,
            end: None,
            elapsed_s: 0,
            alloc_cpus: 0,
            alloc_gpus: 0,
            alloc_mem_mb: 0,
            cpu_used_ms: None,
            cpu_time_raw_s: None,
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        };
        let pricer = crate::usage::Pricer::new(
            Vec::new(),
            HashMap::new(),
            crate::tiers::TierRules::default(),
            hpcb_entities::Currency::THB,
        );
        let priced = pricer.price(&record, 0).expect("price");
        let job = super::super::store::Preparer::default().prepare(record, priced);
        let mut kinds = Kinds(Vec::new());
        encode(&mut kinds, &job);
        let expected: Vec<Kind> = COLUMNS
            .iter()
            .map(|(_, k)| match k {
                Kind::Text | Kind::OrKey => Kind::Text,
                Kind::Int | Kind::Basis => Kind::Int,
            })
            .collect();
        assert_eq!(kinds.0, expected);
    }

    #[test]
    fn placeholders_share_and_number() {
        let mut sql = String::new();
        push_placeholders(&mut sql, DbBackend::Sqlite, 2, 2, 3);
        assert_eq!(sql, "(?, ?), (?, ?)");
        let mut sql = String::new();
        push_placeholders(&mut sql, DbBackend::Postgres, 2, 1, 0);
        assert_eq!(sql, "($1), ($2)");
        assert!(sqlite_insert(1, Mode::Replace).contains("tier_reason = excluded.tier_reason"));
        assert!(!on_conflict(DbBackend::Sqlite, Mode::Replace).contains("job_key ="));
        assert_eq!(
            sqlite_insert(SQLITE_ROWS, Mode::New),
            sqlite_insert(SQLITE_ROWS, Mode::New)
        );
        let pg = postgres_insert(Mode::New);
        assert!(pg.contains("COALESCE(u.c2, u.c1)"), "{pg}");
        assert!(pg.contains("CASE u.c22 WHEN 0 THEN 'used' WHEN 1 THEN 'cputime_raw' WHEN 2 THEN 'allocated' END"));
    }
}

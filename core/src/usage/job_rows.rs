//! The statements that read and write `jobs` rows in bulk during ingestion, without building a
//! model per row: each batch is written with a handful of prepared statements whose text is the
//! same from batch to batch (so the driver prepares them once per connection).
//!
//! - SQLite: multi-row `VALUES` with numbered parameters; what every row shares (cluster,
//!   source, time) is bound once.
//! - PostgreSQL: one `INSERT … SELECT … FROM UNNEST(…)` per batch, each column bound as one
//!   array.

use super::pg_array::ArrayLiteral;
use super::store::PreparedJob;
use crate::error::CoreResult;
use hpcb_entities::tables::jobs::{self, Column, Entity as Jobs};
use sea_orm::{ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, QueryFilter, Statement, Value};
use std::collections::HashMap;

/// How a column travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    Int,
}

/// Every column a row brings, in the order [`encode`] produces them. `cluster`, `source`,
/// `ingested_at` and `updated_at` are the same for every row of a batch and bound once.
const COLUMNS: [(&str, Kind); 30] = [
    ("job_key", Kind::Text),
    ("job_id", Kind::Text),
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
    ("cpu_basis", Kind::Text),
    ("gpu_s", Kind::Int),
    ("mem_kib_s", Kind::Int),
    ("mem_basis", Kind::Text),
    ("tier", Kind::Text),
    ("tier_reason", Kind::Text),
    ("rate_id", Kind::Int),
    ("cost_minor", Kind::Int),
    ("currency", Kind::Text),
];

/// The columns bound once per statement, in parameter order (`now` twice).
const SHARED: &str = "cluster, source, ingested_at, updated_at";

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
    s.text(&r.job_id);
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
    s.text(p.cpu_basis.as_str());
    s.int(p.quantities.gpu_s);
    s.int(p.quantities.mem_kib_s);
    s.text(p.mem_basis.as_str());
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

/// Appends `rows` groups of `per_row` placeholders numbered from `first + 1`, each group
/// preceded by `shared` (placeholders of values every row shares).
pub(crate) fn push_placeholders(sql: &mut String, backend: DbBackend, rows: usize, per_row: usize, first: usize) {
    push_rows(sql, backend, rows, per_row, first, "");
}

fn push_rows(sql: &mut String, backend: DbBackend, rows: usize, per_row: usize, first: usize, shared: &str) {
    use std::fmt::Write;
    let mark = if backend == DbBackend::Postgres { '$' } else { '?' };
    let mut n = first;
    for row in 0..rows {
        sql.push_str(if row == 0 { "(" } else { ", (" });
        sql.push_str(shared);
        for col in 0..per_row {
            n += 1;
            // Writing to a String cannot fail.
            let _ = write!(sql, "{}{mark}{n}", if col == 0 { "" } else { ", " });
        }
        sql.push(')');
    }
}

/// `ON CONFLICT` clause of rows that replace stored ones (all but key and first ingestion).
fn on_conflict() -> String {
    let mut sql = String::from(
        " ON CONFLICT (cluster, job_key) DO UPDATE SET source = excluded.source, updated_at = excluded.updated_at",
    );
    for (name, _) in COLUMNS.iter().skip(1) {
        sql.push_str(&format!(", {name} = excluded.{name}"));
    }
    sql
}

fn column_list() -> String {
    let names: Vec<&str> = COLUMNS.iter().map(|(n, _)| *n).collect();
    format!("INSERT INTO jobs ({SHARED}, {})", names.join(", "))
}

fn sqlite_insert(rows: usize, replace: bool) -> String {
    let mut sql = column_list();
    sql.push_str(" VALUES ");
    push_rows(&mut sql, DbBackend::Sqlite, rows, COLUMNS.len(), 3, "?1, ?2, ?3, ?3, ");
    if replace {
        sql.push_str(&on_conflict());
    }
    sql
}

fn postgres_insert(replace: bool) -> String {
    let arrays: Vec<String> = COLUMNS
        .iter()
        .enumerate()
        .map(|(i, (_, kind))| {
            let ty = match kind {
                Kind::Text => "text",
                Kind::Int => "int8",
            };
            format!("${}::{ty}[]", i + 4)
        })
        .collect();
    let mut sql = column_list();
    sql.push_str(&format!(
        " SELECT $1, $2, $3, $3, u.* FROM UNNEST({}) AS u",
        arrays.join(", ")
    ));
    if replace {
        sql.push_str(&on_conflict());
    }
    sql
}

/// Writes rows: new ones (`replace` false: a stored key is an error) or rows replacing stored
/// ones (`replace` true).
pub(crate) async fn write<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    source: &str,
    now: i64,
    rows: &[&PreparedJob],
    replace: bool,
) -> CoreResult<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let shared: [Value; 3] = [cluster.into(), source.into(), now.into()];
    match conn.get_database_backend() {
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
            conn.execute(Statement::from_sql_and_values(
                DbBackend::Postgres,
                postgres_insert(replace),
                values,
            ))
            .await?;
        }
        backend => {
            for chunk in rows.chunks(SQLITE_ROWS) {
                let mut values = Values(Vec::with_capacity(3 + chunk.len() * COLUMNS.len()));
                values.0.extend(shared.iter().cloned());
                for j in chunk {
                    encode(&mut values, j);
                }
                conn.execute(Statement::from_sql_and_values(
                    backend,
                    sqlite_insert(chunk.len(), replace),
                    values.0,
                ))
                .await?;
            }
        }
    }
    Ok(())
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
        let (sql, keys): (&str, Value) = match backend {
            DbBackend::Postgres => {
                let mut a = ArrayLiteral::with_capacity(chunk.len() * 10);
                for k in chunk {
                    a.text(k);
                }
                (
                    "SELECT job_key, content_hash FROM jobs WHERE cluster = $1 AND job_key = ANY($2::text[])",
                    a.finish().into(),
                )
            }
            _ => (
                "SELECT job_key, content_hash FROM jobs WHERE cluster = ?1 \
                 AND job_key IN (SELECT value FROM json_each(?2))",
                serde_json::to_string(chunk).unwrap_or_default().into(),
            ),
        };
        let rows = conn
            .query_all(Statement::from_sql_and_values(backend, sql, [cluster.into(), keys]))
            .await?;
        for row in rows {
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
    let mut out = Vec::with_capacity(keys.len());
    for chunk in keys.chunks(LOOKUP_KEYS) {
        out.extend(
            Jobs::find()
                .filter(Column::Cluster.eq(cluster))
                .filter(Column::JobKey.is_in(chunk.iter().copied()))
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
        let expected: Vec<Kind> = COLUMNS.iter().map(|(_, k)| *k).collect();
        assert_eq!(kinds.0, expected);
    }

    #[test]
    fn placeholders_share_and_number() {
        let mut sql = String::new();
        push_rows(&mut sql, DbBackend::Sqlite, 2, 2, 3, "?1, ");
        assert_eq!(sql, "(?1, ?4, ?5), (?1, ?6, ?7)");
        let mut sql = String::new();
        push_placeholders(&mut sql, DbBackend::Postgres, 2, 1, 0);
        assert_eq!(sql, "($1), ($2)");
        assert!(sqlite_insert(1, true).contains("tier_reason = excluded.tier_reason"));
        assert!(!on_conflict().contains("job_key ="));
    }
}

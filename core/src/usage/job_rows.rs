//! How ingestion writes `jobs` rows in bulk, without building a model per row: the values each
//! row sends, in order, and the statements that turn them back into stored columns. The text
//! of each statement is the same from batch to batch, so the driver prepares it once per
//! connection. [`super::sqlite_rows`] and [`super::pg_rows`] run them.
//!
//! - SQLite: multi-row `VALUES`; what every row shares (cluster, source, time) is bound once.
//! - PostgreSQL: one `INSERT … SELECT unnest(…), …` per batch, each column bound as one array.

use super::store::PreparedJob;
use crate::pricing::job::Basis;
use sea_orm::DbBackend;
use std::sync::OnceLock;

/// How a column travels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    /// Text (or `NULL`).
    Text,
    /// Integer (or `NULL`).
    Int,
    /// Text sent as `NULL` when it equals the job key (the job id almost always does).
    OrKey,
    /// A [`Basis`], sent as its position in [`BASES`].
    Basis,
}

impl Kind {
    /// Whether values of this kind travel as text (else as integers).
    pub fn is_text(self) -> bool {
        matches!(self, Kind::Text | Kind::OrKey)
    }
}

/// Every column a row sends, in the order [`encode`] produces them. `cluster`, `source`,
/// `ingested_at` and `updated_at` are the same for every row of a batch and bound once.
pub(crate) const COLUMNS: [(&str, Kind); 30] = [
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

/// Rows per SQLite statement: their parameters (30 each) stay below its 32 766.
pub(crate) const SQLITE_ROWS: usize = 1000;

/// Receives a row's values in [`COLUMNS`] order.
pub(crate) trait Sink<'a> {
    /// A text value.
    fn text(&mut self, v: &'a str);
    /// A text value or `NULL`.
    fn opt_text(&mut self, v: Option<&'a str>);
    /// An integer.
    fn int(&mut self, v: i64);
    /// An integer or `NULL`.
    fn opt_int(&mut self, v: Option<i64>);
}

/// Produces one row, value by value, in [`COLUMNS`] order.
pub(crate) fn encode<'a, S: Sink<'a>>(s: &mut S, j: &'a PreparedJob) {
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

/// What a write statement does with a row whose key is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// New rows. SQLite leaves out a row whose key is stored; on PostgreSQL such a row fails
    /// the statement.
    New,
    /// Replaces the stored row (all but key and first ingestion).
    Replace,
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

/// `INSERT INTO jobs (…) SELECT <shared>, <columns>` with each column taken from `source(i)`
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

/// The clause ending a write statement.
fn on_conflict(backend: DbBackend, mode: Mode) -> String {
    match mode {
        // PostgreSQL would check each row twice and log its confirmation (see
        // `pg_rows::insert_new`).
        Mode::New if backend == DbBackend::Postgres => String::new(),
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

/// SQLite: the expression reading column `i` of [`COLUMNS`] back from the values a row sends
/// (one per column). Text travels inside one blob per statement, bound once: its value is the
/// offset of its bytes there (1-based) times 2³² plus their length, `NULL` for `NULL`. Binding
/// one integer per value costs far less than binding each text on its own, and
/// `CAST(substr(…) AS TEXT)` gives back the same text.
fn sqlite_column(i: usize) -> String {
    if COLUMNS[i].1.is_text() {
        format!(
            "CAST(substr(s.b, v.column{n} >> 32, v.column{n} & 4294967295) AS TEXT)",
            n = i + 1
        )
    } else {
        format!("v.column{}", i + 1)
    }
}

/// SQLite: where a text value of `len` bytes stored at `offset` (0-based) in the blob travels.
pub(crate) fn sqlite_text_ref(offset: usize, len: usize) -> i64 {
    (((offset + 1) as i64) << 32) | len as i64
}

/// SQLite: the statement writing `rows` rows; parameters are cluster, source, time and the
/// blob of the rows' text, then each row's values (see [`sqlite_column`]).
pub(crate) fn sqlite_insert(rows: usize, mode: Mode) -> String {
    let build = || {
        let mut sql = insert_select("s.cluster, s.source, s.now, s.now", sqlite_column);
        sql.push_str(" FROM (SELECT ? AS cluster, ? AS source, ? AS now, ? AS b) AS s, (VALUES ");
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

/// PostgreSQL: the statement writing a batch; parameters are cluster, source and time, then
/// one array per column.
pub(crate) fn postgres_insert(mode: Mode) -> &'static str {
    fn build(mode: Mode) -> String {
        // `unnest` in the select list streams the rows; in `FROM` it would first copy them all.
        let arrays: Vec<String> = COLUMNS
            .iter()
            .enumerate()
            .map(|(i, (_, kind))| {
                let ty = if kind.is_text() { "text" } else { "int8" };
                format!("unnest(${}::{ty}[]) AS c{}", i + 4, i + 1)
            })
            .collect();
        let mut sql = insert_select("$1, $2, $3, $3", |i| format!("u.c{}", i + 1));
        sql.push_str(&format!(" FROM (SELECT {}) AS u", arrays.join(", ")));
        sql.push_str(&on_conflict(DbBackend::Postgres, mode));
        sql
    }
    static NEW: OnceLock<String> = OnceLock::new();
    static REPLACE: OnceLock<String> = OnceLock::new();
    match mode {
        Mode::New => NEW.get_or_init(|| build(mode)),
        Mode::Replace => REPLACE.get_or_init(|| build(mode)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// Records whether each value [`encode`] produces is text.
    struct Kinds(Vec<bool>);

    impl Sink<'_> for Kinds {
        fn text(&mut self, _: &str) {
            self.0.push(true);
        }
        fn opt_text(&mut self, _: Option<&str>) {
            self.0.push(true);
        }
        fn int(&mut self, _: i64) {
            self.0.push(false);
        }
        fn opt_int(&mut self, _: Option<i64>) {
            self.0.push(false);
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
        let expected: Vec<bool> = COLUMNS.iter().map(|(_, k)| k.is_text()).collect();
        assert_eq!(kinds.0, expected);
    }

    #[test]
    fn statements_read_back_what_rows_send() {
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
        assert!(4 + SQLITE_ROWS * COLUMNS.len() <= 32_766);
        let lite = sqlite_insert(1, Mode::New);
        assert!(
            lite.contains(
                "COALESCE(CAST(substr(s.b, v.column2 >> 32, v.column2 & 4294967295) AS TEXT), \
                 CAST(substr(s.b, v.column1 >> 32, v.column1 & 4294967295) AS TEXT))"
            ),
            "{lite}"
        );
        assert_eq!(sqlite_text_ref(0, 5), (1 << 32) | 5);
        let pg = postgres_insert(Mode::New);
        assert!(pg.contains("COALESCE(u.c2, u.c1)"), "{pg}");
        assert!(pg.contains("CASE u.c22 WHEN 0 THEN 'used' WHEN 1 THEN 'cputime_raw' WHEN 2 THEN 'allocated' END"));
        assert!(!pg.contains("ON CONFLICT"));
        assert!(postgres_insert(Mode::Replace).contains("DO UPDATE"));
    }
}

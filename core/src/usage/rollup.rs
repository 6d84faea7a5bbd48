//! The daily usage rollup (`usage_daily`): per cluster, UTC day of the end, user, account,
//! partition, state, tier and currency, the number of jobs and the sums of what they were
//! billed.
//!
//! Every statement that writes `jobs` (ingestion, re-pricing) runs in a transaction that also
//! applies the difference it makes here: what a job contributes is taken from the cell it was in
//! and added to the cell it is in now. Writers of `jobs` are serialised (on SQLite by the write
//! lock, on PostgreSQL by [`lock_jobs`]), so the stored rows they read before writing are the
//! rows they replace, and the rollup always equals a `GROUP BY` over `jobs`.
//!
//! A cell whose sum would no longer fit in 64 bits is marked `overflowed` and its sums are left
//! as they are; summaries that would include it are computed from the jobs instead (where the
//! same total fails the same way).

use crate::error::CoreResult;
use hpcb_entities::tables::jobs;
use sea_orm::{ConnectionTrait, DbBackend, Statement, Value};
use std::collections::HashMap;

/// Milliseconds in a UTC day.
pub(crate) const DAY_MS: i64 = 86_400_000;

/// `day` of jobs that have not ended: below every real day (`i64::MIN / 2`).
pub(crate) const NOT_ENDED: i64 = i64::MIN / 2;

/// PostgreSQL advisory-lock key that orders every transaction writing `jobs`.
pub(crate) const JOBS_LOCK: i64 = 0x6870_6362_0105;

/// Rows per rollup statement (15 parameters each, within both databases' limits).
pub(crate) const CHUNK: usize = 2000;

/// The rollup day of an end time: days since 1970-01-01 UTC, or [`NOT_ENDED`].
pub(crate) fn day_of(end: Option<i64>) -> i64 {
    end.map_or(NOT_ENDED, |e| e.div_euclid(DAY_MS))
}

/// Makes this transaction wait for, then exclude, every other writer of `jobs` until it ends
/// (PostgreSQL; on SQLite the write lock already does).
pub(crate) async fn lock_jobs<C: ConnectionTrait>(conn: &C) -> CoreResult<()> {
    if conn.get_database_backend() == DbBackend::Postgres {
        conn.execute(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT pg_advisory_xact_lock($1)",
            [JOBS_LOCK.into()],
        ))
        .await?;
    }
    Ok(())
}

/// A rollup row's key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub(crate) struct Cell<'a> {
    /// Cluster.
    pub cluster: &'a str,
    /// See [`day_of`].
    pub day: i64,
    /// User.
    pub username: &'a str,
    /// Account, empty for none.
    pub account: &'a str,
    /// Partition, empty for none.
    pub partition: &'a str,
    /// State.
    pub state: &'a str,
    /// Tier.
    pub tier: &'a str,
    /// Currency.
    pub currency: &'a str,
}

/// What one job adds to the rollup.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Contribution<'a> {
    /// Its cell.
    pub cell: Cell<'a>,
    /// The job's `end_day`.
    pub end_day: Option<&'a str>,
    /// `cpu_ms`, `gpu_s`, `mem_kib_s`, `cost_minor`.
    pub amounts: [i64; 4],
}

impl<'a> Contribution<'a> {
    /// What a stored job contributes.
    pub fn of_job(j: &'a jobs::Model) -> Contribution<'a> {
        Contribution {
            cell: Cell {
                cluster: &j.cluster,
                day: day_of(j.end_at),
                username: &j.username,
                account: j.account.as_deref().unwrap_or(""),
                partition: j.partition.as_deref().unwrap_or(""),
                state: &j.state,
                tier: &j.tier,
                currency: j.currency.as_str(),
            },
            end_day: j.end_day.as_deref(),
            amounts: [j.cpu_ms, j.gpu_s, j.mem_kib_s, j.cost_minor],
        }
    }
}

/// A cell's change.
#[derive(Clone, Copy, Debug, Default)]
struct Change<'a> {
    end_day: Option<&'a str>,
    jobs: i64,
    amounts: [i128; 4],
}

/// Changes to the rollup, summed per cell, to apply in the transaction that wrote the jobs.
#[derive(Debug, Default)]
pub(crate) struct Deltas<'a> {
    cells: HashMap<Cell<'a>, Change<'a>>,
}

impl<'a> Deltas<'a> {
    /// Counts a job in (`sign` 1) or out of (`sign` -1) its cell.
    pub fn add(&mut self, c: Contribution<'a>, sign: i64) {
        let change = self.cells.entry(c.cell).or_default();
        if change.end_day.is_none() {
            change.end_day = c.end_day;
        }
        change.jobs += sign;
        for (sum, v) in change.amounts.iter_mut().zip(c.amounts) {
            *sum += i128::from(sign) * i128::from(v);
        }
    }

    /// The changes, one row per changed cell, in key order.
    pub fn into_rows(self) -> Vec<Row<'a>> {
        let mut rows: Vec<Row<'a>> = self
            .cells
            .into_iter()
            .filter(|(_, c)| c.jobs != 0 || c.amounts != [0; 4])
            .map(|(cell, change)| {
                let amounts: Option<Vec<i64>> = change.amounts.iter().map(|v| i64::try_from(*v).ok()).collect();
                let (amounts, overflowed) = match amounts {
                    Some(a) => ([a[0], a[1], a[2], a[3]], 0),
                    None => ([0; 4], 1),
                };
                Row {
                    cell,
                    end_day: change.end_day,
                    jobs: change.jobs,
                    amounts,
                    overflowed,
                }
            })
            .collect();
        rows.sort_unstable_by(|a, b| a.cell.cmp(&b.cell));
        rows
    }

    /// Applies the changes.
    pub async fn apply<C: ConnectionTrait>(self, conn: &C) -> CoreResult<()> {
        let backend = conn.get_database_backend();
        for chunk in self.into_rows().chunks(CHUNK) {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 15);
            for r in chunk {
                values.extend([
                    r.cell.cluster.into(),
                    r.cell.day.into(),
                    r.cell.username.into(),
                    r.cell.account.into(),
                    r.cell.partition.into(),
                    r.cell.state.into(),
                    r.cell.tier.into(),
                    r.cell.currency.into(),
                    r.end_day.map(str::to_owned).into(),
                    r.jobs.into(),
                ]);
                values.extend(r.amounts.map(Value::from));
                values.push(r.overflowed.into());
            }
            conn.execute(Statement::from_sql_and_values(
                backend,
                upsert_sql(backend, chunk.len()),
                values,
            ))
            .await?;
        }
        Ok(())
    }
}

/// One rollup row's change, ready to apply with [`upsert_sql`]: its 15 parameters are the
/// cell's 8 key columns, `end_day`, `jobs`, the 4 sums and `overflowed`.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Row<'a> {
    /// The cell.
    pub cell: Cell<'a>,
    /// Its `end_day`.
    pub end_day: Option<&'a str>,
    /// Jobs in (out, if negative).
    pub jobs: i64,
    /// `cpu_ms`, `gpu_s`, `mem_kib_s`, `cost_minor` (0 when overflowed).
    pub amounts: [i64; 4],
    /// 1 if a sum's change does not fit in 64 bits.
    pub overflowed: i32,
}

/// The columns of `jobs` a [`StoredJob`] is read from, in its order.
pub(crate) const STORED_COLUMNS: &str =
    "job_key, end_at, end_day, username, account, \"partition\", state, tier, currency, cpu_ms, gpu_s, mem_kib_s, cost_minor";

/// What a stored job contributes to the rollup, as read before it is replaced.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredJob {
    /// Its key.
    pub job_key: String,
    /// End, Unix ms.
    pub end_at: Option<i64>,
    /// UTC day of the end.
    pub end_day: Option<String>,
    /// User.
    pub username: String,
    /// Account.
    pub account: Option<String>,
    /// Partition.
    pub partition: Option<String>,
    /// State.
    pub state: String,
    /// Tier.
    pub tier: String,
    /// Currency.
    pub currency: String,
    /// `cpu_ms`, `gpu_s`, `mem_kib_s`, `cost_minor`.
    pub amounts: [i64; 4],
}

impl StoredJob {
    /// Its contribution to the rollup.
    pub fn contribution<'a>(&'a self, cluster: &'a str) -> Contribution<'a> {
        Contribution {
            cell: Cell {
                cluster,
                day: day_of(self.end_at),
                username: &self.username,
                account: self.account.as_deref().unwrap_or(""),
                partition: self.partition.as_deref().unwrap_or(""),
                state: &self.state,
                tier: &self.tier,
                currency: &self.currency,
            },
            end_day: self.end_day.as_deref(),
            amounts: self.amounts,
        }
    }
}

/// The statement applying `rows` changes.
pub(crate) fn upsert_sql(backend: DbBackend, rows: usize) -> String {
    const SUMS: [&str; 4] = ["cpu_ms", "gpu_s", "mem_kib_s", "cost_minor"];
    let greatest = if backend == DbBackend::Postgres {
        "GREATEST"
    } else {
        "MAX"
    };
    let mut frozen = String::from("usage_daily.overflowed <> 0 OR excluded.overflowed <> 0");
    for c in SUMS {
        frozen.push_str(&format!(
            " OR usage_daily.{c} > 9223372036854775807 - {greatest}(excluded.{c}, 0)"
        ));
    }
    let mut sql = String::from(
        "INSERT INTO usage_daily (cluster, day, username, account, \"partition\", state, tier, currency, end_day, \
         jobs, cpu_ms, gpu_s, mem_kib_s, cost_minor, overflowed) VALUES ",
    );
    super::job_rows::push_placeholders(&mut sql, backend, rows, 15, 0);
    sql.push_str(
        " ON CONFLICT (cluster, day, username, account, \"partition\", state, tier, currency) DO UPDATE SET \
         jobs = usage_daily.jobs + excluded.jobs",
    );
    for c in SUMS {
        sql.push_str(&format!(
            ", {c} = CASE WHEN {frozen} THEN usage_daily.{c} ELSE usage_daily.{c} + excluded.{c} END"
        ));
    }
    sql.push_str(&format!(", overflowed = CASE WHEN {frozen} THEN 1 ELSE 0 END"));
    sql
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cell(tier: &str) -> Cell<'_> {
        Cell {
            cluster: "c",
            day: 1,
            username: "u",
            account: "",
            partition: "",
            state: "COMPLETED",
            tier,
            currency: "THB",
        }
    }

    #[test]
    fn days_are_utc_and_floor_before_1970() {
        assert_eq!(day_of(Some(0)), 0);
        assert_eq!(day_of(Some(DAY_MS - 1)), 0);
        assert_eq!(day_of(Some(DAY_MS)), 1);
        assert_eq!(day_of(Some(-1)), -1);
        assert_eq!(day_of(None), NOT_ENDED);
        assert!(day_of(Some(i64::MIN)) > NOT_ENDED);
    }

    #[test]
    fn moving_a_job_between_cells_nets_out() {
        let mut d = Deltas::default();
        let old = Contribution {
            cell: cell("a"),
            end_day: Some("1970-01-02"),
            amounts: [1, 2, 3, 4],
        };
        d.add(old, 1);
        d.add(old, -1);
        let a = d.cells[&cell("a")];
        assert_eq!((a.jobs, a.amounts), (0, [0; 4]));
        d.add(Contribution { cell: cell("b"), ..old }, 1);
        let b = d.cells[&cell("b")];
        assert_eq!((b.jobs, b.amounts, b.end_day), (1, [1, 2, 3, 4], Some("1970-01-02")));
    }
}

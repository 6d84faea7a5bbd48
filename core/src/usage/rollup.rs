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
const JOBS_LOCK: i64 = 0x6870_6362_0105;

/// Rows per rollup statement (15 parameters each, within both databases' limits).
const CHUNK: usize = 2000;

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
                currency: &j.currency,
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

    /// Applies the changes.
    pub async fn apply<C: ConnectionTrait>(self, conn: &C) -> CoreResult<()> {
        let mut cells: Vec<(Cell<'a>, Change<'a>)> = self
            .cells
            .into_iter()
            .filter(|(_, c)| c.jobs != 0 || c.amounts != [0; 4])
            .collect();
        cells.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        let backend = conn.get_database_backend();
        for chunk in cells.chunks(CHUNK) {
            let mut values: Vec<Value> = Vec::with_capacity(chunk.len() * 15);
            for (cell, change) in chunk {
                let amounts: Option<Vec<i64>> = change.amounts.iter().map(|v| i64::try_from(*v).ok()).collect();
                let (amounts, overflowed) = match amounts {
                    Some(a) => (a, 0i32),
                    None => (vec![0; 4], 1),
                };
                values.extend([
                    cell.cluster.into(),
                    cell.day.into(),
                    cell.username.into(),
                    cell.account.into(),
                    cell.partition.into(),
                    cell.state.into(),
                    cell.tier.into(),
                    cell.currency.into(),
                    change.end_day.map(str::to_owned).into(),
                    change.jobs.into(),
                ]);
                values.extend(amounts.into_iter().map(Value::from));
                values.push(overflowed.into());
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

/// The statement applying `rows` changes.
fn upsert_sql(backend: DbBackend, rows: usize) -> String {
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

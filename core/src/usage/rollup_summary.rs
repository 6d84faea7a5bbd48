//! `usageSummary` from the daily rollup: a few thousand rows per year instead of every job.
//!
//! A filter can be answered from the rollup when each of its parts selects whole rollup rows:
//! user, cluster, account, partition and state are columns of the rollup (an empty account or
//! partition is not: the rollup stores a missing one as empty), and a time bound selects whole
//! days when it falls on a UTC midnight (`endedBefore` one millisecond before one). Otherwise
//! the summary is computed from the jobs.

use super::query::{GroupBy, SummaryRow, UsageFilter};
use super::rollup::{DAY_MS, NOT_ENDED};
use crate::db::Db;
use crate::error::CoreResult;
use hpcb_entities::tables::usage_daily::{Column, Entity as Daily};
use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ColumnTrait, Condition, FromQueryResult, StatementBuilder};

/// One group as the rollup query returns it.
#[derive(Debug, FromQueryResult)]
struct Group {
    key: String,
    currency: hpcb_entities::Currency,
    jobs: i64,
    cpu_ms: i64,
    gpu_s: i64,
    mem_kib_s: i64,
    cost_minor: i64,
    overflowed: i32,
}

/// The day starting at `ms`, if `ms` is a UTC midnight.
fn midnight(ms: i64) -> Option<i64> {
    (ms.rem_euclid(DAY_MS) == 0).then(|| ms.div_euclid(DAY_MS))
}

/// The rollup rows holding exactly the jobs a filter selects, or `None` if there are none such.
fn condition(f: &UsageFilter) -> Option<Condition> {
    // The rollup does not know which jobs are billed.
    if f.billed.is_some() {
        return None;
    }
    let mut c = Condition::all().add(Column::Jobs.gt(0));
    if let Some(v) = &f.user {
        c = c.add(Column::Username.eq(v.clone()));
    }
    if let Some(v) = &f.cluster {
        c = c.add(Column::Cluster.eq(v.clone()));
    }
    for (value, column) in [(&f.account, Column::Account), (&f.partition, Column::Partition)] {
        match value.as_deref() {
            Some("") => return None,
            Some(v) => c = c.add(column.eq(v)),
            None => {}
        }
    }
    if let Some(v) = &f.state {
        c = c.add(Column::State.eq(v.to_uppercase()));
    }
    if f.from.is_some() || f.to.is_some() || f.ended_before.is_some() {
        // Any time bound leaves out jobs that have not ended.
        c = c.add(Column::Day.ne(NOT_ENDED));
    }
    if let Some(from) = f.from {
        c = c.add(Column::Day.gte(midnight(from)?));
    }
    if let Some(to) = f.to {
        c = c.add(Column::Day.lt(midnight(to)?));
    }
    // Ended on or before `i64::MAX` is every ended job.
    if let Some(next) = f.ended_before.and_then(|v| v.checked_add(1)) {
        c = c.add(Column::Day.lt(midnight(next)?));
    }
    Some(c)
}

/// The summary from the rollup (by day when grouping by month), or `None` when the filter
/// needs the jobs or a selected row's sums overflowed.
pub(crate) async fn summary(db: &Db, f: &UsageFilter, group: GroupBy) -> CoreResult<Option<Vec<SummaryRow>>> {
    let Some(mut cond) = condition(f) else {
        return Ok(None);
    };
    let key = match group {
        GroupBy::User => Column::Username,
        GroupBy::Account => Column::Account,
        GroupBy::Partition => Column::Partition,
        GroupBy::Tier => Column::Tier,
        GroupBy::Day | GroupBy::Month => {
            cond = cond.add(Column::EndDay.is_not_null());
            Column::EndDay
        }
    };
    let sum = |c: Column| Expr::cust(format!("CAST(SUM({}) AS BIGINT)", sea_orm::Iden::to_string(&c)));
    let stmt = Query::select()
        .expr_as(Expr::col(key), Alias::new("key"))
        .expr_as(Expr::col(Column::Currency), Alias::new("currency"))
        .expr_as(sum(Column::Jobs), Alias::new("jobs"))
        .expr_as(sum(Column::CpuMs), Alias::new("cpu_ms"))
        .expr_as(sum(Column::GpuS), Alias::new("gpu_s"))
        .expr_as(sum(Column::MemKibS), Alias::new("mem_kib_s"))
        .expr_as(sum(Column::CostMinor), Alias::new("cost_minor"))
        .expr_as(Expr::cust("MAX(overflowed)"), Alias::new("overflowed"))
        .from(Daily)
        .cond_where(cond)
        .group_by_col(key)
        .group_by_col(Column::Currency)
        .order_by(key, Order::Asc)
        .order_by(Column::Currency, Order::Asc)
        .to_owned();
    let built = StatementBuilder::build(&stmt, &db.backend());
    let groups = Group::find_by_statement(built).all(db.conn()).await?;
    if groups.iter().any(|g| g.overflowed != 0) {
        return Ok(None);
    }
    Ok(Some(
        groups
            .into_iter()
            .map(|g| SummaryRow {
                key: g.key,
                currency: g.currency,
                jobs: g.jobs,
                cpu_ms: g.cpu_ms,
                gpu_s: g.gpu_s,
                mem_kib_s: g.mem_kib_s,
                cost_minor: g.cost_minor,
            })
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_whole_days_and_known_values_use_the_rollup() {
        let day = 20_000 * DAY_MS;
        let at = |from, to, ended_before| UsageFilter {
            from,
            to,
            ended_before,
            ..Default::default()
        };
        assert!(condition(&at(Some(day), Some(day + DAY_MS), None)).is_some());
        assert!(condition(&at(None, None, Some(day - 1))).is_some());
        assert!(condition(&at(None, None, Some(i64::MAX))).is_some());
        assert!(condition(&at(Some(day + 1), None, None)).is_none());
        assert!(condition(&at(None, Some(day - 1), None)).is_none());
        assert!(condition(&at(None, None, Some(day))).is_none());
        let empty_account = UsageFilter {
            account: Some(String::new()),
            ..Default::default()
        };
        assert!(condition(&empty_account).is_none());
        assert_eq!(midnight(-DAY_MS), Some(-1));
    }
}

//! Reading stored usage: pages of jobs for a user or for everyone, and aggregates computed by
//! the database (never by loading jobs into memory).

use crate::auth::{Principal, Role};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::jobs::{self, Column, Entity as Jobs};
use sea_orm::sea_query::{Alias, Expr, Order, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, EntityTrait, FromQueryResult, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
    StatementBuilder,
};

/// Narrows usage queries. Time bounds apply to the end time; running jobs are included only
/// when no time bound is given.
#[derive(Clone, Debug, Default)]
pub struct UsageFilter {
    /// Cluster user name (admin and finance; users are always limited to themselves).
    pub user: Option<String>,
    /// Ended at or after, Unix ms.
    pub from: Option<i64>,
    /// Ended before, Unix ms.
    pub to: Option<i64>,
    /// Ended on or before, Unix ms (the receipt cut-off).
    pub ended_before: Option<i64>,
    /// Cluster.
    pub cluster: Option<String>,
    /// Slurm account.
    pub account: Option<String>,
    /// Partition.
    pub partition: Option<String>,
    /// Base state.
    pub state: Option<String>,
    /// On a live receipt (`true`) or not yet (`false`).
    pub billed: Option<bool>,
}

/// How `usageSummary` groups.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GroupBy {
    /// By cluster user.
    User,
    /// By Slurm account.
    Account,
    /// By partition.
    Partition,
    /// By tier.
    Tier,
    /// By UTC day of the end.
    Day,
    /// By UTC month of the end.
    Month,
}

/// One group of `usageSummary`, in base units.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct SummaryRow {
    /// The group's key (user name, account, `2026-11`, …; empty for none).
    pub key: String,
    /// Currency of `cost_minor`.
    pub currency: hpcb_entities::Currency,
    /// Jobs in the group.
    pub jobs: i64,
    /// CPU core-milliseconds.
    pub cpu_ms: i64,
    /// GPU-seconds.
    pub gpu_s: i64,
    /// Memory KiB·seconds.
    pub mem_kib_s: i64,
    /// Cost, minor units.
    pub cost_minor: i64,
}

/// One page of jobs, newest end first (running jobs first of all).
#[derive(Clone, Debug)]
pub struct JobPage {
    /// The jobs.
    pub jobs: Vec<jobs::Model>,
    /// Whether more follow.
    pub has_next: bool,
    /// Jobs matching the filter.
    pub total: u64,
}

/// Read access to stored usage.
#[derive(Clone, Debug)]
pub struct UsageQuery {
    db: Db,
}

fn sort_key() -> SimpleExpr {
    Expr::cust("COALESCE(end_at, 9223372036854775807)")
}

fn condition(f: &UsageFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(v) = &f.user {
        c = c.add(Column::Username.eq(v.clone()));
    }
    if let Some(v) = f.from {
        c = c.add(Column::EndAt.gte(v));
    }
    if let Some(v) = f.to {
        c = c.add(Column::EndAt.lt(v));
    }
    if let Some(v) = f.ended_before {
        c = c.add(Column::EndAt.lte(v));
    }
    if let Some(v) = &f.cluster {
        c = c.add(Column::Cluster.eq(v.clone()));
    }
    if let Some(v) = &f.account {
        c = c.add(Column::Account.eq(v.clone()));
    }
    if let Some(v) = &f.partition {
        c = c.add(Column::Partition.eq(v.clone()));
    }
    if let Some(v) = &f.state {
        c = c.add(Column::State.eq(v.to_uppercase()));
    }
    if let Some(billed) = f.billed {
        // Literal SQL: the correlated sub-query names the outer row, which the builder cannot.
        let on_receipt =
            "EXISTS (SELECT 1 FROM billed_jobs b WHERE b.cluster = jobs.cluster AND b.job_key = jobs.job_key)";
        c = c.add(if billed {
            Expr::cust(on_receipt)
        } else {
            Expr::cust(format!("NOT {on_receipt}"))
        });
    }
    c
}

/// Rows grouped by day become rows by month (`2026-11`) when grouping by month.
fn finish(rows: Vec<SummaryRow>, group: GroupBy) -> Vec<SummaryRow> {
    if group != GroupBy::Month {
        return rows;
    }
    let mut months = rows;
    for r in &mut months {
        r.key.truncate(7);
    }
    months.sort_by(|a, b| (&a.key, &a.currency).cmp(&(&b.key, &b.currency)));
    months.dedup_by(|b, a| {
        let same = a.key == b.key && a.currency == b.currency;
        if same {
            a.jobs += b.jobs;
            a.cpu_ms += b.cpu_ms;
            a.gpu_s += b.gpu_s;
            a.mem_kib_s += b.mem_kib_s;
            a.cost_minor += b.cost_minor;
        }
        same
    });
    months
}

/// Parses a job cursor `sortkey:id`.
pub fn parse_cursor(c: &str) -> CoreResult<(i64, i64)> {
    let bad = || CoreError::validation("after", "not a cursor from this connection");
    let (k, id) = c.split_once(':').ok_or_else(bad)?;
    Ok((k.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
}

/// The cursor of a job.
pub fn cursor_of(j: &jobs::Model) -> String {
    format!("{}:{}", j.end_at.unwrap_or(i64::MAX), j.id)
}

impl UsageQuery {
    /// Builds the query service.
    pub fn new(db: Db) -> UsageQuery {
        UsageQuery { db }
    }

    /// Applies who-may-see-what to a filter: users see only their own jobs.
    pub fn scope(&self, p: &Principal, mut f: UsageFilter) -> CoreResult<UsageFilter> {
        match p.role {
            Role::Admin | Role::Finance => Ok(f),
            Role::User => {
                if f.user.as_deref().is_some_and(|u| u != p.username) {
                    return Err(CoreError::Forbidden("you may only see your own usage".into()));
                }
                f.user = Some(p.username.clone());
                Ok(f)
            }
        }
    }

    /// A page of jobs matching an already scoped filter.
    pub async fn page(&self, f: &UsageFilter, first: u64, after: Option<&str>) -> CoreResult<JobPage> {
        let cond = condition(f);
        let total = Jobs::find().filter(cond.clone()).count(self.db.conn()).await?;
        let mut q = Jobs::find().filter(cond);
        if let Some(c) = after {
            let (k, id) = parse_cursor(c)?;
            q = q.filter(
                Condition::any().add(Expr::expr(sort_key()).lt(k)).add(
                    Condition::all()
                        .add(Expr::expr(sort_key()).eq(k))
                        .add(Column::Id.lt(id)),
                ),
            );
        }
        let mut jobs = q
            .order_by(sort_key(), Order::Desc)
            .order_by_desc(Column::Id)
            .limit(first + 1)
            .all(self.db.conn())
            .await?;
        let has_next = jobs.len() as u64 > first;
        jobs.truncate(first as usize);
        Ok(JobPage { jobs, has_next, total })
    }

    /// Aggregates over an already scoped filter, computed in the database: from the daily
    /// rollup when the filter can be answered from it, else from the jobs. Both give the same
    /// rows.
    pub async fn summary(&self, f: &UsageFilter, group: GroupBy) -> CoreResult<Vec<SummaryRow>> {
        match self.summary_from_rollup(f, group).await? {
            Some(rows) => Ok(rows),
            None => self.summary_from_jobs(f, group).await,
        }
    }

    /// [`summary`](Self::summary) from the daily rollup, or `None` when the filter needs the
    /// jobs themselves (a time bound that is not at a UTC midnight, an empty account or
    /// partition) or a sum no longer fits in the rollup.
    pub async fn summary_from_rollup(&self, f: &UsageFilter, group: GroupBy) -> CoreResult<Option<Vec<SummaryRow>>> {
        Ok(super::rollup_summary::summary(&self.db, f, group)
            .await?
            .map(|rows| finish(rows, group)))
    }

    /// [`summary`](Self::summary) by a `GROUP BY` over the jobs.
    pub async fn summary_from_jobs(&self, f: &UsageFilter, group: GroupBy) -> CoreResult<Vec<SummaryRow>> {
        let key: SimpleExpr = match group {
            GroupBy::User => Expr::col(Column::Username).into(),
            // Literal, not bound: PostgreSQL must see the grouped expression repeated verbatim.
            GroupBy::Account => Expr::cust("COALESCE(account, '')"),
            GroupBy::Partition => Expr::cust("COALESCE(\"partition\", '')"),
            GroupBy::Tier => Expr::col(Column::Tier).into(),
            // Months are folded from days (see `finish`).
            GroupBy::Day | GroupBy::Month => Expr::col(Column::EndDay).into(),
        };
        let mut cond = condition(f);
        if matches!(group, GroupBy::Day | GroupBy::Month) {
            cond = cond.add(Column::EndDay.is_not_null());
        }
        let sum = |c: Column| Expr::cust(format!("CAST(SUM({}) AS BIGINT)", sea_orm::Iden::to_string(&c)));
        let stmt = Query::select()
            .expr_as(key.clone(), Alias::new("key"))
            .expr_as(Expr::col(Column::Currency), Alias::new("currency"))
            .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("jobs"))
            .expr_as(sum(Column::CpuMs), Alias::new("cpu_ms"))
            .expr_as(sum(Column::GpuS), Alias::new("gpu_s"))
            .expr_as(sum(Column::MemKibS), Alias::new("mem_kib_s"))
            .expr_as(sum(Column::CostMinor), Alias::new("cost_minor"))
            .from(Jobs)
            .cond_where(cond)
            .add_group_by([key.clone(), Expr::col(Column::Currency).into()])
            .order_by_expr(key, Order::Asc)
            .order_by(Column::Currency, Order::Asc)
            .to_owned();
        let built = StatementBuilder::build(&stmt, &self.db.backend());
        let rows = SummaryRow::find_by_statement(built).all(self.db.conn()).await?;
        Ok(finish(rows, group))
    }

    /// Jobs of a filter in id order after `after_id`, for exports.
    pub async fn chunk(&self, f: &UsageFilter, after_id: i64, limit: u64) -> CoreResult<Vec<jobs::Model>> {
        Ok(Jobs::find()
            .filter(condition(f))
            .filter(Column::Id.gt(after_id))
            .order_by_asc(Column::Id)
            .limit(limit)
            .all(self.db.conn())
            .await?)
    }

    /// The live receipt each of `keys` (cluster, job key) is on; jobs on none are left out.
    pub async fn receipts_of(&self, keys: &[(String, String)]) -> CoreResult<Vec<((String, String), i64)>> {
        use hpcb_entities::tables::billed_jobs;
        let job_keys: Vec<&str> = keys.iter().map(|(_, k)| k.as_str()).collect();
        // By job key only (one indexed `IN`), then the cluster is matched here: keys are a page.
        let rows = billed_jobs::Entity::find()
            .filter(billed_jobs::Column::JobKey.is_in(job_keys))
            .all(self.db.conn())
            .await?;
        Ok(rows
            .into_iter()
            .map(|b| ((b.cluster, b.job_key), b.receipt_id))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }

    /// Jobs by row id (for DataLoaders).
    pub async fn by_ids(&self, ids: &[i64]) -> CoreResult<Vec<jobs::Model>> {
        Ok(Jobs::find()
            .filter(Column::Id.is_in(ids.to_vec()))
            .all(self.db.conn())
            .await?)
    }
}

//! The one line rule: which billable jobs become the lines of a receipt, in which order, and
//! what each line copies (the job's quantities, tier and cost, and its rate version's prices
//! locked in). It is a single SELECT: `create` inserts its rows (set-based, so a receipt over
//! 100 000 jobs binds a handful of values) and `preview` reads the same rows, so what a user
//! previews is exactly what they get.

use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::{jobs, rates, receipt_items};
use hpcb_entities::Currency;
use sea_orm::sea_query::{Alias, Expr, Order, Query, SelectStatement};
use sea_orm::{Condition, ConnectionTrait, EntityTrait, FromQueryResult, QueryFilter, QuerySelect, StatementBuilder};

/// The columns of `receipt_items` the rule fills, in the order the SELECT gives them.
const COLUMNS: [receipt_items::Column; 15] = [
    receipt_items::Column::ReceiptId,
    receipt_items::Column::Cluster,
    receipt_items::Column::JobKey,
    receipt_items::Column::JobId,
    receipt_items::Column::EndAt,
    receipt_items::Column::CpuMs,
    receipt_items::Column::GpuS,
    receipt_items::Column::MemKibS,
    receipt_items::Column::Tier,
    receipt_items::Column::RateId,
    receipt_items::Column::CpuRate,
    receipt_items::Column::GpuRate,
    receipt_items::Column::MemRate,
    receipt_items::Column::CostMinor,
    receipt_items::Column::ContentHash,
];

/// The lines of receipt `receipt_id` from the jobs `billable` selects, oldest end first; a job
/// priced without a rate version shows prices of 0 (its cost is 0 too).
fn select(receipt_id: i64, billable: Condition) -> SelectStatement {
    let job = |c: jobs::Column| Expr::col((jobs::Entity, c));
    Query::select()
        .expr_as(Expr::val(receipt_id), Alias::new("receipt_id"))
        .expr_as(job(jobs::Column::Cluster), Alias::new("cluster"))
        .expr_as(job(jobs::Column::JobKey), Alias::new("job_key"))
        .expr_as(job(jobs::Column::JobId), Alias::new("job_id"))
        .expr_as(job(jobs::Column::EndAt), Alias::new("end_at"))
        .expr_as(job(jobs::Column::CpuMs), Alias::new("cpu_ms"))
        .expr_as(job(jobs::Column::GpuS), Alias::new("gpu_s"))
        .expr_as(job(jobs::Column::MemKibS), Alias::new("mem_kib_s"))
        .expr_as(job(jobs::Column::Tier), Alias::new("tier"))
        .expr_as(job(jobs::Column::RateId), Alias::new("rate_id"))
        .expr_as(Expr::cust("COALESCE(rates.cpu, '0')"), Alias::new("cpu_rate"))
        .expr_as(Expr::cust("COALESCE(rates.gpu, '0')"), Alias::new("gpu_rate"))
        .expr_as(Expr::cust("COALESCE(rates.mem, '0')"), Alias::new("mem_rate"))
        .expr_as(job(jobs::Column::CostMinor), Alias::new("cost_minor"))
        .expr_as(job(jobs::Column::ContentHash), Alias::new("content_hash"))
        .from(jobs::Entity)
        .left_join(
            rates::Entity,
            Expr::col((rates::Entity, rates::Column::Id)).equals((jobs::Entity, jobs::Column::RateId)),
        )
        .cond_where(billable)
        .order_by((jobs::Entity, jobs::Column::EndAt), Order::Asc)
        .order_by((jobs::Entity, jobs::Column::Id), Order::Asc)
        .to_owned()
}

/// The lines the jobs would make, without storing anything (ids 0).
pub(super) async fn preview<C: ConnectionTrait>(
    conn: &C,
    billable: Condition,
) -> CoreResult<Vec<receipt_items::Model>> {
    let mut stmt = select(0, billable);
    stmt.expr_as(Expr::val(0i64), Alias::new("id"));
    let built = StatementBuilder::build(&stmt, &conn.get_database_backend());
    Ok(receipt_items::Model::find_by_statement(built).all(conn).await?)
}

/// Stores the lines of receipt `receipt_id` in one statement.
pub(super) async fn copy<C: ConnectionTrait>(conn: &C, receipt_id: i64, billable: Condition) -> CoreResult<()> {
    let insert = Query::insert()
        .into_table(receipt_items::Entity)
        .columns(COLUMNS)
        .select_from(select(receipt_id, billable))
        .map_err(|e| CoreError::internal(format!("building the line copy: {e}")))?
        .to_owned();
    conn.execute(conn.get_database_backend().build(&insert)).await?;
    Ok(())
}

/// How many jobs `billable` selects and their one currency: `None` when there are none, an
/// error naming the problem when they are priced in several currencies (they must go on
/// separate receipts).
pub(super) async fn selection<C: ConnectionTrait>(
    conn: &C,
    billable: Condition,
) -> CoreResult<Option<(i64, Currency)>> {
    let (count, currencies, currency): (i64, i64, Option<String>) = jobs::Entity::find()
        .select_only()
        .column_as(Expr::cust("COUNT(*)"), "n")
        .column_as(Expr::cust("COUNT(DISTINCT currency)"), "c")
        .column_as(Expr::cust("MIN(currency)"), "cur")
        .filter(billable)
        .into_tuple()
        .one(conn)
        .await?
        .unwrap_or((0, 0, None));
    if count == 0 {
        return Ok(None);
    }
    if currencies > 1 {
        return Err(CoreError::validation(
            "jobs",
            "these jobs are priced in several currencies: bill them separately",
        ));
    }
    let code = currency.unwrap_or_default();
    let currency = Currency::parse(&code)
        .ok_or_else(|| CoreError::internal(format!("jobs priced in an unknown currency {code:?}")))?;
    Ok(Some((count, currency)))
}

//! The finance overview: money on receipts per month (paid and pending), what has run but is
//! not billed yet, and who uses most. Everything is aggregated by the database; amounts are in
//! the billing currency (receipts and jobs in another currency are left out, never converted).

use crate::auth::{Principal, Role};
use crate::error::{CoreError, CoreResult};
use crate::services::Services;
use crate::usage::{GroupBy, SummaryRow, UsageFilter};
use chrono::{Datelike, TimeZone, Utc};
use hpcb_entities::tables::receipts::{Column, Entity as Receipts};
use hpcb_entities::Currency;
use sea_orm::sea_query::{Alias, Expr, Order, Query};
use sea_orm::{ColumnTrait, DatabaseBackend, FromQueryResult, StatementBuilder};

/// Longest history the overview covers.
pub const MAX_MONTHS: u32 = 120;
/// How many users and accounts the top lists name.
pub const TOP: usize = 10;

/// Receipts issued in one month.
#[derive(Clone, Debug, PartialEq, Eq, FromQueryResult)]
pub struct MonthRevenue {
    /// `YYYY-MM` (UTC) of issue.
    pub month: String,
    /// Total of those now paid, minor units.
    pub paid_minor: i64,
    /// Total of those still pending, minor units.
    pub pending_minor: i64,
    /// Live (paid or pending) receipts.
    pub receipts: i64,
}

/// One user's or account's share of the cost.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CostShare {
    /// User or account name (empty: jobs without an account).
    pub name: String,
    /// Jobs.
    pub jobs: i64,
    /// Their cost, minor units.
    pub cost_minor: i64,
}

/// The overview of the last months.
#[derive(Clone, Debug)]
pub struct BillingOverview {
    /// Currency of every amount.
    pub currency: Currency,
    /// Months with receipts, oldest first, from the first month of the window.
    pub months: Vec<MonthRevenue>,
    /// Paid on receipts issued in the window.
    pub paid_minor: i64,
    /// Everything still pending, whenever issued.
    pub pending_minor: i64,
    /// Cost of ended jobs on no live receipt.
    pub unbilled_minor: i64,
    /// How many such jobs.
    pub unbilled_jobs: i64,
    /// Users by cost of the jobs that ended in the window, most first.
    pub top_users: Vec<CostShare>,
    /// Accounts likewise.
    pub top_accounts: Vec<CostShare>,
}

/// Unix ms of the first instant of the month `months - 1` months before the one of `now_ms`.
fn window_start(now_ms: i64, months: u32) -> CoreResult<i64> {
    let now = Utc
        .timestamp_millis_opt(now_ms)
        .single()
        .ok_or_else(|| CoreError::internal("clock out of range"))?;
    let index = i64::from(now.year()) * 12 + i64::from(now.month0()) - i64::from(months) + 1;
    let (year, month0) = (index.div_euclid(12), index.rem_euclid(12));
    let year = i32::try_from(year).map_err(CoreError::internal)?;
    Utc.with_ymd_and_hms(
        year,
        u32::try_from(month0 + 1).map_err(CoreError::internal)?,
        1,
        0,
        0,
        0,
    )
    .single()
    .map(|t| t.timestamp_millis())
    .ok_or_else(|| CoreError::internal("month out of range"))
}

/// The SQL month (`YYYY-MM`, UTC) of a Unix-ms column: the two databases spell it differently.
fn month_of(backend: DatabaseBackend, column: &str) -> String {
    match backend {
        DatabaseBackend::Postgres => format!("to_char(to_timestamp({column} / 1000) AT TIME ZONE 'UTC', 'YYYY-MM')"),
        _ => format!("strftime('%Y-%m', {column} / 1000, 'unixepoch')"),
    }
}

fn shares(mut rows: Vec<SummaryRow>, currency: Currency) -> Vec<CostShare> {
    rows.retain(|r| r.currency == currency);
    rows.sort_by(|a, b| b.cost_minor.cmp(&a.cost_minor).then_with(|| a.key.cmp(&b.key)));
    rows.into_iter()
        .take(TOP)
        .map(|r| CostShare {
            name: r.key,
            jobs: r.jobs,
            cost_minor: r.cost_minor,
        })
        .collect()
}

impl Services {
    /// The overview of the last `months` months, this one included (admin, finance).
    pub async fn billing_overview(&self, p: &Principal, months: u32) -> CoreResult<BillingOverview> {
        p.require(&[Role::Admin, Role::Finance])?;
        if !(1..=MAX_MONTHS).contains(&months) {
            return Err(CoreError::validation(
                "months",
                format!("must be between 1 and {MAX_MONTHS}"),
            ));
        }
        let now = self.clock.now_ms();
        let start = window_start(now, months)?;
        let currency = self.currency;
        let backend = self.db.backend();
        let sum_if = |status: &str| {
            Expr::cust(format!(
                "CAST(COALESCE(SUM(CASE WHEN status = '{status}' THEN total_minor ELSE 0 END), 0) AS BIGINT)"
            ))
        };
        let month = Expr::cust(month_of(backend, "created_at"));
        let stmt = Query::select()
            .expr_as(month.clone(), Alias::new("month"))
            .expr_as(sum_if("paid"), Alias::new("paid_minor"))
            .expr_as(sum_if("pending"), Alias::new("pending_minor"))
            .expr_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), Alias::new("receipts"))
            .from(Receipts)
            .and_where(Column::CreatedAt.gte(start))
            .and_where(Column::Currency.eq(currency.as_str()))
            .and_where(Column::Status.is_in(["paid", "pending"]))
            .add_group_by([month.clone()])
            .order_by_expr(month, Order::Asc)
            .to_owned();
        let months = MonthRevenue::find_by_statement(StatementBuilder::build(&stmt, &backend))
            .all(self.db.conn())
            .await?;
        let pending_stmt = Query::select()
            .expr_as(
                Expr::cust("CAST(COALESCE(SUM(total_minor), 0) AS BIGINT)"),
                Alias::new("total"),
            )
            .from(Receipts)
            .and_where(Column::Currency.eq(currency.as_str()))
            .and_where(Column::Status.eq("pending"))
            .to_owned();
        #[derive(FromQueryResult)]
        struct Total {
            total: i64,
        }
        let pending_minor = Total::find_by_statement(StatementBuilder::build(&pending_stmt, &backend))
            .one(self.db.conn())
            .await?
            .map_or(0, |t| t.total);
        let unbilled = self
            .usage
            .summary_from_jobs(
                &UsageFilter {
                    ended_before: Some(now),
                    billed: Some(false),
                    ..UsageFilter::default()
                },
                GroupBy::Tier,
            )
            .await?;
        let (unbilled_minor, unbilled_jobs) = unbilled
            .iter()
            .filter(|r| r.currency == currency)
            .fold((0i64, 0i64), |(c, j), r| (c.saturating_add(r.cost_minor), j + r.jobs));
        let window = UsageFilter {
            from: Some(start),
            ..UsageFilter::default()
        };
        let top_users = shares(self.usage.summary(&window, GroupBy::User).await?, currency);
        let top_accounts = shares(self.usage.summary(&window, GroupBy::Account).await?, currency);
        Ok(BillingOverview {
            currency,
            paid_minor: months.iter().map(|m| m.paid_minor).sum(),
            months,
            pending_minor,
            unbilled_minor,
            unbilled_jobs,
            top_users,
            top_accounts,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_starts_on_the_first_of_a_month_counting_this_one() {
        let at = |y, m, d, h| {
            Utc.with_ymd_and_hms(y, m, d, h, 0, 0)
                .single()
                .expect("valid time")
                .timestamp_millis()
        };
        let dec_6_2026 = at(2026, 12, 6, 7);
        let first = |y, m| at(y, m, 1, 0);
        assert_eq!(window_start(dec_6_2026, 1).expect("start"), first(2026, 12));
        assert_eq!(window_start(dec_6_2026, 12).expect("start"), first(2026, 1));
        assert_eq!(window_start(dec_6_2026, 13).expect("start"), first(2025, 12));
        assert_eq!(window_start(dec_6_2026, 120).expect("start"), first(2017, 1));
    }
}

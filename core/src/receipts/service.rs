//! Creating receipts and moving them through their life.

use super::lines;
use super::model::{Receipt, ReceiptInput, ReceiptStatus};
use super::status::{change_status, Change, Changed};
use super::tax::{totals, TaxSettings};
use crate::audit::{AuditService, Target};
use crate::auth::Role;
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::{Db, WriteTx};
use crate::error::{is_unique_violation, CoreError, CoreResult};
use crate::metrics::Metrics;
use hpcb_entities::tables::{billed_jobs, invoice_counters, jobs, payments, receipt_items, receipts};
use hpcb_entities::Currency;
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, NotSet, QueryFilter, QuerySelect, Set,
};
use serde_json::json;
use std::sync::Arc;

/// States whose jobs have not ended and cannot be billed.
const UNFINISHED: [&str; 5] = ["RUNNING", "PENDING", "SUSPENDED", "REQUEUED", "RESIZING"];

/// What a monthly run did.
#[derive(Clone, Debug, Default)]
pub struct MonthlyReport {
    /// `YYYY-MM`.
    pub month: String,
    /// Receipts created.
    pub created: Vec<Receipt>,
    /// Users whose unbilled jobs of the month were already all billed (nothing new).
    pub users_checked: u64,
}

/// The receipt service.
#[derive(Clone)]
pub struct ReceiptService {
    db: Db,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    tax: Arc<TaxSettings>,
    /// The billing currency: of a receipt that has no lines to take one from.
    currency: Currency,
}

/// What a receipt header is made from, besides its number, time and amounts.
struct Draft<'a> {
    user: &'a str,
    created_by: &'a str,
    ended_before: i64,
    period_month: Option<&'a str>,
    currency: Currency,
}

/// Parses `YYYY-MM` into the UTC month's `[start, end)` in Unix ms.
pub fn month_bounds(month: &str) -> CoreResult<(i64, i64)> {
    let bad = || CoreError::validation("month", "use YYYY-MM");
    let (y, m) = month.split_once('-').ok_or_else(bad)?;
    let (y, m): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    let start = chrono::NaiveDate::from_ymd_opt(y, m, 1).ok_or_else(bad)?;
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
    }
    .ok_or_else(bad)?;
    let ms = |d: chrono::NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .map(|t| t.and_utc().timestamp_millis())
            .ok_or_else(bad)
    };
    Ok((ms(start)?, ms(next)?))
}

impl ReceiptService {
    /// Builds the service.
    pub fn new(
        db: Db,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        tax: TaxSettings,
        currency: Currency,
    ) -> ReceiptService {
        ReceiptService {
            db,
            audit,
            clock,
            metrics,
            tax: Arc::new(tax),
            currency,
        }
    }

    pub(crate) fn conn(&self) -> &sea_orm::DatabaseConnection {
        self.db.conn()
    }

    /// The tax settings receipts are made with.
    pub fn tax(&self) -> &TaxSettings {
        &self.tax
    }

    fn target_user(actor: Actor<'_>, requested: Option<String>) -> CoreResult<String> {
        match actor {
            Actor::User(p) => match (p.role, requested) {
                (Role::Admin | Role::Finance, Some(u)) => Ok(u),
                (_, None) => Ok(p.username.clone()),
                (Role::User, Some(u)) if u == p.username => Ok(u),
                (Role::User, Some(_)) => Err(CoreError::Forbidden("you may only bill your own jobs".into())),
            },
            Actor::System(_) => requested.ok_or_else(|| CoreError::validation("user", "name the user to bill")),
        }
    }

    /// Shows what `create` would bill, without storing anything.
    pub async fn preview(
        &self,
        actor: Actor<'_>,
        input: ReceiptInput,
    ) -> CoreResult<(Receipt, Vec<receipt_items::Model>)> {
        let user = Self::target_user(actor, input.user)?;
        let ended_before = input.ended_before.unwrap_or_else(|| self.clock.now_ms());
        let billable = billable_condition(&user, None, ended_before, input.jobs.as_deref());
        let conn = self.db.conn();
        let currency = lines::selection(conn, billable.clone())
            .await?
            .map_or(self.currency, |(_, currency)| currency);
        let items = lines::preview(conn, billable).await?;
        let sum = items
            .iter()
            .try_fold(0i64, |sum, l| sum.checked_add(l.cost_minor))
            .ok_or_else(|| CoreError::internal("receipt sum overflows"))?;
        let draft = Draft {
            user: &user,
            created_by: actor.name(),
            ended_before,
            period_month: None,
            currency,
        };
        let header = self.header(&draft, sum, 0, "PREVIEW".into())?;
        Ok((header, items))
    }

    /// Bills the user's unbilled, ended jobs up to the cut-off (or the listed ones) in one
    /// transaction: header, lines, billed-job guards, invoice number and audit entry.
    pub async fn create(&self, actor: Actor<'_>, meta: &RequestMeta, input: ReceiptInput) -> CoreResult<Receipt> {
        actor.require(&[Role::Admin, Role::Finance, Role::User])?;
        let user = Self::target_user(actor, input.user)?;
        let ended_before = input.ended_before.unwrap_or_else(|| self.clock.now_ms());
        let receipt = self
            .create_for(actor, meta, &user, None, ended_before, input.jobs.as_deref(), None)
            .await?;
        receipt.ok_or_else(|| match input.jobs {
            Some(keys) => CoreError::Conflict(format!(
                "none of the jobs {} can be billed: they are not yours, not ended, or already on a receipt",
                keys.join(", ")
            )),
            None => CoreError::Conflict(format!("no unbilled jobs of {user} ended on or before the cut-off")),
        })
    }

    #[expect(clippy::too_many_arguments, reason = "the window and scope of one receipt")]
    async fn create_for(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        user: &str,
        ended_after: Option<i64>,
        ended_before: i64,
        keys: Option<&[String]>,
        period_month: Option<&str>,
    ) -> CoreResult<Option<Receipt>> {
        let mut tx = self.db.begin_write().await?;
        // Receipts are serialised with each other (and the audit chain): the selection below
        // then sees every job a concurrent receipt took, and the invoice counter has one writer.
        tx.serialize().await?;
        let cond = billable_condition(user, ended_after, ended_before, keys);
        let Some((count, currency)) = lines::selection(&*tx, cond.clone()).await? else {
            return Ok(None);
        };
        if let Some(k) = keys {
            if count as usize != k.len() {
                return Err(missing_jobs(&*tx, cond, k).await?);
            }
        }
        let now = self.clock.now_ms();
        let number = invoice_number(&tx, now).await?;
        let draft = Draft {
            user,
            created_by: actor.name(),
            ended_before,
            period_month,
            currency,
        };
        let mut am: receipts::ActiveModel = self.header(&draft, 0, now, number)?.into();
        am.id = NotSet;
        let receipt = am.insert(&*tx).await?;
        // The lines are copied by the database (see `lines`), guarded against a second
        // receipt, and the totals computed from the stored lines, so the header always equals
        // their sum.
        lines::copy(&*tx, receipt.id, cond).await?;
        guard_billed_jobs(&tx, receipt.id).await?;
        let (lines, sum): (i64, i64) = receipt_items::Entity::find()
            .select_only()
            .column_as(Expr::cust("COUNT(*)"), "n")
            .column_as(Expr::cust("CAST(COALESCE(SUM(cost_minor), 0) AS BIGINT)"), "s")
            .filter(receipt_items::Column::ReceiptId.eq(receipt.id))
            .into_tuple()
            .one(&*tx)
            .await?
            .unwrap_or((0, 0));
        let t = totals(sum, &self.tax)?;
        let mut am: receipts::ActiveModel = receipt.into();
        am.subtotal_minor = Set(t.subtotal);
        am.tax_minor = Set(t.tax);
        am.total_minor = Set(t.total);
        let receipt = am.update(&*tx).await?;
        let items_len = lines;
        self.audit_change(
            &mut tx,
            actor,
            meta,
            "receipt.create",
            &receipt,
            json!({
                "number": receipt.number, "user": user, "lines": items_len, "subtotal_minor": receipt.subtotal_minor,
                "tax_minor": receipt.tax_minor, "total_minor": receipt.total_minor, "currency": receipt.currency,
                "ended_before": ended_before, "period_month": period_month,
            }),
        )
        .await?;
        tx.commit().await?;
        self.metrics.receipts_created.inc();
        Ok(Some(receipt))
    }

    /// A receipt header (id unset) for lines summing to `sum`.
    fn header(&self, draft: &Draft<'_>, sum: i64, now: i64, number: String) -> CoreResult<Receipt> {
        let (user, created_by, ended_before, period_month, currency) = (
            draft.user,
            draft.created_by,
            draft.ended_before,
            draft.period_month,
            draft.currency,
        );
        let t = totals(sum, &self.tax)?;
        let year = chrono::DateTime::from_timestamp_millis(now)
            .map(|t| chrono::Datelike::year(&t))
            .unwrap_or(1970);
        let header = receipts::Model {
            id: 0,
            number,
            year,
            username: user.to_owned(),
            status: ReceiptStatus::Pending.as_str().into(),
            currency,
            subtotal_minor: t.subtotal,
            tax_minor: t.tax,
            total_minor: t.total,
            tax_rate: self.tax.rate.normalize().to_string(),
            tax_label: self.tax.label.clone(),
            tax_inclusive: self.tax.inclusive,
            ended_before,
            period_month: period_month.map(str::to_owned),
            created_at: now,
            created_by: created_by.to_owned(),
            paid_at: None,
            paid_method: None,
            paid_reference: None,
            voided_at: None,
            void_reason: None,
            updated_at: now,
        };
        Ok(header)
    }

    /// One receipt per user with unbilled jobs that ended in `month` (`YYYY-MM`, UTC).
    /// Idempotent: jobs already billed are skipped, so a second run creates nothing new.
    pub async fn create_monthly(&self, actor: Actor<'_>, meta: &RequestMeta, month: &str) -> CoreResult<MonthlyReport> {
        actor.require(&[Role::Admin, Role::Finance])?;
        let (start, end) = month_bounds(month)?;
        let users: Vec<String> = jobs::Entity::find()
            .select_only()
            .column(jobs::Column::Username)
            .distinct()
            .filter(jobs::Column::EndAt.gte(start))
            .filter(jobs::Column::EndAt.lt(end))
            .filter(Expr::cust(
                "NOT EXISTS (SELECT 1 FROM billed_jobs b WHERE b.cluster = jobs.cluster AND b.job_key = jobs.job_key)",
            ))
            .into_tuple::<String>()
            .all(self.db.conn())
            .await?;
        let mut users = users;
        users.sort();
        users.dedup();
        let mut report = MonthlyReport {
            month: month.to_owned(),
            ..Default::default()
        };
        for u in users {
            report.users_checked += 1;
            if let Some(r) = self
                .create_for(actor, meta, &u, Some(start), end - 1, None, Some(month))
                .await?
            {
                report.created.push(r);
            }
        }
        Ok(report)
    }

    async fn load(&self, tx: &WriteTx, id: i64) -> CoreResult<Receipt> {
        receipts::Entity::find_by_id(id)
            .one(&**tx)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("receipt {id}")))
    }

    async fn audit_change(
        &self,
        tx: &mut WriteTx,
        actor: Actor<'_>,
        meta: &RequestMeta,
        action: &str,
        r: &Receipt,
        details: serde_json::Value,
    ) -> CoreResult<()> {
        self.audit
            .log_change(
                tx,
                meta,
                actor.name(),
                (action, "ok"),
                Target::Receipt(&r.number),
                details,
            )
            .await
    }

    /// Records a payment made outside the gateways (admin, finance): pending → paid.
    pub async fn mark_paid(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        id: i64,
        method: &str,
        reference: Option<&str>,
    ) -> CoreResult<Receipt> {
        actor.require(&[Role::Admin, Role::Finance])?;
        if method.trim().is_empty() || method.len() > 32 {
            return Err(CoreError::validation(
                "method",
                "name how it was paid, at most 32 characters",
            ));
        }
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let r = self.load(&tx, id).await?;
        let change = Change::Paid {
            method: method.trim(),
            reference,
        };
        let after = match change_status(&mut tx, &r, change, self.clock.now_ms()).await? {
            Changed::Done(after) => *after,
            Changed::NotAllowed(status) => {
                return Err(CoreError::Conflict(format!(
                    "receipt {} is {}, not pending",
                    r.number,
                    status.as_str()
                )))
            }
        };
        self.audit_change(
            &mut tx,
            actor,
            meta,
            "receipt.paid",
            &after,
            json!({"before": r.status, "after": after.status, "method": method, "reference": reference}),
        )
        .await?;
        tx.commit().await?;
        self.metrics.receipts_paid.inc();
        Ok(after)
    }

    /// Cancels a pending receipt (admin, finance); its jobs can be billed again.
    pub async fn void(&self, actor: Actor<'_>, meta: &RequestMeta, id: i64, reason: &str) -> CoreResult<Receipt> {
        actor.require(&[Role::Admin, Role::Finance])?;
        if reason.trim().is_empty() || reason.len() > 512 {
            return Err(CoreError::validation("reason", "say why, in at most 512 characters"));
        }
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let r = self.load(&tx, id).await?;
        let change = Change::Void { reason: reason.trim() };
        let after = match change_status(&mut tx, &r, change, self.clock.now_ms()).await? {
            Changed::Done(after) => *after,
            Changed::NotAllowed(status) => {
                return Err(CoreError::Conflict(format!(
                    "receipt {} is {}; only pending receipts can be voided",
                    r.number,
                    status.as_str()
                )))
            }
        };
        // Its jobs are free to bill again.
        let released = billed_jobs::Entity::delete_many()
            .filter(billed_jobs::Column::ReceiptId.eq(id))
            .exec(&*tx)
            .await?
            .rows_affected;
        self.audit_change(
            &mut tx,
            actor,
            meta,
            "receipt.void",
            &after,
            json!({"before": r.status, "after": after.status, "reason": reason, "jobs_released": released}),
        )
        .await?;
        tx.commit().await?;
        Ok(after)
    }

    /// Takes a manual payment back (admin, finance): paid → pending. Refused once a gateway
    /// payment succeeded for the receipt: gateway payments are refunded, not reverted.
    pub async fn revert_to_pending(&self, actor: Actor<'_>, meta: &RequestMeta, id: i64) -> CoreResult<Receipt> {
        actor.require(&[Role::Admin, Role::Finance])?;
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let r = self.load(&tx, id).await?;
        let gateway_paid = payments::Entity::find()
            .filter(payments::Column::ReceiptId.eq(id))
            .filter(payments::Column::Status.is_in(["succeeded", "refunded"]))
            .one(&*tx)
            .await?;
        if let Some(p) = gateway_paid {
            return Err(CoreError::Conflict(format!(
                "receipt {} was paid through {} (payment {}); refund the payment instead",
                r.number, p.provider, p.public_id
            )));
        }
        let after = match change_status(&mut tx, &r, Change::Revert, self.clock.now_ms()).await? {
            Changed::Done(after) => *after,
            Changed::NotAllowed(status) => {
                return Err(CoreError::Conflict(format!(
                    "receipt {} is {}, not paid",
                    r.number,
                    status.as_str()
                )))
            }
        };
        self.audit_change(&mut tx, actor, meta, "receipt.revert", &after, json!({"before": r.status, "after": after.status, "paid_method": r.paid_method, "paid_reference": r.paid_reference})).await?;
        tx.commit().await?;
        Ok(after)
    }
}

/// The unbilled, ended jobs of `user` in a window (or among `keys`).
fn billable_condition(user: &str, ended_after: Option<i64>, ended_before: i64, keys: Option<&[String]>) -> Condition {
    let mut c = Condition::all()
        .add(jobs::Column::Username.eq(user))
        .add(jobs::Column::EndAt.is_not_null())
        .add(jobs::Column::EndAt.lte(ended_before))
        .add(jobs::Column::State.is_not_in(UNFINISHED))
        .add(Expr::cust(
            "NOT EXISTS (SELECT 1 FROM billed_jobs b WHERE b.cluster = jobs.cluster AND b.job_key = jobs.job_key)",
        ));
    if let Some(after) = ended_after {
        c = c.add(jobs::Column::EndAt.gte(after));
    }
    if let Some(k) = keys {
        c = c.add(jobs::Column::JobKey.is_in(k.to_vec()));
    }
    c
}

/// The invoice number of a receipt made at `now`: `INV-<year>-<six digits>`, gapless per year.
async fn invoice_number(tx: &WriteTx, now: i64) -> CoreResult<String> {
    let year = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| chrono::Datelike::year(&t))
        .unwrap_or(1970);
    let seq = next_number(tx, year).await?;
    Ok(format!("INV-{year}-{seq:06}"))
}

/// The conflict of a job list where some jobs cannot be billed, naming them.
async fn missing_jobs<C: sea_orm::ConnectionTrait>(
    conn: &C,
    billable: Condition,
    keys: &[String],
) -> CoreResult<CoreError> {
    let found: std::collections::HashSet<String> = jobs::Entity::find()
        .select_only()
        .column(jobs::Column::JobKey)
        .filter(billable)
        .into_tuple::<String>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let missing: Vec<&str> = keys
        .iter()
        .map(String::as_str)
        .filter(|x| !found.contains(*x))
        .collect();
    Ok(CoreError::Conflict(format!(
        "jobs {} cannot be billed: not yours, not ended, or already on a receipt",
        missing.join(", ")
    )))
}

/// Records each job of the receipt in `billed_jobs`, whose key forbids a second live receipt
/// for the same job: a concurrent receipt that took one of them makes this fail as a conflict.
async fn guard_billed_jobs(tx: &WriteTx, receipt_id: i64) -> CoreResult<()> {
    let guard = Query::insert()
        .into_table(billed_jobs::Entity)
        .columns([
            billed_jobs::Column::Cluster,
            billed_jobs::Column::JobKey,
            billed_jobs::Column::ReceiptId,
        ])
        .select_from(
            Query::select()
                .columns([
                    receipt_items::Column::Cluster,
                    receipt_items::Column::JobKey,
                    receipt_items::Column::ReceiptId,
                ])
                .from(receipt_items::Entity)
                .and_where(receipt_items::Column::ReceiptId.eq(receipt_id))
                .to_owned(),
        )
        .map_err(|e| CoreError::internal(format!("building the billed-job guard: {e}")))?
        .to_owned();
    let backend = tx.get_database_backend();
    tx.execute(backend.build(&guard)).await.map_err(|e| {
        if is_unique_violation(&e) {
            CoreError::Conflict("some of these jobs were billed by another receipt at the same time".into())
        } else {
            e.into()
        }
    })?;
    Ok(())
}

/// Takes the next invoice number of `year` inside the caller's (serialised) transaction.
async fn next_number(tx: &WriteTx, year: i32) -> CoreResult<i64> {
    let current = invoice_counters::Entity::find_by_id(year).one(&**tx).await?;
    let next = current.as_ref().map_or(1, |c| c.last + 1);
    let am = invoice_counters::ActiveModel {
        year: Set(year),
        last: Set(next),
    };
    if current.is_some() {
        am.update(&**tx).await?;
    } else {
        am.insert(&**tx).await?;
    }
    Ok(next)
}

//! GraphQL types of receipts.

use super::loaders::LinesLoader;
use crate::error::ApiError;
use crate::scalars::{DateTime, Dec};
use crate::usage::MoneyGql;
use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, InputObject, SimpleObject, ID};
use hpcb_core::pricing::{explain, hours, per_hour, Prices, Quantities};
use hpcb_core::receipts::{Adjustment, Receipt, ReceiptFilter, ReceiptLine, ReceiptStatus};
use hpcb_core::CoreError;
use hpcb_entities::{Currency, Money};
use rust_decimal::Decimal;
use std::str::FromStr;

/// Where a receipt is in its life.
#[derive(Enum, Clone, Copy, Debug, PartialEq, Eq)]
#[graphql(name = "ReceiptStatus")]
pub enum StatusGql {
    /// Issued, not paid.
    Pending,
    /// Paid.
    Paid,
    /// Cancelled; its jobs can be billed again.
    Void,
}

impl From<StatusGql> for ReceiptStatus {
    fn from(s: StatusGql) -> Self {
        match s {
            StatusGql::Pending => ReceiptStatus::Pending,
            StatusGql::Paid => ReceiptStatus::Paid,
            StatusGql::Void => ReceiptStatus::Void,
        }
    }
}

fn status(s: &str) -> StatusGql {
    match s {
        "paid" => StatusGql::Paid,
        "void" => StatusGql::Void,
        _ => StatusGql::Pending,
    }
}

/// A receipt.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Receipt", complex)]
pub struct ReceiptGql {
    /// Id.
    pub id: ID,
    /// Invoice number (`INV-2026-000123`), gapless per year.
    pub number: String,
    /// User billed.
    pub user: String,
    /// Status.
    pub status: StatusGql,
    /// Before tax.
    pub subtotal: MoneyGql,
    /// Tax.
    pub tax: MoneyGql,
    /// Owed.
    pub total: MoneyGql,
    /// Tax rate as a fraction.
    pub tax_rate: Dec,
    /// Tax label.
    pub tax_label: String,
    /// Whether line amounts include the tax.
    pub tax_inclusive: bool,
    /// Jobs that ended at or before this.
    pub ended_before: DateTime,
    /// `YYYY-MM` when made by the monthly run.
    pub period_month: Option<String>,
    /// Created.
    pub created_at: DateTime,
    /// By whom.
    pub created_by: String,
    /// Paid.
    pub paid_at: Option<DateTime>,
    /// How.
    pub paid_method: Option<String>,
    /// Reference of the payment.
    pub paid_reference: Option<String>,
    /// Voided.
    pub voided_at: Option<DateTime>,
    /// Why.
    pub void_reason: Option<String>,
    #[graphql(skip)]
    pub row_id: i64,
    #[graphql(skip)]
    pub currency: Currency,
    #[graphql(skip)]
    pub preview_lines: Option<Vec<ReceiptLine>>,
}

impl From<Receipt> for ReceiptGql {
    fn from(r: Receipt) -> Self {
        ReceiptGql {
            id: ID(r.id.to_string()),
            number: r.number,
            user: r.username,
            status: status(&r.status),
            subtotal: MoneyGql::new(r.subtotal_minor, r.currency),
            tax: MoneyGql::new(r.tax_minor, r.currency),
            total: MoneyGql::new(r.total_minor, r.currency),
            tax_rate: Dec(Decimal::from_str(&r.tax_rate).unwrap_or_default()),
            tax_label: r.tax_label,
            tax_inclusive: r.tax_inclusive,
            ended_before: DateTime(r.ended_before),
            period_month: r.period_month,
            created_at: DateTime(r.created_at),
            created_by: r.created_by,
            paid_at: r.paid_at.map(DateTime),
            paid_method: r.paid_method,
            paid_reference: r.paid_reference,
            voided_at: r.voided_at.map(DateTime),
            void_reason: r.void_reason,
            row_id: r.id,
            currency: r.currency,
            preview_lines: None,
        }
    }
}

#[ComplexObject]
impl ReceiptGql {
    /// The billed jobs, each with the rates locked in when the receipt was made.
    #[graphql(complexity = "crate::cost::unpaged(child_complexity)")]
    async fn lines(&self, ctx: &Context<'_>) -> Result<Vec<ReceiptLineGql>, ApiError> {
        let currency = self.currency;
        if let Some(lines) = &self.preview_lines {
            return Ok(lines.iter().map(|l| ReceiptLineGql::new(l, currency)).collect());
        }
        let lines = ctx
            .data::<DataLoader<LinesLoader>>()?
            .load_one(self.row_id)
            .await
            .map_err(|e| CoreError::internal(e.to_string()))?
            .unwrap_or_default();
        Ok(lines.iter().map(|l| ReceiptLineGql::new(l, currency)).collect())
    }
}

/// One billed job.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "ReceiptLine")]
pub struct ReceiptLineGql {
    /// Cluster.
    pub cluster: String,
    /// Canonical job key.
    pub job_key: String,
    /// Job id as Slurm shows it.
    pub job_id: String,
    /// When the job ended.
    pub end_at: DateTime,
    /// CPU core-hours billed.
    pub cpu_core_hours: Dec,
    /// GPU-hours billed.
    pub gpu_hours: Dec,
    /// Memory GB-hours billed.
    pub mem_gb_hours: Dec,
    /// Tier.
    pub tier: String,
    /// Rate version used.
    pub rate_id: Option<i64>,
    /// CPU rate locked in.
    pub cpu_rate: Dec,
    /// GPU rate locked in.
    pub gpu_rate: Dec,
    /// Memory rate locked in.
    pub mem_rate: Dec,
    /// Line amount, rounded once.
    pub amount: MoneyGql,
    /// The arithmetic of the amount.
    pub explain: String,
}

impl ReceiptLineGql {
    fn new(l: &ReceiptLine, currency: Currency) -> ReceiptLineGql {
        let dec = |s: &str| Decimal::from_str(s).unwrap_or_default();
        let (cpu, gpu, mem) = (dec(&l.cpu_rate), dec(&l.gpu_rate), dec(&l.mem_rate));
        let (ch, gh, mh) = (
            hours(l.cpu_ms, per_hour::CPU_MS),
            hours(l.gpu_s, per_hour::GPU_S),
            hours(l.mem_kib_s, per_hour::MEM_KIB_S),
        );
        let amount = MoneyGql::new(l.cost_minor, currency);
        let quantities = Quantities {
            cpu_ms: l.cpu_ms,
            gpu_s: l.gpu_s,
            mem_kib_s: l.mem_kib_s,
        };
        let explained = explain::arithmetic(quantities, Prices { cpu, gpu, mem }, Money::new(l.cost_minor, currency))
            .unwrap_or_default();
        ReceiptLineGql {
            explain: explained,
            cluster: l.cluster.clone(),
            job_key: l.job_key.clone(),
            job_id: l.job_id.clone(),
            end_at: DateTime(l.end_at),
            cpu_core_hours: Dec(ch),
            gpu_hours: Dec(gh),
            mem_gb_hours: Dec(mh),
            tier: l.tier.clone(),
            rate_id: l.rate_id,
            cpu_rate: Dec(cpu),
            gpu_rate: Dec(gpu),
            mem_rate: Dec(mem),
            amount,
        }
    }
}

/// Narrows `receipts`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct ReceiptFilterInput {
    /// Status.
    pub status: Option<StatusGql>,
    /// User billed.
    pub user: Option<String>,
    /// Created at or after.
    pub from: Option<DateTime>,
    /// Created before.
    pub to: Option<DateTime>,
}

impl From<ReceiptFilterInput> for ReceiptFilter {
    fn from(f: ReceiptFilterInput) -> Self {
        ReceiptFilter {
            status: f.status.map(Into::into),
            user: f.user,
            from: f.from.map(|d| d.0),
            to: f.to.map(|d| d.0),
        }
    }
}

/// Extra fields of receipt connections.
#[derive(SimpleObject, Clone, Debug)]
pub struct ReceiptConnectionInfo {
    /// Receipts matching the filter.
    pub total_count: u64,
}

/// What `createMonthlyReceipts` did.
#[derive(SimpleObject, Clone, Debug)]
pub struct MonthlyReportGql {
    /// `YYYY-MM`.
    pub month: String,
    /// Receipts created (none when the month was already billed).
    pub created: Vec<ReceiptGql>,
    /// Users with unbilled jobs in the month that were looked at.
    pub users_checked: u64,
}

/// A billed job that changed after billing.
#[derive(SimpleObject, Clone, Debug)]
pub struct BillingAdjustmentGql {
    /// The receipt it is on.
    pub receipt: ReceiptGql,
    /// The line as billed.
    pub line: ReceiptLineGql,
    /// The job's usage now: CPU core-hours (`None` if the job is gone).
    pub cpu_core_hours_now: Option<Dec>,
    /// GPU-hours now.
    pub gpu_hours_now: Option<Dec>,
    /// Memory GB-hours now.
    pub mem_gb_hours_now: Option<Dec>,
    /// The job's price now, at current rates.
    pub amount_now: Option<MoneyGql>,
    /// State now.
    pub state_now: Option<String>,
}

impl From<Adjustment> for BillingAdjustmentGql {
    fn from(a: Adjustment) -> Self {
        let currency = a.receipt.currency;
        let j = a.job_now;
        BillingAdjustmentGql {
            line: ReceiptLineGql::new(&a.line, currency),
            receipt: a.receipt.into(),
            cpu_core_hours_now: j.as_ref().map(|j| Dec(hours(j.cpu_ms, per_hour::CPU_MS))),
            gpu_hours_now: j.as_ref().map(|j| Dec(hours(j.gpu_s, per_hour::GPU_S))),
            mem_gb_hours_now: j.as_ref().map(|j| Dec(hours(j.mem_kib_s, per_hour::MEM_KIB_S))),
            amount_now: j.as_ref().map(|j| MoneyGql::new(j.cost_minor, j.currency)),
            state_now: j.map(|j| j.state),
        }
    }
}

//! GraphQL types of the overview and the plugin status.

use crate::usage::MoneyGql;
use async_graphql::SimpleObject;
use hpcb_core::overview::{BillingOverview, CostShare, MonthRevenue};
use hpcb_core::plugins::PluginStatus;
use hpcb_entities::Currency;

/// Receipts issued in one month.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "MonthRevenue")]
pub struct MonthRevenueGql {
    /// `YYYY-MM` (UTC) of issue.
    pub month: String,
    /// Total of those now paid.
    pub paid: MoneyGql,
    /// Total of those still pending.
    pub pending: MoneyGql,
    /// Live (paid or pending) receipts.
    pub receipts: i64,
}

/// A user's or account's share of the cost.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "CostShare")]
pub struct CostShareGql {
    /// User or account (empty: jobs without an account).
    pub name: String,
    /// Jobs.
    pub jobs: i64,
    /// Their cost.
    pub cost: MoneyGql,
}

/// Money billed, paid, pending and not yet billed, and who uses most, in the billing currency.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "BillingOverview")]
pub struct BillingOverviewGql {
    /// Months of the window that have receipts, oldest first (by month of issue).
    pub revenue_by_month: Vec<MonthRevenueGql>,
    /// Paid, of the receipts issued in the window.
    pub paid: MoneyGql,
    /// Everything still pending, whenever issued.
    pub pending: MoneyGql,
    /// Cost of ended jobs on no live receipt yet.
    pub unbilled: MoneyGql,
    /// How many such jobs.
    pub unbilled_jobs: i64,
    /// Users by cost of the jobs that ended in the window, most first (ten at most).
    pub top_users: Vec<CostShareGql>,
    /// Slurm accounts likewise.
    pub top_accounts: Vec<CostShareGql>,
}

fn share(s: CostShare, c: Currency) -> CostShareGql {
    CostShareGql {
        name: s.name,
        jobs: s.jobs,
        cost: MoneyGql::new(s.cost_minor, c),
    }
}

fn month(m: MonthRevenue, c: Currency) -> MonthRevenueGql {
    MonthRevenueGql {
        month: m.month,
        paid: MoneyGql::new(m.paid_minor, c),
        pending: MoneyGql::new(m.pending_minor, c),
        receipts: m.receipts,
    }
}

impl From<BillingOverview> for BillingOverviewGql {
    fn from(o: BillingOverview) -> Self {
        let c = o.currency;
        BillingOverviewGql {
            revenue_by_month: o.months.into_iter().map(|m| month(m, c)).collect(),
            paid: MoneyGql::new(o.paid_minor, c),
            pending: MoneyGql::new(o.pending_minor, c),
            unbilled: MoneyGql::new(o.unbilled_minor, c),
            unbilled_jobs: o.unbilled_jobs,
            top_users: o.top_users.into_iter().map(|s| share(s, c)).collect(),
            top_accounts: o.top_accounts.into_iter().map(|s| share(s, c)).collect(),
        }
    }
}

/// A plugin file of the server's plugin directory.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "PluginStatus")]
pub struct PluginStatusGql {
    /// The plugin's id (its key in configuration); the file name when refused unread.
    pub name: String,
    /// `usage-source`, `payment-gateway`, …; empty when refused before it said.
    pub kind: String,
    /// The plugin's version, when it said.
    pub version: Option<String>,
    /// The plugin API it was built against, when it said.
    pub api: Option<String>,
    /// The library's file name.
    pub file: String,
    /// Whether the server loaded it.
    pub loaded: bool,
    /// Why it was refused.
    pub reason: Option<String>,
}

impl From<PluginStatus> for PluginStatusGql {
    fn from(p: PluginStatus) -> Self {
        PluginStatusGql {
            name: p.name,
            kind: p.kind,
            version: p.version,
            api: p.api,
            file: p.file,
            loaded: p.loaded,
            reason: p.reason,
        }
    }
}

//! GraphQL types of rates.

use crate::scalars::{DateTime, Dec};
use async_graphql::SimpleObject;
use hpcb_core::rates::{Rate, TierOverride};

/// One version of a tier's prices, per hour of each resource.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "Rate")]
pub struct RateGql {
    /// Version id; priced lines name the version they used.
    pub id: i64,
    /// Tier name.
    pub tier: String,
    /// Price per CPU core-hour.
    pub cpu: Dec,
    /// Price per GPU-hour.
    pub gpu: Dec,
    /// Price per memory GB-hour.
    pub mem: Dec,
    /// ISO currency code.
    pub currency: String,
    /// Applies to jobs that ended at or after this time.
    pub effective_from: DateTime,
    /// When the version was entered.
    pub created_at: DateTime,
    /// Who entered it (empty for built-in defaults).
    pub created_by: Option<String>,
}

impl From<Rate> for RateGql {
    fn from(r: Rate) -> Self {
        RateGql {
            id: r.id.0,
            tier: r.tier,
            cpu: Dec(r.cpu),
            gpu: Dec(r.gpu),
            mem: Dec(r.mem),
            currency: r.currency.to_string(),
            effective_from: DateTime(r.effective_from),
            created_at: DateTime(r.created_at),
            created_by: r.created_by,
        }
    }
}

/// A user priced at a fixed tier, whatever the classifier rules say.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "TierOverride")]
pub struct TierOverrideGql {
    /// Cluster user name.
    pub username: String,
    /// Tier.
    pub tier: String,
    /// Last change.
    pub updated_at: DateTime,
    /// Who set it.
    pub updated_by: Option<String>,
}

impl From<TierOverride> for TierOverrideGql {
    fn from(o: TierOverride) -> Self {
        TierOverrideGql {
            username: o.username,
            tier: o.tier,
            updated_at: DateTime(o.updated_at),
            updated_by: o.updated_by,
        }
    }
}

/// What a job of a given size would cost if it ended now.
#[derive(async_graphql::SimpleObject, Clone, Debug)]
#[graphql(name = "Quote")]
pub struct QuoteGql {
    /// Cost, rounded once to minor units, exactly as a real job of this size is billed.
    pub cost: crate::usage::MoneyGql,
    /// CPU core-hours billed.
    pub cpu_core_hours: crate::scalars::Dec,
    /// GPU-hours billed.
    pub gpu_hours: crate::scalars::Dec,
    /// Memory GB-hours billed.
    pub mem_gb_hours: crate::scalars::Dec,
    /// Run time priced, seconds (hours rounded to Slurm's whole seconds).
    pub elapsed_seconds: i64,
    /// Memory priced, MB (GB rounded to Slurm's whole MB).
    pub mem_mb: i64,
    /// Tier and why, the rate version and the arithmetic of the cost.
    pub explain: crate::usage::CostExplanation,
}

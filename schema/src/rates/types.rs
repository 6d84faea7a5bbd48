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

//! Usage: `myUsage`, `usage`, `usageSummary`, `usageSources`, `ingestUsage`.

mod loaders;
mod mutation;
mod query;
mod types;

pub use loaders::{BilledLoader, RateLoader};
pub use mutation::UsageMutation;
pub use query::UsageQueryRoot;
pub(crate) use types::{explanation, Basis, CostExplanation, MoneyGql};

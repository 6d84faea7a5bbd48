//! Rates and tier overrides: `rates`, `rateHistory`, `updateRates`, `tierOverrides`,
//! `setTierOverride`, `clearTierOverride`.

mod mutation;
mod query;
mod types;

pub use mutation::RateMutation;
pub use query::RateQuery;
pub(crate) use types::RateGql;

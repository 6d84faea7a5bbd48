//! DataLoaders for fields nested under lists of jobs, so a page of jobs costs one query for
//! its rate versions, not one per job.

use async_graphql::dataloader::Loader;
use hpcb_core::rates::Rate;
use hpcb_core::Services;
use std::collections::HashMap;
use std::sync::Arc;

/// Loads the live receipt of jobs by (cluster, job key). Only used under job fields, which are
/// already scoped to what the caller may see.
pub struct BilledLoader(pub Services);

impl Loader<(String, String)> for BilledLoader {
    type Value = i64;
    type Error = Arc<hpcb_core::CoreError>;

    async fn load(&self, keys: &[(String, String)]) -> Result<HashMap<(String, String), i64>, Self::Error> {
        Ok(self
            .0
            .usage
            .receipts_of(keys)
            .await
            .map_err(Arc::new)?
            .into_iter()
            .collect())
    }
}

/// Loads rate versions by id. Rates are visible to every signed-in user, so one schema-wide
/// loader without a cache cannot leak data across callers.
pub struct RateLoader(pub Services);

impl Loader<i64> for RateLoader {
    type Value = Rate;
    type Error = Arc<hpcb_core::CoreError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Rate>, Self::Error> {
        let rates = self.0.rates.by_ids(keys).await.map_err(Arc::new)?;
        Ok(rates.into_iter().map(|r| (r.id.0, r)).collect())
    }
}

//! Lines of many receipts in one query. The parent receipts were authorized before their lines
//! are asked for, so a schema-wide loader without a cache leaks nothing across callers.

use async_graphql::dataloader::Loader;
use hpcb_core::receipts::ReceiptLine;
use hpcb_core::Services;
use std::collections::HashMap;
use std::sync::Arc;

/// Loads the lines of receipts by receipt id.
pub struct LinesLoader(pub Services);

impl Loader<i64> for LinesLoader {
    type Value = Vec<ReceiptLine>;
    type Error = Arc<hpcb_core::CoreError>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<ReceiptLine>>, Self::Error> {
        let mut out: HashMap<i64, Vec<ReceiptLine>> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for line in self.0.receipts.lines_of(keys).await.map_err(Arc::new)? {
            out.entry(line.receipt_id).or_default().push(line);
        }
        Ok(out)
    }
}

//! Receipts: `createReceipt`, `previewReceipt`, `myReceipts`, `receipt`, `receipts`,
//! `markReceiptPaid`, `voidReceipt`, `revertReceiptToPending`, `createMonthlyReceipts`,
//! `billingAdjustments`, and the `receiptUpdated` subscription.

mod loaders;
mod mutation;
mod query;
mod subscription;
mod types;

pub use loaders::LinesLoader;
pub use mutation::ReceiptMutation;
pub use query::ReceiptQuery;
pub use subscription::ReceiptSubscription;

/// Reads a receipt id argument.
pub(crate) fn parse_receipt_id(id: &async_graphql::ID) -> Result<i64, crate::error::ApiError> {
    query::parse_id(id)
}

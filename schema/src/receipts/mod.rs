//! Receipts: `createReceipt`, `previewReceipt`, `myReceipts`, `receipt`, `receipts`,
//! `markReceiptPaid`, `voidReceipt`, `revertReceiptToPending`, `createMonthlyReceipts`,
//! `billingAdjustments`.

mod loaders;
mod mutation;
mod query;
mod types;

pub use loaders::LinesLoader;
pub use mutation::ReceiptMutation;
pub use query::ReceiptQuery;

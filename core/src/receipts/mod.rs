//! Receipts: a user's unbilled, ended jobs bundled exactly once, with the rates of each line
//! locked in, tax, gapless invoice numbers, a paid/void lifecycle, monthly runs, and the list of
//! billed jobs that changed afterwards.

mod lines;
mod model;
mod query;
mod service;
mod status;
mod tax;

pub use model::{Receipt, ReceiptFilter, ReceiptInput, ReceiptLine, ReceiptStatus};
pub use query::{Adjustment, ReceiptPage};
pub use service::{MonthlyReport, ReceiptService};
pub use status::{change_status, Change, Changed};
pub use tax::{totals, TaxSettings, Totals};

//! Receipt types shared by the service, queries and the API.

use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::{receipt_items, receipts};
use std::str::FromStr;

/// Where a receipt is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReceiptStatus {
    /// Issued, not paid.
    Pending,
    /// Paid.
    Paid,
    /// Cancelled; its jobs are free to bill again.
    Void,
}

impl ReceiptStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            ReceiptStatus::Pending => "pending",
            ReceiptStatus::Paid => "paid",
            ReceiptStatus::Void => "void",
        }
    }
}

impl FromStr for ReceiptStatus {
    type Err = CoreError;
    fn from_str(s: &str) -> CoreResult<Self> {
        match s {
            "pending" => Ok(ReceiptStatus::Pending),
            "paid" => Ok(ReceiptStatus::Paid),
            "void" => Ok(ReceiptStatus::Void),
            other => Err(CoreError::internal(format!("unknown receipt status {other:?}"))),
        }
    }
}

/// A receipt header.
pub type Receipt = receipts::Model;

/// A receipt line.
pub type ReceiptLine = receipt_items::Model;

/// What to bill.
#[derive(Clone, Debug, Default)]
pub struct ReceiptInput {
    /// Whose jobs (admin and finance may bill anyone; users only themselves).
    pub user: Option<String>,
    /// Jobs that ended at or before this, Unix ms (default: now).
    pub ended_before: Option<i64>,
    /// Only these job keys (default: every unbilled ended job up to the cut-off).
    pub jobs: Option<Vec<String>>,
}

/// Narrows receipt listings.
#[derive(Clone, Debug, Default)]
pub struct ReceiptFilter {
    /// Status.
    pub status: Option<ReceiptStatus>,
    /// User billed.
    pub user: Option<String>,
    /// Created at or after, Unix ms.
    pub from: Option<i64>,
    /// Created before, Unix ms.
    pub to: Option<i64>,
}

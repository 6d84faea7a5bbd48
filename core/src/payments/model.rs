//! Payment states and what gateways may report.

use hpcb_entities::tables::{payments, refunds};

/// A payment as stored.
pub type Payment = payments::Model;
/// A refund as stored.
pub type Refund = refunds::Model;

/// Where a payment is in its life.
///
/// `pending` is the only state a payment starts in. `succeeded` means money arrived; it never
/// goes back, and later events can only add refunds or a dispute to it (`refunded` when the
/// whole amount went back). `failed` and `expired` end an attempt without money, but a verified
/// success arriving later still wins: money that arrived is the truth, whatever order the
/// gateway's events came in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PaymentStatus {
    /// Waiting for the customer or the gateway.
    Pending,
    /// Paid.
    Succeeded,
    /// The attempt failed; no money taken.
    Failed,
    /// The checkout expired unpaid.
    Expired,
    /// Paid, then refunded in full.
    Refunded,
}

impl PaymentStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            PaymentStatus::Pending => "pending",
            PaymentStatus::Succeeded => "succeeded",
            PaymentStatus::Failed => "failed",
            PaymentStatus::Expired => "expired",
            PaymentStatus::Refunded => "refunded",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<PaymentStatus> {
        Some(match s {
            "pending" => PaymentStatus::Pending,
            "succeeded" => PaymentStatus::Succeeded,
            "failed" => PaymentStatus::Failed,
            "expired" => PaymentStatus::Expired,
            "refunded" => PaymentStatus::Refunded,
            _ => return None,
        })
    }

    /// Whether money arrived (and so the state can never go back to pending, failed or
    /// expired).
    pub fn is_paid(self) -> bool {
        matches!(self, PaymentStatus::Succeeded | PaymentStatus::Refunded)
    }

    /// Whether nothing more is expected for this attempt (subscriptions end here).
    pub fn is_terminal(self) -> bool {
        self != PaymentStatus::Pending
    }
}

/// What a gateway may say about a payment.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportedStatus {
    /// Still open.
    Pending,
    /// Paid.
    Succeeded,
    /// Failed.
    Failed,
    /// Expired unpaid.
    Expired,
    /// (Partly) refunded.
    Refunded,
    /// Disputed by the customer.
    Disputed,
}

impl ReportedStatus {
    /// Parses the protocol's status word.
    pub fn parse(s: &str) -> Option<ReportedStatus> {
        Some(match s {
            "pending" => ReportedStatus::Pending,
            "succeeded" => ReportedStatus::Succeeded,
            "failed" => ReportedStatus::Failed,
            "expired" => ReportedStatus::Expired,
            "refunded" => ReportedStatus::Refunded,
            "disputed" => ReportedStatus::Disputed,
            _ => return None,
        })
    }

    /// The protocol's status word.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportedStatus::Pending => "pending",
            ReportedStatus::Succeeded => "succeeded",
            ReportedStatus::Failed => "failed",
            ReportedStatus::Expired => "expired",
            ReportedStatus::Refunded => "refunded",
            ReportedStatus::Disputed => "disputed",
        }
    }
}

/// What handling one webhook or status report came to; the REST shim maps it to a status code.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SettleOutcome {
    /// The payment (and maybe its receipt) changed.
    Applied,
    /// The event was new but changed nothing (already in that state, or older news).
    NoChange,
    /// Seen before: nothing done.
    Duplicate,
    /// Not about a payment's state.
    Ignored,
    /// No payment of ours matches it.
    Unmatched,
    /// Amount or currency differ from the payment: refused, audited, not paid.
    Mismatch(String),
}

/// Filter of the `payments` query.
#[derive(Clone, Debug, Default)]
pub struct PaymentFilter {
    /// Only this status.
    pub status: Option<PaymentStatus>,
    /// Only this user's.
    pub user: Option<String>,
    /// Only this receipt's.
    pub receipt_id: Option<i64>,
    /// Only this gateway's.
    pub provider: Option<String>,
}

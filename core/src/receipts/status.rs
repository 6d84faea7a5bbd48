//! The receipt state machine, in one place: which changes a receipt may go through
//! ([`ReceiptStatus::after`]) and the one function that makes a change ([`change_status`]),
//! used by mark-paid, void, revert and gateway settlement alike. It writes exactly the columns
//! a change owns and queues the live notice; callers add their own checks, guards and audit.
//!
//! ```text
//! pending ──paid (by hand or a gateway)──▶ paid ──revert (manual payments only)──▶ pending
//! pending ──void──▶ void
//! ```

use super::model::{Receipt, ReceiptStatus};
use crate::db::WriteTx;
use crate::error::CoreResult;
use crate::events::Event;
use hpcb_entities::tables::receipts;
use sea_orm::{ActiveModelTrait, Set};
use std::str::FromStr;

/// A change of a receipt's status, with what it records.
#[derive(Clone, Copy, Debug)]
pub enum Change<'a> {
    /// Paid: by hand (method and reference as entered) or by a gateway (its name and id).
    /// Stored as given: callers check or shorten them.
    Paid {
        /// How it was paid.
        method: &'a str,
        /// The payment's reference.
        reference: Option<&'a str>,
    },
    /// Cancelled, with the reason.
    Void {
        /// Why.
        reason: &'a str,
    },
    /// A manual payment taken back.
    Revert,
}

impl ReceiptStatus {
    /// The status `change` leads to from this one; `None` when the change is not allowed.
    pub fn after(self, change: &Change<'_>) -> Option<ReceiptStatus> {
        match (self, change) {
            (ReceiptStatus::Pending, Change::Paid { .. }) => Some(ReceiptStatus::Paid),
            (ReceiptStatus::Pending, Change::Void { .. }) => Some(ReceiptStatus::Void),
            (ReceiptStatus::Paid, Change::Revert) => Some(ReceiptStatus::Pending),
            _ => None,
        }
    }
}

/// What [`change_status`] did.
#[derive(Debug)]
pub enum Changed {
    /// The receipt as it is now.
    Done(Box<Receipt>),
    /// Not allowed from its current status (which it keeps).
    NotAllowed(ReceiptStatus),
}

/// Changes `r`'s status inside `tx` at `now`, if its current status allows `change`.
pub async fn change_status(tx: &mut WriteTx, r: &Receipt, change: Change<'_>, now: i64) -> CoreResult<Changed> {
    let current = ReceiptStatus::from_str(&r.status)?;
    let Some(next) = current.after(&change) else {
        return Ok(Changed::NotAllowed(current));
    };
    let mut am: receipts::ActiveModel = r.clone().into();
    am.status = Set(next.as_str().into());
    am.updated_at = Set(now);
    match change {
        Change::Paid { method, reference } => {
            am.paid_at = Set(Some(now));
            am.paid_method = Set(Some(method.to_owned()));
            am.paid_reference = Set(reference.map(str::to_owned));
        }
        Change::Void { reason } => {
            am.voided_at = Set(Some(now));
            am.void_reason = Set(Some(reason.to_owned()));
        }
        Change::Revert => {
            am.paid_at = Set(None);
            am.paid_method = Set(None);
            am.paid_reference = Set(None);
        }
    }
    let after = am.update(&**tx).await?;
    tx.publish_after_commit(Event::ReceiptChanged {
        receipt_id: after.id,
        username: after.username.clone(),
        status: after.status.clone(),
    });
    Ok(Changed::Done(Box::new(after)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_drawn_transitions_are_allowed() {
        use ReceiptStatus::*;
        let paid = Change::Paid {
            method: "cash",
            reference: None,
        };
        let void = Change::Void { reason: "typo" };
        let table = [
            (Pending, paid, Some(Paid)),
            (Pending, void, Some(Void)),
            (Pending, Change::Revert, None),
            (Paid, paid, None),
            (Paid, void, None),
            (Paid, Change::Revert, Some(Pending)),
            (Void, paid, None),
            (Void, void, None),
            (Void, Change::Revert, None),
        ];
        for (from, change, to) in table {
            assert_eq!(from.after(&change), to, "{from:?} {change:?}");
        }
    }
}

//! The one way services record a change they made: who did which action to what, with what
//! outcome and details, inside the transaction that made the change. Targets are typed, so
//! every entry names its object the same way (`user:alice`, `receipt:INV-2026-000007`,
//! `payment:pay_…`) and the audit filters find them.

use super::{AuditService, NewAuditEntry};
use crate::context::RequestMeta;
use crate::db::WriteTx;
use crate::error::CoreResult;

/// What an entry is about.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// An account, by user name.
    User(&'a str),
    /// A receipt, by invoice number.
    Receipt(&'a str),
    /// A payment, by its public id.
    Payment(&'a str),
}

impl Target<'_> {
    /// As written in the log's `target` column.
    pub fn render(self) -> String {
        match self {
            Target::User(name) => format!("user:{name}"),
            Target::Receipt(number) => format!("receipt:{number}"),
            Target::Payment(id) => format!("payment:{id}"),
        }
    }
}

/// How a change turned out: `ok`, `denied` or `failed`.
pub type Outcome<'a> = &'a str;

impl AuditService {
    /// Records that `actor` did `action` to `target` with `outcome`, in `tx`.
    pub async fn log_change(
        &self,
        tx: &mut WriteTx,
        meta: &RequestMeta,
        actor: &str,
        (action, outcome): (&str, Outcome<'_>),
        target: Target<'_>,
        details: serde_json::Value,
    ) -> CoreResult<()> {
        self.append(
            tx,
            meta,
            NewAuditEntry {
                actor: Some(actor),
                action,
                target: Some(target.render()),
                status: outcome,
                details,
            },
        )
        .await
        .map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_written_kind_colon_name() {
        assert_eq!(Target::User("alice").render(), "user:alice");
        assert_eq!(Target::Receipt("INV-2026-000007").render(), "receipt:INV-2026-000007");
        assert_eq!(Target::Payment("pay_1").render(), "payment:pay_1");
    }
}

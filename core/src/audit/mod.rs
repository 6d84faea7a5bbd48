//! The tamper-evident audit log: appends that are serialised into one hash chain, listing with
//! filters and cursors, verification that names the first broken entry, and CSV export.

mod chain;
mod change;
mod service;

pub use chain::{entry_hash, GENESIS_HASH};
pub use change::{Outcome, Target};
pub(crate) use service::truncate_ua;
pub use service::{AuditEntry, AuditFilter, AuditPage, AuditService, NewAuditEntry, VerifyReport};

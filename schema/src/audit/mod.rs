//! The audit log: `auditLog`, `auditVerify`, and the `auditAppended` live feed.

mod query;
mod subscription;
mod types;

pub use query::AuditQuery;
pub use subscription::AuditSubscription;

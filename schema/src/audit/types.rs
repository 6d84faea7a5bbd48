//! GraphQL types of the audit log.

use crate::scalars::DateTime;
use async_graphql::{InputObject, Json, SimpleObject};
use hpcb_core::audit::{AuditEntry, AuditFilter, VerifyReport};

/// One audit entry.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(name = "AuditEntry")]
pub struct AuditEntryGql {
    /// Row id (what `auditVerify.firstBrokenId` names).
    pub id: i64,
    /// Position in the hash chain.
    pub seq: i64,
    /// When it happened.
    pub at: DateTime,
    /// Who did it.
    pub actor: Option<String>,
    /// From which address.
    pub ip: Option<String>,
    /// With which client.
    pub user_agent: Option<String>,
    /// Request id, to find the server log lines.
    pub request_id: Option<String>,
    /// Dotted action name.
    pub action: String,
    /// What it was done to.
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub status: String,
    /// Structured details.
    pub details: Json<serde_json::Value>,
    /// Hash of the previous entry.
    pub prev_hash: String,
    /// This entry's hash.
    pub hash: String,
}

impl From<AuditEntry> for AuditEntryGql {
    fn from(e: AuditEntry) -> Self {
        AuditEntryGql {
            id: e.id,
            seq: e.seq,
            at: DateTime(e.at),
            actor: e.actor,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            action: e.action,
            target: e.target,
            status: e.status,
            details: Json(serde_json::from_str(&e.details).unwrap_or(serde_json::Value::String(e.details))),
            prev_hash: e.prev_hash,
            hash: e.hash,
        }
    }
}

/// Narrows `auditLog`.
#[derive(InputObject, Clone, Debug, Default)]
pub struct AuditFilterInput {
    /// Exact action, or a prefix ending in `*` (`auth.*`).
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact target (`user:alice`).
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub status: Option<String>,
    /// At or after.
    pub from: Option<DateTime>,
    /// Before.
    pub to: Option<DateTime>,
}

impl From<AuditFilterInput> for AuditFilter {
    fn from(f: AuditFilterInput) -> Self {
        AuditFilter {
            action: f.action,
            actor: f.actor,
            target: f.target,
            status: f.status,
            from: f.from.map(|d| d.0),
            to: f.to.map(|d| d.0),
        }
    }
}

/// Extra fields of the `auditLog` connection.
#[derive(SimpleObject, Clone, Debug)]
pub struct AuditConnectionInfo {
    /// Entries matching the filter.
    pub total_count: u64,
}

/// The result of checking every entry of the chain.
#[derive(SimpleObject, Clone, Debug)]
pub struct AuditVerifyResult {
    /// The whole chain verifies.
    pub ok: bool,
    /// Entries checked.
    pub checked: u64,
    /// Id of the first entry that does not verify.
    pub first_broken_id: Option<i64>,
    /// Why it does not.
    pub reason: Option<String>,
}

impl From<VerifyReport> for AuditVerifyResult {
    fn from(r: VerifyReport) -> Self {
        AuditVerifyResult {
            ok: r.ok,
            checked: r.checked,
            first_broken_id: r.first_broken_id,
            reason: r.reason,
        }
    }
}

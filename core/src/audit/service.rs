//! Appending to, reading and verifying the audit chain.

use super::chain::{entry_hash, HashInput, GENESIS_HASH};
use crate::clock::Clock;
use crate::context::RequestMeta;
use crate::db::{Db, WriteTx};
use crate::error::{CoreError, CoreResult};
use crate::events::Event;
use crate::metrics::Metrics;
use hpcb_entities::tables::audit_log::{self, Column, Entity as AuditLog};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, NotSet, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};
use std::sync::Arc;

/// What a caller records; the service adds time, chain position and hashes.
#[derive(Clone, Debug)]
pub struct NewAuditEntry<'a> {
    /// User name of the actor, if any.
    pub actor: Option<&'a str>,
    /// Dotted action name.
    pub action: &'a str,
    /// Object of the action.
    pub target: Option<String>,
    /// `ok`, `denied` or `failed`.
    pub status: &'a str,
    /// Structured details (before/after, reasons). Secrets never go here.
    pub details: serde_json::Value,
}

/// A stored audit entry.
pub type AuditEntry = audit_log::Model;

/// Filters for listing and exporting.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Exact action, or a prefix when it ends with `.` or `*` (`auth.*`).
    pub action: Option<String>,
    /// Exact actor.
    pub actor: Option<String>,
    /// Exact target.
    pub target: Option<String>,
    /// Exact status.
    pub status: Option<String>,
    /// Entries at or after, Unix ms.
    pub from: Option<i64>,
    /// Entries before, Unix ms.
    pub to: Option<i64>,
}

/// One page of entries, newest first.
#[derive(Clone, Debug)]
pub struct AuditPage {
    /// The entries.
    pub entries: Vec<AuditEntry>,
    /// Whether older entries follow.
    pub has_next: bool,
    /// Entries matching the filter in all.
    pub total: u64,
}

/// The outcome of checking the whole chain.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyReport {
    /// Every entry checked out.
    pub ok: bool,
    /// Entries checked before stopping (all of them when `ok`).
    pub checked: u64,
    /// Row id of the first entry that does not verify.
    pub first_broken_id: Option<i64>,
    /// Why that entry fails.
    pub reason: Option<String>,
}

/// The audit log service.
#[derive(Clone)]
pub struct AuditService {
    db: Db,
    key: Arc<Vec<u8>>,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
}

impl AuditService {
    /// Builds the service with the chain's HMAC key.
    pub fn new(db: Db, key: Vec<u8>, clock: Arc<dyn Clock>, metrics: Metrics) -> AuditService {
        AuditService {
            db,
            key: Arc::new(key),
            clock,
            metrics,
        }
    }

    /// Appends an entry inside the caller's transaction, so the entry exists exactly when the
    /// change it describes does. Takes the serialising lock; the new entry is announced on the
    /// event bus after commit.
    pub async fn append(
        &self,
        tx: &mut WriteTx,
        meta: &RequestMeta,
        entry: NewAuditEntry<'_>,
    ) -> CoreResult<AuditEntry> {
        tx.serialize().await?;
        let head = AuditLog::find().order_by_desc(Column::Seq).limit(1).one(&**tx).await?;
        let (seq, prev_hash) = match head {
            Some(h) => (h.seq + 1, h.hash),
            None => (1, GENESIS_HASH.to_owned()),
        };
        let at = self.clock.now_ms();
        let details = entry.details.to_string();
        let user_agent = meta.user_agent.as_deref().map(truncate_ua);
        let hash = entry_hash(
            &self.key,
            &prev_hash,
            &HashInput {
                seq,
                at,
                actor: entry.actor,
                ip: meta.ip.as_deref(),
                user_agent: user_agent.as_deref(),
                request_id: meta.request_id.as_deref(),
                action: entry.action,
                target: entry.target.as_deref(),
                status: entry.status,
                details: &details,
            },
        );
        let model = audit_log::ActiveModel {
            id: NotSet,
            seq: Set(seq),
            at: Set(at),
            actor: Set(entry.actor.map(str::to_owned)),
            ip: Set(meta.ip.clone()),
            user_agent: Set(user_agent),
            request_id: Set(meta.request_id.clone()),
            action: Set(entry.action.to_owned()),
            target: Set(entry.target),
            status: Set(entry.status.to_owned()),
            details: Set(details),
            prev_hash: Set(prev_hash),
            hash: Set(hash),
        }
        .insert(&**tx)
        .await?;
        self.metrics.audit_appends.with_label_values(&[entry.action]).inc();
        tx.publish_after_commit(Event::AuditAppended {
            id: model.id,
            seq: model.seq,
            action: model.action.clone(),
        });
        Ok(model)
    }

    /// Records an entry in a transaction of its own (for events with no other write, such as a
    /// refused login).
    pub async fn record(&self, meta: &RequestMeta, entry: NewAuditEntry<'_>) -> CoreResult<AuditEntry> {
        let mut tx = self.db.begin_write().await?;
        let e = self.append(&mut tx, meta, entry).await?;
        tx.commit().await?;
        Ok(e)
    }

    /// Lists entries newest first, `first` at a time, strictly older than the `after_seq` cursor.
    pub async fn list(&self, filter: &AuditFilter, first: u64, after_seq: Option<i64>) -> CoreResult<AuditPage> {
        let cond = condition(filter);
        let total = AuditLog::find().filter(cond.clone()).count(self.db.conn()).await?;
        let mut q = AuditLog::find()
            .filter(cond)
            .order_by_desc(Column::Seq)
            .limit(first + 1);
        if let Some(after) = after_seq {
            q = q.filter(Column::Seq.lt(after));
        }
        let mut entries = q.all(self.db.conn()).await?;
        let has_next = entries.len() as u64 > first;
        entries.truncate(first as usize);
        Ok(AuditPage {
            entries,
            has_next,
            total,
        })
    }

    /// Entries in chain order after `after_seq`, for export and verification.
    pub async fn chunk(&self, filter: &AuditFilter, after_seq: i64, limit: u64) -> CoreResult<Vec<AuditEntry>> {
        Ok(AuditLog::find()
            .filter(condition(filter))
            .filter(Column::Seq.gt(after_seq))
            .order_by_asc(Column::Seq)
            .limit(limit)
            .all(self.db.conn())
            .await?)
    }

    /// Recomputes every hash in chain order and reports the first entry that does not match: an
    /// edited entry fails its own hash, a deleted one breaks its successor's sequence number and
    /// link, a reordered one its link.
    pub async fn verify(&self) -> CoreResult<VerifyReport> {
        let mut checked = 0u64;
        let mut expected_seq = 1i64;
        let mut prev = GENESIS_HASH.to_owned();
        loop {
            let rows = self.chunk(&AuditFilter::default(), expected_seq - 1, 2000).await?;
            if rows.is_empty() {
                return Ok(VerifyReport {
                    ok: true,
                    checked,
                    first_broken_id: None,
                    reason: None,
                });
            }
            for row in rows {
                if let Some(reason) = broken_reason(&self.key, &row, expected_seq, &prev) {
                    return Ok(VerifyReport {
                        ok: false,
                        checked,
                        first_broken_id: Some(row.id),
                        reason: Some(reason),
                    });
                }
                checked += 1;
                expected_seq = row.seq + 1;
                prev = row.hash;
            }
        }
    }

    /// One entry by row id.
    pub async fn get(&self, id: i64) -> CoreResult<Option<AuditEntry>> {
        Ok(AuditLog::find_by_id(id).one(self.db.conn()).await?)
    }

    /// The number of entries, for tests and status pages.
    pub async fn count(&self) -> CoreResult<u64> {
        AuditLog::find().count(self.db.conn()).await.map_err(CoreError::from)
    }
}

fn broken_reason(key: &[u8], row: &AuditEntry, expected_seq: i64, prev: &str) -> Option<String> {
    if row.seq != expected_seq {
        return Some(format!(
            "expected entry #{expected_seq} but found #{}: entries are missing",
            row.seq
        ));
    }
    if row.prev_hash != prev {
        return Some("link to the previous entry does not match".into());
    }
    let hash = entry_hash(
        key,
        &row.prev_hash,
        &HashInput {
            seq: row.seq,
            at: row.at,
            actor: row.actor.as_deref(),
            ip: row.ip.as_deref(),
            user_agent: row.user_agent.as_deref(),
            request_id: row.request_id.as_deref(),
            action: &row.action,
            target: row.target.as_deref(),
            status: &row.status,
            details: &row.details,
        },
    );
    (hash != row.hash).then(|| "content does not match its hash: the entry was altered".into())
}

fn condition(f: &AuditFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(a) = &f.action {
        c = match a.strip_suffix('*').or_else(|| a.ends_with('.').then_some(a.as_str())) {
            Some(prefix) => c.add(Column::Action.starts_with(prefix)),
            None => c.add(Column::Action.eq(a.clone())),
        };
    }
    if let Some(v) = &f.actor {
        c = c.add(Column::Actor.eq(v.clone()));
    }
    if let Some(v) = &f.target {
        c = c.add(Column::Target.eq(v.clone()));
    }
    if let Some(v) = &f.status {
        c = c.add(Column::Status.eq(v.clone()));
    }
    if let Some(v) = f.from {
        c = c.add(Column::At.gte(v));
    }
    if let Some(v) = f.to {
        c = c.add(Column::At.lt(v));
    }
    c
}

/// Cuts a string to at most `max` bytes on a character boundary.
pub(crate) fn truncate_to(s: &str, max: usize) -> String {
    if s.len() <= max {
        return s.to_owned();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s[..end].to_owned()
}

/// A user agent cut to what the columns hold.
pub(crate) fn truncate_ua(ua: &str) -> String {
    truncate_to(ua, 512)
}

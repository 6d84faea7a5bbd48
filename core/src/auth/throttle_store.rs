//! Stored login throttling: the three counters an attempt is judged by (see
//! [`ThrottleSettings`]), kept in `login_throttle` under the keys
//! `(name, address)`, `("*", address)` and `(name, "*")`.
//!
//! Password checks go through here (login, and `changePassword`'s current password), before
//! any password hashing: a locked attempt costs two indexed reads. While a lock holds, the
//! first refused attempt is audited (`auth.lockout.active`) and later ones only counted; the
//! count goes into the `auth.lockout.end` entry when the lock is seen to have run out. So an
//! anonymous client hammering a locked account writes one audit entry per lock, not one per
//! request.

use super::settings::ThrottleSettings;
use super::throttle::{after_failure, lock_state, retry_after_secs, LockState};
use crate::audit::{AuditService, NewAuditEntry, Target};
use crate::clock::Clock;
use crate::context::RequestMeta;
use crate::db::{Db, WriteTx};
use crate::error::{CoreError, CoreResult};
use crate::metrics::Metrics;
use hpcb_entities::tables::login_throttle;
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};
use serde_json::json;
use std::sync::Arc;

/// The key of every name in the per-address counter, and of every address in the per-account
/// counter; neither a valid user name nor an address.
const ANY: &str = "*";

/// Which counter a row is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    NameAtAddress,
    Address,
    Account,
}

impl Scope {
    const ALL: [Scope; 3] = [Scope::NameAtAddress, Scope::Address, Scope::Account];

    fn key(self, name: &str, ip: &str) -> (String, String) {
        match self {
            Scope::NameAtAddress => (name.to_owned(), ip.to_owned()),
            Scope::Address => (ANY.to_owned(), ip.to_owned()),
            Scope::Account => (name.to_owned(), ANY.to_owned()),
        }
    }

    fn limit(self, s: &ThrottleSettings) -> u32 {
        match self {
            Scope::NameAtAddress => s.max_failures,
            Scope::Address => s.address_max_failures,
            Scope::Account => s.account_max_failures,
        }
    }

    fn label(self) -> &'static str {
        match self {
            Scope::NameAtAddress => "name_address",
            Scope::Address => "address",
            Scope::Account => "account",
        }
    }
}

/// The login throttle shared by every password check.
#[derive(Clone)]
pub struct Throttle {
    db: Db,
    settings: ThrottleSettings,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
}

impl Throttle {
    /// Builds the throttle.
    pub fn new(
        db: Db,
        settings: ThrottleSettings,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
    ) -> Throttle {
        Throttle {
            db,
            settings,
            audit,
            clock,
            metrics,
        }
    }

    async fn rows<C: ConnectionTrait>(
        &self,
        conn: &C,
        name: &str,
        ip: &str,
    ) -> CoreResult<Vec<(Scope, login_throttle::Model)>> {
        let mut out = Vec::with_capacity(3);
        for scope in Scope::ALL {
            if let Some(row) = login_throttle::Entity::find_by_id(scope.key(name, ip))
                .one(conn)
                .await?
            {
                out.push((scope, row));
            }
        }
        Ok(out)
    }

    /// Refuses an attempt while any of its counters is locked (cheap: reads only). `name` is
    /// the lower-cased name as typed.
    pub async fn check(&self, name: &str, meta: &RequestMeta) -> CoreResult<()> {
        let ip = meta.ip_or_unknown();
        let now = self.clock.now_ms();
        let rows = self.rows(self.db.conn(), name, ip).await?;
        match longest_lock(&rows, now) {
            Some(_) => self.refuse(name, meta).await,
            None => Ok(()),
        }
    }

    /// Inside the attempt's write transaction: refuses if a lock started meanwhile, and audits
    /// the end of locks that ran out. Returns the rows for [`Throttle::failure`].
    pub async fn recheck(&self, tx: &mut WriteTx, name: &str, meta: &RequestMeta) -> CoreResult<Result<Counters, i64>> {
        let ip = meta.ip_or_unknown();
        let now = self.clock.now_ms();
        let rows = self.rows(&**tx, name, ip).await?;
        if let Some(remaining) = longest_lock(&rows, now) {
            return Ok(Err(remaining));
        }
        for (scope, row) in &rows {
            if lock_state(Some(row), now) == LockState::Expired {
                self.audit_entry(
                    tx,
                    meta,
                    name,
                    "auth.lockout.end",
                    "ok",
                    json!({"scope": scope.label(), "ip": row.ip, "refused_while_locked": row.refused}),
                )
                .await?;
            }
        }
        Ok(Ok(Counters { rows }))
    }

    /// Counts one failed attempt on every counter (audited as `auth.login.failure`, and
    /// `auth.lockout.start` for each counter it locks). Returns whether any counter locked.
    pub async fn failure(
        &self,
        tx: &mut WriteTx,
        counters: Counters,
        name: &str,
        meta: &RequestMeta,
        reason: &str,
    ) -> CoreResult<bool> {
        let ip = meta.ip_or_unknown();
        let now = self.clock.now_ms();
        let mut failures_here = 0;
        let mut locked_any = false;
        for scope in Scope::ALL {
            let (username, at) = scope.key(name, ip);
            let row = counters.rows.iter().find(|(s, _)| *s == scope).map(|(_, r)| r);
            let (failures, window_start, locked_until) =
                after_failure(row, now, scope.limit(&self.settings), &self.settings);
            let am = login_throttle::ActiveModel {
                username: Set(username),
                ip: Set(at),
                failures: Set(failures),
                window_start: Set(window_start),
                locked_until: Set(locked_until),
                refused: Set(0),
            };
            if row.is_some() {
                am.update(&**tx).await?;
            } else {
                am.insert(&**tx).await?;
            }
            if scope == Scope::NameAtAddress {
                failures_here = failures;
            }
            if let Some(until) = locked_until {
                locked_any = true;
                self.audit_entry(
                    tx,
                    meta,
                    name,
                    "auth.lockout.start",
                    "denied",
                    json!({"scope": scope.label(), "until": until, "failures": failures}),
                )
                .await?;
            }
        }
        self.audit_entry(
            tx,
            meta,
            name,
            "auth.login.failure",
            "denied",
            json!({"reason": reason, "failures": failures_here}),
        )
        .await?;
        self.metrics.login_failure.inc();
        if locked_any {
            self.metrics.lockout_start.inc();
        }
        Ok(locked_any)
    }

    /// After a good password: the counters of this name (at this address, and account-wide)
    /// start over. The per-address counter stays: it is about many names.
    pub async fn success(&self, tx: &WriteTx, name: &str, meta: &RequestMeta) -> CoreResult<()> {
        let ip = meta.ip_or_unknown();
        for scope in [Scope::NameAtAddress, Scope::Account] {
            login_throttle::Entity::delete_by_id(scope.key(name, ip))
                .exec(&**tx)
                .await?;
        }
        Ok(())
    }

    /// The refusal of a locked attempt: audited for the first refusal of each lock only.
    async fn refuse<T>(&self, name: &str, meta: &RequestMeta) -> CoreResult<T> {
        let ip = meta.ip_or_unknown();
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let now = self.clock.now_ms();
        let rows = self.rows(&*tx, name, ip).await?;
        let Some(remaining) = longest_lock(&rows, now) else {
            // The lock ran out between the read and now: let the caller try again.
            drop(tx);
            return Err(CoreError::RateLimited { retry_after_secs: 1 });
        };
        let mut first = false;
        for (_, row) in rows
            .iter()
            .filter(|(_, r)| matches!(lock_state(Some(r), now), LockState::Locked { .. }))
        {
            first |= row.refused == 0;
            let mut am: login_throttle::ActiveModel = row.clone().into();
            am.refused = Set(row.refused.saturating_add(1));
            am.update(&*tx).await?;
        }
        let retry = retry_after_secs(remaining);
        if first {
            self.audit_entry(
                &mut tx,
                meta,
                name,
                "auth.lockout.active",
                "denied",
                json!({"retry_after_secs": retry}),
            )
            .await?;
        }
        tx.commit().await?;
        Err(CoreError::RateLimited {
            retry_after_secs: retry,
        })
    }

    async fn audit_entry(
        &self,
        tx: &mut WriteTx,
        meta: &RequestMeta,
        name: &str,
        action: &str,
        status: &str,
        details: serde_json::Value,
    ) -> CoreResult<()> {
        self.audit
            .append(
                tx,
                meta,
                NewAuditEntry {
                    actor: Some(name),
                    action,
                    target: Some(Target::User(name).render()),
                    status,
                    details,
                },
            )
            .await
            .map(|_| ())
    }
}

/// The counters read inside an attempt's transaction, handed to [`Throttle::failure`].
pub struct Counters {
    rows: Vec<(Scope, login_throttle::Model)>,
}

/// The longest lock in force among the rows, in ms.
fn longest_lock(rows: &[(Scope, login_throttle::Model)], now: i64) -> Option<i64> {
    rows.iter()
        .filter_map(|(_, r)| match lock_state(Some(r), now) {
            LockState::Locked { remaining_ms } => Some(remaining_ms),
            _ => None,
        })
        .max()
}

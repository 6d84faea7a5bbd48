//! The payment service and refunds. Everything that calls a gateway follows the same shape:
//! record the intent and commit, call the gateway with no transaction open, record the answer
//! in a second transaction. A crash between the two leaves a pending row the janitor (or the
//! next start, see `start.rs`) resolves.

use super::gateway::{Gateway, GatewayError, GatewayHealth, RefundRequest};
use super::model::{Payment, PaymentStatus, Refund};
use super::return_checks::ReturnChecks;
use crate::audit::{AuditService, Target};
use crate::auth::Role;
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::{Db, WriteTx};
use crate::error::{CoreError, CoreResult};
use crate::events::Event;
use crate::metrics::Metrics;
use hpcb_entities::tables::{payments, refunds};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Payment settings from configuration.
#[derive(Clone, Debug)]
pub struct PaymentSettings {
    /// Public base URL of this server (return pages, the dummy checkout, webhooks).
    pub public_url: String,
    /// How long a checkout stays open, seconds.
    pub checkout_ttl_secs: i64,
    /// Delays between the janitor's status checks of a pending payment, seconds; after the last
    /// one the payment is left for an operator (`reconcilePayment`).
    pub check_schedule_secs: Vec<i64>,
}

impl Default for PaymentSettings {
    fn default() -> Self {
        PaymentSettings {
            public_url: "http://127.0.0.1:8080".into(),
            checkout_ttl_secs: 3600,
            check_schedule_secs: vec![60, 300, 900, 3600, 6 * 3600, 86_400],
        }
    }
}

/// Gateways by provider id.
pub type Gateways = BTreeMap<String, Arc<dyn Gateway>>;

/// Payments: start, settle, reconcile, refund.
#[derive(Clone)]
pub struct PaymentService {
    pub(super) db: Db,
    pub(super) audit: AuditService,
    pub(super) clock: Arc<dyn Clock>,
    pub(super) metrics: Metrics,
    pub(super) gateways: Arc<Gateways>,
    pub(super) settings: Arc<PaymentSettings>,
    pub(super) return_checks: Arc<ReturnChecks>,
}

/// A new random public id with a type prefix: 96 random bits, unguessable.
pub(super) fn public_id(prefix: &str) -> String {
    let bytes: [u8; 12] = rand::random();
    format!("{prefix}_{}", hex::encode(bytes))
}

/// The message a user sees for a gateway that did not start or refund something.
pub(super) fn gateway_error(provider: &str, e: &GatewayError) -> CoreError {
    match e {
        GatewayError::Refused(m) => CoreError::Gateway(format!("{provider} refused: {m}")),
        GatewayError::Unavailable(detail) => {
            tracing::warn!(provider, error = %detail, "payment gateway unavailable");
            CoreError::Gateway(format!(
                "{provider} did not answer; nothing was charged, try again later"
            ))
        }
        GatewayError::Busy(detail) => {
            tracing::warn!(provider, error = %detail, "payment gateway busy");
            CoreError::Gateway(format!(
                "{provider} is busy; nothing was charged, try again in a moment"
            ))
        }
    }
}

impl PaymentService {
    /// Wires the service.
    pub fn new(
        db: Db,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        gateways: Gateways,
        settings: PaymentSettings,
    ) -> PaymentService {
        PaymentService {
            db,
            audit,
            return_checks: Arc::new(ReturnChecks::new(clock.clone())),
            clock,
            metrics,
            gateways: Arc::new(gateways),
            settings: Arc::new(settings),
        }
    }

    /// The configured gateways' ids.
    pub fn providers(&self) -> Vec<String> {
        self.gateways.keys().cloned().collect()
    }

    /// Each configured gateway's health, by id, for readiness; calls no gateway.
    pub fn gateway_health(&self) -> Vec<(String, GatewayHealth)> {
        self.gateways
            .iter()
            .map(|(provider, gateway)| (provider.clone(), gateway.health()))
            .collect()
    }

    /// The payment settings.
    pub fn settings(&self) -> &PaymentSettings {
        &self.settings
    }

    pub(super) fn gateway(&self, provider: &str) -> CoreResult<&Arc<dyn Gateway>> {
        self.gateways
            .get(provider)
            .ok_or_else(|| CoreError::validation("provider", format!("no payment gateway {provider:?} is configured")))
    }

    /// Appends an audit entry about a payment; `(action, status)` as in every audit entry.
    pub(super) async fn audit_payment(
        &self,
        tx: &mut WriteTx,
        actor: &str,
        meta: &RequestMeta,
        (action, status): (&str, &str),
        p: &Payment,
        details: serde_json::Value,
    ) -> CoreResult<()> {
        self.audit
            .log_change(
                tx,
                meta,
                actor,
                (action, status),
                Target::Payment(&p.public_id),
                details,
            )
            .await
    }

    /// When the janitor should look at a payment next, after `attempts` checks.
    pub(super) fn next_check(&self, now: i64, attempts: usize) -> Option<i64> {
        self.settings
            .check_schedule_secs
            .get(attempts)
            .map(|secs| now + secs.max(&1) * 1000)
    }

    /// Refunds part or all of a paid payment (admin, finance). The refund is recorded before
    /// the gateway is asked, and its outcome after.
    pub async fn refund(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        payment: &str,
        amount_minor: Option<i64>,
        reason: Option<&str>,
    ) -> CoreResult<(Payment, Refund)> {
        actor.require(&[Role::Admin, Role::Finance])?;
        if reason.is_some_and(|r| r.len() > 512) {
            return Err(CoreError::validation("reason", "at most 512 characters"));
        }
        // Recorded as pending (and audited) before the gateway is asked, so a crash in between
        // leaves a trace finance can reconcile, never a refund nobody knows of.
        let (p, refund, external) = self.open_refund(actor, meta, payment, amount_minor, reason).await?;
        let answer = self
            .gateway(&p.provider)?
            .refund(RefundRequest {
                external_id: external,
                amount_minor: refund.amount_minor,
                currency: p.currency.to_string(),
                idempotency_key: format!("{}-refund-{}", p.public_id, refund.id),
                reason: reason.map(str::to_owned),
            })
            .await;
        self.close_refund(actor, meta, payment, refund, answer).await
    }

    /// Checks what is left to refund and records a pending refund; returns the payment, the
    /// refund and the gateway's reference of the payment.
    async fn open_refund(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        payment: &str,
        amount_minor: Option<i64>,
        reason: Option<&str>,
    ) -> CoreResult<(Payment, Refund, String)> {
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let p = self.find(&*tx, payment).await?;
        let status = PaymentStatus::parse(&p.status);
        if status != Some(PaymentStatus::Succeeded) {
            return Err(CoreError::Conflict(format!(
                "payment {} is {}; only succeeded payments can be refunded",
                p.public_id, p.status
            )));
        }
        let pending: i64 = refunds::Entity::find()
            .filter(refunds::Column::PaymentId.eq(p.id))
            .filter(refunds::Column::Status.eq("pending"))
            .all(&*tx)
            .await?
            .iter()
            .map(|r| r.amount_minor)
            .sum();
        let left = p.amount_minor - p.refunded_minor - pending;
        let amount = amount_minor.unwrap_or(left);
        if amount <= 0 || amount > left {
            return Err(CoreError::validation(
                "amount",
                format!("must be between 1 and {left} minor units (what is left to refund)"),
            ));
        }
        let external = p
            .external_id
            .clone()
            .ok_or_else(|| CoreError::Conflict(format!("payment {} has no gateway reference", p.public_id)))?;
        let now = self.clock.now_ms();
        let refund = refunds::ActiveModel {
            payment_id: Set(p.id),
            amount_minor: Set(amount),
            currency: Set(p.currency),
            status: Set("pending".into()),
            reason: Set(reason.map(str::to_owned)),
            created_by: Set(actor.name().to_owned()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&*tx)
        .await?;
        self.audit_payment(
            &mut tx,
            actor.name(),
            meta,
            ("payment.refund_requested", "ok"),
            &p,
            json!({"refund": refund.id, "amount_minor": amount, "reason": reason}),
        )
        .await?;
        tx.commit().await?;
        Ok((p, refund, external))
    }

    /// Records the gateway's answer to a refund: its id and state, the payment's refunded
    /// amount when it succeeded, and the audit entry.
    async fn close_refund(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        payment: &str,
        refund: Refund,
        answer: Result<super::gateway::RefundOutcome, GatewayError>,
    ) -> CoreResult<(Payment, Refund)> {
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let p = self.find(&*tx, payment).await?;
        let mut ram: refunds::ActiveModel = refund.into();
        ram.updated_at = Set(self.clock.now_ms());
        let result = match answer {
            Ok(out) => {
                ram.external_id = Set(Some(out.refund_id));
                ram.status = Set(match out.status.as_str() {
                    "succeeded" | "failed" => out.status.clone(),
                    _ => "pending".into(),
                });
                let r = ram.update(&*tx).await?;
                let p = if r.status == "succeeded" {
                    self.add_refunded(&mut tx, &p, p.refunded_minor + r.amount_minor)
                        .await?
                } else {
                    p
                };
                let outcome = if r.status == "failed" { "failed" } else { "ok" };
                self.audit_payment(
                    &mut tx,
                    actor.name(),
                    meta,
                    ("payment.refund", outcome),
                    &p,
                    json!({"refund": r.id, "amount_minor": r.amount_minor, "status": r.status, "refunded_minor": p.refunded_minor}),
                )
                .await?;
                Ok((p, r))
            }
            Err(e) => {
                ram.status = Set("failed".into());
                let r = ram.update(&*tx).await?;
                let err = gateway_error(&p.provider, &e);
                self.audit_payment(
                    &mut tx,
                    actor.name(),
                    meta,
                    ("payment.refund", "failed"),
                    &p,
                    json!({"refund": r.id, "amount_minor": r.amount_minor, "reason": client_text(&err)}),
                )
                .await?;
                Err(err)
            }
        };
        tx.commit().await?;
        result
    }

    /// Raises the refunded total (never lowers it: refund reports carry totals, so a replayed
    /// or reordered one cannot count twice) and marks a full refund.
    pub(super) async fn add_refunded(&self, tx: &mut WriteTx, p: &Payment, total: i64) -> CoreResult<Payment> {
        let total = total.min(p.amount_minor);
        if total <= p.refunded_minor {
            return Ok(p.clone());
        }
        let mut am: payments::ActiveModel = p.clone().into();
        am.refunded_minor = Set(total);
        if total >= p.amount_minor {
            am.status = Set(PaymentStatus::Refunded.as_str().into());
        }
        am.updated_at = Set(self.clock.now_ms());
        let after = am.update(&**tx).await?;
        publish_payment(tx, &after);
        Ok(after)
    }

    /// A payment by public id, inside or outside a transaction.
    pub(super) async fn find<C: sea_orm::ConnectionTrait>(&self, conn: &C, public: &str) -> CoreResult<Payment> {
        payments::Entity::find()
            .filter(payments::Column::PublicId.eq(public))
            .one(conn)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("payment {public}")))
    }
}

/// The client-facing text of an error built by [`gateway_error`].
pub(super) fn client_text(e: &CoreError) -> String {
    match e {
        CoreError::Gateway(m) => m.clone(),
        other => other.to_string(),
    }
}

/// Queues the change notice of a payment for after the commit.
pub(super) fn publish_payment(tx: &mut WriteTx, p: &Payment) {
    tx.publish_after_commit(Event::PaymentChanged {
        payment_id: p.public_id.clone(),
        receipt_id: p.receipt_id,
        username: p.username.clone(),
        status: p.status.clone(),
    });
}

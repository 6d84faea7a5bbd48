//! Settlement: the one path by which anything a gateway says changes a payment or a receipt.
//! Webhooks, the return page, the janitor and `reconcilePayment` all end here.
//!
//! Each report is applied in one serialised transaction: the event row (unique per gateway and
//! event id, so a redelivery finds it and does nothing), the payment's state change, the
//! receipt's, the audit entry, then the commit, and only then the notices to subscribers.
//! Nothing ever moves a paid payment back; see [`PaymentStatus`] for the rules. A success for a
//! receipt that is paid already is a duplicate: recorded, then refunded (`duplicate.rs`).

use super::gateway::{GatewayReport, WebhookDelivery, WebhookVerdict};
use super::model::{Payment, PaymentStatus, ReportedStatus, SettleOutcome};
use super::service::{gateway_error, publish_payment, PaymentService};
use crate::audit::NewAuditEntry;
use crate::context::RequestMeta;
use crate::db::WriteTx;
use crate::error::{is_unique_violation, CoreError, CoreResult};
use crate::receipts::{change_status, Change, Changed, ReceiptStatus};
use hpcb_entities::tables::{payment_events, payments, receipts};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};
use serde_json::json;

/// Audit actor of changes gateways cause.
pub(super) const GATEWAY_ACTOR: &str = "gateway";

/// What a webhook delivery came to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WebhookResult {
    /// Verified and handled.
    Handled(SettleOutcome),
    /// Refused by the gateway's verification (signature, timestamp, or a signed body that is no
    /// usable event); audited, nothing else happened.
    Rejected(String),
}

impl PaymentService {
    /// Handles one webhook delivery for `provider`: verify, then settle.
    pub async fn handle_webhook(
        &self,
        provider: &str,
        delivery: WebhookDelivery,
        meta: &RequestMeta,
    ) -> CoreResult<WebhookResult> {
        let gateway = self
            .gateways
            .get(provider)
            .ok_or_else(|| CoreError::NotFound(format!("payment gateway {provider}")))?
            .clone();
        let verdict = gateway
            .verify_webhook(delivery)
            .await
            .map_err(|e| gateway_error(provider, &e))?;
        match verdict {
            WebhookVerdict::Rejected(reason) => {
                let mut tx = self.db.begin_write().await?;
                self.audit
                    .append(
                        &mut tx,
                        meta,
                        NewAuditEntry {
                            actor: Some(GATEWAY_ACTOR),
                            action: "payment.webhook_rejected",
                            target: Some(format!("gateway:{provider}")),
                            status: "denied",
                            details: json!({"reason": reason}),
                        },
                    )
                    .await?;
                tx.commit().await?;
                self.metrics
                    .payment_events
                    .with_label_values(&[provider, "rejected"])
                    .inc();
                Ok(WebhookResult::Rejected(reason))
            }
            WebhookVerdict::Verified {
                event_id,
                event_type,
                report,
            } => Ok(WebhookResult::Handled(
                self.settle(provider, &event_id, &event_type, &report, meta).await?,
            )),
        }
    }

    /// Applies one report under its event id. A unique-key race between two deliveries of the
    /// same event (on PostgreSQL replicas) also ends as `Duplicate`. When the report paid a
    /// payment whose receipt was paid already, the refund recorded for it is asked of the
    /// gateway after the commit (a failure there is recorded and logged, not returned: the
    /// settlement itself stands).
    pub async fn settle(
        &self,
        provider: &str,
        event_id: &str,
        event_type: &str,
        report: &GatewayReport,
        meta: &RequestMeta,
    ) -> CoreResult<SettleOutcome> {
        let (outcome, refund) = match self.settle_once(provider, event_id, event_type, report, meta).await {
            Err(CoreError::Conflict(m)) if m == DUPLICATE => (SettleOutcome::Duplicate, None),
            other => other?,
        };
        self.metrics
            .payment_events
            .with_label_values(&[provider, outcome_name(&outcome)])
            .inc();
        if let Some(refund) = refund {
            if let Err(e) = self.refund_duplicate(refund, meta).await {
                tracing::error!(provider, event_id, refund, error = %e, "refunding a duplicate payment failed; the janitor asks again");
            }
        }
        Ok(outcome)
    }

    /// The transaction of [`Self::settle`]; also returns the refund owed for a duplicate.
    async fn settle_once(
        &self,
        provider: &str,
        event_id: &str,
        event_type: &str,
        report: &GatewayReport,
        meta: &RequestMeta,
    ) -> CoreResult<(SettleOutcome, Option<i64>)> {
        if event_id.is_empty() || event_id.len() > 255 {
            return Err(CoreError::validation("event_id", "the gateway sent no usable event id"));
        }
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let seen = payment_events::Entity::find()
            .filter(payment_events::Column::Provider.eq(provider))
            .filter(payment_events::Column::EventId.eq(event_id))
            .one(&*tx)
            .await?;
        if seen.is_some() {
            return Ok((SettleOutcome::Duplicate, None));
        }
        let payment = self.match_payment(&tx, provider, report).await?;
        let (outcome, refund) = match &payment {
            None => {
                if report.status == Some(ReportedStatus::Succeeded) {
                    // Money for something we cannot place: an operator must look.
                    self.audit
                        .append(
                            &mut tx,
                            meta,
                            NewAuditEntry {
                                actor: Some(GATEWAY_ACTOR),
                                action: "payment.unmatched",
                                target: Some(format!("gateway:{provider}")),
                                status: "failed",
                                details: json!({"event": event_id, "type": event_type,
                                    "external_id": report.external_id, "payment_id": report.payment_id,
                                    "amount_minor": report.amount_minor, "currency": report.currency}),
                            },
                        )
                        .await?;
                }
                (SettleOutcome::Unmatched, None)
            }
            Some(p) => self.apply(&mut tx, p, event_id, event_type, report, meta).await?,
        };
        let stored = payment_events::ActiveModel {
            provider: Set(provider.to_owned()),
            event_id: Set(event_id.to_owned()),
            payment_id: Set(payment.as_ref().map(|p| p.id)),
            event_type: Set(truncate(event_type, 128)),
            status: Set(report.status.map(|s| s.as_str().to_owned())),
            amount_minor: Set(report.amount_minor),
            currency: Set(report.currency.as_ref().map(|c| truncate(c, 3))),
            outcome: Set(outcome_name(&outcome).into()),
            received_at: Set(self.clock.now_ms()),
            ..Default::default()
        }
        .insert(&*tx)
        .await;
        match stored {
            Err(e) if is_unique_violation(&e) => return Err(CoreError::Conflict(DUPLICATE.into())),
            other => {
                other?;
            }
        }
        tx.commit().await?;
        Ok((outcome, refund))
    }

    /// Finds the payment a report is about: by our id when the gateway carried it back (and it
    /// belongs to this gateway), else by the gateway's id.
    async fn match_payment(&self, tx: &WriteTx, provider: &str, r: &GatewayReport) -> CoreResult<Option<Payment>> {
        if let Some(id) = &r.payment_id {
            let p = payments::Entity::find()
                .filter(payments::Column::PublicId.eq(id.as_str()))
                .filter(payments::Column::Provider.eq(provider))
                .one(&**tx)
                .await?;
            if p.is_some() {
                return Ok(p);
            }
        }
        if let Some(ext) = &r.external_id {
            return Ok(payments::Entity::find()
                .filter(payments::Column::Provider.eq(provider))
                .filter(payments::Column::ExternalId.eq(ext.as_str()))
                .one(&**tx)
                .await?);
        }
        Ok(None)
    }

    /// The state machine. Returns what happened, and the refund owed when it paid a duplicate;
    /// the caller records the event.
    async fn apply(
        &self,
        tx: &mut WriteTx,
        p: &Payment,
        event_id: &str,
        event_type: &str,
        r: &GatewayReport,
        meta: &RequestMeta,
    ) -> CoreResult<(SettleOutcome, Option<i64>)> {
        match r.status {
            None => Ok((SettleOutcome::Ignored, None)),
            Some(ReportedStatus::Succeeded) => self.apply_success(tx, p, event_id, event_type, r, meta).await,
            Some(_) => Ok((self.apply_change(tx, p, event_id, event_type, r, meta).await?, None)),
        }
    }

    /// A reported success: pays the payment and its receipt, or, when the receipt is paid
    /// already, records the payment as a duplicate to refund.
    async fn apply_success(
        &self,
        tx: &mut WriteTx,
        p: &Payment,
        event_id: &str,
        event_type: &str,
        r: &GatewayReport,
        meta: &RequestMeta,
    ) -> CoreResult<(SettleOutcome, Option<i64>)> {
        if let Some(why) = mismatch(p, r) {
            self.audit_payment(
                tx,
                GATEWAY_ACTOR,
                meta,
                ("payment.mismatch", "denied"),
                p,
                json!({"event": event_id, "type": event_type, "reason": why,
                    "expected_minor": p.amount_minor, "expected_currency": p.currency,
                    "reported_minor": r.amount_minor, "reported_currency": r.currency}),
            )
            .await?;
            return Ok((SettleOutcome::Mismatch(why), None));
        }
        if status_of(p)?.is_paid() {
            return Ok((SettleOutcome::NoChange, None));
        }
        let receipt = receipts::Entity::find_by_id(p.receipt_id)
            .one(&**tx)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("payment {} names a missing receipt", p.public_id)))?;
        let now = self.clock.now_ms();
        let event = json!({"event": event_id, "type": event_type});
        let mut am: payments::ActiveModel = p.clone().into();
        am.status = Set(PaymentStatus::Succeeded.as_str().into());
        am.settled_at = Set(Some(now));
        am.next_check_at = Set(None);
        am.updated_at = Set(now);
        if p.external_id.is_none() {
            am.external_id = Set(r.external_id.clone());
        }
        let after = am.update(&**tx).await?;
        publish_payment(tx, &after);
        if receipt.status == ReceiptStatus::Paid.as_str() {
            let refund = self.record_duplicate(tx, &after, &receipt, &event, meta).await?;
            return Ok((SettleOutcome::Applied, Some(refund.id)));
        }
        let receipt = self.pay_receipt(tx, &after, receipt).await?;
        self.audit_payment(
            tx,
            GATEWAY_ACTOR,
            meta,
            ("payment.succeeded", "ok"),
            &after,
            json!({"event": event, "before": p.status, "after": after.status,
                "amount_minor": after.amount_minor, "currency": after.currency, "receipt": receipt}),
        )
        .await?;
        self.metrics.receipts_paid.inc();
        Ok((SettleOutcome::Applied, None))
    }

    /// Every report but a success: failures, expiry, refunds, disputes.
    async fn apply_change(
        &self,
        tx: &mut WriteTx,
        p: &Payment,
        event_id: &str,
        event_type: &str,
        r: &GatewayReport,
        meta: &RequestMeta,
    ) -> CoreResult<SettleOutcome> {
        let Some(reported) = r.status else {
            return Ok(SettleOutcome::Ignored);
        };
        let current = status_of(p)?;
        let now = self.clock.now_ms();
        let event = json!({"event": event_id, "type": event_type});
        match reported {
            // Successes are `apply_success`'s.
            ReportedStatus::Pending | ReportedStatus::Succeeded => Ok(SettleOutcome::NoChange),
            ReportedStatus::Failed | ReportedStatus::Expired => {
                if current != PaymentStatus::Pending {
                    return Ok(SettleOutcome::NoChange);
                }
                let to = if reported == ReportedStatus::Failed {
                    PaymentStatus::Failed
                } else {
                    PaymentStatus::Expired
                };
                let mut am: payments::ActiveModel = p.clone().into();
                am.status = Set(to.as_str().into());
                am.settled_at = Set(Some(now));
                am.next_check_at = Set(None);
                am.updated_at = Set(now);
                let after = am.update(&**tx).await?;
                let action = format!("payment.{}", to.as_str());
                self.audit_payment(
                    tx,
                    GATEWAY_ACTOR,
                    meta,
                    (&action, "ok"),
                    &after,
                    json!({"event": event, "before": p.status, "after": after.status}),
                )
                .await?;
                publish_payment(tx, &after);
                Ok(SettleOutcome::Applied)
            }
            ReportedStatus::Refunded => {
                let Some(total) = r.refunded_minor else {
                    return Ok(SettleOutcome::NoChange);
                };
                if !current.is_paid() || total <= p.refunded_minor {
                    return Ok(SettleOutcome::NoChange);
                }
                let after = self.add_refunded(tx, p, total).await?;
                self.audit_payment(
                    tx,
                    GATEWAY_ACTOR,
                    meta,
                    ("payment.refunded", "ok"),
                    &after,
                    json!({"event": event, "refunded_minor": after.refunded_minor, "before": p.status, "after": after.status}),
                )
                .await?;
                Ok(SettleOutcome::Applied)
            }
            ReportedStatus::Disputed => {
                if p.disputed {
                    return Ok(SettleOutcome::NoChange);
                }
                let mut am: payments::ActiveModel = p.clone().into();
                am.disputed = Set(true);
                am.updated_at = Set(now);
                let after = am.update(&**tx).await?;
                self.audit_payment(
                    tx,
                    GATEWAY_ACTOR,
                    meta,
                    ("payment.disputed", "ok"),
                    &after,
                    json!({"event": event}),
                )
                .await?;
                publish_payment(tx, &after);
                Ok(SettleOutcome::Applied)
            }
        }
    }

    /// Marks the payment's receipt `r` paid when it is still pending; says what it found. A
    /// receipt voided meanwhile stays as it is, and the audit entry says so, for finance (one
    /// paid already never gets here: that payment is a duplicate, refunded).
    async fn pay_receipt(&self, tx: &mut WriteTx, p: &Payment, r: receipts::Model) -> CoreResult<serde_json::Value> {
        let method = truncate(&p.provider, 32);
        let reference = truncate(p.external_id.as_deref().unwrap_or(&p.public_id), 128);
        let change = Change::Paid {
            method: &method,
            reference: Some(&reference),
        };
        let after = match change_status(tx, &r, change, self.clock.now_ms()).await? {
            Changed::Done(after) => *after,
            Changed::NotAllowed(_) => {
                return Ok(json!({"number": r.number, "status": r.status, "applied": false}));
            }
        };
        Ok(json!({"number": after.number, "before": r.status, "after": after.status, "applied": true}))
    }
}

/// A stored payment's status.
fn status_of(p: &Payment) -> CoreResult<PaymentStatus> {
    PaymentStatus::parse(&p.status)
        .ok_or_else(|| CoreError::Internal(format!("payment {} has unknown status {}", p.public_id, p.status)))
}

/// Marker text of the unique-key race, turned into `Duplicate` by [`PaymentService::settle`].
const DUPLICATE: &str = "duplicate gateway event";

/// Why a reported success does not match the payment, if it does not. A report without an
/// amount or currency does not match: only an explicit, equal amount settles.
fn mismatch(p: &Payment, r: &GatewayReport) -> Option<String> {
    match (&r.amount_minor, &r.currency) {
        (Some(a), Some(c)) if *a == p.amount_minor && c.eq_ignore_ascii_case(p.currency.as_str()) => None,
        (Some(a), Some(c)) => Some(format!(
            "gateway reported {a} {c}, the payment is for {} {}",
            p.amount_minor, p.currency
        )),
        _ => Some("gateway reported no amount or currency".into()),
    }
}

fn outcome_name(o: &SettleOutcome) -> &'static str {
    match o {
        SettleOutcome::Applied => "applied",
        SettleOutcome::NoChange => "no_change",
        SettleOutcome::Duplicate => "duplicate",
        SettleOutcome::Ignored => "ignored",
        SettleOutcome::Unmatched => "unmatched",
        SettleOutcome::Mismatch(_) => "mismatch",
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

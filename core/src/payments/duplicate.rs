//! Money for a receipt that is paid already: two checkouts of one receipt opened before a
//! receipt could have only one, a checkout paid after its receipt was paid by other means, a
//! gateway that charged twice. Such a payment is never kept quietly: settlement records it as
//! succeeded (the money did arrive), leaves the receipt paid once, records a refund of the whole
//! amount and the audit entry `payment.duplicate` in the same transaction, and after the commit
//! asks the gateway to refund it (idempotency key `<payment>-refund-<refund id>`, reason
//! `duplicate`).
//!
//! The gateway's answer is recorded with the audit entry `payment.refund`: refunded, pending at
//! the gateway, or refused, in which case the refund is marked failed and the entry (status
//! `failed`, `"action": "refund by hand"`) flags it for finance. When the gateway does not answer
//! at all, the refund stays pending and the janitor asks again under the same key after
//! [`RETRY_AFTER_MS`], so a crash or an outage between the two steps does not lose it.

use super::gateway::{GatewayError, RefundOutcome, RefundRequest};
use super::model::{Payment, Refund};
use super::service::PaymentService;
use crate::context::RequestMeta;
use crate::db::WriteTx;
use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::{payments, receipts, refunds};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};
use serde_json::json;

/// `created_by` of the refunds made for duplicate payments, and the audit actor of their
/// outcome. Not a possible user name (no `:` in those).
pub(super) const DUPLICATE_REFUNDER: &str = "system:duplicate-payment";
/// How long an unanswered duplicate refund waits before the janitor asks the gateway again;
/// longer than a gateway call may take, so it never overlaps the first attempt.
const RETRY_AFTER_MS: i64 = 300_000;

/// What became of asking the gateway, for the record.
enum Asked {
    /// The gateway answered; `status` is `succeeded`, `pending` or `failed`.
    Answered(RefundOutcome),
    /// The gateway (or its absence) refused; the refund fails and is left to finance.
    Refused(String),
    /// No answer; asked again later.
    Unanswered(String),
}

impl PaymentService {
    /// Inside settlement's transaction, for a payment that just succeeded although its receipt
    /// was paid already: records the refund owed and audits the duplicate. Refund it with
    /// [`Self::refund_duplicate`] after the commit.
    pub(super) async fn record_duplicate(
        &self,
        tx: &mut WriteTx,
        p: &Payment,
        receipt: &receipts::Model,
        event: &serde_json::Value,
        meta: &RequestMeta,
    ) -> CoreResult<Refund> {
        let now = self.clock.now_ms();
        let paid_by = receipt
            .paid_reference
            .clone()
            .or_else(|| receipt.paid_method.clone())
            .unwrap_or_else(|| "another payment".into());
        let refund = refunds::ActiveModel {
            payment_id: Set(p.id),
            amount_minor: Set(p.amount_minor),
            currency: Set(p.currency),
            status: Set("pending".into()),
            reason: Set(Some(
                format!(
                    "duplicate payment: receipt {} was already paid ({paid_by})",
                    receipt.number
                )
                .chars()
                .take(512)
                .collect(),
            )),
            created_by: Set(DUPLICATE_REFUNDER.into()),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(&**tx)
        .await?;
        self.audit_payment(
            tx,
            super::settle::GATEWAY_ACTOR,
            meta,
            ("payment.duplicate", "ok"),
            p,
            json!({"event": event, "receipt": receipt.number, "receipt_status": receipt.status,
                "receipt_paid_method": receipt.paid_method, "receipt_paid_reference": receipt.paid_reference,
                "amount_minor": p.amount_minor, "currency": p.currency, "refund": refund.id}),
        )
        .await?;
        Ok(refund)
    }

    /// Asks the gateway to refund a duplicate payment's pending refund and records the answer
    /// (see the module docs). A refund answered meanwhile is left alone.
    pub(super) async fn refund_duplicate(&self, refund_id: i64, meta: &RequestMeta) -> CoreResult<()> {
        let Some(refund) = refunds::Entity::find_by_id(refund_id).one(self.db.conn()).await? else {
            return Ok(());
        };
        if refund.status != "pending" || refund.external_id.is_some() {
            return Ok(());
        }
        let p = payments::Entity::find_by_id(refund.payment_id)
            .one(self.db.conn())
            .await?
            .ok_or_else(|| CoreError::Internal(format!("refund {refund_id} names a missing payment")))?;
        let answer = match (&p.external_id, self.gateways.get(&p.provider)) {
            (Some(external), Some(gateway)) => {
                let asked = gateway
                    .refund(RefundRequest {
                        external_id: external.clone(),
                        amount_minor: refund.amount_minor,
                        currency: refund.currency.to_string(),
                        idempotency_key: format!("{}-refund-{}", p.public_id, refund.id),
                        reason: Some("duplicate".into()),
                    })
                    .await;
                match asked {
                    Ok(out) => Asked::Answered(out),
                    Err(GatewayError::Refused(m)) => Asked::Refused(m),
                    Err(e @ (GatewayError::Unavailable(_) | GatewayError::Busy(_))) => Asked::Unanswered(e.to_string()),
                }
            }
            (None, _) => Asked::Refused("the payment has no gateway reference to refund".into()),
            (_, None) => Asked::Refused(format!("payment gateway {} is not configured", p.provider)),
        };

        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let Some(refund) = refunds::Entity::find_by_id(refund_id).one(&*tx).await? else {
            return Ok(());
        };
        if refund.status != "pending" || refund.external_id.is_some() {
            return Ok(());
        }
        let p = self.find(&*tx, &p.public_id).await?;
        let mut ram: refunds::ActiveModel = refund.into();
        ram.updated_at = Set(self.clock.now_ms());
        let (outcome, details) = match answer {
            Asked::Answered(out) => {
                ram.external_id = Set(Some(out.refund_id));
                let status = match out.status.as_str() {
                    "succeeded" | "failed" => out.status,
                    _ => "pending".to_owned(),
                };
                let flag = (status == "failed").then_some("refund by hand");
                ram.status = Set(status);
                (if flag.is_some() { "failed" } else { "ok" }, json!({"action": flag}))
            }
            Asked::Refused(reason) => {
                ram.status = Set("failed".into());
                tracing::error!(payment = %p.public_id, reason, "duplicate payment could not be refunded; refund it by hand");
                ("failed", json!({"error": reason, "action": "refund by hand"}))
            }
            Asked::Unanswered(detail) => {
                tracing::warn!(payment = %p.public_id, error = %detail, "duplicate payment refund unanswered; the janitor asks again");
                (
                    "failed",
                    json!({"error": "the gateway did not answer", "action": "asked again later"}),
                )
            }
        };
        let r = ram.update(&*tx).await?;
        let p = if r.status == "succeeded" {
            self.add_refunded(&mut tx, &p, p.refunded_minor + r.amount_minor)
                .await?
        } else {
            p
        };
        let mut details = details;
        details["refund"] = json!(r.id);
        details["amount_minor"] = json!(r.amount_minor);
        details["status"] = json!(r.status);
        details["reason"] = json!("duplicate");
        details["refunded_minor"] = json!(p.refunded_minor);
        self.audit_payment(
            &mut tx,
            DUPLICATE_REFUNDER,
            meta,
            ("payment.refund", outcome),
            &p,
            details,
        )
        .await?;
        tx.commit().await
    }

    /// The janitor's share: asks the gateway again for duplicate refunds it did not answer,
    /// oldest first, at most `limit`. Each is claimed first (its `updated_at` moves), so two
    /// replicas never ask for the same one at once. Returns how many were asked.
    pub(super) async fn retry_duplicate_refunds(&self, limit: u64, meta: &RequestMeta) -> CoreResult<usize> {
        let now = self.clock.now_ms();
        let due = refunds::Entity::find()
            .filter(refunds::Column::CreatedBy.eq(DUPLICATE_REFUNDER))
            .filter(refunds::Column::Status.eq("pending"))
            .filter(refunds::Column::ExternalId.is_null())
            .filter(refunds::Column::UpdatedAt.lte(now - RETRY_AFTER_MS))
            .order_by_asc(refunds::Column::UpdatedAt)
            .limit(limit)
            .all(self.db.conn())
            .await?;
        let mut asked = 0;
        for r in due {
            if !self.claim_refund(&r, now).await? {
                continue;
            }
            asked += 1;
            if let Err(e) = self.refund_duplicate(r.id, meta).await {
                tracing::warn!(refund = r.id, error = %e, "retrying a duplicate refund failed");
            }
        }
        Ok(asked)
    }

    /// Moves a due refund's `updated_at` to `now` if nobody else did; whether this caller won.
    async fn claim_refund(&self, r: &Refund, now: i64) -> CoreResult<bool> {
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let Some(current) = refunds::Entity::find_by_id(r.id).one(&*tx).await? else {
            return Ok(false);
        };
        if current.status != "pending" || current.external_id.is_some() || current.updated_at != r.updated_at {
            return Ok(false);
        }
        let mut am: refunds::ActiveModel = current.into();
        am.updated_at = Set(now);
        am.update(&*tx).await?;
        tx.commit().await?;
        Ok(true)
    }
}

//! Starting a payment, with at most one open checkout per receipt.
//!
//! A payment is *open* while it is pending and its checkout has not expired. Whether a start
//! creates a checkout is decided inside the serialised write transaction (the process-wide write
//! lock on SQLite, the advisory lock on PostgreSQL, so also across replicas), from the receipt's
//! open payments:
//!
//! - none: a new pending payment is recorded and committed, then its checkout is requested;
//! - one through the same gateway whose checkout is stored: it is returned, no gateway call;
//! - one through the same gateway whose checkout another request is still asking for: this
//!   request waits for that answer (up to [`START_WAIT`]) and returns the same payment, or the
//!   same error. If that request stopped (a crash) before storing the checkout, the payment is
//!   taken over after [`START_LEASE_MS`] and its checkout requested again under the same
//!   idempotency key, which gateways answer with the same checkout;
//! - one through another gateway: `CONFLICT` naming it. A receipt is paid through one gateway at
//!   a time: the customer finishes that checkout, or picks another gateway once it has expired
//!   or failed. (The protocol has no call to close a checkout early, so switching sooner would
//!   leave two payable checkouts.)
//!
//! A checkout that closes within [`CHECKOUT_SLACK_MS`] is not handed out (the customer would
//! reach a page closing under them), but it is still open, so starting again is refused until it
//! has closed. Money that arrives for a receipt paid already is refunded (see `duplicate.rs`).

use super::gateway::{CheckoutRequest, Gateway};
use super::model::{Payment, PaymentStatus};
use super::service::{client_text, gateway_error, public_id, publish_payment, PaymentService};
use crate::auth::Role;
use crate::context::{Actor, RequestMeta};
use crate::error::{CoreError, CoreResult};
use crate::receipts::ReceiptStatus;
use hpcb_entities::tables::{payments, receipts};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};
use serde_json::json;
use std::time::Duration;

/// How long a payment without a checkout belongs to the request that recorded it (which is
/// asking the gateway), measured from its `updated_at`. Longer than a gateway call may take
/// (queueing plus the call timeout); after it, the next start takes the payment over.
pub(super) const START_LEASE_MS: i64 = 180_000;
/// How long a start waits for another request's checkout of the same receipt and gateway.
const START_WAIT: Duration = Duration::from_secs(45);
/// How often a waiting start looks at that payment.
const START_POLL: Duration = Duration::from_millis(100);
/// A checkout closing sooner than this is not handed out.
const CHECKOUT_SLACK_MS: i64 = 60_000;

/// What a start does, given the receipt's pending payments.
#[derive(Debug, PartialEq)]
enum Choice {
    /// Nothing is open: record a new payment.
    New,
    /// Hand out this payment's checkout.
    Reuse(Payment),
    /// Another request is asking the gateway for this payment's checkout.
    Wait(Payment),
    /// The request that recorded this payment stopped before storing its checkout.
    TakeOver(Payment),
    /// Refused, with the message for the client.
    Refuse(String),
}

/// The decision, from the receipt's pending payments (newest first) at `now`.
fn choose(pending: &[Payment], provider: &str, receipt: &str, now: i64) -> Choice {
    let Some(open) = pending.iter().find(|p| p.expires_at.is_none_or(|at| at > now)) else {
        return Choice::New;
    };
    if open.provider != provider {
        return Choice::Refuse(format!(
            "receipt {receipt} already has an open payment {} through {}{}; finish it there, or \
             start another once it has expired or failed",
            open.public_id,
            open.provider,
            until(open)
        ));
    }
    match &open.external_id {
        Some(_) if open.expires_at.is_none_or(|at| at > now + CHECKOUT_SLACK_MS) => Choice::Reuse(open.clone()),
        Some(_) => Choice::Refuse(format!(
            "the checkout of payment {} for receipt {receipt} is about to close{}; start again once \
             it has closed",
            open.public_id,
            until(open)
        )),
        None if now - open.updated_at < START_LEASE_MS => Choice::Wait(open.clone()),
        None => Choice::TakeOver(open.clone()),
    }
}

/// " (open until <time>)" for a payment with an expiry.
fn until(p: &Payment) -> String {
    p.expires_at
        .and_then(chrono::DateTime::from_timestamp_millis)
        .map(|at| {
            format!(
                " (open until {})",
                at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            )
        })
        .unwrap_or_default()
}

/// What the serialised decision came to.
enum Decided {
    /// Done: this payment's checkout is open.
    Ready(Payment),
    /// This request asks the gateway for the payment's checkout.
    Call(Payment, String),
    /// Wait for another request's checkout of this payment.
    Wait(Payment),
}

impl PaymentService {
    /// Starts paying a pending receipt through `provider` (its owner or an admin). At most one
    /// checkout per receipt is open: an open one through the same gateway is returned instead
    /// of a second one, and one through another gateway refuses the start (see the module docs).
    pub async fn start(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        receipt_id: i64,
        provider: &str,
    ) -> CoreResult<Payment> {
        let gateway = self.gateway(provider)?.clone();
        self.check_payable(actor, receipt_id).await?;
        let waiting_since = tokio::time::Instant::now();
        loop {
            match self.decide_start(actor, meta, receipt_id, provider).await? {
                Decided::Ready(p) => return Ok(p),
                Decided::Call(p, receipt) => {
                    return self.request_checkout(actor, meta, gateway.as_ref(), p, &receipt).await
                }
                Decided::Wait(p) => {
                    if let Some(done) = self.wait_for_checkout(&p, waiting_since).await? {
                        return done;
                    }
                    // The other request's lease ran out: decide again (and take it over).
                }
            }
        }
    }

    /// Who may pay the receipt, and whether it can be paid at all.
    async fn check_payable(&self, actor: Actor<'_>, receipt_id: i64) -> CoreResult<()> {
        let receipt = receipts::Entity::find_by_id(receipt_id).one(self.db.conn()).await?;
        let receipt = match (receipt, actor) {
            (Some(r), Actor::User(p)) if p.username == r.username || p.role == Role::Admin => {
                p.require_csrf()?;
                r
            }
            (Some(r), Actor::System(_)) => r,
            (Some(r), Actor::User(p)) if p.may_see_user(&r.username) => {
                return Err(CoreError::Forbidden(
                    "only the receipt's owner or an admin can pay it".into(),
                ))
            }
            _ => return Err(CoreError::NotFound(format!("receipt {receipt_id}"))),
        };
        payable(&receipt)?;
        if receipt.total_minor <= 0 {
            return Err(CoreError::validation(
                "receiptId",
                format!("receipt {} has nothing to pay", receipt.number),
            ));
        }
        Ok(())
    }

    /// The decision, made and recorded under the serialising lock.
    async fn decide_start(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        receipt_id: i64,
        provider: &str,
    ) -> CoreResult<Decided> {
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        // Re-read under the lock: the receipt may have been paid or voided meanwhile.
        let receipt = receipts::Entity::find_by_id(receipt_id)
            .one(&*tx)
            .await?
            .ok_or_else(|| CoreError::NotFound(format!("receipt {receipt_id}")))?;
        payable(&receipt)?;
        let pending = payments::Entity::find()
            .filter(payments::Column::ReceiptId.eq(receipt_id))
            .filter(payments::Column::Status.eq(PaymentStatus::Pending.as_str()))
            .order_by_desc(payments::Column::Id)
            .all(&*tx)
            .await?;
        let now = self.clock.now_ms();
        match choose(&pending, provider, &receipt.number, now) {
            Choice::Reuse(p) => Ok(Decided::Ready(p)),
            Choice::Wait(p) => Ok(Decided::Wait(p)),
            Choice::Refuse(message) => Err(CoreError::Conflict(message)),
            Choice::TakeOver(p) => {
                let mut am: payments::ActiveModel = p.clone().into();
                am.updated_at = Set(now);
                let row = am.update(&*tx).await?;
                self.audit_payment(
                    &mut tx,
                    actor.name(),
                    meta,
                    ("payment.start_resumed", "ok"),
                    &row,
                    json!({"receipt": receipt.number, "provider": provider,
                        "reason": "the request that started it stopped before storing its checkout"}),
                )
                .await?;
                tx.commit().await?;
                Ok(Decided::Call(row, receipt.number))
            }
            Choice::New => {
                let id = public_id("pay");
                let row = payments::ActiveModel {
                    public_id: Set(id.clone()),
                    receipt_id: Set(receipt_id),
                    username: Set(receipt.username.clone()),
                    provider: Set(provider.to_owned()),
                    status: Set(PaymentStatus::Pending.as_str().into()),
                    amount_minor: Set(receipt.total_minor),
                    currency: Set(receipt.currency),
                    refunded_minor: Set(0),
                    disputed: Set(false),
                    idempotency_key: Set(id),
                    created_by: Set(actor.name().to_owned()),
                    created_at: Set(now),
                    updated_at: Set(now),
                    expires_at: Set(Some(now + self.settings.checkout_ttl_secs * 1000)),
                    next_check_at: Set(self.next_check(now, 0)),
                    check_attempts: Set(0),
                    ..Default::default()
                }
                .insert(&*tx)
                .await?;
                self.audit_payment(
                    &mut tx,
                    actor.name(),
                    meta,
                    ("payment.started", "ok"),
                    &row,
                    json!({"receipt": receipt.number, "provider": provider,
                        "amount_minor": row.amount_minor, "currency": row.currency}),
                )
                .await?;
                tx.commit().await?;
                Ok(Decided::Call(row, receipt.number))
            }
        }
    }

    /// Waits for the request that is asking the gateway for `p`'s checkout. `None` when that
    /// request's lease ran out without an answer (decide again).
    async fn wait_for_checkout(
        &self,
        p: &Payment,
        since: tokio::time::Instant,
    ) -> CoreResult<Option<CoreResult<Payment>>> {
        loop {
            tokio::time::sleep(START_POLL).await;
            let current = payments::Entity::find_by_id(p.id)
                .one(self.db.conn())
                .await?
                .ok_or_else(|| CoreError::Internal(format!("payment {} vanished", p.public_id)))?;
            if current.external_id.is_some() || current.status == PaymentStatus::Succeeded.as_str() {
                return Ok(Some(Ok(current)));
            }
            if current.status == PaymentStatus::Failed.as_str() {
                // The gateway refused or did not answer that request: the same answer here.
                let message = current
                    .error
                    .unwrap_or_else(|| format!("{} could not start the payment; try again", current.provider));
                return Ok(Some(Err(CoreError::Gateway(message))));
            }
            if current.status != PaymentStatus::Pending.as_str() {
                return Ok(None);
            }
            if self.clock.now_ms() - current.updated_at >= START_LEASE_MS {
                return Ok(None);
            }
            if since.elapsed() >= START_WAIT {
                return Ok(Some(Err(CoreError::Conflict(format!(
                    "payment {} of this receipt is still being started; try again in a moment",
                    current.public_id
                )))));
            }
        }
    }

    /// Asks the gateway for `row`'s checkout (no transaction open) and stores the answer in a
    /// second transaction.
    async fn request_checkout(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        gateway: &dyn Gateway,
        row: Payment,
        receipt: &str,
    ) -> CoreResult<Payment> {
        let id = row.public_id.clone();
        let base = self.settings.public_url.trim_end_matches('/');
        let request = CheckoutRequest {
            payment_id: id.clone(),
            amount_minor: row.amount_minor,
            currency: row.currency.to_string(),
            description: format!("Receipt {receipt}"),
            server_url: base.to_owned(),
            return_url: format!("{base}/payments/return/{id}"),
            cancel_url: format!("{base}/payments/return/{id}?cancelled=1"),
            idempotency_key: row.idempotency_key.clone(),
            customer_email: None,
            expires_at_ms: row.expires_at,
        };
        let answer = gateway.create_checkout(request).await;

        let mut tx = self.db.begin_write().await?;
        let current = payments::Entity::find_by_id(row.id)
            .one(&*tx)
            .await?
            .ok_or_else(|| CoreError::Internal(format!("payment {id} vanished")))?;
        if current.external_id.is_some() {
            // A request that took the payment over stored the (same) checkout first.
            return Ok(current);
        }
        let mut am: payments::ActiveModel = current.clone().into();
        am.updated_at = Set(self.clock.now_ms());
        match answer {
            Ok(start) => {
                am.external_id = Set(Some(start.external_id.clone()));
                am.checkout_url = Set(start.checkout_url);
                am.qr_image_url = Set(start.qr_image_url);
                am.client_secret = Set(start.client_secret);
                if let Some(at) = start.expires_at_ms {
                    am.expires_at = Set(Some(at));
                }
                let after = am.update(&*tx).await?;
                tx.commit().await?;
                Ok(after)
            }
            Err(e) => {
                let err = gateway_error(&row.provider, &e);
                if current.status != PaymentStatus::Pending.as_str() {
                    // Settled meanwhile (a verified event wins over a failed start).
                    return Err(err);
                }
                am.status = Set(PaymentStatus::Failed.as_str().into());
                am.error = Set(Some(client_text(&err)));
                am.settled_at = Set(Some(self.clock.now_ms()));
                am.next_check_at = Set(None);
                let after = am.update(&*tx).await?;
                self.audit_payment(
                    &mut tx,
                    actor.name(),
                    meta,
                    ("payment.start_failed", "failed"),
                    &after,
                    json!({"reason": client_text(&err)}),
                )
                .await?;
                publish_payment(&mut tx, &after);
                tx.commit().await?;
                Err(err)
            }
        }
    }
}

/// Only pending receipts can be paid.
fn payable(r: &receipts::Model) -> CoreResult<()> {
    if r.status == ReceiptStatus::Pending.as_str() {
        return Ok(());
    }
    Err(CoreError::Conflict(format!(
        "receipt {} is {}; only pending receipts can be paid",
        r.number, r.status
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_790_000_000_000;

    fn pending(id: &str, provider: &str, external: Option<&str>, expires_at: Option<i64>, updated_at: i64) -> Payment {
        Payment {
            id: 1,
            public_id: id.into(),
            receipt_id: 1,
            username: "alice".into(),
            provider: provider.into(),
            status: "pending".into(),
            amount_minor: 100,
            currency: hpcb_entities::Currency::THB,
            refunded_minor: 0,
            disputed: false,
            external_id: external.map(str::to_owned),
            checkout_url: None,
            qr_image_url: None,
            client_secret: None,
            idempotency_key: id.into(),
            error: None,
            created_by: "alice".into(),
            created_at: updated_at,
            updated_at,
            settled_at: None,
            expires_at,
            next_check_at: None,
            check_attempts: 0,
        }
    }

    #[test]
    fn nothing_open_starts_a_new_payment() {
        assert_eq!(choose(&[], "dummy", "INV-1", NOW), Choice::New);
        let expired = pending("pay_old", "dummy", Some("x"), Some(NOW - 1), NOW - 10);
        assert_eq!(choose(&[expired], "stripe", "INV-1", NOW), Choice::New);
    }

    #[test]
    fn an_open_checkout_of_the_same_gateway_is_reused_and_another_gateway_refused() {
        let open = pending("pay_a", "dummy", Some("dummy_pay_a"), Some(NOW + 600_000), NOW - 10);
        assert_eq!(
            choose(std::slice::from_ref(&open), "dummy", "INV-1", NOW),
            Choice::Reuse(open.clone())
        );
        let Choice::Refuse(m) = choose(&[open], "stripe", "INV-1", NOW) else {
            panic!("another gateway must be refused");
        };
        assert!(m.contains("pay_a") && m.contains("dummy") && m.contains("INV-1"), "{m}");
    }

    #[test]
    fn a_checkout_about_to_close_is_neither_handed_out_nor_doubled() {
        let closing = pending("pay_a", "dummy", Some("dummy_pay_a"), Some(NOW + 30_000), NOW - 10);
        assert!(matches!(choose(&[closing], "dummy", "INV-1", NOW), Choice::Refuse(m) if m.contains("about to close")));
    }

    #[test]
    fn a_checkout_being_requested_is_waited_for_until_its_lease_ends() {
        let young = pending("pay_a", "dummy", None, Some(NOW + 600_000), NOW - 1_000);
        assert_eq!(
            choose(std::slice::from_ref(&young), "dummy", "INV-1", NOW),
            Choice::Wait(young.clone())
        );
        assert!(matches!(choose(&[young], "stripe", "INV-1", NOW), Choice::Refuse(_)));
        let stale = pending("pay_a", "dummy", None, Some(NOW + 600_000), NOW - START_LEASE_MS);
        assert_eq!(
            choose(std::slice::from_ref(&stale), "dummy", "INV-1", NOW),
            Choice::TakeOver(stale)
        );
    }
}

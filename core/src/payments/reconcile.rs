//! Asking the gateway instead of waiting for it: the return page, the janitor and
//! `reconcilePayment` call `fetch_status` and feed the answer through the same settlement as
//! webhooks, so a lost webhook cannot leave a paid receipt unpaid.

use super::model::{Payment, PaymentStatus, ReportedStatus, SettleOutcome};
use super::service::{gateway_error, PaymentService};
use crate::auth::Role;
use crate::context::{Actor, RequestMeta};
use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::payments;
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set};

/// What one janitor pass did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct JanitorReport {
    /// Payments checked.
    pub checked: usize,
    /// Payments whose state changed.
    pub changed: usize,
    /// Checks the gateway did not answer.
    pub errors: usize,
    /// Refunds of duplicate payments asked of the gateway again (it had not answered).
    pub refunds_retried: usize,
}

impl PaymentService {
    /// Checks one payment with its gateway now (admin, finance).
    pub async fn reconcile(&self, actor: Actor<'_>, meta: &RequestMeta, public: &str) -> CoreResult<Payment> {
        actor.require(&[Role::Admin, Role::Finance])?;
        let p = self.find(self.db.conn(), public).await?;
        self.check(&p, meta).await?;
        self.find(self.db.conn(), public).await
    }

    /// Checks a pending payment on behalf of the customer returning from the gateway. The id is
    /// the unguessable public id; a payment that is not pending is left alone. Anyone with the
    /// link can load the page, so checks are rationed (`return_checks.rs`): per payment one at a
    /// time and none for a few seconds after one, a few at once overall; a load that gets no
    /// check shows the stored state.
    pub async fn reconcile_on_return(&self, public: &str, meta: &RequestMeta) -> CoreResult<Payment> {
        let p = self.find(self.db.conn(), public).await?;
        if p.status == PaymentStatus::Pending.as_str() && p.external_id.is_some() {
            if let Some(_check) = self.return_checks.begin(p.id) {
                if let Err(e) = self.check(&p, meta).await {
                    // The page still shows the stored state; the janitor tries again later.
                    tracing::warn!(payment = %p.public_id, error = %e, "status check on return failed");
                }
            }
        }
        self.find(self.db.conn(), public).await
    }

    /// Asks the gateway and settles what it says. Status checks are recorded as events keyed by
    /// the state they found, so finding the same final state twice is a no-op.
    async fn check(&self, p: &Payment, meta: &RequestMeta) -> CoreResult<SettleOutcome> {
        let Some(external) = p.external_id.as_deref() else {
            return Err(CoreError::Conflict(format!(
                "payment {} never reached its gateway; there is nothing to ask",
                p.public_id
            )));
        };
        let gateway = self.gateway(&p.provider)?.clone();
        let mut report = gateway
            .fetch_status(external)
            .await
            .map_err(|e| gateway_error(&p.provider, &e))?;
        if report.external_id.is_none() {
            report.external_id = Some(external.to_owned());
        }
        // The answer is about this payment, whatever the gateway echoes.
        report.payment_id = Some(p.public_id.clone());
        let Some(status) = report.status else {
            return Ok(SettleOutcome::Ignored);
        };
        if status == ReportedStatus::Pending {
            return Ok(SettleOutcome::NoChange);
        }
        let event_id = format!("check:{}:{}", p.public_id, status.as_str());
        self.settle(&p.provider, &event_id, "status_check", &report, meta).await
    }

    /// One janitor pass: checks pending payments whose next check is due, oldest first, and
    /// schedules the next check by the backoff schedule (none after the last step); then asks
    /// again for refunds of duplicate payments the gateway did not answer.
    pub async fn janitor_pass(&self, limit: u64) -> CoreResult<JanitorReport> {
        let now = self.clock.now_ms();
        let due = payments::Entity::find()
            .filter(payments::Column::Status.eq(PaymentStatus::Pending.as_str()))
            .filter(payments::Column::NextCheckAt.lte(now))
            .order_by_asc(payments::Column::NextCheckAt)
            .limit(limit)
            .all(self.db.conn())
            .await?;
        let mut report = JanitorReport::default();
        let meta = RequestMeta {
            user_agent: Some("hpc-billing janitor".into()),
            ..RequestMeta::default()
        };
        for p in due {
            report.checked += 1;
            let outcome = if p.external_id.is_some() {
                self.check(&p, &meta).await
            } else {
                // Started but the gateway call never finished (crash): nothing to ask.
                Ok(SettleOutcome::NoChange)
            };
            match outcome {
                Ok(SettleOutcome::Applied) => report.changed += 1,
                Ok(_) => {}
                Err(e) => {
                    report.errors += 1;
                    tracing::warn!(payment = %p.public_id, error = %e, "janitor status check failed");
                }
            }
            self.reschedule(&p, now).await?;
        }
        report.refunds_retried = self.retry_duplicate_refunds(limit, &meta).await?;
        Ok(report)
    }

    /// Moves a still-pending payment to its next check time.
    async fn reschedule(&self, p: &Payment, now: i64) -> CoreResult<()> {
        let tx = self.db.begin_write().await?;
        let Some(current) = payments::Entity::find_by_id(p.id).one(&*tx).await? else {
            return Ok(());
        };
        if current.status != PaymentStatus::Pending.as_str() {
            return Ok(());
        }
        let attempts = current.check_attempts + 1;
        let next = self.next_check(now, usize::try_from(attempts).unwrap_or(usize::MAX));
        if next.is_none() {
            tracing::warn!(payment = %p.public_id, "payment still pending after the last scheduled check; reconcile it by hand");
        }
        let mut am: payments::ActiveModel = current.into();
        am.check_attempts = Set(attempts);
        am.next_check_at = Set(next);
        am.update(&*tx).await?;
        tx.commit().await
    }
}

//! Reading payments: one (its owner, admin, finance), pages of them, their refunds.

use super::model::{Payment, PaymentFilter, Refund};
use super::service::PaymentService;
use crate::auth::{Principal, Role};
use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::{payments, refunds};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// A page of payments, newest first.
#[derive(Clone, Debug)]
pub struct PaymentPage {
    /// The payments.
    pub payments: Vec<Payment>,
    /// Whether more follow.
    pub has_next: bool,
    /// Payments matching the filter.
    pub total: u64,
}

impl PaymentService {
    /// One payment; `NOT_FOUND` for callers who may not see it.
    pub async fn get(&self, p: &Principal, public: &str) -> CoreResult<Payment> {
        match self.find(self.db.conn(), public).await {
            Ok(pay) if p.may_see_user(&pay.username) => Ok(pay),
            _ => Err(CoreError::NotFound(format!("payment {public}"))),
        }
    }

    /// A payment by public id for pages reached without a session (the return page, the
    /// development checkout), which show only its amount and state.
    pub async fn by_public_id(&self, public: &str) -> CoreResult<Payment> {
        self.find(self.db.conn(), public).await
    }

    /// A page of payments: users see their own, admin and finance anyone's.
    pub async fn list(
        &self,
        p: &Principal,
        mut f: PaymentFilter,
        first: u64,
        after_id: Option<i64>,
    ) -> CoreResult<PaymentPage> {
        if !matches!(p.role, Role::Admin | Role::Finance) {
            match &f.user {
                Some(u) if u != &p.username => {
                    return Err(CoreError::Forbidden("you can only list your own payments".into()))
                }
                _ => f.user = Some(p.username.clone()),
            }
        }
        let mut c = Condition::all();
        if let Some(s) = f.status {
            c = c.add(payments::Column::Status.eq(s.as_str()));
        }
        if let Some(u) = f.user {
            c = c.add(payments::Column::Username.eq(u));
        }
        if let Some(r) = f.receipt_id {
            c = c.add(payments::Column::ReceiptId.eq(r));
        }
        if let Some(pr) = f.provider {
            c = c.add(payments::Column::Provider.eq(pr));
        }
        let total = payments::Entity::find().filter(c.clone()).count(self.db.conn()).await?;
        let mut q = payments::Entity::find().filter(c);
        if let Some(a) = after_id {
            q = q.filter(payments::Column::Id.lt(a));
        }
        let mut rows = q
            .order_by_desc(payments::Column::Id)
            .limit(first + 1)
            .all(self.db.conn())
            .await?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Ok(PaymentPage {
            payments: rows,
            has_next,
            total,
        })
    }

    /// Refunds of a payment the caller may see, oldest first.
    pub async fn refunds_of(&self, payment_id: i64) -> CoreResult<Vec<Refund>> {
        Ok(refunds::Entity::find()
            .filter(refunds::Column::PaymentId.eq(payment_id))
            .order_by_asc(refunds::Column::Id)
            .all(self.db.conn())
            .await?)
    }

    /// Signs a decision of the development checkout page as the development gateway would,
    /// for the server to deliver to its own webhook endpoint.
    pub async fn sign_dummy_decision(
        &self,
        public: &str,
        succeeded: bool,
    ) -> CoreResult<(Payment, super::gateway::SignedEvent)> {
        let p = self.find(self.db.conn(), public).await?;
        let external = p
            .external_id
            .clone()
            .ok_or_else(|| CoreError::Conflict(format!("payment {public} has no checkout")))?;
        let signed = self
            .gateway(&p.provider)?
            .sign_event(&p.public_id, &external, p.amount_minor, p.currency.as_str(), succeeded)
            .await
            .map_err(|e| super::service::gateway_error(&p.provider, &e))?;
        Ok((p, signed))
    }
}

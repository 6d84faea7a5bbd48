//! Reading receipts: one (for its owner, admin and finance), pages of them, their lines, and
//! billed jobs that changed after billing.

use super::model::{Receipt, ReceiptFilter, ReceiptLine};
use super::service::ReceiptService;
use crate::auth::{Principal, Role};
use crate::error::{CoreError, CoreResult};
use hpcb_entities::tables::{billed_jobs, jobs, receipt_items, receipts};
use sea_orm::{ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, QuerySelect};

/// A page of receipts, newest first.
#[derive(Clone, Debug)]
pub struct ReceiptPage {
    /// The receipts.
    pub receipts: Vec<Receipt>,
    /// Whether more follow.
    pub has_next: bool,
    /// Receipts matching the filter.
    pub total: u64,
}

/// A billed job whose usage changed after it was billed (requeued, corrected by a later ingest).
/// The receipt keeps what was billed; finance decides what to do.
#[derive(Clone, Debug)]
pub struct Adjustment {
    /// The receipt line as billed.
    pub line: ReceiptLine,
    /// The receipt.
    pub receipt: Receipt,
    /// The job as stored now (`None` if it disappeared).
    pub job_now: Option<jobs::Model>,
}

fn condition(f: &ReceiptFilter) -> Condition {
    let mut c = Condition::all();
    if let Some(s) = f.status {
        c = c.add(receipts::Column::Status.eq(s.as_str()));
    }
    if let Some(u) = &f.user {
        c = c.add(receipts::Column::Username.eq(u.clone()));
    }
    if let Some(v) = f.from {
        c = c.add(receipts::Column::CreatedAt.gte(v));
    }
    if let Some(v) = f.to {
        c = c.add(receipts::Column::CreatedAt.lt(v));
    }
    c
}

impl ReceiptService {
    /// A page of receipts: users see their own only; admin and finance anyone's.
    pub async fn list(
        &self,
        p: &Principal,
        f: ReceiptFilter,
        first: u64,
        after_id: Option<i64>,
    ) -> CoreResult<ReceiptPage> {
        let f = self.scope(p, f)?;
        let cond = condition(&f);
        let total = receipts::Entity::find().filter(cond.clone()).count(self.conn()).await?;
        let mut q = receipts::Entity::find().filter(cond);
        if let Some(a) = after_id {
            q = q.filter(receipts::Column::Id.lt(a));
        }
        let mut rows = q
            .order_by_desc(receipts::Column::Id)
            .limit(first + 1)
            .all(self.conn())
            .await?;
        let has_next = rows.len() as u64 > first;
        rows.truncate(first as usize);
        Ok(ReceiptPage {
            receipts: rows,
            has_next,
            total,
        })
    }

    /// Receipts of an already scoped filter in id order after `after_id`, for exports.
    pub async fn chunk(&self, f: &ReceiptFilter, after_id: i64, limit: u64) -> CoreResult<Vec<Receipt>> {
        Ok(receipts::Entity::find()
            .filter(condition(f))
            .filter(receipts::Column::Id.gt(after_id))
            .order_by_asc(receipts::Column::Id)
            .limit(limit)
            .all(self.conn())
            .await?)
    }

    /// Applies who-may-see-what to a filter: users see only their own receipts.
    pub fn scope(&self, p: &Principal, mut f: ReceiptFilter) -> CoreResult<ReceiptFilter> {
        if p.role == Role::User {
            if f.user.as_deref().is_some_and(|u| u != p.username) {
                return Err(CoreError::Forbidden("you may only see your own receipts".into()));
            }
            f.user = Some(p.username.clone());
        }
        Ok(f)
    }

    /// One receipt, for its owner, admin and finance; `NOT_FOUND` for anyone else, so others
    /// cannot even learn that it exists.
    pub async fn get(&self, p: &Principal, id: i64) -> CoreResult<Receipt> {
        match self.by_id(id).await? {
            Some(r) if p.may_see_user(&r.username) => Ok(r),
            _ => Err(CoreError::NotFound(format!("receipt {id}"))),
        }
    }

    /// A receipt by id with no caller to check: for live feeds, which read once per change for
    /// every subscriber and check each subscriber's right to it themselves.
    pub async fn by_id(&self, id: i64) -> CoreResult<Option<Receipt>> {
        Ok(receipts::Entity::find_by_id(id).one(self.conn()).await?)
    }

    /// The lines of receipts, in billing order (for a receipt the caller may see).
    pub async fn lines_of(&self, receipt_ids: &[i64]) -> CoreResult<Vec<ReceiptLine>> {
        Ok(receipt_items::Entity::find()
            .filter(receipt_items::Column::ReceiptId.is_in(receipt_ids.to_vec()))
            .order_by_asc(receipt_items::Column::Id)
            .all(self.conn())
            .await?)
    }

    /// Billed jobs on live receipts whose stored usage differs from what was billed (admin,
    /// finance).
    pub async fn adjustments(&self, p: &Principal) -> CoreResult<Vec<Adjustment>> {
        p.require(&[Role::Admin, Role::Finance])?;
        let live: Vec<i64> = billed_jobs::Entity::find()
            .select_only()
            .column(billed_jobs::Column::ReceiptId)
            .distinct()
            .into_tuple::<i64>()
            .all(self.conn())
            .await?;
        let mut out = Vec::new();
        for chunk in live.chunks(500) {
            let headers = receipts::Entity::find()
                .filter(receipts::Column::Id.is_in(chunk.to_vec()))
                .all(self.conn())
                .await?;
            for line in self.lines_of(chunk).await? {
                let job = jobs::Entity::find()
                    .filter(jobs::Column::Cluster.eq(line.cluster.clone()))
                    .filter(jobs::Column::JobKey.eq(line.job_key.clone()))
                    .one(self.conn())
                    .await?;
                if job.as_ref().is_some_and(|j| j.content_hash == line.content_hash) {
                    continue;
                }
                if let Some(receipt) = headers.iter().find(|h| h.id == line.receipt_id).cloned() {
                    out.push(Adjustment {
                        line,
                        receipt,
                        job_now: job,
                    });
                }
            }
        }
        Ok(out)
    }
}

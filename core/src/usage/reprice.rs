//! Re-pricing stored jobs after a rate version or a tier override changes. Only the price
//! columns change; what a job used stays as ingested. Receipts keep the lines they were issued
//! with, so this never alters an issued charge. The daily rollup follows in the same
//! transactions.

use super::record::UsageRecord;
use super::rollup::{lock_jobs, Contribution, Deltas};
use crate::db::Db;
use crate::error::CoreResult;
use crate::pricing::job::Pricer;
use crate::tiers::TierRules;
use hpcb_entities::tables::jobs::{self, Column, Entity as Jobs};
use hpcb_entities::Currency;
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

/// The record a stored job was ingested from.
pub(crate) fn record_of(j: &jobs::Model) -> UsageRecord {
    UsageRecord {
        job_id: j.job_id.clone(),
        user: j.username.clone(),
        account: j.account.clone(),
        partition: j.partition.clone(),
        state: j.state.clone(),
        submit: j.submit_at,
        start: j.start_at,
        end: j.end_at,
        elapsed_s: j.elapsed_s,
        alloc_cpus: j.alloc_cpus,
        alloc_gpus: j.alloc_gpus,
        alloc_mem_mb: j.alloc_mem_mb,
        cpu_used_ms: j.cpu_used_ms,
        cpu_time_raw_s: j.cpu_time_raw_s,
        mem_used_kib_s: j.mem_used_kib_s,
        energy_j: j.energy_j,
        nodes: j.nodes.clone(),
    }
}

/// Re-prices every job matching `cond`; returns how many prices changed.
///
/// Each chunk of jobs is read, re-priced and written back in one transaction that excludes
/// every other writer of `jobs`, and moves what re-priced jobs contribute to the rollup from
/// their old tier and currency to the new ones.
pub async fn reprice(db: &Db, rules: &TierRules, currency: Currency, cond: Condition, now: i64) -> CoreResult<u64> {
    let pricer = Pricer::from_db(db, rules.clone(), currency).await?;
    let mut after = 0i64;
    let mut changed = 0u64;
    loop {
        let tx = db.begin_write().await?;
        lock_jobs(&*tx).await?;
        let rows = Jobs::find()
            .filter(cond.clone())
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(1000)
            .all(&*tx)
            .await?;
        let Some(last) = rows.last() else {
            tx.commit().await?;
            break;
        };
        after = last.id;
        let mut repriced = Vec::new();
        for j in &rows {
            let p = pricer.price(&record_of(j), now)?;
            let same = j.tier == p.tier
                && j.rate_id == p.rate_id
                && j.cost_minor == p.cost_minor
                && j.tier_reason == p.tier_reason
                && j.currency == p.currency;
            if !same {
                let mut new = j.clone();
                new.tier = p.tier;
                new.tier_reason = p.tier_reason;
                new.rate_id = p.rate_id;
                new.cost_minor = p.cost_minor;
                new.currency = p.currency;
                repriced.push((j, new));
            }
        }
        let mut deltas = Deltas::default();
        for (old, new) in &repriced {
            Jobs::update_many()
                .col_expr(Column::Tier, Expr::value(new.tier.clone()))
                .col_expr(Column::TierReason, Expr::value(new.tier_reason.clone()))
                .col_expr(Column::RateId, Expr::value(new.rate_id))
                .col_expr(Column::CostMinor, Expr::value(new.cost_minor))
                .col_expr(Column::Currency, Expr::value(new.currency))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.eq(old.id))
                .exec(&*tx)
                .await?;
            deltas.add(Contribution::of_job(old), -1);
            deltas.add(Contribution::of_job(new), 1);
        }
        deltas.apply(&*tx).await?;
        tx.commit().await?;
        changed += repriced.len() as u64;
    }
    Ok(changed)
}

/// Jobs a rate version effective from `from` can change: those ended since, and running ones.
pub fn affected_by_rate(from: i64) -> Condition {
    Condition::any()
        .add(Column::EndAt.gte(from))
        .add(Column::EndAt.is_null())
}

/// Jobs a user's tier override changes.
pub fn affected_by_override(username: &str) -> Condition {
    Condition::all().add(Column::Username.eq(username))
}

//! Re-pricing stored jobs after a rate version or a tier override changes. Only the price
//! columns change; what a job used stays as ingested. Receipts keep the lines they were issued
//! with, so this never alters an issued charge.

use super::price_job::Pricer;
use super::record::UsageRecord;
use crate::db::Db;
use crate::error::CoreResult;
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
pub async fn reprice(db: &Db, rules: &TierRules, currency: Currency, cond: Condition, now: i64) -> CoreResult<u64> {
    let pricer = Pricer::from_db(db, rules.clone(), currency).await?;
    let mut after = 0i64;
    let mut changed = 0u64;
    loop {
        let rows = Jobs::find()
            .filter(cond.clone())
            .filter(Column::Id.gt(after))
            .order_by_asc(Column::Id)
            .limit(1000)
            .all(db.conn())
            .await?;
        let Some(last) = rows.last() else { break };
        after = last.id;
        let tx = db.begin_write().await?;
        for j in &rows {
            let p = pricer.price(&record_of(j), now)?;
            let same = j.tier == p.tier
                && j.rate_id == p.rate_id
                && j.cost_minor == p.cost_minor
                && j.tier_reason == p.tier_reason;
            if same {
                continue;
            }
            Jobs::update_many()
                .col_expr(Column::Tier, Expr::value(p.tier.clone()))
                .col_expr(Column::TierReason, Expr::value(p.tier_reason.clone()))
                .col_expr(Column::RateId, Expr::value(p.rate_id))
                .col_expr(Column::CostMinor, Expr::value(p.cost_minor))
                .col_expr(Column::Currency, Expr::value(p.currency.to_string()))
                .col_expr(Column::UpdatedAt, Expr::value(now))
                .filter(Column::Id.eq(j.id))
                .exec(&*tx)
                .await?;
            changed += 1;
        }
        tx.commit().await?;
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

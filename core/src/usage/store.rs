//! Writing priced jobs: idempotent batch upserts keyed on `(cluster, job_key)`.
//!
//! Re-reading a window must change nothing, and two overlapping windows ingested at the same
//! time must not create duplicates. Each batch first reads the stored content hashes of its
//! keys, skips unchanged jobs, and upserts the rest with `ON CONFLICT (cluster, job_key) DO
//! UPDATE`, which the database applies atomically whoever wins a race.

use super::job_key::canonical_job_key;
use super::price_job::PricedJob;
use super::record::UsageRecord;
use crate::error::CoreResult;
use hpcb_entities::tables::jobs::{ActiveModel, Column, Entity as Jobs};
use sea_orm::sea_query::{Alias, Expr, OnConflict, Query};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DbBackend, EntityTrait, NotSet, QueryFilter, QuerySelect, QueryTrait, Set,
};
use sha2::{Digest, Sha256};
use std::collections::HashMap;

/// Rows per statement: 35 columns × 400 rows stays below SQLite's 32 766 parameters.
pub(crate) const BATCH: usize = 400;

/// What a batch did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UpsertCounts {
    /// New jobs.
    pub inserted: u64,
    /// Jobs whose usage changed.
    pub updated: u64,
    /// Jobs read again unchanged.
    pub unchanged: u64,
}

/// The UTC day of a time, `YYYY-MM-DD`.
pub(crate) fn utc_day(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d").to_string())
}

/// Hash of the usage fields (not the price, which changes with rates).
pub(crate) fn content_hash(r: &UsageRecord) -> String {
    let text = serde_json::to_string(r).unwrap_or_default();
    hex::encode(&Sha256::digest(text.as_bytes())[..16])
}

fn active(cluster: &str, source: &str, r: &UsageRecord, p: &PricedJob, hash: String, now: i64) -> ActiveModel {
    ActiveModel {
        id: NotSet,
        cluster: Set(cluster.to_owned()),
        job_key: Set(canonical_job_key(&r.job_id)),
        job_id: Set(r.job_id.clone()),
        username: Set(r.user.clone()),
        account: Set(r.account.clone()),
        partition: Set(r.partition.clone()),
        state: Set(r.state.clone()),
        submit_at: Set(r.submit),
        start_at: Set(r.start),
        end_at: Set(r.end),
        end_day: Set(r.end.and_then(utc_day)),
        elapsed_s: Set(r.elapsed_s),
        alloc_cpus: Set(r.alloc_cpus),
        alloc_gpus: Set(r.alloc_gpus),
        alloc_mem_mb: Set(r.alloc_mem_mb),
        cpu_used_ms: Set(r.cpu_used_ms),
        cpu_time_raw_s: Set(r.cpu_time_raw_s),
        mem_used_kib_s: Set(r.mem_used_kib_s),
        energy_j: Set(r.energy_j),
        nodes: Set(r.nodes.clone()),
        source: Set(source.to_owned()),
        content_hash: Set(hash),
        ingested_at: Set(now),
        updated_at: Set(now),
        cpu_ms: Set(p.quantities.cpu_ms),
        cpu_basis: Set(p.cpu_basis.as_str().to_owned()),
        gpu_s: Set(p.quantities.gpu_s),
        mem_kib_s: Set(p.quantities.mem_kib_s),
        mem_basis: Set(p.mem_basis.as_str().to_owned()),
        tier: Set(p.tier.clone()),
        tier_reason: Set(p.tier_reason.clone()),
        rate_id: Set(p.rate_id),
        cost_minor: Set(p.cost_minor),
        currency: Set(p.currency.to_string()),
    }
}

/// Every column a changed job overwrites (all but id, key and first-ingestion time).
fn update_columns() -> Vec<Column> {
    use Column::*;
    vec![
        JobId,
        Username,
        Account,
        Partition,
        State,
        SubmitAt,
        StartAt,
        EndAt,
        EndDay,
        ElapsedS,
        AllocCpus,
        AllocGpus,
        AllocMemMb,
        CpuUsedMs,
        CpuTimeRawS,
        MemUsedKibS,
        EnergyJ,
        Nodes,
        Source,
        ContentHash,
        UpdatedAt,
        CpuMs,
        CpuBasis,
        GpuS,
        MemKibS,
        MemBasis,
        Tier,
        TierReason,
        RateId,
        CostMinor,
        Currency,
    ]
}

/// PostgreSQL: one statement inserts new jobs, updates changed ones (`WHERE` the stored hash
/// differs) and reports per row whether it was inserted (`xmax = 0`), so counts stay exact
/// under concurrency without reading first. (A read-first batch would also be planned against
/// the statistics of an empty table early in a large run, and scan it sequentially.)
async fn upsert_returning<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    source: &str,
    latest: HashMap<String, (&UsageRecord, &PricedJob)>,
    now: i64,
) -> CoreResult<UpsertCounts> {
    let mut latest: Vec<(String, (&UsageRecord, &PricedJob))> = latest.into_iter().collect();
    latest.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let total = latest.len() as u64;
    let rows: Vec<ActiveModel> = latest
        .iter()
        .map(|(_, (r, p))| active(cluster, source, r, p, content_hash(r), now))
        .collect();
    let on_conflict = OnConflict::columns([Column::Cluster, Column::JobKey])
        .update_columns(update_columns())
        .action_and_where(
            Expr::col((Jobs, Column::ContentHash)).ne(Expr::col((Alias::new("excluded"), Column::ContentHash))),
        )
        .to_owned();
    let mut stmt = Jobs::insert_many(rows).on_conflict(on_conflict).into_query();
    stmt.returning(Query::returning().expr(Expr::cust("(xmax = 0) AS inserted")));
    let written = conn.query_all(conn.get_database_backend().build(&stmt)).await?;
    let mut inserted = 0u64;
    for row in &written {
        if row.try_get::<bool>("", "inserted")? {
            inserted += 1;
        }
    }
    let changed = written.len() as u64;
    Ok(UpsertCounts {
        inserted,
        updated: changed - inserted,
        unchanged: total - changed,
    })
}

/// Upserts one batch (at most [`BATCH`] jobs; the last record of a key wins).
pub(crate) async fn upsert_batch<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    source: &str,
    batch: &[(UsageRecord, PricedJob)],
    now: i64,
) -> CoreResult<UpsertCounts> {
    let mut latest: HashMap<String, (&UsageRecord, &PricedJob)> = HashMap::with_capacity(batch.len());
    for (r, p) in batch {
        latest.insert(canonical_job_key(&r.job_id), (r, p));
    }
    if conn.get_database_backend() == DbBackend::Postgres {
        return upsert_returning(conn, cluster, source, latest, now).await;
    }
    let keys: Vec<String> = latest.keys().cloned().collect();
    let stored: HashMap<String, String> = Jobs::find()
        .select_only()
        .column(Column::JobKey)
        .column(Column::ContentHash)
        .filter(Column::Cluster.eq(cluster))
        .filter(Column::JobKey.is_in(keys))
        .into_tuple::<(String, String)>()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    let mut counts = UpsertCounts::default();
    let mut rows = Vec::with_capacity(latest.len());
    // Insert in key order: concurrent batches then lock rows in the same order and cannot
    // deadlock each other on PostgreSQL.
    let mut latest: Vec<(String, (&UsageRecord, &PricedJob))> = latest.into_iter().collect();
    latest.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    for (key, (r, p)) in latest {
        let hash = content_hash(r);
        match stored.get(&key) {
            Some(h) if *h == hash => counts.unchanged += 1,
            Some(_) => {
                counts.updated += 1;
                rows.push(active(cluster, source, r, p, hash, now));
            }
            None => {
                counts.inserted += 1;
                rows.push(active(cluster, source, r, p, hash, now));
            }
        }
    }
    if rows.is_empty() {
        return Ok(counts);
    }
    let on_conflict = OnConflict::columns([Column::Cluster, Column::JobKey])
        .update_columns(update_columns())
        .to_owned();
    Jobs::insert_many(rows)
        .on_conflict(on_conflict)
        .exec_without_returning(conn)
        .await?;
    Ok(counts)
}

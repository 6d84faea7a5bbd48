//! Writing priced jobs: idempotent batch upserts keyed on `(cluster, job_key)`, with the daily
//! rollup kept in step.
//!
//! Re-reading a window must change nothing, and two overlapping windows ingested at the same
//! time must not create duplicates. Each batch runs in one transaction that excludes every other
//! writer of `jobs` (see [`lock_jobs`]): it reads the stored content hashes of its keys, skips
//! unchanged jobs, inserts new ones, replaces changed ones, and moves what changed jobs
//! contribute to the rollup from their old cells to their new ones.

use super::job_rows;
use super::price_job::PricedJob;
use super::record::UsageRecord;
use super::rollup::{day_of, lock_jobs, Cell, Contribution, Deltas, DAY_MS};
use crate::db::Db;
use crate::error::CoreResult;
use sea_orm::ConnectionTrait;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use tokio::sync::mpsc::Receiver;

/// Jobs per batch (and per transaction).
pub(crate) const BATCH: usize = 5000;

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

impl std::ops::AddAssign for UpsertCounts {
    fn add_assign(&mut self, o: UpsertCounts) {
        self.inserted += o.inserted;
        self.updated += o.updated;
        self.unchanged += o.unchanged;
    }
}

/// The UTC day of a time, `YYYY-MM-DD`.
pub(crate) fn utc_day(ms: i64) -> Option<String> {
    chrono::DateTime::from_timestamp_millis(ms).map(|t| t.format("%Y-%m-%d").to_string())
}

/// A validated, priced record with what storing it needs worked out.
#[derive(Clone, Debug)]
pub(crate) struct PreparedJob {
    /// The record.
    pub record: UsageRecord,
    /// Its price.
    pub priced: PricedJob,
    /// Canonical job key.
    pub key: String,
    /// Hash of the usage fields (not the price, which changes with rates): the first 16 bytes
    /// of the SHA-256 of the record's JSON, in hex.
    pub hash: String,
    /// [`utc_day`] of the end.
    pub end_day: Option<String>,
}

impl PreparedJob {
    fn contribution<'a>(&'a self, cluster: &'a str) -> Contribution<'a> {
        let (r, p) = (&self.record, &self.priced);
        Contribution {
            cell: Cell {
                cluster,
                day: day_of(r.end),
                username: &r.user,
                account: r.account.as_deref().unwrap_or(""),
                partition: r.partition.as_deref().unwrap_or(""),
                state: &r.state,
                tier: &p.tier,
                currency: p.currency.as_str(),
            },
            end_day: self.end_day.as_deref(),
            amounts: [
                p.quantities.cpu_ms,
                p.quantities.gpu_s,
                p.quantities.mem_kib_s,
                p.cost_minor,
            ],
        }
    }
}

/// Prepares records one after another, reusing its buffers.
#[derive(Debug, Default)]
pub(crate) struct Preparer {
    json: Vec<u8>,
    last_day: Option<(i64, Option<String>)>,
}

impl Preparer {
    /// See [`PreparedJob::hash`].
    fn hash(&mut self, r: &UsageRecord) -> String {
        self.json.clear();
        if serde_json::to_writer(&mut self.json, r).is_err() {
            self.json.clear();
        }
        hex::encode(&Sha256::digest(&self.json)[..16])
    }

    fn day(&mut self, end: i64) -> Option<String> {
        // Jobs arrive roughly in end order: most share the previous one's day.
        let day = end.div_euclid(DAY_MS);
        match &self.last_day {
            Some((d, name)) if *d == day => name.clone(),
            _ => {
                let name = utc_day(end);
                self.last_day = Some((day, name.clone()));
                name
            }
        }
    }

    /// Works out key, hash and day of a priced record.
    pub fn prepare(&mut self, record: UsageRecord, priced: PricedJob) -> PreparedJob {
        PreparedJob {
            key: super::job_key::canonical_job_key(&record.job_id),
            hash: self.hash(&record),
            end_day: record.end.and_then(|e| self.day(e)),
            record,
            priced,
        }
    }
}

/// Writes batches as they arrive, each in its own transaction, until the sender is dropped.
pub(crate) async fn write_batches(
    db: Db,
    cluster: String,
    source: String,
    now: i64,
    mut batches: Receiver<Vec<PreparedJob>>,
) -> CoreResult<UpsertCounts> {
    let mut total = UpsertCounts::default();
    while let Some(batch) = batches.recv().await {
        let tx = db.begin_write().await?;
        total += upsert_batch(&*tx, &cluster, &source, &batch, now).await?;
        tx.commit().await?;
    }
    Ok(total)
}

/// Upserts one batch inside the caller's transaction (the last record of a key wins).
pub(crate) async fn upsert_batch<C: ConnectionTrait>(
    conn: &C,
    cluster: &str,
    source: &str,
    batch: &[PreparedJob],
    now: i64,
) -> CoreResult<UpsertCounts> {
    lock_jobs(conn).await?;
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, j) in batch.iter().enumerate() {
        latest.insert(&j.key, i);
    }
    let keys: Vec<&str> = batch
        .iter()
        .enumerate()
        .filter(|(i, j)| latest.get(j.key.as_str()) == Some(i))
        .map(|(_, j)| j.key.as_str())
        .collect();
    let stored = job_rows::stored_hashes(conn, cluster, &keys).await?;
    let mut counts = UpsertCounts::default();
    let (mut new, mut changed) = (Vec::new(), Vec::new());
    for key in &keys {
        let j = &batch[latest[key]];
        match stored.get(*key) {
            Some(h) if *h == j.hash => counts.unchanged += 1,
            Some(_) => changed.push(j),
            None => new.push(j),
        }
    }
    counts.inserted = new.len() as u64;
    counts.updated = changed.len() as u64;
    if new.is_empty() && changed.is_empty() {
        return Ok(counts);
    }
    let changed_keys: Vec<&str> = changed.iter().map(|j| j.key.as_str()).collect();
    let old = job_rows::stored_jobs(conn, cluster, &changed_keys).await?;
    job_rows::write(conn, cluster, source, now, &new, false).await?;
    job_rows::write(conn, cluster, source, now, &changed, true).await?;
    let mut deltas = Deltas::default();
    for j in &old {
        deltas.add(Contribution::of_job(j), -1);
    }
    for j in new.iter().chain(&changed) {
        deltas.add(j.contribution(cluster), 1);
    }
    deltas.apply(conn).await?;
    Ok(counts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::usage::UsageRecord;

    fn record() -> UsageRecord {
        UsageRecord {
            job_id: "12345_7.batch".into(),
            user: "alice".into(),
            account: Some("physics".into()),
            partition: None,
            state: "COMPLETED".into(),
            submit: Some(1),
            start: Some(2),
            end: Some(1_790_000_000_000),
            elapsed_s: 3,
            alloc_cpus: 4,
            alloc_gpus: 0,
            alloc_mem_mb: 1024,
            cpu_used_ms: None,
            cpu_time_raw_s: Some(12),
            mem_used_kib_s: None,
            energy_j: None,
            nodes: Some("node[01-02]".into()),
        }
    }

    #[test]
    fn hash_is_the_stored_one() {
        // The hash is compared with hashes stored by earlier versions and copied to receipts:
        // it must stay sha256 of the record's JSON, first 16 bytes in hex.
        let r = record();
        let json = serde_json::to_string(&r).expect("json");
        let expected = hex::encode(&Sha256::digest(json.as_bytes())[..16]);
        let mut p = Preparer::default();
        assert_eq!(p.hash(&r), expected);
        assert_eq!(p.hash(&r), expected, "buffer reused");
    }

    #[test]
    fn days_are_remembered_per_day_only() {
        let mut p = Preparer::default();
        let t = 1_790_000_000_000;
        assert_eq!(p.day(t), utc_day(t));
        assert_eq!(p.day(t + 1), utc_day(t + 1));
        assert_eq!(p.day(t + DAY_MS), utc_day(t + DAY_MS));
        assert_eq!(p.day(-1), Some("1969-12-31".into()));
        assert_eq!(p.day(i64::MAX), None);
    }
}

//! Writing priced jobs: idempotent batch upserts keyed on `(cluster, job_key)`, with the daily
//! rollup kept in step.
//!
//! Re-reading a window must change nothing, and two overlapping windows ingested at the same
//! time must not create duplicates. Each batch runs in one transaction that excludes every other
//! writer of `jobs` (see [`BatchTx`]): it inserts new jobs, compares the stored content hashes
//! of the others, skips unchanged jobs, replaces changed ones, and moves what changed jobs
//! contribute to the rollup from their old cells to their new ones.
//!
//! On PostgreSQL batches do not wait for their commit to reach the disk: the run's state is
//! committed after its last batch, durably, and with it every batch before; a run cut short
//! leaves the watermark where it was, and its window is read again.

use super::batch_tx::{BatchTx, Prepared};
use super::job_rows::Mode;
use super::record::UsageRecord;
use super::rollup::{day_of, Cell, Contribution, Deltas, DAY_MS};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::pricing::job::PricedJob;
use sea_orm::DbBackend;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use tokio::sync::mpsc::{Receiver, Sender};
use tokio::task::JoinHandle;

/// Jobs per batch (and per transaction).
pub(crate) const BATCH: usize = 10_000;

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
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let digest = Sha256::digest(&self.json);
        let mut hash = String::with_capacity(32);
        for b in &digest[..16] {
            hash.push(char::from(HEX[usize::from(b >> 4)]));
            hash.push(char::from(HEX[usize::from(b & 15)]));
        }
        hash
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

/// A batch on its way to the writer.
struct Batch {
    jobs: Vec<PreparedJob>,
    /// Every job of the batch prepared for [`Mode::New`] ahead, in case none is stored.
    inserts: Option<Prepared>,
}

/// Writes batches in order, each in its own transaction, on a task of its own: preparing the
/// next batch overlaps writing the previous one.
pub(crate) struct BatchWriter {
    task: JoinHandle<CoreResult<UpsertCounts>>,
    batches: Sender<Batch>,
    backend: DbBackend,
    cluster: String,
    source: String,
    now: i64,
    /// Whether the last batch was all new: then the next one's rows are prepared for insertion
    /// ahead, by the sender. (Wasted when jobs turn out to be stored, hence only while
    /// batches are new.)
    all_new: Arc<AtomicBool>,
}

impl BatchWriter {
    /// Starts the writer of one ingestion run.
    pub fn start(db: &Db, cluster: &str, source: &str, now: i64) -> BatchWriter {
        let (batches, received) = tokio::sync::mpsc::channel(2);
        let all_new = Arc::new(AtomicBool::new(true));
        let task = tokio::spawn(write_batches(
            db.clone(),
            cluster.to_owned(),
            source.to_owned(),
            now,
            received,
            all_new.clone(),
        ));
        BatchWriter {
            task,
            batches,
            backend: db.backend(),
            cluster: cluster.to_owned(),
            source: source.to_owned(),
            now,
            all_new,
        }
    }

    /// Queues a batch; `false` if the writer has stopped (see [`finish`](Self::finish)).
    pub async fn send(&self, jobs: Vec<PreparedJob>) -> bool {
        let inserts = if self.all_new.load(Ordering::Relaxed) {
            let rows: Vec<&PreparedJob> = jobs.iter().collect();
            // Not prepared here, it is prepared by the writer, which reports the error.
            Prepared::new(self.backend, &self.cluster, &self.source, self.now, &rows, Mode::New).ok()
        } else {
            None
        };
        self.batches.send(Batch { jobs, inserts }).await.is_ok()
    }

    /// Waits for every queued batch to be written.
    pub async fn finish(self) -> CoreResult<UpsertCounts> {
        drop(self.batches);
        self.task
            .await
            .map_err(|e| CoreError::internal(format!("the ingestion writer stopped: {e}")))?
    }
}

async fn write_batches(
    db: Db,
    cluster: String,
    source: String,
    now: i64,
    mut batches: Receiver<Batch>,
    all_new: Arc<AtomicBool>,
) -> CoreResult<UpsertCounts> {
    let mut total = UpsertCounts::default();
    while let Some(batch) = batches.recv().await {
        let mut tx = BatchTx::begin(&db).await?;
        let counts = upsert(
            &mut tx,
            db.backend(),
            &cluster,
            &source,
            &batch.jobs,
            batch.inserts,
            now,
        )
        .await?;
        tx.commit().await?;
        all_new.store(counts.inserted == batch.jobs.len() as u64, Ordering::Relaxed);
        total += counts;
    }
    Ok(total)
}

/// Upserts one batch inside its transaction (the last record of a key wins).
///
/// `inserts`, prepared ahead while batches were all new, insert every job of the batch unless
/// stored: they run first, and only the jobs they did not insert are looked up. Otherwise the
/// stored hashes of every key are read first and only new jobs are inserted.
async fn upsert(
    tx: &mut BatchTx,
    backend: DbBackend,
    cluster: &str,
    source: &str,
    batch: &[PreparedJob],
    inserts: Option<Prepared>,
    now: i64,
) -> CoreResult<UpsertCounts> {
    let mut latest: HashMap<&str, usize> = HashMap::with_capacity(batch.len());
    for (i, j) in batch.iter().enumerate() {
        latest.insert(&j.key, i);
    }
    let mut keys: Vec<&str> = batch
        .iter()
        .enumerate()
        .filter(|(i, j)| latest.get(j.key.as_str()) == Some(i))
        .map(|(_, j)| j.key.as_str())
        .collect();
    let mut new: Vec<&PreparedJob> = Vec::new();
    // With keys repeated in the batch, rows prepared ahead would insert the first record of a
    // key, not the last.
    if let Some(inserts) = inserts.filter(|_| keys.len() == batch.len()) {
        match tx.insert_new(inserts, keys.len()).await? {
            None => {
                new = batch.iter().collect();
                keys.clear();
            }
            Some(inserted) => {
                new = batch.iter().filter(|j| inserted.contains(&j.key)).collect();
                keys.retain(|k| !inserted.contains(*k));
            }
        }
    }
    let stored = tx.stored_hashes(cluster, &keys).await?;
    let mut counts = UpsertCounts {
        inserted: new.len() as u64,
        ..UpsertCounts::default()
    };
    let (mut fresh, mut changed) = (Vec::new(), Vec::new());
    for key in &keys {
        let j = &batch[latest[key]];
        match stored.get(*key) {
            Some(h) if *h == j.hash => counts.unchanged += 1,
            Some(_) => changed.push(j),
            None => fresh.push(j),
        }
    }
    if !fresh.is_empty() {
        let prepared = Prepared::new(backend, cluster, source, now, &fresh, Mode::New)?;
        if tx.insert_new(prepared, fresh.len()).await?.is_some() {
            return Err(CoreError::internal("a job was stored while the jobs were locked"));
        }
        counts.inserted += fresh.len() as u64;
        new.extend(fresh);
    }
    counts.updated = changed.len() as u64;
    let changed_keys: Vec<&str> = changed.iter().map(|j| j.key.as_str()).collect();
    let old = tx.stored_jobs(cluster, &changed_keys).await?;
    if !changed.is_empty() {
        tx.replace(Prepared::new(backend, cluster, source, now, &changed, Mode::Replace)?)
            .await?;
    }
    let mut deltas = Deltas::default();
    for j in &old {
        deltas.add(j.contribution(cluster), -1);
    }
    for j in new.iter().chain(&changed) {
        deltas.add(j.contribution(cluster), 1);
    }
    tx.apply(deltas).await?;
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

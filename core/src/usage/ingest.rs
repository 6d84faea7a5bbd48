//! Ingestion runs: fetch a window from a source (falling back along its chain), price every
//! record, upsert in batches, and keep the source's watermark and status.
//!
//! Scheduled runs read `[watermark − overlap, now)`, so jobs that slurmdbd records late, or that
//! are requeued, are picked up by a later run; on-demand runs read the window they are given.

use super::record::UsageRecord;
use super::source::{FetchResult, UsageSource};
use super::store::{BatchWriter, Preparer, UpsertCounts, BATCH};
use crate::audit::{AuditService, NewAuditEntry};
use crate::auth::{Principal, Role};
use crate::clock::Clock;
use crate::context::{Actor, RequestMeta};
use crate::db::Db;
use crate::error::{CoreError, CoreResult};
use crate::metrics::Metrics;
use crate::pricing::job::Pricer;
use crate::tiers::TierRules;
use hpcb_entities::tables::usage_sources;
use hpcb_entities::Currency;
use sea_orm::{ActiveModelTrait, EntityTrait, Set};
use serde_json::json;
use std::sync::Arc;
use std::time::Instant;

/// One configured source: a cluster read through a chain of sources, first that answers wins.
#[derive(Clone)]
pub struct SourceConfig {
    /// Name used in the API and the CLI.
    pub name: String,
    /// Cluster the jobs belong to.
    pub cluster: String,
    /// The chain, tried in order.
    pub chain: Vec<Arc<dyn UsageSource>>,
    /// Seconds between scheduled runs (0: on demand only).
    pub interval_secs: u64,
    /// How far behind the watermark each scheduled run starts again, seconds.
    pub overlap_secs: i64,
    /// How far back the first scheduled run reads, seconds.
    pub initial_lookback_secs: i64,
}

/// What one run did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct IngestReport {
    /// Source name.
    pub source: String,
    /// Which link of the chain answered.
    pub source_used: String,
    /// Window start, Unix ms.
    pub from: i64,
    /// Window end, Unix ms.
    pub to: i64,
    /// Records fetched.
    pub fetched: u64,
    /// New jobs.
    pub inserted: u64,
    /// Changed jobs.
    pub updated: u64,
    /// Jobs read again unchanged.
    pub unchanged: u64,
    /// Records refused (with reasons in `warnings`).
    pub rejected: u64,
    /// Problems reported by the source or found in records (first 50).
    pub warnings: Vec<String>,
    /// Wall time, ms.
    pub duration_ms: u64,
}

/// A source's status for `usageSources`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceStatus {
    /// Name.
    pub name: String,
    /// Cluster.
    pub cluster: String,
    /// Kinds in the chain, in order.
    pub chain: Vec<String>,
    /// Seconds between scheduled runs.
    pub interval_secs: u64,
    /// Stored run state, if it ever ran.
    pub state: Option<usage_sources::Model>,
}

/// The ingestion service.
#[derive(Clone)]
pub struct IngestService {
    db: Db,
    audit: AuditService,
    clock: Arc<dyn Clock>,
    metrics: Metrics,
    rules: TierRules,
    currency: Currency,
    sources: Arc<Vec<SourceConfig>>,
}

const MAX_WARNINGS: usize = 50;

impl IngestService {
    /// Builds the service over the configured sources.
    pub fn new(
        db: Db,
        audit: AuditService,
        clock: Arc<dyn Clock>,
        metrics: Metrics,
        rules: TierRules,
        currency: Currency,
        sources: Vec<SourceConfig>,
    ) -> IngestService {
        IngestService {
            db,
            audit,
            clock,
            metrics,
            rules,
            currency,
            sources: Arc::new(sources),
        }
    }

    /// The configured sources.
    pub fn sources(&self) -> &[SourceConfig] {
        &self.sources
    }

    fn source(&self, name: &str) -> CoreResult<&SourceConfig> {
        self.sources
            .iter()
            .find(|s| s.name == name)
            .ok_or_else(|| CoreError::NotFound(format!("usage source {name:?}")))
    }

    /// Runs a window on demand (admin), audited.
    pub async fn run_now(
        &self,
        actor: Actor<'_>,
        meta: &RequestMeta,
        name: &str,
        from: i64,
        to: i64,
    ) -> CoreResult<IngestReport> {
        actor.require(&[Role::Admin])?;
        if to <= from {
            return Err(CoreError::validation("to", "must be after from"));
        }
        let src = self.source(name)?.clone();
        let result = self.run(&src, from, to).await;
        let (status, details) = match &result {
            Ok(r) => (
                "ok",
                json!({"from": r.from, "to": r.to, "fetched": r.fetched, "inserted": r.inserted, "updated": r.updated, "source_used": r.source_used}),
            ),
            Err(e) => ("failed", json!({"from": from, "to": to, "error": e.to_string()})),
        };
        self.audit
            .record(
                meta,
                NewAuditEntry {
                    actor: Some(actor.name()),
                    action: "usage.ingest",
                    target: Some(format!("source:{name}")),
                    status,
                    details,
                },
            )
            .await?;
        result
    }

    /// Runs the next scheduled window of a source: from the watermark less the overlap to now.
    pub async fn run_scheduled(&self, name: &str) -> CoreResult<IngestReport> {
        let src = self.source(name)?.clone();
        let now = self.clock.now_ms();
        let state = usage_sources::Entity::find_by_id(name.to_owned())
            .one(self.db.conn())
            .await?;
        let from = match state.and_then(|s| s.watermark) {
            Some(w) => w - src.overlap_secs * 1000,
            None => now - src.initial_lookback_secs * 1000,
        };
        self.run(&src, from, now).await
    }

    /// Fetches, prices and stores one window, and records the run.
    pub async fn run(&self, src: &SourceConfig, from: i64, to: i64) -> CoreResult<IngestReport> {
        let started = Instant::now();
        let run_at = self.clock.now_ms();
        let outcome = self.fetch_and_store(src, from, to).await;
        // Runs of one source may overlap (schedule and on demand): order their state updates.
        let mut tx = self.db.begin_write().await?;
        tx.serialize().await?;
        let mut state = match usage_sources::Entity::find_by_id(src.name.clone()).one(&*tx).await? {
            Some(s) => s,
            None => usage_sources::Model {
                name: src.name.clone(),
                cluster: src.cluster.clone(),
                watermark: None,
                last_run_at: None,
                last_success_at: None,
                last_error: None,
                last_rows: 0,
                last_source_used: None,
                runs: 0,
            },
        };
        let existed = state.runs > 0 || state.last_run_at.is_some();
        state.last_run_at = Some(run_at);
        state.runs += 1;
        state.cluster = src.cluster.clone();
        let labels = [src.name.as_str(), if outcome.is_ok() { "ok" } else { "error" }];
        self.metrics.ingest_runs.with_label_values(&labels).inc();
        match &outcome {
            Ok(report) => {
                state.last_success_at = Some(self.clock.now_ms());
                state.last_error = None;
                state.last_rows = report.fetched as i64;
                state.last_source_used = Some(report.source_used.clone());
                state.watermark = Some(state.watermark.map_or(to, |w| w.max(to)));
                for (result, n) in [
                    ("inserted", report.inserted),
                    ("updated", report.updated),
                    ("unchanged", report.unchanged),
                    ("rejected", report.rejected),
                ] {
                    self.metrics
                        .ingest_jobs
                        .with_label_values(&[src.name.as_str(), result])
                        .inc_by(n);
                }
                self.metrics
                    .source_last_success
                    .with_label_values(&[src.name.as_str()])
                    .set(run_at / 1000);
            }
            Err(e) => state.last_error = Some(e.to_string()),
        }
        let am: usage_sources::ActiveModel = state.into();
        let mut am = am.reset_all();
        am.name = Set(src.name.clone());
        if existed {
            am.update(&*tx).await?;
        } else {
            am.insert(&*tx).await?;
        }
        tx.commit().await?;
        outcome.map(|mut r| {
            r.duration_ms = started.elapsed().as_millis() as u64;
            r
        })
    }

    async fn fetch_from_chain(&self, src: &SourceConfig, from: i64, to: i64) -> CoreResult<(String, FetchResult)> {
        let mut errors = Vec::new();
        for link in &src.chain {
            match link.fetch(from, to).await {
                Ok(r) => {
                    let mut r = r;
                    r.warnings.extend(errors.iter().map(|e| format!("fell back: {e}")));
                    return Ok((link.kind(), r));
                }
                Err(e) => {
                    tracing::warn!(source = %src.name, link = %link.kind(), error = %e, "usage source {} failed, trying the next", link.kind());
                    errors.push(format!("{}: {e}", link.kind()));
                }
            }
        }
        Err(CoreError::internal(format!(
            "every source of {} failed: {}",
            src.name,
            errors.join("; ")
        )))
    }

    async fn fetch_and_store(&self, src: &SourceConfig, from: i64, to: i64) -> CoreResult<IngestReport> {
        let (used, fetched) = self.fetch_from_chain(src, from, to).await?;
        let mut report = IngestReport {
            source: src.name.clone(),
            source_used: used.clone(),
            from,
            to,
            ..Default::default()
        };
        report.fetched = fetched.jobs.len() as u64;
        report.warnings = fetched.warnings.into_iter().take(MAX_WARNINGS).collect();
        let counts = self.store(&src.cluster, &used, fetched.jobs, &mut report).await?;
        report.inserted = counts.inserted;
        report.updated = counts.updated;
        report.unchanged = counts.unchanged;
        Ok(report)
    }

    /// Validates, prices and upserts records in batches, each batch in its own transaction.
    ///
    /// Preparing a batch (validation, pricing, hashing) and writing the previous one overlap:
    /// a writer task takes prepared batches in order (see [`BatchWriter`]).
    async fn store(
        &self,
        cluster: &str,
        source: &str,
        records: Vec<UsageRecord>,
        report: &mut IngestReport,
    ) -> CoreResult<UpsertCounts> {
        let pricer = Pricer::from_db(&self.db, self.rules.clone(), self.currency).await?;
        let now = self.clock.now_ms();
        let writer = BatchWriter::start(&self.db, cluster, source, now);
        let mut preparer = Preparer::default();
        let mut records = records.into_iter().peekable();
        while records.peek().is_some() {
            let mut batch = Vec::with_capacity(BATCH);
            for r in records.by_ref().take(BATCH) {
                match r.validate().and_then(|_| pricer.price(&r, now)) {
                    Ok(p) => batch.push(preparer.prepare(r, p)),
                    Err(e) => {
                        report.rejected += 1;
                        if report.warnings.len() < MAX_WARNINGS {
                            report.warnings.push(e.to_string());
                        }
                    }
                }
            }
            // A stopped writer failed: its error is returned below.
            if !batch.is_empty() && !writer.send(batch).await {
                break;
            }
        }
        writer.finish().await
    }

    /// Status of every configured source (admin, finance).
    pub async fn status(&self, p: &Principal) -> CoreResult<Vec<SourceStatus>> {
        p.require(&[Role::Admin, Role::Finance])?;
        let mut out = Vec::new();
        for s in self.sources.iter() {
            let state = usage_sources::Entity::find_by_id(s.name.clone())
                .one(self.db.conn())
                .await?;
            out.push(SourceStatus {
                name: s.name.clone(),
                cluster: s.cluster.clone(),
                chain: s.chain.iter().map(|c| c.kind()).collect(),
                interval_secs: s.interval_secs,
                state,
            });
        }
        Ok(out)
    }

    /// Runs every scheduled source at its interval until `stop` turns true.
    pub async fn schedule(self, mut stop: tokio::sync::watch::Receiver<bool>) {
        let mut tasks = Vec::new();
        for s in self.sources.iter().filter(|s| s.interval_secs > 0) {
            let this = self.clone();
            let name = s.name.clone();
            let every = std::time::Duration::from_secs(s.interval_secs);
            let mut stop = stop.clone();
            tasks.push(tokio::spawn(async move {
                loop {
                    match this.run_scheduled(&name).await {
                        Ok(r) => tracing::info!(source = %name, fetched = r.fetched, inserted = r.inserted, updated = r.updated, "ingested usage from {name}"),
                        Err(e) => tracing::error!(source = %name, error = %e, "scheduled ingestion of {name} failed"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop.wait_for(|s| *s) => break,
                    }
                }
            }));
        }
        let _ = stop.wait_for(|s| *s).await;
        for t in tasks {
            let _ = t.await;
        }
    }
}

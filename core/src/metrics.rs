//! Prometheus metrics owned by the core. The names of the predecessor's metrics are kept so
//! existing dashboards keep working; the server registers its HTTP metrics in the same registry.

use prometheus::{IntCounter, IntCounterVec, IntGaugeVec, Opts, Registry};

/// The registry and the counters the core increments.
#[derive(Clone, Debug)]
pub struct Metrics {
    /// Registry that `/metrics` renders.
    pub registry: Registry,
    /// Successful logins.
    pub login_success: IntCounter,
    /// Failed logins (wrong password, unknown user, disabled account).
    pub login_failure: IntCounter,
    /// Lockouts started.
    pub lockout_start: IntCounter,
    /// Audit entries appended, by action.
    pub audit_appends: IntCounterVec,
    /// Receipts created (the predecessor's name).
    pub receipts_created: IntCounter,
    /// Receipts marked paid (the predecessor's name).
    pub receipts_paid: IntCounter,
    /// Ingestion runs by source and outcome.
    pub ingest_runs: IntCounterVec,
    /// Ingested jobs by source and result (inserted, updated, unchanged, rejected).
    pub ingest_jobs: IntCounterVec,
    /// Unix time of each source's last successful run, for freshness alerts.
    pub source_last_success: IntGaugeVec,
    /// Gateway events (webhooks and status checks) by provider and what came of them
    /// (`applied`, `duplicate`, `mismatch`, `rejected`, …).
    pub payment_events: IntCounterVec,
}

impl Metrics {
    /// Creates the registry and registers the core counters.
    pub fn new() -> Metrics {
        let registry = Registry::new();
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).unwrap_or_else(|e| panic!("metric {name}: {e}"));
            registry
                .register(Box::new(c.clone()))
                .unwrap_or_else(|e| panic!("metric {name}: {e}"));
            c
        };
        let login_success = counter("auth_login_success_total", "Successful logins");
        let login_failure = counter("auth_login_failure_total", "Failed logins");
        let lockout_start = counter("auth_lockout_start_total", "Login lockouts started");
        let receipts_created = counter("billing_receipt_created_total", "Receipts created");
        let receipts_paid = counter("billing_receipt_marked_paid_total", "Receipts marked paid");
        let counter_vec = |name: &str, help: &str, labels: &[&str]| {
            let c = IntCounterVec::new(Opts::new(name, help), labels).unwrap_or_else(|e| panic!("metric {name}: {e}"));
            registry
                .register(Box::new(c.clone()))
                .unwrap_or_else(|e| panic!("metric {name}: {e}"));
            c
        };
        let audit_appends = counter_vec("audit_appends_total", "Audit entries appended", &["action"]);
        let ingest_runs = counter_vec(
            "usage_ingest_runs_total",
            "Usage ingestion runs",
            &["source", "outcome"],
        );
        let ingest_jobs = counter_vec(
            "usage_ingest_jobs_total",
            "Jobs seen by ingestion",
            &["source", "result"],
        );
        let payment_events = counter_vec(
            "payment_events_total",
            "Payment gateway events and status checks by outcome",
            &["provider", "outcome"],
        );
        let gauge = "usage_source_last_success_timestamp_seconds";
        let source_last_success = IntGaugeVec::new(Opts::new(gauge, "Last successful ingestion run"), &["source"])
            .unwrap_or_else(|e| panic!("metric {gauge}: {e}"));
        registry
            .register(Box::new(source_last_success.clone()))
            .unwrap_or_else(|e| panic!("metric {gauge}: {e}"));
        Metrics {
            registry,
            login_success,
            login_failure,
            lockout_start,
            receipts_created,
            receipts_paid,
            audit_appends,
            ingest_runs,
            ingest_jobs,
            payment_events,
            source_last_success,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

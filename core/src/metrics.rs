//! Prometheus metrics owned by the core. The names of the predecessor's metrics are kept so
//! existing dashboards keep working; the server registers its HTTP metrics in the same registry.

use prometheus::{IntCounter, IntCounterVec, Opts, Registry};

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
        let audit_appends = IntCounterVec::new(
            Opts::new("audit_appends_total", "Audit entries appended"),
            &["action"],
        )
        .unwrap_or_else(|e| panic!("metric audit_appends_total: {e}"));
        registry
            .register(Box::new(audit_appends.clone()))
            .unwrap_or_else(|e| panic!("metric audit_appends_total: {e}"));
        Metrics {
            registry,
            login_success,
            login_failure,
            lockout_start,
            audit_appends,
        }
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

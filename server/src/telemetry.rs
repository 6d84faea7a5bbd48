//! Logging: `tracing` to stderr, human-readable or JSON, filtered by `log.level` (or `RUST_LOG`).
//! Every line logged while serving a request carries its `request_id` through the request span.

use crate::config::LogConfig;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; later calls are ignored (tests build several apps).
pub fn init(cfg: &LogConfig) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(&cfg.level));
    let builder = fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = if cfg.format == "json" {
        builder
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(false)
            .try_init()
    } else {
        builder.with_target(false).try_init()
    };
}

//! Logging: `tracing` to stderr, human-readable or JSON, filtered by `log.level` (or `RUST_LOG`).
//! Every line logged while serving a request carries its `request_id` through the request span.
//!
//! Commands that answer and exit (`user list`, `plugins list`, …) log errors only: their answer
//! is their output, and the server's progress lines would bury it (`RUST_LOG` still overrides).
//! Colour codes are written only when stderr is a terminal, never into a file or a pipe.

use crate::config::LogConfig;
use std::io::IsTerminal as _;
use tracing_subscriber::{fmt, EnvFilter};

/// Installs the global subscriber; later calls are ignored (tests build several apps).
/// `serving` is true for `serve` and `demo`, which log at the configured level.
pub fn init(cfg: &LogConfig, serving: bool) {
    let level = if serving { cfg.level.as_str() } else { "error" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(level));
    let builder = fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
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

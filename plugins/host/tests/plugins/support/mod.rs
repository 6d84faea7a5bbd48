//! Shared helpers: building the test plugins, a loopback HTTP peer, log capture, and a
//! registry with the well-behaved plugins loaded.

pub mod build;
pub mod http_peer;
pub mod logs;

use std::sync::Arc;

use hpcb_plugin_host::{HostConfig, LoadPolicy, PluginRegistry};

pub use build::{artifacts, scratch_dir, workspace_root};

/// The fixed time the `now` capability reports in tests.
pub const TEST_NOW_MS: i64 = 1_735_689_600_000;

/// A host configuration with a fixed clock and the given concurrency limit.
pub fn config(max_concurrent_calls: usize) -> HostConfig {
    HostConfig {
        max_concurrent_calls,
        clock: Arc::new(|| TEST_NOW_MS),
        ..HostConfig::default()
    }
}

/// A registry with `test-echo` and `test-garbage` loaded.
pub fn registry(max_concurrent_calls: usize) -> PluginRegistry {
    registry_with(config(max_concurrent_calls))
}

/// A registry with `test-echo` and `test-garbage` loaded, under a host configuration of the
/// test's own.
pub fn registry_with(config: HostConfig) -> PluginRegistry {
    logs::install();
    let mut registry = PluginRegistry::new(config);
    for path in [&artifacts().echo, &artifacts().garbage] {
        registry
            .load_file(path, &LoadPolicy::any_kind())
            .expect("the test plugins load");
    }
    registry
}

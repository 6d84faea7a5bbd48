//! The port through which usage comes in: implemented by the plugin host for usage-source
//! plugins, and by tests with fakes.

use super::record::UsageRecord;
use crate::error::CoreResult;

/// What one fetch delivered.
#[derive(Clone, Debug, Default)]
pub struct FetchResult {
    /// Jobs that ended in the window, and jobs still running in it.
    pub jobs: Vec<UsageRecord>,
    /// Lines or documents the source could not read (kept, reported, never silently dropped).
    pub warnings: Vec<String>,
}

/// A source of usage records for one cluster.
#[async_trait::async_trait]
pub trait UsageSource: Send + Sync + 'static {
    /// Name for logs and status (`slurmrestd`, `sacct`, `csv`).
    fn kind(&self) -> String;
    /// Jobs that ended in `[from_ms, to_ms)` plus jobs still running then.
    async fn fetch(&self, from_ms: i64, to_ms: i64) -> CoreResult<FetchResult>;
}

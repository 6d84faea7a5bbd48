//! The usage record every source delivers (the `fetch` answer of usage-source plugins, see
//! `plugins/usage-sources.md`): one billable job with its steps folded in, in integer base units.

use crate::error::{CoreError, CoreResult};
use serde::{Deserialize, Serialize};

/// One job as a source reports it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageRecord {
    /// Job id as Slurm shows it (`12345`, `12345_7`).
    pub job_id: String,
    /// Cluster user name.
    pub user: String,
    /// Slurm account.
    #[serde(default)]
    pub account: Option<String>,
    /// Partition.
    #[serde(default)]
    pub partition: Option<String>,
    /// Base state, upper case.
    pub state: String,
    /// Submit time, Unix ms.
    #[serde(default)]
    pub submit: Option<i64>,
    /// Start time, Unix ms.
    #[serde(default)]
    pub start: Option<i64>,
    /// End time, Unix ms; `None` while running or pending.
    #[serde(default)]
    pub end: Option<i64>,
    /// Elapsed seconds.
    #[serde(default)]
    pub elapsed_s: i64,
    /// Allocated CPUs.
    #[serde(default)]
    pub alloc_cpus: i64,
    /// Allocated GPUs.
    #[serde(default)]
    pub alloc_gpus: i64,
    /// Allocated memory, MB.
    #[serde(default)]
    pub alloc_mem_mb: i64,
    /// Used CPU time, ms (steps summed).
    #[serde(default)]
    pub cpu_used_ms: Option<i64>,
    /// CPUTimeRAW, s.
    #[serde(default)]
    pub cpu_time_raw_s: Option<i64>,
    /// Σ steps AveRSS KiB × step elapsed s.
    #[serde(default)]
    pub mem_used_kib_s: Option<i64>,
    /// Consumed energy, J.
    #[serde(default)]
    pub energy_j: Option<i64>,
    /// Node list.
    #[serde(default)]
    pub nodes: Option<String>,
}

impl UsageRecord {
    /// Refuses records that cannot be stored or priced sensibly.
    pub fn validate(&self) -> CoreResult<()> {
        let bad = |m: &str| Err(CoreError::validation("record", format!("job {:?}: {m}", self.job_id)));
        if self.job_id.is_empty() || self.job_id.len() > 64 {
            return bad("job id must be 1 to 64 characters");
        }
        if self.user.is_empty() || self.user.len() > 128 {
            return bad("user must be 1 to 128 characters");
        }
        if self.state.is_empty() || self.state.len() > 32 {
            return bad("state must be 1 to 32 characters");
        }
        let counts = [self.elapsed_s, self.alloc_cpus, self.alloc_gpus, self.alloc_mem_mb];
        let optional = [
            self.cpu_used_ms,
            self.cpu_time_raw_s,
            self.mem_used_kib_s,
            self.energy_j,
        ];
        if counts.iter().any(|v| *v < 0) || optional.iter().flatten().any(|v| *v < 0) {
            return bad("quantities must not be negative");
        }
        if let (Some(s), Some(e)) = (self.start, self.end) {
            if e < s {
                return bad("ends before it starts");
            }
        }
        Ok(())
    }

    /// Whether the job has ended (only ended jobs are billable).
    pub fn ended(&self) -> bool {
        self.end.is_some()
            && !matches!(
                self.state.as_str(),
                "RUNNING" | "PENDING" | "SUSPENDED" | "REQUEUED" | "RESIZING"
            )
    }
}

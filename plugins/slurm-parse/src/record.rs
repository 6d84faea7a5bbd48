//! The neutral job record every usage source produces, and the answer of a `fetch`.

use serde::{Deserialize, Serialize};

/// One billable unit (a job, or one task of an array job) with its steps folded in: the JSON
/// object a usage-source plugin returns in `fetch`'s `jobs` list (see `plugins/usage-sources.md`).
///
/// Everything that later becomes money or hours is an integer in a stated unit, so the server
/// prices exact numbers and two sources reporting the same job produce equal records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Record {
    /// The billing key: `"12345"`, `"12345_7"` for array task 7, `"12345+1"` for a component of
    /// a heterogeneous job; never a step id.
    pub job_id: String,
    /// The Slurm user name (the numeric uid when the name is unknown).
    pub user: String,
    /// The Slurm account, `None` when unset.
    pub account: Option<String>,
    /// The partition, `None` when unset.
    pub partition: Option<String>,
    /// The base state in upper case: `COMPLETED`, `FAILED`, `CANCELLED` (without "by uid"), ...
    pub state: String,
    /// Submission time, Unix milliseconds.
    pub submit: Option<i64>,
    /// Start time, Unix milliseconds; `None` while pending.
    pub start: Option<i64>,
    /// End time, Unix milliseconds; `None` while the job has not ended.
    pub end: Option<i64>,
    /// Wall-clock run time in seconds.
    pub elapsed_s: i64,
    /// Allocated CPUs (requested ones while pending).
    pub alloc_cpus: i64,
    /// Allocated GPUs: `gres/gpu`, or the sum of typed `gres/gpu:<type>` entries when there is no
    /// untyped total; from the allocated TRES, else the requested TRES.
    pub alloc_gpus: i64,
    /// Allocated memory in MiB (Slurm's "M"), from the allocated TRES, else the requested.
    pub alloc_mem_mb: i64,
    /// CPU time used in milliseconds: the sum over steps of TotalCPU (a step without it counts
    /// its CPUTimeRAW), else the job's TotalCPU; `None` when nothing is known.
    pub cpu_used_ms: Option<i64>,
    /// The job's CPUTimeRAW: allocated CPUs × elapsed seconds.
    pub cpu_time_raw_s: Option<i64>,
    /// Memory used: the sum over steps of AveRSS (KiB) × step elapsed seconds, rounded down
    /// once at the end; `None` when no step reports AveRSS.
    pub mem_used_kib_s: Option<i64>,
    /// Energy in joules: the job's ConsumedEnergyRaw, else the sum over its steps.
    pub energy_j: Option<i64>,
    /// The node list (`"node[01-04]"`), `None` before nodes are assigned.
    pub nodes: Option<String>,
}

/// The answer of a usage source's `fetch`: the records plus one line per input the source could
/// not use (with its line number or job id), so nothing is dropped silently.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchOutput {
    /// The records, in the order the source listed them.
    pub jobs: Vec<Record>,
    /// Human-readable problems: skipped lines, ignored steps, server warnings.
    pub warnings: Vec<String>,
}

//! slurmrestd's `/slurmdb/vX/jobs` for API versions v0.0.38 (Slurm 22.05) to v0.0.45 (Slurm
//! 26.05): the requests that fetch a window, and the documents they return, read into
//! [`crate::Record`]s.
//!
//! One reader serves every version by recognising each field's shapes instead of branching per
//! version (see `shared/slurm/openapi/README.md`, section 3): plain or NO_VAL `{set, infinite,
//! number}` numbers, string or list states, `"batch"`/`0`/`{"step_id": ..}`/`"6.batch"` step
//! ids, `null` or `""` unset strings, `null` or `-2` unknown TRES counts. The version matters
//! only for the request (epoch times from v0.0.42) and for how "nothing found" is reported.

mod job;
mod numbers;
mod response;
mod version;

pub use response::{parse_jobs_in_window, parse_jobs_response, ResponseError};
pub use version::{jobs_path, probe_path, ApiVersion};

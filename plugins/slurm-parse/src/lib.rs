//! Pure parsing for the Slurm usage sources of hpc-billing: no I/O, no clock, no plugin ABI.
//!
//! The three usage-source plugins (`usage-sacct`, `usage-slurmrestd`, `usage-csv`) fetch text
//! through the host and hand it to this crate, which turns it into [`Record`]s: one per billable
//! unit (a job, or one task of an array job), with its steps folded in. Keeping every rule here
//! (canonical job ids, the CPU/memory/energy folding, units) means sacct, slurmrestd and CSV input
//! agree by construction; the tests hold them to the same records for the same real jobs.
//!
//! - [`sacct`]: `sacct --parsable2` text, with or without a header line;
//! - [`rest`]: `/slurmdb/vX/jobs` documents of slurmrestd v0.0.38 to v0.0.45, and the requests
//!   that fetch them;
//! - [`window`]: the `[from, to)` end-time filter and the splitting of long windows;
//! - [`protocol`]: the `probe` answer and `fetch` request of the usage-source protocol;
//! - the building blocks, public so plugins and tests can use them: [`duration`], [`size`],
//!   [`tres`], [`job_id`], [`state`], [`timestamp`].
//!
//! Odd input never panics: a line or job that cannot be read becomes a warning naming it, and
//! everything else still imports.

pub mod duration;
mod fold;
pub mod job_id;
pub mod protocol;
mod record;
pub mod rest;
pub mod sacct;
pub mod size;
pub mod state;
mod text;
pub mod timestamp;
pub mod tres;
pub mod window;

pub use record::{FetchOutput, Record};

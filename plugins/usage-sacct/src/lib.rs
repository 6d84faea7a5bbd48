//! `usage-sacct`: a usage-source plugin that asks the host to run `sacct` and reports the jobs
//! of a window as records (`plugins/usage-sources.md` has the protocol).
//!
//! It runs `sacct --parsable2 --noheader --noconvert --allusers --starttime S --endtime E
//! --format <fields>` with steps (no `-X`: TotalCPU and AveRSS live on the step lines). Not
//! `--duplicates`: the billing key is the job id, and sacct's default (the most recent record of
//! a requeued or reused id) is what slurmrestd returns too. `--noconvert` makes AveRSS a plain
//! byte count, so it cannot be misread.

mod settings;
mod source;

pub use settings::Settings;
pub use source::SacctSource;

hpcb_plugin_sdk::export_plugin!(source::SacctSource);

//! `usage-slurmrestd`: a usage-source plugin that reads job accounting from slurmrestd's
//! `/slurmdb/vX/jobs` through the host's `http` capability, for API versions v0.0.38 (Slurm
//! 22.05) to v0.0.45 (Slurm 26.05), negotiating the newest one the cluster serves
//! (`plugins/usage-sources.md` has the protocol).
//!
//! History comes only from `/slurmdb/`: `/slurm/vX/jobs` forgets jobs minutes after they end.
//! Windows are fetched in pieces of `window_hours`, without a user filter (22.05 has none),
//! and filtered on end time here, since Slurm's windows mean "existed during". slurmrestd lists
//! every run of a requeued job; only the latest run of each job id is reported.

mod jwt;
mod runs;
mod settings;
mod source;

pub use settings::Settings;
pub use source::RestSource;

hpcb_plugin_sdk::export_plugin!(source::RestSource);

//! Tests of the Slurm parsers against every relevant real capture: the 22.05 cluster of
//! `shared/slurm/fixtures`, the v0.0.38..v0.0.45 captures of `shared/slurm/openapi/examples`, and
//! the job mix `tests/slurm/jobs.sh` ran on this project's own harness (`fixtures/live`). Copies
//! of those files live in `tests/fixtures/`.

mod cross_source;
mod fast_reader;
mod odd_input;
mod rest_versions;
mod sacct_files;
mod support;

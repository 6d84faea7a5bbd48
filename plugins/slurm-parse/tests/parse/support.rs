//! Loading fixtures and looking records up.

use std::path::PathBuf;

use hpcb_plugin_slurm_parse::rest::parse_jobs_response;
use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions, FORMAT_FIELDS};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use hpcb_plugin_slurm_parse::{FetchOutput, Record};

/// The text of a fixture under `tests/fixtures/`.
pub fn fixture(relative: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// A slurmrestd jobs document fixture, parsed as an HTTP 200 answer.
pub fn rest(relative: &str) -> FetchOutput {
    parse_jobs_response(200, &fixture(relative)).unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// A sacct fixture with a header line; bare AveRSS numbers read as `bare`.
pub fn sacct_with_header(relative: &str, bare: BareUnit) -> FetchOutput {
    let options = SacctOptions {
        utc_offset: UtcOffset::UTC,
        ave_rss_bare: bare,
    };
    parse_sacct(&fixture(relative), Layout::HeaderLine, &options).unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// A `--noheader` sacct fixture with the given columns; AveRSS in bytes (`--noconvert`).
pub fn sacct_without_header(relative: &str, columns: &[&str]) -> FetchOutput {
    let options = SacctOptions {
        utc_offset: UtcOffset::UTC,
        ave_rss_bare: BareUnit::Bytes,
    };
    parse_sacct(&fixture(relative), Layout::Columns(columns), &options)
        .unwrap_or_else(|err| panic!("{relative}: {err}"))
}

/// The `--format` columns the usage-sacct plugin asks for.
pub fn plugin_columns() -> Vec<&'static str> {
    FORMAT_FIELDS.to_vec()
}

/// The record with this job id.
pub fn job<'a>(output: &'a FetchOutput, job_id: &str) -> &'a Record {
    output
        .jobs
        .iter()
        .find(|record| record.job_id == job_id)
        .unwrap_or_else(|| panic!("no job {job_id} in {:?}", ids(output)))
}

/// The job ids, sorted.
pub fn ids(output: &FetchOutput) -> Vec<String> {
    let mut ids: Vec<String> = output.jobs.iter().map(|r| r.job_id.clone()).collect();
    ids.sort();
    ids
}

/// Records sorted by job id, for comparing sources that list jobs in different orders.
pub fn sorted(output: &FetchOutput) -> Vec<Record> {
    let mut jobs = output.jobs.clone();
    jobs.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    jobs
}

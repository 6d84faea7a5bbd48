//! `sacct --parsable2` text (with or without its header line) into [`Record`]s.
//!
//! Columns are found by name, so their order and any extra columns do not matter. Job lines
//! (`12345`, `12345_7`, `12345+1`) start a record; step lines (`12345.batch`, `12345_7.0`) are
//! folded into the record of their job wherever they appear. A line that cannot be read becomes
//! a warning with its line number, and the other lines still import.

mod columns;
mod line;

use std::collections::HashMap;

pub use columns::Columns;

use crate::fold::{fold, JobFields, StepUsage};
use crate::job_id::step_parent;
use crate::size::BareUnit;
use crate::timestamp::UtcOffset;
use crate::FetchOutput;

/// The fields the `usage-sacct` plugin asks for (`--format`), in this order, with `--noconvert`
/// so that `AveRSS` is in bytes.
pub const FORMAT_FIELDS: [&str; 20] = [
    "JobID",
    "JobIDRaw",
    "User",
    "UID",
    "Account",
    "Partition",
    "State",
    "Submit",
    "Start",
    "End",
    "ElapsedRaw",
    "TotalCPU",
    "CPUTimeRAW",
    "AllocCPUS",
    "ReqMem",
    "ReqTRES",
    "AllocTRES",
    "AveRSS",
    "ConsumedEnergyRaw",
    "NodeList",
];

/// How to read the values whose meaning depends on how sacct was run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SacctOptions {
    /// The cluster's offset from UTC: sacct prints local times without a zone.
    pub utc_offset: UtcOffset,
    /// The unit of an `AveRSS` without suffix: bytes with `--noconvert`, KiB in sacct's
    /// default output (the predecessor's reading).
    pub ave_rss_bare: BareUnit,
}

/// Where the column names come from.
#[derive(Debug, Clone, Copy)]
pub enum Layout<'a> {
    /// The first non-empty line is sacct's header (`JobID|User|...`): CSV files.
    HeaderLine,
    /// There is no header (`--noheader`); the columns are these `--format` names.
    Columns(&'a [&'a str]),
}

/// A job line read so far, and what its steps contributed.
struct Pending {
    job: JobFields,
    steps: Vec<StepUsage>,
}

/// Parses sacct output into records (in the order of their job lines) and warnings. Fails only
/// when no usable header exists: no header line, or one without `JobID`, `User`, `State` or
/// `End`.
pub fn parse_sacct(text: &str, layout: Layout<'_>, options: &SacctOptions) -> Result<FetchOutput, String> {
    let mut lines = text.lines().enumerate().map(|(i, line)| (i + 1, line));
    let columns = match layout {
        Layout::Columns(names) => Columns::from_names(names.iter().copied())?,
        Layout::HeaderLine => match lines.by_ref().find(|(_, line)| !line.trim().is_empty()) {
            Some((_, header)) => Columns::from_names(header.trim_end_matches('\r').split('|'))?,
            None => return Ok(FetchOutput::default()),
        },
    };

    let mut out = FetchOutput::default();
    let mut units: Vec<Pending> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    // a repeated job line's own steps follow it; they are skipped with it
    let mut skipping_duplicate: Option<String> = None;

    for (number, raw) in lines {
        let raw = raw.trim_end_matches('\r');
        if raw.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = raw.split('|').collect();
        if fields.len() != columns.len() {
            out.warnings.push(format!(
                "line {number}: {} fields where the header has {}; line skipped",
                fields.len(),
                columns.len()
            ));
            continue;
        }
        let Some(id) = columns.value(&fields, columns.job_id) else {
            out.warnings.push(format!("line {number}: empty JobID; line skipped"));
            continue;
        };
        if let Some(parent) = step_parent(id) {
            if skipping_duplicate.as_deref() == Some(parent) {
                continue;
            }
            let Some(&at) = index.get(parent) else {
                out.warnings.push(format!(
                    "line {number}: step {id} has no readable job line {parent}; step ignored"
                ));
                continue;
            };
            match line::read_step(&columns, &fields, options) {
                Ok(step) => units[at].steps.push(step),
                Err(why) => out.warnings.push(format!(
                    "line {number}: step {id}: {why}; step ignored, job {parent} counted without it"
                )),
            }
            continue;
        }
        skipping_duplicate = None;
        if index.contains_key(id) {
            out.warnings.push(format!(
                "line {number}: job {id} appears again; the repeated line and its steps are ignored"
            ));
            skipping_duplicate = Some(id.to_owned());
            continue;
        }
        match line::read_job(&columns, &fields, options) {
            Ok(job) => {
                index.insert(id.to_owned(), units.len());
                units.push(Pending { job, steps: Vec::new() });
            }
            Err(why) => out
                .warnings
                .push(format!("line {number}: job {id}: {why}; job skipped")),
        }
    }

    out.jobs = units.into_iter().map(|unit| fold(unit.job, &unit.steps)).collect();
    Ok(out)
}

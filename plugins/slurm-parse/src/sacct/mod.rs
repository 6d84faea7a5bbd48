//! `sacct --parsable2` text (with or without its header line) into [`Record`]s.
//!
//! Columns are found by name, so their order and any extra columns do not matter. Job lines
//! (`12345`, `12345_7`, `12345+1`) start a record; step lines (`12345.batch`, `12345_7.0`) are
//! folded into the record of their job wherever they appear. A line that cannot be read becomes
//! a warning with its line number, and the other lines still import.

mod columns;
mod fast;
mod index;
mod line;
mod split;

pub use columns::Columns;

use crate::fold::StepTotals;
use crate::job_id::step_parent;
use crate::size::BareUnit;
use crate::timestamp::UtcOffset;
use crate::FetchOutput;
use index::JobIndex;
use split::{Line, Lines};

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

/// Parses sacct output into records (in the order of their job lines) and warnings. Fails only
/// when no usable header exists: no header line, or one without `JobID`, `User`, `State` or
/// `End`.
///
/// One pass over the text: each line is cut in place, a job line becomes its record at once,
/// and a step line adds its usage to its job's running totals (found without a lookup when the
/// step follows its job, as sacct prints them); the totals complete the records at the end.
pub fn parse_sacct(text: &str, layout: Layout<'_>, options: &SacctOptions) -> Result<FetchOutput, String> {
    parse(text, layout, options, Reader::FastFirst)
}

/// [`parse_sacct`] with the general reader only: for tests that prove the fast reader changes
/// nothing but speed (same records, same warnings, on every input).
#[doc(hidden)]
pub fn parse_sacct_general(text: &str, layout: Layout<'_>, options: &SacctOptions) -> Result<FetchOutput, String> {
    parse(text, layout, options, Reader::GeneralOnly)
}

/// Which readers a parse uses.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reader {
    /// The fast reader, then the general one where it gives up.
    FastFirst,
    /// The general reader alone.
    GeneralOnly,
}

fn parse(text: &str, layout: Layout<'_>, options: &SacctOptions, reader: Reader) -> Result<FetchOutput, String> {
    let fast = reader == Reader::FastFirst;
    let mut lines = Lines::new(text);
    let columns = match layout {
        Layout::Columns(names) => Columns::from_names(names.iter().copied())?,
        Layout::HeaderLine => match std::iter::from_fn(|| lines.next_whole()).find(|(_, line)| !line.trim().is_empty())
        {
            Some((_, header)) => Columns::from_names(header.split('|'))?,
            None => return Ok(FetchOutput::default()),
        },
    };

    let mut out = FetchOutput::default();
    // what the steps of `out.jobs[i]` added so far; until the end, a record's `cpu_used_ms`
    // and `energy_j` hold its job line's own TotalCPU and energy
    let mut usage: Vec<StepTotals> = Vec::new();
    // job id (as on its line) → position, borrowed from `text`
    let mut index = JobIndex::default();
    // the last job line read, where its steps usually follow
    let mut last_job: Option<(&str, usize)> = None;
    // a repeated job line's own steps follow it; they are skipped with it
    let mut skipping_duplicate: Option<&str> = None;
    let mut ends: Vec<usize> = vec![0; columns.len() + 64];
    let mut dates = fast::Dates::default();
    let mut resources = fast::Resources::default();

    while let Some((number, fields)) = lines.next_split(&mut ends) {
        if crate::text::is_blank(fields.text()) {
            continue;
        }
        if fields.count() != columns.len() {
            out.warnings.push(format!(
                "line {number}: {} fields where the header has {}; line skipped",
                fields.count(),
                columns.len()
            ));
            continue;
        }
        let Some(id) = columns.value(&fields, columns.job_id) else {
            out.warnings.push(format!("line {number}: empty JobID; line skipped"));
            continue;
        };
        if let Some(parent) = step_parent(id) {
            if skipping_duplicate == Some(parent) {
                continue;
            }
            let at = match last_job {
                Some((last, at)) if last == parent => Some(at),
                _ => index.get(parent, &out.jobs),
            };
            let Some(totals) = at.and_then(|at| usage.get_mut(at)) else {
                out.warnings.push(format!(
                    "line {number}: step {id} has no readable job line {parent}; step ignored"
                ));
                continue;
            };
            let quick = if fast {
                fast::step(&columns, &fields, options)
            } else {
                None
            };
            let step = match quick {
                Some(step) => Ok(step),
                None => line::read_step(&columns, &fields, options),
            };
            match step {
                Ok(step) => totals.add(&step),
                Err(why) => out.warnings.push(format!(
                    "line {number}: step {id}: {why}; step ignored, job {parent} counted without it"
                )),
            }
            continue;
        }
        skipping_duplicate = None;
        let vacancy = match index.find(id, &out.jobs) {
            Ok(_) => {
                out.warnings.push(format!(
                    "line {number}: job {id} appears again; the repeated line and its steps are ignored"
                ));
                skipping_duplicate = Some(id);
                continue;
            }
            Err(vacancy) => vacancy,
        };
        let read_fast =
            fast && fast::job(&columns, &fields, options, &mut dates, &mut resources, &mut out.jobs).is_some();
        if !read_fast {
            match line::read_job(&columns, &fields, options) {
                Ok(record) => out.jobs.push(record),
                Err(why) => {
                    out.warnings
                        .push(format!("line {number}: job {id}: {why}; job skipped"));
                    continue;
                }
            }
        }
        let at = usage.len();
        index.insert(vacancy, at);
        last_job = Some((id, at));
        usage.push(StepTotals::default());
    }

    for (record, steps) in out.jobs.iter_mut().zip(&usage) {
        record.cpu_used_ms = steps.cpu_used_ms(record.cpu_used_ms);
        record.mem_used_kib_s = steps.mem_used_kib_s();
        record.energy_j = steps.energy_j(record.energy_j);
    }
    Ok(out)
}

//! Reading one sacct line as a job (or array task) or as a step.
//!
//! Fields are read in place from the line; the only allocations for a readable job line are
//! the strings its [`Record`] owns, and a step line allocates nothing. An error names the first
//! field that could not be read, in the order below (the warnings depend on it).

use super::{Columns, Line, SacctOptions};
use crate::duration::parse_duration;
use crate::fold::StepUsage;
use crate::job_id::canonical_job_id;
use crate::size::{parse_bytes, parse_joules, parse_mib};
use crate::state::base_state;
use crate::timestamp::parse_local;
use crate::tres::TresText;
use crate::Record;

/// Reads a job line into its record, as it stands before its steps are folded in: `cpu_used_ms`
/// and `energy_j` hold the job line's own TotalCPU and energy (what the steps' sums fall back
/// to, or defer to), `mem_used_kib_s` is `None`. An error names the first field that could not
/// be read.
pub(super) fn read_job(columns: &Columns, line: &Line<'_, '_>, options: &SacctOptions) -> Result<Record, String> {
    let get = |column| columns.value(line, column);
    let id = get(columns.job_id).unwrap_or_default();
    let user = get(columns.user)
        .or_else(|| get(columns.uid))
        .ok_or("no User (and no UID)")?;
    let state = base_state(get(columns.state).unwrap_or_default())?;
    let time = |column, name: &str| {
        parse_local(get(column).unwrap_or_default(), options.utc_offset).map_err(|why| format!("{name}: {why}"))
    };
    let submit = time(columns.submit, "Submit")?;
    let start = time(columns.start, "Start")?;
    let end = time(columns.end, "End")?;
    let elapsed_s = elapsed_seconds(columns, line)?.unwrap_or(0);

    let (alloc_text, req_text) = (
        get(columns.alloc_tres).unwrap_or_default(),
        get(columns.req_tres).unwrap_or_default(),
    );
    let alloc = TresText::parse(alloc_text).map_err(|why| format!("AllocTRES: {why}"))?;
    // a job that got what it asked for prints the same text twice
    let req = match req_text == alloc_text {
        true => alloc,
        false => TresText::parse(req_text).map_err(|why| format!("ReqTRES: {why}"))?,
    };

    let alloc_cpus = match alloc.cpus()? {
        Some(cpus) => cpus,
        None => match integer(get(columns.alloc_cpus), "AllocCPUS")?.filter(|cpus| *cpus > 0) {
            Some(cpus) => cpus,
            None => {
                // both are read (and may fail) before either is used
                let (from_tres, req_cpus) = (req.cpus()?, integer(get(columns.req_cpus), "ReqCPUS")?);
                from_tres.or(req_cpus).unwrap_or(0)
            }
        },
    };
    let alloc_gpus = match alloc.gpus()? {
        Some(gpus) => gpus,
        None => req.gpus()?.unwrap_or(0),
    };
    // both are read (and may fail) before either is used
    let (alloc_mem, req_mem) = (alloc.mem_mib()?, req.mem_mib()?);
    let alloc_mem_mb = match alloc_mem.or(req_mem) {
        Some(mb) => mb,
        None => req_mem_mib(get(columns.req_mem), alloc_cpus)?.unwrap_or(0),
    };

    let total_cpu_ms = match get(columns.total_cpu) {
        Some(text) => parse_duration(text).map_err(|why| format!("TotalCPU: {why}"))?.millis(),
        None => None,
    };
    let energy_j = energy(columns, line)?;
    let cpu_time_raw_s = integer(get(columns.cpu_time_raw), "CPUTimeRAW")?;

    let record = Record {
        job_id: canonical_job_id(id).to_owned(),
        user: user.to_owned(),
        account: get(columns.account).map(str::to_owned),
        partition: get(columns.partition).map(str::to_owned),
        state,
        submit,
        start,
        end,
        elapsed_s,
        alloc_cpus,
        alloc_gpus,
        alloc_mem_mb,
        cpu_used_ms: total_cpu_ms,
        cpu_time_raw_s,
        mem_used_kib_s: None,
        energy_j,
        nodes: get(columns.node_list)
            .filter(|nodes| !nodes.eq_ignore_ascii_case("None assigned"))
            .map(str::to_owned),
    };
    Ok(record)
}

/// Reads a step line: only what it adds to its job's usage.
pub(super) fn read_step(columns: &Columns, line: &Line<'_, '_>, options: &SacctOptions) -> Result<StepUsage, String> {
    let get = |column| columns.value(line, column);
    let total_cpu_ms = match get(columns.total_cpu) {
        Some(text) => parse_duration(text).map_err(|why| format!("TotalCPU: {why}"))?.millis(),
        None => None,
    };
    let ave_rss_bytes = match get(columns.ave_rss) {
        Some(text) => Some(parse_bytes(text, options.ave_rss_bare).map_err(|why| format!("AveRSS: {why}"))?),
        None => None,
    };
    Ok(StepUsage {
        total_cpu_ms,
        cpu_time_raw_s: integer(get(columns.cpu_time_raw), "CPUTimeRAW")?,
        ave_rss_bytes,
        elapsed_s: elapsed_seconds(columns, line)?,
        energy_j: energy(columns, line)?,
    })
}

/// `ElapsedRaw` (seconds), else `Elapsed` (a duration).
fn elapsed_seconds(columns: &Columns, line: &Line<'_, '_>) -> Result<Option<i64>, String> {
    if let Some(raw) = integer(columns.value(line, columns.elapsed_raw), "ElapsedRaw")? {
        return Ok(Some(raw));
    }
    match columns.value(line, columns.elapsed) {
        Some(text) => Ok(parse_duration(text).map_err(|why| format!("Elapsed: {why}"))?.seconds()),
        None => Ok(None),
    }
}

/// `ConsumedEnergyRaw` (joules), else `ConsumedEnergy` (joules with a K/M/G suffix).
fn energy(columns: &Columns, line: &Line<'_, '_>) -> Result<Option<i64>, String> {
    if let Some(raw) = integer(columns.value(line, columns.energy_raw), "ConsumedEnergyRaw")? {
        return Ok(Some(raw));
    }
    columns
        .value(line, columns.energy)
        .map(|text| parse_joules(text).map_err(|why| format!("ConsumedEnergy: {why}")))
        .transpose()
}

/// `ReqMem` in MiB for the whole job: old sacct marks per-CPU amounts with `c` and per-node ones
/// with `n` (`100Mc`); a per-CPU amount is multiplied by the CPUs.
pub(super) fn req_mem_mib(text: Option<&str>, cpus: i64) -> Result<Option<i64>, String> {
    let Some(text) = text else { return Ok(None) };
    let (amount, per_cpu) = match text.strip_suffix(['c', 'C']) {
        Some(amount) => (amount, true),
        None => (text.strip_suffix(['n', 'N']).unwrap_or(text), false),
    };
    let mb = parse_mib(amount).map_err(|why| format!("ReqMem: {why}"))?;
    Ok(Some(if per_cpu { mb.saturating_mul(cpus.max(1)) } else { mb }))
}

/// A whole, non-negative number; `Ok(None)` when absent.
fn integer(text: Option<&str>, name: &str) -> Result<Option<i64>, String> {
    text.map(|text| {
        crate::text::parse_i64(text)
            .filter(|value| *value >= 0)
            .ok_or_else(|| format!("{name}: not a whole number: {text:?}"))
    })
    .transpose()
}

//! Reading one sacct line as a job (or array task) or as a step.

use super::{Columns, SacctOptions};
use crate::duration::parse_duration;
use crate::fold::{JobFields, StepUsage};
use crate::job_id::canonical_job_id;
use crate::size::{parse_bytes, parse_joules, parse_mib};
use crate::state::base_state;
use crate::timestamp::parse_local;
use crate::tres::Tres;

/// Reads a job line. An error names the first field that could not be read.
pub(super) fn read_job(columns: &Columns, fields: &[&str], options: &SacctOptions) -> Result<JobFields, String> {
    let get = |column| columns.value(fields, column);
    let id = get(columns.job_id).unwrap_or_default();
    let user = get(columns.user)
        .or_else(|| get(columns.uid))
        .ok_or("no User (and no UID)")?
        .to_owned();
    let state = base_state(get(columns.state).unwrap_or_default())?;
    let time = |column, name: &str| {
        parse_local(get(column).unwrap_or_default(), options.utc_offset).map_err(|why| format!("{name}: {why}"))
    };
    let submit = time(columns.submit, "Submit")?;
    let start = time(columns.start, "Start")?;
    let end = time(columns.end, "End")?;
    let elapsed_s = elapsed_seconds(columns, fields)?.unwrap_or(0);

    let tres =
        |column, name: &str| Tres::parse(get(column).unwrap_or_default()).map_err(|why| format!("{name}: {why}"));
    let alloc = tres(columns.alloc_tres, "AllocTRES")?;
    let req = tres(columns.req_tres, "ReqTRES")?;

    let alloc_cpus = match alloc.count("cpu")? {
        Some(cpus) => cpus,
        None => match integer(get(columns.alloc_cpus), "AllocCPUS")?.filter(|cpus| *cpus > 0) {
            Some(cpus) => cpus,
            None => req
                .count("cpu")?
                .or(integer(get(columns.req_cpus), "ReqCPUS")?)
                .unwrap_or(0),
        },
    };
    let alloc_gpus = match alloc.gpus()? {
        Some(gpus) => gpus,
        None => req.gpus()?.unwrap_or(0),
    };
    let alloc_mem_mb = match alloc.mem_mib()?.or(req.mem_mib()?) {
        Some(mb) => mb,
        None => req_mem_mib(get(columns.req_mem), alloc_cpus)?.unwrap_or(0),
    };

    let total_cpu_ms = match get(columns.total_cpu) {
        Some(text) => parse_duration(text).map_err(|why| format!("TotalCPU: {why}"))?.millis(),
        None => None,
    };
    let energy_j = energy(columns, fields)?;

    Ok(JobFields {
        job_id: canonical_job_id(id).to_owned(),
        user,
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
        total_cpu_ms,
        cpu_time_raw_s: integer(get(columns.cpu_time_raw), "CPUTimeRAW")?,
        energy_j,
        nodes: get(columns.node_list)
            .filter(|nodes| !nodes.eq_ignore_ascii_case("None assigned"))
            .map(str::to_owned),
    })
}

/// Reads a step line: only what it adds to its job's usage.
pub(super) fn read_step(columns: &Columns, fields: &[&str], options: &SacctOptions) -> Result<StepUsage, String> {
    let get = |column| columns.value(fields, column);
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
        elapsed_s: elapsed_seconds(columns, fields)?,
        energy_j: energy(columns, fields)?,
    })
}

/// `ElapsedRaw` (seconds), else `Elapsed` (a duration).
fn elapsed_seconds(columns: &Columns, fields: &[&str]) -> Result<Option<i64>, String> {
    if let Some(raw) = integer(columns.value(fields, columns.elapsed_raw), "ElapsedRaw")? {
        return Ok(Some(raw));
    }
    match columns.value(fields, columns.elapsed) {
        Some(text) => Ok(parse_duration(text).map_err(|why| format!("Elapsed: {why}"))?.seconds()),
        None => Ok(None),
    }
}

/// `ConsumedEnergyRaw` (joules), else `ConsumedEnergy` (joules with a K/M/G suffix).
fn energy(columns: &Columns, fields: &[&str]) -> Result<Option<i64>, String> {
    if let Some(raw) = integer(columns.value(fields, columns.energy_raw), "ConsumedEnergyRaw")? {
        return Ok(Some(raw));
    }
    columns
        .value(fields, columns.energy)
        .map(|text| parse_joules(text).map_err(|why| format!("ConsumedEnergy: {why}")))
        .transpose()
}

/// `ReqMem` in MiB for the whole job: old sacct marks per-CPU amounts with `c` and per-node ones
/// with `n` (`100Mc`); a per-CPU amount is multiplied by the CPUs.
fn req_mem_mib(text: Option<&str>, cpus: i64) -> Result<Option<i64>, String> {
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
        text.parse::<i64>()
            .ok()
            .filter(|value| *value >= 0)
            .ok_or_else(|| format!("{name}: not a whole number: {text:?}"))
    })
    .transpose()
}

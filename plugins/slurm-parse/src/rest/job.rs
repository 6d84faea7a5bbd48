//! One job of a `/slurmdb/vX/jobs` document, in any supported version's shape, as a record.

use serde_json::Value;

use super::numbers::{cpu_ms, number, text, time_ms};
use crate::fold::{fold, JobFields, StepUsage};
use crate::state::base_state;
use crate::tres::Tres;
use crate::Record;

/// Reads one job, with its eligible time (Unix ms, when known). An error names what was missing
/// or malformed; the caller turns it into a warning and goes on with the next job.
pub(super) fn read_job(job: &Value) -> Result<(Record, Option<i64>), String> {
    let raw_id = number(job.get("job_id")).ok_or("no job_id")?;
    let job_id = unit_id(job, raw_id);
    let user = text(job.get("user"))
        .or_else(|| text(job.pointer("/association/user")))
        .ok_or_else(|| format!("job {job_id}: no user"))?
        .to_owned();
    let state = state(job).map_err(|why| format!("job {job_id}: {why}"))?;
    let time = job.get("time");
    let elapsed_s = number(time.and_then(|t| t.get("elapsed"))).unwrap_or(0).max(0);

    let tres = job.get("tres");
    let alloc = Tres::from_json(tres.and_then(|t| t.get("allocated")).unwrap_or(&Value::Null));
    let req = Tres::from_json(tres.and_then(|t| t.get("requested")).unwrap_or(&Value::Null));
    let pick = |what: &str, alloc: Result<Option<i64>, String>, req: Result<Option<i64>, String>| {
        let why = |e: String| format!("job {job_id}: {what}: {e}");
        Ok::<_, String>(match alloc.map_err(why)? {
            Some(n) => Some(n),
            None => req.map_err(why)?,
        })
    };
    let alloc_cpus = pick("cpu", alloc.count("cpu"), req.count("cpu"))?
        .or_else(|| number(job.pointer("/required/CPUs")))
        .unwrap_or(0);
    let alloc_gpus = pick("gpu", alloc.gpus(), req.gpus())?.unwrap_or(0);
    let alloc_mem_mb = pick("mem", alloc.mem_mib(), req.mem_mib())?.unwrap_or(0);

    let steps: Vec<StepUsage> = job
        .get("steps")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default()
        .iter()
        .map(read_step)
        .collect();

    let fields = JobFields {
        job_id,
        user,
        account: text(job.get("account"))
            .or_else(|| text(job.pointer("/association/account")))
            .map(str::to_owned),
        partition: text(job.get("partition")).map(str::to_owned),
        state,
        submit: time_ms(time.and_then(|t| t.get("submission"))),
        start: time_ms(time.and_then(|t| t.get("start"))),
        end: time_ms(time.and_then(|t| t.get("end"))),
        elapsed_s,
        alloc_cpus,
        alloc_gpus,
        alloc_mem_mb,
        total_cpu_ms: cpu_ms(time.and_then(|t| t.get("total"))),
        // sacct's CPUTimeRAW is exactly this product; slurmrestd does not send it
        cpu_time_raw_s: Some(elapsed_s.saturating_mul(alloc_cpus)),
        // the allocated `energy` TRES holds the consumed energy once known (null/-2 before)
        energy_j: alloc.count("energy").ok().flatten(),
        nodes: text(job.get("nodes"))
            .filter(|nodes| !nodes.eq_ignore_ascii_case("None assigned"))
            .map(str::to_owned),
    };
    let eligible = time_ms(time.and_then(|t| t.get("eligible")));
    Ok((fold(fields, &steps), eligible))
}

/// The billing key: `array_task` for array tasks (`5_3`, even when the raw id is the master's),
/// `12_[1-3]` for a pending array record not yet split into tasks, `leader+offset` for a
/// heterogeneous component, else the raw id.
fn unit_id(job: &Value, raw_id: i64) -> String {
    let array_job = number(job.pointer("/array/job_id")).unwrap_or(0);
    if array_job > 0 {
        if let Some(task) = number(job.pointer("/array/task_id")) {
            return format!("{array_job}_{task}");
        }
        if let Some(tasks) = text(job.pointer("/array/task")) {
            return format!("{array_job}_[{tasks}]");
        }
    }
    let het_leader = number(job.pointer("/het/job_id")).unwrap_or(0);
    if het_leader > 0 {
        if let Some(offset) = number(job.pointer("/het/job_offset")) {
            return format!("{het_leader}+{offset}");
        }
    }
    raw_id.to_string()
}

/// `state.current`: a string up to v0.0.39, a list of flags (base state first) from v0.0.40.
fn state(job: &Value) -> Result<String, String> {
    let current = job.pointer("/state/current").ok_or("no state")?;
    let first = match current {
        Value::String(state) => state.as_str(),
        Value::Array(states) => states.first().and_then(Value::as_str).unwrap_or_default(),
        _ => "",
    };
    base_state(first)
}

/// What one step contributes: TotalCPU from `time.total`, AveRSS (bytes) from the `mem` entry of
/// `tres.requested.average` (slurmrestd's name for the usage averages), energy from the `energy`
/// entry of `tres.consumed.total`.
fn read_step(step: &Value) -> StepUsage {
    let find = |pointer: &str, kind: &str| {
        step.pointer(pointer)
            .and_then(Value::as_array)
            .and_then(|list| {
                list.iter()
                    .find(|entry| entry.get("type").and_then(Value::as_str) == Some(kind))
            })
            .and_then(|entry| number(entry.get("count")))
            .filter(|count| *count >= 0)
    };
    StepUsage {
        total_cpu_ms: cpu_ms(step.pointer("/time/total")),
        cpu_time_raw_s: None,
        ave_rss_bytes: find("/tres/requested/average", "mem").and_then(|b| u128::try_from(b).ok()),
        elapsed_s: number(step.pointer("/time/elapsed")),
        energy_j: find("/tres/consumed/total", "energy"),
    }
}

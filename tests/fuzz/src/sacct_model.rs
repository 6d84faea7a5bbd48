//! A second, deliberately plain reading of `sacct --parsable2` text: the crate's general
//! (field-by-field) reader written again from its documented rules with the crate's public
//! building blocks (`parse_local`, `parse_duration`, `parse_bytes`, `parse_joules`, `parse_mib`,
//! `Tres`, `base_state`, `step_parent`, `canonical_job_id`) and the standard library's `trim`,
//! `split` and `parse::<i64>`.
//!
//! `parse_sacct` reads each line the fast way first (fixed positions, eight digits at a time,
//! cached months and TRES texts, an index of sorted ids) and only falls back to its general
//! reader where the fast one declines. The targets compare its records with this model's on the
//! same text, so wherever the fast reader accepted a line it must have read it exactly as the
//! general rules say; and the lines skipped (with a warning) must be the same lines.

use std::collections::HashMap;

use hpcb_plugin_slurm_parse::duration::parse_duration;
use hpcb_plugin_slurm_parse::job_id::{canonical_job_id, step_parent};
use hpcb_plugin_slurm_parse::sacct::{Layout, SacctOptions};
use hpcb_plugin_slurm_parse::size::{parse_bytes, parse_joules, parse_mib};
use hpcb_plugin_slurm_parse::state::base_state;
use hpcb_plugin_slurm_parse::timestamp::parse_local;
use hpcb_plugin_slurm_parse::tres::Tres;
use hpcb_plugin_slurm_parse::{FetchOutput, Record};

/// What the model makes of a text: the records, and the numbers of the lines that were skipped
/// or only partly used (each of which `parse_sacct` reports with one `line N: …` warning).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ModelOutput {
    /// The records, in the order of their job lines.
    pub jobs: Vec<Record>,
    /// The line numbers that got a warning, in order.
    pub warned_lines: Vec<usize>,
}

/// Column positions by (lower-case) name.
#[derive(Debug, Clone, Default)]
struct Cols {
    count: usize,
    job_id: Option<usize>,
    user: Option<usize>,
    uid: Option<usize>,
    account: Option<usize>,
    partition: Option<usize>,
    state: Option<usize>,
    submit: Option<usize>,
    start: Option<usize>,
    end: Option<usize>,
    elapsed_raw: Option<usize>,
    elapsed: Option<usize>,
    total_cpu: Option<usize>,
    cpu_time_raw: Option<usize>,
    alloc_cpus: Option<usize>,
    req_cpus: Option<usize>,
    req_mem: Option<usize>,
    req_tres: Option<usize>,
    alloc_tres: Option<usize>,
    ave_rss: Option<usize>,
    energy_raw: Option<usize>,
    energy: Option<usize>,
    node_list: Option<usize>,
}

impl Cols {
    fn new<'a>(names: impl Iterator<Item = &'a str>) -> Option<Cols> {
        let names: Vec<String> = names.map(|n| n.trim().to_ascii_lowercase()).collect();
        let find = |wanted: &str| names.iter().position(|n| n == wanted);
        let cols = Cols {
            count: names.len(),
            job_id: find("jobid"),
            user: find("user"),
            uid: find("uid"),
            account: find("account"),
            partition: find("partition"),
            state: find("state"),
            submit: find("submit"),
            start: find("start"),
            end: find("end"),
            elapsed_raw: find("elapsedraw"),
            elapsed: find("elapsed"),
            total_cpu: find("totalcpu"),
            cpu_time_raw: find("cputimeraw"),
            alloc_cpus: find("alloccpus"),
            req_cpus: find("reqcpus"),
            req_mem: find("reqmem"),
            req_tres: find("reqtres"),
            alloc_tres: find("alloctres"),
            ave_rss: find("averss"),
            energy_raw: find("consumedenergyraw"),
            energy: find("consumedenergy"),
            node_list: find("nodelist"),
        };
        let required = [cols.job_id, cols.user, cols.state, cols.end];
        required.iter().all(Option::is_some).then_some(cols)
    }
}

/// One line cut at its `|`s.
struct Fields<'t>(Vec<&'t str>);

impl<'t> Fields<'t> {
    /// The trimmed value of a column; `None` when the column is absent or the value empty.
    fn get(&self, column: Option<usize>) -> Option<&'t str> {
        column
            .and_then(|at| self.0.get(at).copied())
            .map(str::trim)
            .filter(|v| !v.is_empty())
    }
}

/// The lines of a text as `parse_sacct` numbers them: split at `\n`, trailing `\r`s removed, no
/// line after a final `\n`.
fn lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut rest = text;
    let mut number = 0;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let (line, next) = match rest.find('\n') {
            Some(at) => (&rest[..at], &rest[at + 1..]),
            None => (rest, ""),
        };
        rest = next;
        number += 1;
        Some((number, line.trim_end_matches('\r')))
    })
}

/// A whole, non-negative number; `Ok(None)` when absent.
fn integer(text: Option<&str>) -> Result<Option<i64>, ()> {
    text.map(|t| t.parse::<i64>().ok().filter(|v| *v >= 0).ok_or(()))
        .transpose()
}

/// `ElapsedRaw`, else `Elapsed`, in seconds.
fn elapsed_seconds(cols: &Cols, fields: &Fields<'_>) -> Result<Option<i64>, ()> {
    if let Some(raw) = integer(fields.get(cols.elapsed_raw))? {
        return Ok(Some(raw));
    }
    match fields.get(cols.elapsed) {
        Some(text) => Ok(parse_duration(text).map_err(drop)?.seconds()),
        None => Ok(None),
    }
}

/// `ConsumedEnergyRaw`, else `ConsumedEnergy`, in joules.
fn energy(cols: &Cols, fields: &Fields<'_>) -> Result<Option<i64>, ()> {
    if let Some(raw) = integer(fields.get(cols.energy_raw))? {
        return Ok(Some(raw));
    }
    fields
        .get(cols.energy)
        .map(|text| parse_joules(text).map_err(drop))
        .transpose()
}

/// `ReqMem` for the whole job in MiB (`c`: per CPU, `n`: per node).
fn req_mem_mib(text: Option<&str>, cpus: i64) -> Result<Option<i64>, ()> {
    let Some(text) = text else { return Ok(None) };
    let (amount, per_cpu) = match text.strip_suffix(['c', 'C']) {
        Some(amount) => (amount, true),
        None => (text.strip_suffix(['n', 'N']).unwrap_or(text), false),
    };
    let mb = parse_mib(amount).map_err(drop)?;
    Ok(Some(if per_cpu { mb.saturating_mul(cpus.max(1)) } else { mb }))
}

/// A job line as its record before the steps are folded in.
fn read_job(cols: &Cols, fields: &Fields<'_>, options: &SacctOptions) -> Result<Record, ()> {
    let get = |column| fields.get(column);
    let id = get(cols.job_id).unwrap_or_default();
    let user = get(cols.user).or_else(|| get(cols.uid)).ok_or(())?;
    let state = base_state(get(cols.state).unwrap_or_default()).map_err(drop)?;
    let time = |column| parse_local(get(column).unwrap_or_default(), options.utc_offset).map_err(drop);
    let submit = time(cols.submit)?;
    let start = time(cols.start)?;
    let end = time(cols.end)?;
    let elapsed_s = elapsed_seconds(cols, fields)?.unwrap_or(0);

    let (alloc_text, req_text) = (
        get(cols.alloc_tres).unwrap_or_default(),
        get(cols.req_tres).unwrap_or_default(),
    );
    let alloc = Tres::parse(alloc_text).map_err(drop)?;
    let req = if req_text == alloc_text {
        alloc.clone()
    } else {
        Tres::parse(req_text).map_err(drop)?
    };
    let alloc_cpus = match alloc.count("cpu").map_err(drop)? {
        Some(cpus) => cpus,
        None => match integer(get(cols.alloc_cpus))?.filter(|c| *c > 0) {
            Some(cpus) => cpus,
            None => {
                let from_tres = req.count("cpu").map_err(drop)?;
                let req_cpus = integer(get(cols.req_cpus))?;
                from_tres.or(req_cpus).unwrap_or(0)
            }
        },
    };
    let alloc_gpus = match alloc.gpus().map_err(drop)? {
        Some(gpus) => gpus,
        None => req.gpus().map_err(drop)?.unwrap_or(0),
    };
    let (alloc_mem, req_mem) = (alloc.mem_mib().map_err(drop)?, req.mem_mib().map_err(drop)?);
    let alloc_mem_mb = match alloc_mem.or(req_mem) {
        Some(mb) => mb,
        None => req_mem_mib(get(cols.req_mem), alloc_cpus)?.unwrap_or(0),
    };
    let total_cpu_ms = match get(cols.total_cpu) {
        Some(text) => parse_duration(text).map_err(drop)?.millis(),
        None => None,
    };
    let energy_j = energy(cols, fields)?;
    let cpu_time_raw_s = integer(get(cols.cpu_time_raw))?;
    Ok(Record {
        job_id: canonical_job_id(id).to_owned(),
        user: user.to_owned(),
        account: get(cols.account).map(str::to_owned),
        partition: get(cols.partition).map(str::to_owned),
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
        nodes: get(cols.node_list)
            .filter(|n| !n.eq_ignore_ascii_case("None assigned"))
            .map(str::to_owned),
    })
}

/// What one step line adds to its job.
#[derive(Debug, Clone, Copy)]
struct Step {
    total_cpu_ms: Option<i64>,
    cpu_time_raw_s: Option<i64>,
    ave_rss_bytes: Option<u128>,
    elapsed_s: Option<i64>,
    energy_j: Option<i64>,
}

fn read_step(cols: &Cols, fields: &Fields<'_>, options: &SacctOptions) -> Result<Step, ()> {
    let total_cpu_ms = match fields.get(cols.total_cpu) {
        Some(text) => parse_duration(text).map_err(drop)?.millis(),
        None => None,
    };
    let ave_rss_bytes = match fields.get(cols.ave_rss) {
        Some(text) => Some(parse_bytes(text, options.ave_rss_bare).map_err(drop)?),
        None => None,
    };
    Ok(Step {
        total_cpu_ms,
        cpu_time_raw_s: integer(fields.get(cols.cpu_time_raw))?,
        ave_rss_bytes,
        elapsed_s: elapsed_seconds(cols, fields)?,
        energy_j: energy(cols, fields)?,
    })
}

/// The steps of one job summed (saturating), each sum unknown until a step reports it.
#[derive(Debug, Clone, Copy, Default)]
struct Totals {
    cpu_ms: Option<i64>,
    mem_byte_s: Option<u128>,
    energy_j: Option<i64>,
}

impl Totals {
    fn add(&mut self, step: &Step) {
        if let Some(ms) = step
            .total_cpu_ms
            .or_else(|| step.cpu_time_raw_s.map(|s| s.saturating_mul(1000)))
        {
            self.cpu_ms = Some(self.cpu_ms.unwrap_or(0).saturating_add(ms));
        }
        if let Some(bytes) = step.ave_rss_bytes {
            let seconds = u128::try_from(step.elapsed_s.unwrap_or(0).max(0)).unwrap_or(0);
            self.mem_byte_s = Some(self.mem_byte_s.unwrap_or(0).saturating_add(bytes.saturating_mul(seconds)));
        }
        if let Some(joules) = step.energy_j {
            self.energy_j = Some(match self.energy_j {
                None => joules,
                Some(sum) => sum.saturating_add(joules),
            });
        }
    }

    fn finish(&self, record: &mut Record) {
        record.cpu_used_ms = match (self.cpu_ms, record.cpu_used_ms) {
            (Some(sum), _) if sum > 0 => Some(sum),
            (_, Some(job)) => Some(job),
            (sum, None) => sum,
        };
        record.mem_used_kib_s = self
            .mem_byte_s
            .map(|total| i64::try_from(total / 1024).unwrap_or(i64::MAX));
        record.energy_j = record.energy_j.or(self.energy_j);
    }
}

/// The model's reading of `text`; `Err` exactly where `parse_sacct` fails (no usable header).
pub fn parse(text: &str, layout: Layout<'_>, options: &SacctOptions) -> Result<ModelOutput, ()> {
    let mut all = lines(text);
    let cols = match layout {
        Layout::Columns(names) => Cols::new(names.iter().copied()).ok_or(())?,
        Layout::HeaderLine => match all.by_ref().find(|(_, line)| !line.trim().is_empty()) {
            Some((_, header)) => Cols::new(header.split('|')).ok_or(())?,
            None => return Ok(ModelOutput::default()),
        },
    };
    let mut out = ModelOutput::default();
    let mut totals: Vec<Totals> = Vec::new();
    let mut index: HashMap<&str, usize> = HashMap::new();
    let mut skipping: Option<&str> = None;
    for (number, line) in all {
        if line.trim().is_empty() {
            continue;
        }
        let fields = Fields(line.split('|').collect());
        if fields.0.len() != cols.count {
            out.warned_lines.push(number);
            continue;
        }
        let Some(id) = fields.get(cols.job_id) else {
            out.warned_lines.push(number);
            continue;
        };
        if let Some(parent) = step_parent(id) {
            if skipping == Some(parent) {
                continue;
            }
            let Some(&at) = index.get(parent) else {
                out.warned_lines.push(number);
                continue;
            };
            match read_step(&cols, &fields, options) {
                Ok(step) => totals[at].add(&step),
                Err(()) => out.warned_lines.push(number),
            }
            continue;
        }
        skipping = None;
        if index.contains_key(id) {
            out.warned_lines.push(number);
            skipping = Some(id);
            continue;
        }
        match read_job(&cols, &fields, options) {
            Ok(record) => {
                index.insert(id, out.jobs.len());
                out.jobs.push(record);
                totals.push(Totals::default());
            }
            Err(()) => out.warned_lines.push(number),
        }
    }
    for (record, sums) in out.jobs.iter_mut().zip(&totals) {
        sums.finish(record);
    }
    Ok(out)
}

/// The line numbers of `parse_sacct`'s warnings (`line N: …`), in order.
pub fn warned_lines(output: &FetchOutput) -> Vec<usize> {
    output
        .warnings
        .iter()
        .map(|warning| {
            warning
                .strip_prefix("line ")
                .and_then(|rest| rest.split(':').next())
                .and_then(|n| n.parse().ok())
                .unwrap_or_else(|| panic!("a sacct warning without its line number: {warning:?}"))
        })
        .collect()
}

/// Parses `text` with `parse_sacct` and with the model and panics, showing both, where they
/// differ: in failing, in any record, or in which lines were warned about.
pub fn assert_agree(text: &str, layout: Layout<'_>, options: &SacctOptions) {
    let real = hpcb_plugin_slurm_parse::sacct::parse_sacct(text, layout, options);
    let model = parse(text, layout, options);
    match (&real, &model) {
        (Err(_), Err(())) => {}
        (Ok(real), Ok(model)) => {
            let real_lines = warned_lines(real);
            if real.jobs != model.jobs || real_lines != model.warned_lines {
                for (at, (r, m)) in real.jobs.iter().zip(&model.jobs).enumerate() {
                    if r != m {
                        eprintln!("first differing record #{at}:\n parse_sacct: {r:?}\n model:       {m:?}");
                        break;
                    }
                }
                panic!(
                    "parse_sacct and the general rules disagree on {text:?} ({layout:?}, {options:?}):\n\
                     parse_sacct: {} records, warnings {:?}\n\
                     model:       {} records, warned lines {:?}",
                    real.jobs.len(),
                    real.warnings,
                    model.jobs.len(),
                    model.warned_lines
                );
            }
        }
        _ => panic!(
            "parse_sacct and the general rules disagree on whether {text:?} has a usable header ({layout:?}): \
             parse_sacct {:?}, model {:?}",
            real.as_ref().map(|o| o.jobs.len()),
            model.as_ref().map(|o| o.jobs.len())
        ),
    }
}

//! The fast reading of the lines sacct prints, tried before the general reader of [`super::line`].
//!
//! Each function here follows its general counterpart step by step, with two differences: the
//! usual shapes are read the short way (times and durations at fixed positions, a month's day
//! number and a TRES text's counts remembered, up to eight digits as one word), each giving
//! exactly what the general function gives; and where the general reader would fail (or might:
//! a TRES count it may not even need is unreadable), these give `None` instead of building the
//! message. The caller then runs the general reader, which gives the exact
//! warning; so a line is never read differently, only faster.

use super::line::req_mem_mib;
use super::{Columns, Line, SacctOptions};
use crate::duration::{parse_duration, quick_millis, Duration};
use crate::fold::StepUsage;
use crate::size::{parse_bytes, parse_joules};
use crate::state::base_state;
use crate::timestamp::{day_seconds, month_start, parse_local, two_digits, UtcOffset};
use crate::tres::TresText;
use crate::Record;

/// The months read so far, by month number: a month's first day number and length, under the
/// `YYYY-MM-` it was read from. Most times then need only their day and clock read.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Dates {
    months: [Option<(u64, i64, i64)>; 16],
}

impl Dates {
    /// [`parse_local`] of a field (`""` when absent); `None` where it fails.
    fn time(&mut self, text: Option<&str>, offset: UtcOffset) -> Option<Option<i64>> {
        let text = text.unwrap_or_default();
        if let &[y0, y1, y2, y3, b'-', m0, m1, b'-', d0, d1, b'T', ref clock @ ..] = text.as_bytes() {
            let key = u64::from_le_bytes([y0, y1, y2, y3, b'-', m0, m1, b'-']);
            let slot = usize::from(m1 & 15);
            let (start, length) = match self.months.get(slot).copied().flatten() {
                Some((known, start, length)) if known == key => (start, length),
                _ => {
                    let (start, length) = month_start([y0, y1, y2, y3], [m0, m1])?;
                    if let Some(slot) = self.months.get_mut(slot) {
                        *slot = Some((key, start, length));
                    }
                    (start, length)
                }
            };
            let day = two_digits(d0, d1).filter(|day| (1..=length).contains(day))?;
            let local_s = (start + day - 1) * 86_400 + day_seconds(clock)?;
            return Some(Some((local_s - offset.seconds()) * 1000));
        }
        parse_local(text, offset).ok()
    }
}

/// What a TRES text says of CPUs, GPUs and memory, each read without error.
#[derive(Debug, Clone, Copy)]
struct Counts {
    cpus: Option<i64>,
    gpus: Option<i64>,
    mem_mib: Option<i64>,
}

/// TRES texts read so far, by a hash of their text: jobs of the same shape print the same
/// text, so most are read once. A slot holds the last text that hashed to it.
#[derive(Debug)]
pub(super) struct Resources<'t> {
    slots: [Option<(&'t str, Counts)>; 64],
}

impl Default for Resources<'_> {
    fn default() -> Self {
        Resources { slots: [None; 64] }
    }
}

impl<'t> Resources<'t> {
    /// The counts of `text` as [`TresText`] reads them; `None` when any of them (or the text)
    /// is unreadable, for the general reader to judge in its own order.
    fn get(&mut self, text: &'t str) -> Option<Counts> {
        let bytes = text.as_bytes();
        let word = |from: usize| {
            bytes
                .get(from..from + 8)
                .and_then(|eight| <[u8; 8]>::try_from(eight).ok())
                .map_or(0, u64::from_le_bytes)
        };
        let mixed = (word(0) ^ word(8).rotate_left(17) ^ word(bytes.len().saturating_sub(8)).rotate_left(37))
            .wrapping_add(bytes.len() as u64)
            .wrapping_mul(0x9e37_79b9_7f4a_7c15);
        let slot = self.slots.get_mut((mixed >> 58) as usize)?;
        match slot {
            Some((known, counts)) if *known == text => Some(*counts),
            _ => {
                let tres = TresText::parse(text).ok()?;
                let counts = Counts {
                    cpus: tres.cpus().ok()?,
                    gpus: tres.gpus().ok()?,
                    mem_mib: tres.mem_mib().ok()?,
                };
                *slot = Some((text, counts));
                Some(counts)
            }
        }
    }
}

/// [`super::line::read_job`], its record pushed to `jobs` (built in place, not moved through
/// results), or `None` (and nothing pushed) where it would fail.
pub(super) fn job<'t>(
    columns: &Columns,
    line: &Line<'t, '_>,
    options: &SacctOptions,
    dates: &mut Dates,
    resources: &mut Resources<'t>,
    jobs: &mut Vec<Record>,
) -> Option<()> {
    let get = |column| columns.value(line, column);
    let id = get(columns.job_id).unwrap_or_default();
    let user = get(columns.user).or_else(|| get(columns.uid))?;
    let state = base_state(get(columns.state).unwrap_or_default()).ok()?;
    let submit = dates.time(get(columns.submit), options.utc_offset)?;
    let start = dates.time(get(columns.start), options.utc_offset)?;
    let end = dates.time(get(columns.end), options.utc_offset)?;
    let elapsed_s = elapsed_seconds(columns, line)?.unwrap_or(0);

    let (alloc_text, req_text) = (
        get(columns.alloc_tres).unwrap_or_default(),
        get(columns.req_tres).unwrap_or_default(),
    );
    let alloc = resources.get(alloc_text)?;
    // a job that got what it asked for prints the same text twice
    let req = match req_text == alloc_text {
        true => alloc,
        false => resources.get(req_text)?,
    };
    let alloc_cpus = match alloc.cpus {
        Some(cpus) => cpus,
        None => match whole(line, columns.alloc_cpus)?.filter(|cpus| *cpus > 0) {
            Some(cpus) => cpus,
            None => req.cpus.or(whole(line, columns.req_cpus)?).unwrap_or(0),
        },
    };
    let alloc_gpus = alloc.gpus.or(req.gpus).unwrap_or(0);
    let alloc_mem_mb = match alloc.mem_mib.or(req.mem_mib) {
        Some(mb) => mb,
        None => req_mem_mib(get(columns.req_mem), alloc_cpus).ok()?.unwrap_or(0),
    };

    let total_cpu_ms = match get(columns.total_cpu) {
        Some(text) => millis(text)?,
        None => None,
    };
    let energy_j = energy(columns, line)?;
    let cpu_time_raw_s = whole(line, columns.cpu_time_raw)?;

    jobs.push(Record {
        // a job line's id is its own unit id (`step_parent` found no step in it)
        job_id: id.to_owned(),
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
    });
    Some(())
}

/// [`super::line::read_step`], or `None` where it would fail.
pub(super) fn step(columns: &Columns, line: &Line<'_, '_>, options: &SacctOptions) -> Option<StepUsage> {
    let get = |column| columns.value(line, column);
    let total_cpu_ms = match get(columns.total_cpu) {
        Some(text) => millis(text)?,
        None => None,
    };
    let ave_rss_bytes = match columns.ave_rss.and_then(|at| amount(line, at)) {
        // what `parse_bytes` makes of whole numbers: × the unit (of the suffix, else bare)
        Some((value, None)) => Some(u128::from(value.unsigned_abs()) * options.ave_rss_bare.bytes()),
        Some((value, Some(shift))) => Some(u128::from(value.unsigned_abs()) << shift),
        None => match get(columns.ave_rss) {
            Some(text) => Some(parse_bytes(text, options.ave_rss_bare).ok()?),
            None => None,
        },
    };
    Some(StepUsage {
        total_cpu_ms,
        cpu_time_raw_s: whole(line, columns.cpu_time_raw)?,
        ave_rss_bytes,
        elapsed_s: elapsed_seconds(columns, line)?,
        energy_j: energy(columns, line)?,
    })
}

/// A field of up to eight digits with an optional binary size suffix (`3212K`): the number and
/// the suffix as a power of two (`None` without one). `None` for anything else, such as an
/// unknown suffix (for [`parse_bytes`] to judge).
#[inline]
fn amount(line: &Line<'_, '_>, at: usize) -> Option<(i64, Option<u32>)> {
    if let Some(value) = line.digits(at) {
        return Some((value, None));
    }
    let (value, letter) = line.digits_and_letter(at)?;
    let shift = match letter.to_ascii_uppercase() {
        b'K' => 10,
        b'M' => 20,
        b'G' => 30,
        b'T' => 40,
        b'P' => 50,
        _ => return None,
    };
    Some((value, Some(shift)))
}

/// [`Duration::millis`] of [`parse_duration`]; `None` where it fails.
fn millis(text: &str) -> Option<Option<i64>> {
    match quick_millis(text) {
        Some(ms) => Some(Some(ms)),
        None => parse_duration(text).ok().map(Duration::millis),
    }
}

/// `ElapsedRaw` (seconds), else `Elapsed` (a duration); `None` where either fails.
fn elapsed_seconds(columns: &Columns, line: &Line<'_, '_>) -> Option<Option<i64>> {
    if let Some(raw) = whole(line, columns.elapsed_raw)? {
        return Some(Some(raw));
    }
    match columns.value(line, columns.elapsed) {
        Some(text) => Some(millis(text)?.map(|ms| ms / 1000)),
        None => Some(None),
    }
}

/// `ConsumedEnergyRaw` (joules), else `ConsumedEnergy`; `None` where either fails.
fn energy(columns: &Columns, line: &Line<'_, '_>) -> Option<Option<i64>> {
    if let Some(raw) = whole(line, columns.energy_raw)? {
        return Some(Some(raw));
    }
    match columns.value(line, columns.energy) {
        Some(text) => Some(Some(parse_joules(text).ok()?)),
        None => Some(None),
    }
}

/// A whole, non-negative number in `column` (`Some(None)` when absent or empty); `None` for
/// anything else. Up to eight plain digits are read in one go ([`Line::digits`]).
#[inline]
fn whole(line: &Line<'_, '_>, column: Option<usize>) -> Option<Option<i64>> {
    let Some(at) = column else {
        return Some(None);
    };
    if let Some(value) = line.digits(at) {
        return Some(Some(value));
    }
    match crate::text::trim(line.field(at).unwrap_or_default()) {
        "" => Some(None),
        text => crate::text::parse_i64(text).filter(|value| *value >= 0).map(Some),
    }
}

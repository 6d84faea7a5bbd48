//! The sacct reader's two paths on text shaped like sacct's own output: the input chooses the
//! columns (any order, extra and missing ones, header or `--noheader`), the options, and lines
//! of jobs, array tasks and steps whose fields are sacct's usual shapes (times, durations, TRES
//! texts, sizes with suffixes, eight-digit numbers: what the fast reader reads the short way)
//! or those shapes slightly broken. `parse_sacct` must read it exactly as the general rules of
//! `hpcb_fuzz::sacct_model` do. Raw bytes rarely reach the fast reader's branches; this does.

#![no_main]

use arbitrary::{Result, Unstructured};
use hpcb_fuzz::sacct_model::assert_agree;
use hpcb_plugin_slurm_parse::sacct::{Layout, SacctOptions};
use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use libfuzzer_sys::fuzz_target;

/// Every column the reader knows, plus two it ignores.
const KNOWN: [&str; 24] = [
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
    "Elapsed",
    "TotalCPU",
    "CPUTimeRAW",
    "AllocCPUS",
    "ReqCPUS",
    "ReqMem",
    "ReqTRES",
    "AllocTRES",
    "AveRSS",
    "ConsumedEnergyRaw",
    "ConsumedEnergy",
    "NodeList",
    "JobName",
];

fn pick<'a, T>(u: &mut Unstructured<'_>, items: &'a [T]) -> Result<&'a T> {
    u.choose(items)
}

fn digits(u: &mut Unstructured<'_>, width: usize, max: u32) -> Result<String> {
    Ok(format!("{:0width$}", u.int_in_range(0..=max)?))
}

/// 1 to `longest` digits.
fn fraction(u: &mut Unstructured<'_>, longest: usize) -> Result<String> {
    let width = u.int_in_range(1..=longest)?;
    let value = u.int_in_range(0..=u64::MAX)?.to_string();
    Ok(format!("{value:0>width$}").chars().take(width).collect())
}

fn time(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=9)? {
        0 => (*pick(u, &["Unknown", "None", "", "unknown", "2026-11-21 23:45:43"])?).to_owned(),
        1 => format!(
            "{}-{}-{}T{}:{}:{}",
            digits(u, 4, 9999)?,
            digits(u, 2, 13)?,
            digits(u, 2, 32)?,
            digits(u, 2, 24)?,
            digits(u, 2, 60)?,
            digits(u, 2, 61)?
        ),
        _ => format!(
            "{}-{:02}-{:02}T{:02}:{:02}:{:02}",
            u.int_in_range(1999..=2031)?,
            u.int_in_range(1..=12)?,
            u.int_in_range(1..=31)?,
            u.int_in_range(0..=23)?,
            u.int_in_range(0..=59)?,
            u.int_in_range(0..=59)?
        ),
    })
}

fn duration(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=7)? {
        0 => (*pick(u, &["", "INVALID", "UNLIMITED", "Partition_Limit", "00:00:00", "1:2", "123456789012:00:00"])?)
            .to_owned(),
        1 => format!("{}:{}.{}", digits(u, 2, 99)?, digits(u, 2, 99)?, digits(u, 3, 999)?),
        2 => format!("{}:{}:{}", digits(u, 2, 99)?, digits(u, 2, 99)?, digits(u, 2, 99)?),
        3 => format!(
            "{}-{}:{}:{}.{}",
            u.int_in_range(0..=99)?,
            digits(u, 2, 30)?,
            digits(u, 2, 61)?,
            digits(u, 2, 61)?,
            fraction(u, 7)?
        ),
        4 => format!(
            "{}-{}:{}:{}",
            u.int_in_range(0..=999_999_999_999u64)?,
            digits(u, 2, 23)?,
            digits(u, 2, 59)?,
            digits(u, 2, 59)?
        ),
        _ => format!(
            "{:02}:{:02}:{:02}",
            u.int_in_range(0..=47)?,
            u.int_in_range(0..=59)?,
            u.int_in_range(0..=59)?
        ),
    })
}

fn number(u: &mut Unstructured<'_>) -> Result<String> {
    Ok(match u.int_in_range(0..=6)? {
        0 => (*pick(u, &["", "0", "-1", "+7", "00000001", "9223372036854775807", "9223372036854775808", "1e3"])?)
            .to_owned(),
        1 => u.int_in_range(0..=u64::MAX)?.to_string(),
        2 => format!("{:08}", u.int_in_range(0..=99_999_999)?),
        _ => u.int_in_range(0..=99_999)?.to_string(),
    })
}

fn size(u: &mut Unstructured<'_>) -> Result<String> {
    let amount = match u.int_in_range(0..=3)? {
        0 => format!("{}.{}", u.int_in_range(0..=9999)?, fraction(u, 10)?),
        1 => u.int_in_range(0..=u64::MAX)?.to_string(),
        _ => u.int_in_range(0..=99_999_999)?.to_string(),
    };
    let suffix = *pick(u, &["", "", "K", "M", "G", "T", "P", "k", "m", "g", "X", "c", "n", "Mc", "Gn", "."])?;
    Ok(format!("{amount}{suffix}"))
}

fn energy(u: &mut Unstructured<'_>) -> Result<String> {
    let amount = match u.int_in_range(0..=2)? {
        0 => format!("{}.{}", u.int_in_range(0..=9999)?, fraction(u, 10)?),
        _ => u.int_in_range(0..=u32::MAX)?.to_string(),
    };
    Ok(format!("{amount}{}", pick(u, &["", "", "K", "k", "M", "G", "m", "J"])?))
}

fn tres(u: &mut Unstructured<'_>) -> Result<String> {
    let count = u.int_in_range(0..=6)?;
    let mut items = Vec::new();
    for _ in 0..count {
        let key = *pick(
            u,
            &[
                "cpu", "mem", "node", "billing", "gres/gpu", "gres/gpu:a100", "gres/GPU:v100", "energy", "CPU", "MEM",
                " cpu ", "gres/gpu:", "", "license/x",
            ],
        )?;
        let value = match key.trim().to_ascii_lowercase().as_str() {
            "mem" => size(u)?,
            _ => number(u)?,
        };
        items.push(match u.int_in_range(0..=15)? {
            0 => key.to_owned(),
            1 => format!("{key}={value}={value}"),
            2 => format!(" {key} = {value} "),
            _ => format!("{key}={value}"),
        });
    }
    Ok(items.join(","))
}

fn state(u: &mut Unstructured<'_>) -> Result<String> {
    Ok((*pick(
        u,
        &[
            "COMPLETED", "FAILED", "CANCELLED by 1003", "CANCELLED+", "RUNNING", "PENDING", "TIMEOUT", "OUT_OF_MEMORY",
            "NODE_FAIL", "completed", "", "REQUEUED", "+", "CANCELLED  by 0", "BOOT_FAIL x",
        ],
    )?)
    .to_owned())
}

/// A job id: plain, an array task, a heterogeneous component, a pending array, or one already
/// used (the first `known` ones are the ids of earlier job lines).
fn job_id(u: &mut Unstructured<'_>, known: &[String]) -> Result<String> {
    if !known.is_empty() && u.ratio(1, 3)? {
        return Ok(pick(u, known)?.clone());
    }
    let job = u.int_in_range(0..=40u32)?;
    Ok(match u.int_in_range(0..=9)? {
        0 => format!("{job}_{}", u.int_in_range(0..=9u32)?),
        1 => format!("{job}+{}", u.int_in_range(0..=2u32)?),
        2 => format!("{job}_[1-{}]", u.int_in_range(1..=9u32)?),
        3 => format!("0{job}"),
        4 => format!("{job}_{}+{}", u.int_in_range(0..=4294967296u64)?, u.int_in_range(0..=1u32)?),
        _ => job.to_string(),
    })
}

/// A value shaped for the column, sometimes with one byte replaced or made arbitrary.
fn value(u: &mut Unstructured<'_>, column: &str, id: &str) -> Result<String> {
    let mut text = match column {
        "JobID" | "JobIDRaw" => id.to_owned(),
        "User" => (*pick(u, &["alice", "bob", "1001", "", " carol "])?).to_owned(),
        "UID" => number(u)?,
        "Account" | "Partition" | "JobName" => (*pick(u, &["physics", "debug", "", "gpu-a100", "None"])?).to_owned(),
        "State" => state(u)?,
        "Submit" | "Start" | "End" => time(u)?,
        "Elapsed" | "TotalCPU" => duration(u)?,
        "ElapsedRaw" | "CPUTimeRAW" | "AllocCPUS" | "ReqCPUS" | "ConsumedEnergyRaw" => number(u)?,
        "ReqMem" | "AveRSS" => size(u)?,
        "ReqTRES" | "AllocTRES" => tres(u)?,
        "ConsumedEnergy" => energy(u)?,
        "NodeList" => (*pick(u, &["node[01-04]", "None assigned", "NONE ASSIGNED", "", "c1"])?).to_owned(),
        _ => String::new(),
    };
    match u.int_in_range(0..=31)? {
        0 => text = u.arbitrary::<&str>()?.to_owned(),
        1 if !text.is_empty() => {
            let at = u.choose_index(text.len())?;
            if text.is_char_boundary(at) && text.is_char_boundary(at + 1) {
                let by = *pick(u, &["0", "9", ":", "-", ".", "T", " ", "x", "K", "\u{a0}", "é", "=", ","])?;
                text.replace_range(at..at + 1, by);
            }
        }
        2 => text = format!(" {text}\t"),
        _ => {}
    }
    Ok(text)
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    // the columns: the plugin's usual set, or any selection in any order
    let mut columns: Vec<&str> = Vec::new();
    for name in KNOWN {
        if u.ratio(5, 6)? {
            columns.push(name);
        }
    }
    for _ in 0..u.int_in_range(0..=3)? {
        let (a, b) = (u.choose_index(columns.len().max(1))?, u.choose_index(columns.len().max(1))?);
        if a < columns.len() && b < columns.len() {
            columns.swap(a, b);
        }
    }
    let options = SacctOptions {
        utc_offset: UtcOffset::parse(pick(u, &["Z", "+07:00", "-05:30", "+14:00", "-12"])?).expect("offset"),
        ave_rss_bare: *pick(u, &[BareUnit::Bytes, BareUnit::KiB, BareUnit::MiB])?,
    };
    let header = u.ratio(1, 2)?;

    let mut text = String::new();
    if header {
        if u.ratio(1, 8)? {
            text.push_str("\n \r\n");
        }
        let names: Vec<String> = columns
            .iter()
            .map(|n| if u.ratio(1, 8).unwrap_or(false) { format!(" {} ", n.to_ascii_lowercase()) } else { (*n).to_owned() })
            .collect();
        text.push_str(&names.join("|"));
        text.push('\n');
    }
    let mut jobs: Vec<String> = Vec::new();
    let count = u.int_in_range(0..=16)?;
    for _ in 0..count {
        let id = match u.int_in_range(0..=9)? {
            // a step of an earlier job, or of one never listed
            0..=3 => {
                let parent = match jobs.is_empty() || u.ratio(1, 8)? {
                    true => job_id(u, &[])?,
                    false => pick(u, &jobs)?.clone(),
                };
                format!("{parent}.{}", pick(u, &["batch", "extern", "0", "1", "interactive", ""])?)
            }
            _ => {
                let id = job_id(u, &jobs)?;
                jobs.push(id.clone());
                id
            }
        };
        let mut fields = Vec::with_capacity(columns.len());
        for column in &columns {
            fields.push(value(u, column, &id)?);
        }
        match u.int_in_range(0..=40)? {
            0 => {
                fields.pop();
            }
            1 => fields.push(String::new()),
            2 => fields.clear(),
            _ => {}
        }
        text.push_str(&fields.join("|"));
        text.push_str(pick(u, &["\n", "\n", "\n", "\r\n", "\n\n"])?);
    }
    if header {
        assert_agree(&text, Layout::HeaderLine, &options);
    } else {
        assert_agree(&text, Layout::Columns(&columns), &options);
    }
    Ok(())
}

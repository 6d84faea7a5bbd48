//! TRES strings (`billing=5,cpu=1,gres/gpu:a100=1,mem=1G,node=1`) and slurmrestd's TRES lists.
//!
//! - `Tres::parse` and every reading of it (`get`, `count`, `mem_mib`, `gpus`);
//! - the sacct reader's own in-place TRES reading (and its cache of TRES texts), through a job
//!   line whose `AllocTRES` and `ReqTRES` are the input: the record must carry exactly what
//!   `Tres` reads (CPUs, GPUs, MiB), and the line must be skipped exactly when `Tres` fails;
//! - `Tres::from_json` on the input when it is JSON: its counts are whole numbers by
//!   construction, so reading them never fails;
//! - the value readers TRES values go through (`parse_mib`, `parse_bytes`).

#![no_main]

use hpcb_plugin_slurm_parse::sacct::{parse_sacct, Layout, SacctOptions};
use hpcb_plugin_slurm_parse::size::{parse_bytes, parse_mib, BareUnit};
use hpcb_plugin_slurm_parse::timestamp::UtcOffset;
use hpcb_plugin_slurm_parse::tres::Tres;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = hpcb_fuzz::text(data);
    let text = text.as_ref();

    let parsed = Tres::parse(text);
    let readings = parsed.as_ref().map(|tres| {
        let _ = (tres.is_empty(), tres.get("cpu"), tres.get("gres/gpu"), tres.count("node"));
        (tres.count("cpu"), tres.gpus(), tres.mem_mib())
    });

    // the sacct reader's TRES reading: twice, the second time from its cache
    if !text.contains(['|', '\n', '\r']) {
        let sacct = format!(
            "JobID|User|State|End|AllocTRES|ReqTRES\n\
             1|alice|COMPLETED|2026-11-21T23:45:43|{text}|{text}\n\
             2|alice|COMPLETED|2026-11-21T23:45:44|{text}|{text}\n"
        );
        let options = SacctOptions {
            utc_offset: UtcOffset::UTC,
            ave_rss_bare: BareUnit::Bytes,
        };
        let output = parse_sacct(&sacct, Layout::HeaderLine, &options).expect("the header is complete");
        match &readings {
            Ok((Ok(cpus), Ok(gpus), Ok(mem))) => {
                assert_eq!(output.jobs.len(), 2, "TRES {text:?} reads as {readings:?}: {output:?}");
                for record in &output.jobs {
                    assert_eq!(
                        (record.alloc_cpus, record.alloc_gpus, record.alloc_mem_mb),
                        (cpus.unwrap_or(0), gpus.unwrap_or(0), mem.unwrap_or(0)),
                        "TRES {text:?}: the sacct reader disagrees with Tres"
                    );
                }
            }
            _ => assert!(
                output.jobs.is_empty() && output.warnings.len() == 2,
                "TRES {text:?} is unreadable ({readings:?}) but the sacct reader read {output:?}"
            ),
        }
    }

    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        let tres = Tres::from_json(&json);
        let _ = (tres.is_empty(), tres.get("gres/gpu"));
        assert!(tres.count("cpu").is_ok(), "from_json({json}) has an unreadable cpu count");
        assert!(tres.count("node").is_ok(), "from_json({json}) has an unreadable node count");
        assert!(tres.gpus().is_ok(), "from_json({json}) has an unreadable GPU count");
        assert!(tres.mem_mib().is_ok(), "from_json({json}) has an unreadable memory");
    }

    if let Ok(mib) = parse_mib(text) {
        let bytes = parse_bytes(text, BareUnit::MiB).expect("parse_mib read it");
        assert_eq!(i64::try_from((bytes + (1 << 19)) >> 20).ok(), Some(mib), "parse_mib({text:?}) is not its bytes in MiB");
    }
});

//! sacct `--parsable2` captures: the 22.05 files of `shared/slurm/fixtures` and this project's
//! own harness run (`fixtures/live`, made by `tests/slurm/jobs.sh`).

use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::Record;

use crate::support::{fixture, ids, job, plugin_columns, sacct_with_header, sacct_without_header};

/// The columns of a header-less 22.05 fixture, read off its header-carrying twin.
fn columns_of(header_file: &str) -> Vec<String> {
    let text = fixture(header_file);
    text.lines()
        .next()
        .unwrap_or_default()
        .split('|')
        .map(str::to_owned)
        .collect()
}

#[test]
fn full_22_05_capture_with_and_without_header() {
    let with = sacct_with_header("shared-22.05/sacct-full.header.psv", BareUnit::KiB);
    assert!(with.warnings.is_empty(), "{:?}", with.warnings);
    assert_eq!(ids(&with), ["1", "2", "3", "4", "5_1", "5_2", "5_3", "6", "7", "8"]);

    let names = columns_of("shared-22.05/sacct-full.header.psv");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let without = sacct_without_header("shared-22.05/sacct-full.noheader.psv", &names);
    assert_eq!(without, with);

    // job 6, by hand: steps' TotalCPU .051 + .005 + .002 + .002 s (the job line's .062 is not
    // used: sacct sums microseconds before cutting them); no AveRSS or energy columns
    let expected = Record {
        job_id: "6".into(),
        user: "carol".into(),
        account: Some("physics".into()),
        partition: Some("debug".into()),
        state: "COMPLETED".into(),
        submit: Some(1_795_304_740_000),
        start: Some(1_795_304_763_000),
        end: Some(1_795_304_765_000),
        elapsed_s: 2,
        alloc_cpus: 2,
        alloc_gpus: 0,
        alloc_mem_mb: 200,
        cpu_used_ms: Some(60),
        cpu_time_raw_s: Some(4),
        mem_used_kib_s: None,
        energy_j: None,
        nodes: Some("localhost".into()),
    };
    assert_eq!(job(&with, "6"), &expected);

    assert_eq!(job(&with, "4").state, "CANCELLED");
    assert_eq!(job(&with, "3").state, "FAILED");
    assert_eq!(job(&with, "2").cpu_used_ms, Some(2_530));
    let gpu = job(&with, "7");
    assert_eq!(
        (gpu.alloc_gpus, gpu.alloc_mem_mb, gpu.partition.as_deref()),
        (1, 1024, Some("gpu"))
    );
    assert_eq!(job(&with, "5_3").cpu_time_raw_s, Some(2));
    assert_eq!(job(&with, "8").elapsed_s, 71);
}

#[test]
fn brief_22_05_capture_reads_what_it_has() {
    let with = sacct_with_header("shared-22.05/sacct-brief.header.psv", BareUnit::KiB);
    assert!(with.warnings.is_empty(), "{:?}", with.warnings);
    let names = columns_of("shared-22.05/sacct-brief.header.psv");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    assert_eq!(
        sacct_without_header("shared-22.05/sacct-brief.noheader.psv", &names),
        with
    );

    let full = sacct_with_header("shared-22.05/sacct-full.header.psv", BareUnit::KiB);
    for brief in &with.jobs {
        let full = job(&full, &brief.job_id);
        // no Submit, Start, CPUTimeRAW, NodeList columns in the brief format
        assert_eq!(
            (brief.submit, brief.start, brief.cpu_time_raw_s, &brief.nodes),
            (None, None, None, &None)
        );
        assert_eq!(
            (
                &brief.user,
                &brief.state,
                brief.end,
                brief.elapsed_s,
                brief.alloc_cpus,
                brief.alloc_mem_mb,
                brief.alloc_gpus,
                brief.cpu_used_ms
            ),
            (
                &full.user,
                &full.state,
                full.end,
                full.elapsed_s,
                full.alloc_cpus,
                full.alloc_mem_mb,
                full.alloc_gpus,
                full.cpu_used_ms
            ),
            "job {}",
            brief.job_id
        );
    }
}

#[test]
fn allocations_only_capture_has_no_step_cpu_time() {
    // `sacct -X` prints TotalCPU 00:00:00 for every job: the record says 0, and pricing falls
    // back to CPUTimeRAW or allocation × elapsed
    let output = sacct_with_header("shared-22.05/sacct-brief.allocations-only.header.psv", BareUnit::KiB);
    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
    assert_eq!(output.jobs.len(), 10);
    assert!(output.jobs.iter().all(|r| r.cpu_used_ms == Some(0)));
}

#[test]
fn harness_capture_with_noconvert() {
    let output = sacct_without_header("live/sacct-noconvert.noheader.psv", &plugin_columns());
    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
    assert_eq!(
        ids(&output),
        ["1", "2", "3", "4", "5_1", "5_2", "5_3", "6", "7", "8", "9+0", "9+1"]
    );

    // dave's memhog: -n2 --mem-per-cpu=100M; its batch step held ~46 MiB for 4 s
    let memhog = job(&output, "8");
    assert_eq!(
        (memhog.user.as_str(), memhog.account.as_deref()),
        ("dave", Some("biology"))
    );
    assert_eq!(
        (memhog.alloc_cpus, memhog.alloc_mem_mb, memhog.cpu_time_raw_s),
        (2, 200, Some(8))
    );
    assert_eq!(memhog.cpu_used_ms, Some(134));
    assert_eq!(memhog.mem_used_kib_s, Some(48_619_520 * 4 / 1024));
    assert_eq!(memhog.energy_j, Some(0));

    // multistep: steps .045 + .005 + .002 + .002 s; AveRSS 10756096 B × 2 s + 1673216 B × 2 s
    let multistep = job(&output, "6");
    assert_eq!(multistep.cpu_used_ms, Some(54));
    assert_eq!(multistep.mem_used_kib_s, Some((10_756_096 * 2 + 1_673_216 * 2) / 1024));

    // bob cancelled his own job: "CANCELLED by 1003"
    assert_eq!(job(&output, "4").state, "CANCELLED");

    // the heterogeneous job could not start on one node: two pending components
    for (id, mem) in [("9+0", 50), ("9+1", 60)] {
        let component = job(&output, id);
        assert_eq!(
            (
                component.state.as_str(),
                component.start,
                component.end,
                component.nodes.as_deref()
            ),
            ("PENDING", None, None, None)
        );
        assert_eq!((component.alloc_cpus, component.alloc_mem_mb), (1, mem));
    }
}

#[test]
fn default_units_with_extra_columns_read_the_same_as_noconvert() {
    // sacct's default output prints AveRSS as "3212K" (exact multiples only), MiB memory as
    // "1G"; this file also has extra columns (Elapsed, MaxRSS, JobName) in another order
    let default = sacct_with_header("live/sacct-default.header.psv", BareUnit::KiB);
    let noconvert = sacct_without_header("live/sacct-noconvert.noheader.psv", &plugin_columns());
    assert!(default.warnings.is_empty(), "{:?}", default.warnings);
    assert_eq!(default, noconvert);
}

#[test]
fn older_and_rarer_shapes_fold_correctly() {
    // hand-made lines in shapes the captures lack: extern steps, array-task steps, steps of
    // heterogeneous components, old `ReqMem` with a per-CPU `c` suffix, typed-only GPUs, a
    // TotalCPU past one hour, a step without TotalCPU (its CPUTimeRAW counts)
    let text = "\
JobID|User|State|End|ElapsedRaw|TotalCPU|CPUTimeRAW|AllocCPUS|ReqMem|AllocTRES|AveRSS
12345|alice|COMPLETED|2026-01-01T00:00:10|3700|||4|100Mc|cpu=4,gres/gpu:a100=2,gres/gpu:v100=1|
12345.extern||COMPLETED|2026-01-01T00:00:10|3700|00:00:00|14800|4|||0
12345.batch||COMPLETED|2026-01-01T00:00:10|3700|01:00:00|14800|4|||1M
12345.0||COMPLETED|2026-01-01T00:00:10|10||40|4|||
77_3|bob|TIMEOUT|2026-01-01T00:00:10|60|00:00:00|60|1|64Mn|cpu=1|
77_3.batch||CANCELLED|2026-01-01T00:00:10|60|00:01.500|60|1|||2048
88+0|carol|COMPLETED|2026-01-01T00:00:10|5|00:00:00|5|1||cpu=1,mem=1G|
88+1|carol|COMPLETED|2026-01-01T00:00:10|5|00:00:00|10|2||cpu=2,mem=2G|
88+1.0||COMPLETED|2026-01-01T00:00:10|5|00:02.000|10|2|||
";
    let options = hpcb_plugin_slurm_parse::sacct::SacctOptions {
        utc_offset: hpcb_plugin_slurm_parse::timestamp::UtcOffset::UTC,
        ave_rss_bare: BareUnit::KiB,
    };
    let output =
        hpcb_plugin_slurm_parse::sacct::parse_sacct(text, hpcb_plugin_slurm_parse::sacct::Layout::HeaderLine, &options)
            .expect("valid header");
    assert!(output.warnings.is_empty(), "{:?}", output.warnings);
    assert_eq!(ids(&output), ["12345", "77_3", "88+0", "88+1"]);
    let big = job(&output, "12345");
    assert_eq!((big.alloc_cpus, big.alloc_mem_mb, big.alloc_gpus), (4, 400, 3));
    // 0 + 3600 s + step 0's CPUTimeRAW 40 s
    assert_eq!(big.cpu_used_ms, Some(3_640_000));
    // extern 0 KiB, batch 1 MiB × 3700 s, step 0 unknown
    assert_eq!(big.mem_used_kib_s, Some(1024 * 3700));
    let task = job(&output, "77_3");
    assert_eq!(
        (task.alloc_mem_mb, task.cpu_used_ms, task.mem_used_kib_s),
        (64, Some(1_500), Some(2048 * 60))
    );
    assert_eq!(job(&output, "88+0").cpu_used_ms, Some(0));
    assert_eq!(
        (job(&output, "88+1").alloc_mem_mb, job(&output, "88+1").cpu_used_ms),
        (2048, Some(2_000))
    );
}

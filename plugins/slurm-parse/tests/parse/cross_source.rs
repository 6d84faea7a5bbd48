//! sacct and slurmrestd describing the same real jobs must give the same records wherever both
//! carry the data (a sacct format without AveRSS cannot report memory use, for example).

use hpcb_plugin_slurm_parse::size::BareUnit;
use hpcb_plugin_slurm_parse::{FetchOutput, Record};

use crate::support::{ids, plugin_columns, rest, sacct_with_header, sacct_without_header, sorted};

/// Asserts two records agree: every plain field equal, every optional field equal when both
/// sources know it. Returns how many optional fields were compared.
fn assert_agree(sacct: &Record, rest: &Record) -> usize {
    assert_eq!(
        (
            &sacct.job_id,
            &sacct.user,
            &sacct.account,
            &sacct.partition,
            &sacct.state
        ),
        (&rest.job_id, &rest.user, &rest.account, &rest.partition, &rest.state)
    );
    assert_eq!(
        (sacct.elapsed_s, sacct.alloc_cpus, sacct.alloc_gpus, sacct.alloc_mem_mb),
        (rest.elapsed_s, rest.alloc_cpus, rest.alloc_gpus, rest.alloc_mem_mb),
        "job {}",
        sacct.job_id
    );
    let mut compared = 0;
    let mut both = |name: &str, a: Option<i64>, b: Option<i64>| {
        if let (Some(a), Some(b)) = (a, b) {
            assert_eq!(a, b, "job {} {name}", sacct.job_id);
            compared += 1;
        }
    };
    both("submit", sacct.submit, rest.submit);
    both("start", sacct.start, rest.start);
    both("end", sacct.end, rest.end);
    both("cpu_used_ms", sacct.cpu_used_ms, rest.cpu_used_ms);
    both("cpu_time_raw_s", sacct.cpu_time_raw_s, rest.cpu_time_raw_s);
    both("mem_used_kib_s", sacct.mem_used_kib_s, rest.mem_used_kib_s);
    both("energy_j", sacct.energy_j, rest.energy_j);
    if let (Some(a), Some(b)) = (&sacct.nodes, &rest.nodes) {
        assert_eq!(a, b, "job {} nodes", sacct.job_id);
    }
    assert_eq!(sacct.end.is_some(), rest.end.is_some(), "job {} end", sacct.job_id);
    compared
}

fn assert_sources_agree(sacct: &FetchOutput, rest: &FetchOutput) -> usize {
    assert_eq!(ids(sacct), ids(rest));
    sorted(sacct)
        .iter()
        .zip(sorted(rest).iter())
        .map(|(s, r)| assert_agree(s, r))
        .sum()
}

#[test]
fn shared_22_05_sacct_and_slurmrestd_agree() {
    let sacct = sacct_with_header("shared-22.05/sacct-full.header.psv", BareUnit::KiB);
    let rest = rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.window.json");
    let compared = assert_sources_agree(&sacct, &rest);
    // submit, start, end, CPU used and CPUTimeRAW of 10 jobs
    assert_eq!(compared, 50);
}

#[test]
fn harness_sacct_and_slurmrestd_agree_on_everything() {
    let sacct = sacct_without_header("live/sacct-noconvert.noheader.psv", &plugin_columns());
    let rest = rest("live/rest-slurmdb-v0.0.38-jobs.window.json");
    assert!(rest.warnings.is_empty(), "{:?}", rest.warnings);
    let compared = assert_sources_agree(&sacct, &rest);
    // all 7 optional numbers of 10 ended jobs, 4 of the 2 pending components (no start, end
    // or AveRSS; slurmrestd reports no energy for a job that never ran)
    assert_eq!(compared, 10 * 7 + 2 * 3);
    let mut ended: Vec<Record> = sorted(&sacct).into_iter().filter(|r| r.end.is_some()).collect();
    let mut rest_ended: Vec<Record> = sorted(&rest).into_iter().filter(|r| r.end.is_some()).collect();
    ended.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    rest_ended.sort_by(|a, b| a.job_id.cmp(&b.job_id));
    assert_eq!(ended, rest_ended, "ended jobs must be identical records");
}

#[test]
fn sacct_json_is_the_v0_0_38_document() {
    // `sacct --json` on 22.05 prints byte for byte what /slurmdb/v0.0.38/jobs answers
    let json = rest("shared-22.05/sacct-json.json");
    let window = rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.window.json");
    assert_eq!(json, window);
}

#[test]
fn other_22_05_documents_parse_cleanly() {
    let noparams = rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.noparams.json");
    assert_eq!(noparams, rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.window.json"));
    let chemistry = rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.account-chemistry.json");
    assert!(!chemistry.jobs.is_empty());
    assert!(chemistry.jobs.iter().all(|r| r.account.as_deref() == Some("chemistry")));
    // skip_steps drops the steps and with them the CPU and memory usage
    let skipped = rest("shared-22.05/rest-slurmdb-v0.0.38-jobs.window-skip_steps.json");
    assert!(skipped
        .jobs
        .iter()
        .all(|r| r.cpu_used_ms == Some(0) && r.mem_used_kib_s.is_none()));
    // the v0.0.37 plugin of 22.05 (not supported, read for comparison) serves the same shapes,
    // but its `time.start` is the eligible time, not the start
    let v37 = rest("shared-22.05/rest-slurmdb-v0.0.37-jobs.window.json");
    let without_start = |output: &FetchOutput| {
        sorted(output)
            .into_iter()
            .map(|record| Record { start: None, ..record })
            .collect::<Vec<_>>()
    };
    assert_eq!(without_start(&v37), without_start(&noparams));
    let mem_per_cpu = rest("shared-22.05/rest-slurmdb-v0.0.38-job-mem-per-cpu.json");
    assert_eq!(
        (
            mem_per_cpu.jobs[0].job_id.as_str(),
            mem_per_cpu.jobs[0].alloc_mem_mb,
            mem_per_cpu.jobs[0].alloc_cpus
        ),
        ("12", 200, 2)
    );
    for file in ["job-2", "job-6-multistep"] {
        let single = rest(&format!("shared-22.05/rest-slurmdb-v0.0.38-{file}.json"));
        assert_eq!(single.jobs.len(), 1, "{file}");
        assert!(noparams.jobs.contains(&single.jobs[0]), "{file}");
    }
}

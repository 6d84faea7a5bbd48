//! slurmrestd documents of every API version v0.0.38..v0.0.45 (captured from real daemons for
//! the same 11 jobs) give the same records, and a few of them are checked by hand.

use hpcb_plugin_slurm_parse::rest::{parse_jobs_response, ResponseError};
use hpcb_plugin_slurm_parse::Record;

use crate::support::{fixture, ids, job, rest, sorted};

const VERSIONS: [&str; 8] = ["38", "39", "40", "41", "42", "43", "44", "45"];

fn window(version: &str) -> String {
    format!("v0.0.{version}/rest-slurmdb-v0.0.{version}-jobs.window.json")
}

/// Job 6 of the 24.11 run: carol's three `srun` steps plus the batch step (values read off the
/// v0.0.45 capture: step TotalCPU 41878 + 6110 + 2945 + 2253 µs, each cut to ms as sacct prints
/// it; AveRSS 10440704 B × 2 s + 1703936 B × 2 s; steps 6.1/6.2 report no AveRSS).
fn job_6() -> Record {
    Record {
        job_id: "6".into(),
        user: "carol".into(),
        account: Some("physics".into()),
        partition: Some("debug".into()),
        state: "COMPLETED".into(),
        submit: Some(1_795_307_498_000),
        start: Some(1_795_307_518_000),
        end: Some(1_795_307_520_000),
        elapsed_s: 2,
        alloc_cpus: 2,
        alloc_gpus: 0,
        alloc_mem_mb: 200,
        cpu_used_ms: Some(41 + 6 + 2 + 2),
        cpu_time_raw_s: Some(4),
        mem_used_kib_s: Some((10_440_704 * 2 + 1_703_936 * 2) / 1024),
        energy_j: Some(0),
        nodes: Some("localhost".into()),
    }
}

#[test]
fn every_version_reads_the_window_into_the_same_records() {
    let newest = rest(&window("45"));
    assert!(newest.warnings.is_empty(), "{:?}", newest.warnings);
    assert_eq!(
        ids(&newest),
        ["1", "10", "2", "3", "4", "5_1", "5_2", "5_3", "6", "7", "8"]
    );
    for version in VERSIONS {
        let output = rest(&window(version));
        assert!(output.warnings.is_empty(), "v0.0.{version}: {:?}", output.warnings);
        assert_eq!(sorted(&output), sorted(&newest), "v0.0.{version} differs from v0.0.45");
    }
}

#[test]
fn hand_checked_jobs() {
    for version in VERSIONS {
        let output = rest(&window(version));
        assert_eq!(job(&output, "6"), &job_6(), "v0.0.{version}");

        // mem-per-cpu: 2 CPUs × 100M is allocated as mem=200
        let mem_per_cpu = job(&output, "10");
        assert_eq!((mem_per_cpu.alloc_cpus, mem_per_cpu.alloc_mem_mb), (2, 200));
        assert_eq!(mem_per_cpu.cpu_used_ms, Some(13 + 5));
        assert_eq!(mem_per_cpu.mem_used_kib_s, Some(860_160 / 1024));

        // array 5: raw ids 11, 12, 5 are tasks 1, 2, 3
        assert_eq!(job(&output, "5_3").start, Some(1_795_307_514_000));
        assert_eq!(job(&output, "5_3").mem_used_kib_s, Some(3_375_104 * 3 / 1024));
        assert_eq!(job(&output, "5_1").mem_used_kib_s, None);
        assert_eq!(job(&output, "5_2").cpu_used_ms, Some(4));
        assert!(output.jobs.iter().all(|r| r.job_id != "11" && r.job_id != "12"));

        let gpu = job(&output, "7");
        assert_eq!(
            (gpu.partition.as_deref(), gpu.alloc_gpus, gpu.alloc_mem_mb),
            (Some("gpu"), 1, 1024)
        );

        assert_eq!(job(&output, "3").state, "FAILED");
        assert_eq!(job(&output, "4").state, "CANCELLED");
        assert_eq!(
            (job(&output, "8").state.as_str(), job(&output, "8").elapsed_s),
            ("TIMEOUT", 68)
        );
    }
}

#[test]
fn the_pending_job_has_no_start_end_or_usage() {
    for version in VERSIONS {
        let output = rest(&format!(
            "v0.0.{version}/rest-slurmdb-v0.0.{version}-job-9-pending.json"
        ));
        let expected = Record {
            job_id: "9".into(),
            user: "alice".into(),
            account: Some("physics".into()),
            partition: Some("debug".into()),
            state: "PENDING".into(),
            submit: Some(1_795_307_498_000),
            start: None,
            end: None,
            elapsed_s: 0,
            alloc_cpus: 1,
            alloc_gpus: 0,
            alloc_mem_mb: 32,
            cpu_used_ms: Some(0),
            cpu_time_raw_s: Some(0),
            mem_used_kib_s: None,
            energy_j: None,
            nodes: None,
        };
        assert_eq!(output.jobs, vec![expected], "v0.0.{version}");
    }
}

#[test]
fn single_job_documents_match_the_window() {
    for version in VERSIONS {
        let window = rest(&window(version));
        for (file, id) in [("job-2", "2"), ("job-6-multistep", "6"), ("job-mem-per-cpu", "10")] {
            let single = rest(&format!("v0.0.{version}/rest-slurmdb-v0.0.{version}-{file}.json"));
            assert_eq!(single.jobs, vec![job(&window, id).clone()], "v0.0.{version} {file}");
        }
        let three = rest(&format!("v0.0.{version}/rest-slurmdb-v0.0.{version}-jobs.3jobs.json"));
        assert_eq!(ids(&three), ["10", "2", "6"]);
    }
}

#[test]
fn user_filtered_documents_hold_only_that_user() {
    for version in &VERSIONS[1..] {
        let output = rest(&format!(
            "v0.0.{version}/rest-slurmdb-v0.0.{version}-jobs.users-alice.json"
        ));
        assert_eq!(ids(&output), ["1", "10", "2", "7"], "v0.0.{version}");
        assert!(output.jobs.iter().all(|r| r.user == "alice"));
    }
}

#[test]
fn nothing_found_is_an_empty_result_in_every_version() {
    for version in VERSIONS {
        let output = rest(&format!(
            "v0.0.{version}/rest-slurmdb-v0.0.{version}-jobs.nothing-found.json"
        ));
        assert!(
            output.jobs.is_empty() && output.warnings.is_empty(),
            "v0.0.{version}: {output:?}"
        );
    }
}

#[test]
fn error_documents_fail_with_the_server_text() {
    let cases = [
        (
            "v0.0.38/rest-slurmdb-v0.0.38-jobs.users-alice-ERROR.json",
            500,
            "Unknown Query field",
        ),
        (
            "v0.0.38/rest-slurmdb-v0.0.38-jobs.unknown-param-ERROR.json",
            500,
            "Unknown Query field",
        ),
        (
            "v0.0.38/rest-slurmdb-v0.0.38-jobs.epoch-window-ERROR.json",
            500,
            "Unable to parse time format",
        ),
        (
            "v0.0.39/rest-slurmdb-v0.0.39-jobs.epoch-window-ERROR.json",
            422,
            "Unable to parse time format",
        ),
        (
            "v0.0.39/rest-slurmdb-v0.0.39-jobs.unknown-param-ERROR.json",
            422,
            "unexpected Query field",
        ),
        (
            "v0.0.40/rest-slurmdb-v0.0.40-jobs.epoch-window-ERROR.json",
            422,
            "Parsing of 1795307610",
        ),
        (
            "v0.0.41/rest-slurmdb-v0.0.41-jobs.epoch-window-ERROR.json",
            422,
            "for timestamp failed",
        ),
        (
            "shared-22.05/rest-slurmdb-v0.0.38-jobs.users-param-ERROR.json",
            500,
            "Unknown Query field",
        ),
    ];
    for (file, status, text) in cases {
        match parse_jobs_response(status, &fixture(file)) {
            Err(ResponseError::Failed(why)) => assert!(why.contains(text), "{file}: {why}"),
            other => panic!("{file}: {other:?}"),
        }
        // the same body with HTTP 200 (how 22.05 reports bad tokens) is a failure as well
        assert!(parse_jobs_response(200, &fixture(file)).is_err(), "{file}");
    }
}

#[test]
fn jobs_recorded_by_a_26_05_cluster() {
    let dir = "v0.0.45/recorded-by-26.05.3";
    let window = rest(&format!("{dir}/rest-slurmdb-v0.0.45-jobs.window.json"));
    assert!(window.warnings.is_empty(), "{:?}", window.warnings);
    let running = rest(&format!("{dir}/rest-slurmdb-v0.0.45-job-107-RUNNING.json"));
    let running = &running.jobs[0];
    assert_eq!((running.state.as_str(), running.end), ("RUNNING", None));
    assert!(running.start.is_some());
    let pending = rest(&format!("{dir}/rest-slurmdb-v0.0.45-job-109-PENDING-resources.json"));
    assert_eq!(
        (pending.jobs[0].state.as_str(), pending.jobs[0].start),
        ("PENDING", None)
    );
    for (file, id) in [
        ("job-101-cpuburn", "101"),
        ("job-105-multistep", "105"),
        ("job-109-mem-per-cpu", "109"),
    ] {
        let single = rest(&format!("{dir}/rest-slurmdb-v0.0.45-{file}.json"));
        assert_eq!(single.jobs, vec![job(&window, id).clone()], "{file}");
    }
    assert!(job(&window, "101").cpu_used_ms.is_some_and(|ms| ms > 1000));
}

#[test]
fn windows_leave_out_jobs_not_yet_eligible_as_sacct_does() {
    // job 9 was submitted at 00:31:38 with --begin=now+2hours (eligible 02:31:38)
    use hpcb_plugin_slurm_parse::rest::parse_jobs_in_window;
    let submitted = 1_795_307_498_000;
    for version in VERSIONS {
        let body = fixture(&format!(
            "v0.0.{version}/rest-slurmdb-v0.0.{version}-job-9-pending.json"
        ));
        let before = parse_jobs_in_window(200, &body, submitted, submitted + 3_600_000).expect("readable");
        assert!(before.jobs.is_empty(), "v0.0.{version}: not eligible within the window");
        let after = parse_jobs_in_window(200, &body, submitted, submitted + 3 * 3_600_000).expect("readable");
        assert_eq!(
            ids(&after),
            ["9"],
            "v0.0.{version}: eligible within the window, still pending"
        );
        let window = fixture(&format!("v0.0.{version}/rest-slurmdb-v0.0.{version}-jobs.window.json"));
        // 00:32:00 .. 00:32:40Z: jobs 6 (end 00:32:00) and 7 (end 00:32:03)
        let some = parse_jobs_in_window(200, &window, 1_795_307_520_000, 1_795_307_560_000).expect("readable");
        assert_eq!(ids(&some), ["6", "7"], "v0.0.{version}");
    }
}

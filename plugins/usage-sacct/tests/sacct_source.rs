//! The `usage-sacct` plugin in-process, against a fake host that serves real sacct output
//! captured by `tests/slurm/jobs.sh`.

use std::sync::{Arc, Mutex};

use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, Value};
use hpcb_plugin_usage_sacct::SacctSource;

/// The real `--noconvert` output of the harness job mix (window 2026-11-22T01:30..01:31 UTC).
fn captured() -> String {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../slurm-parse/tests/fixtures/live/sacct-noconvert.noheader.psv"
    );
    std::fs::read_to_string(path).expect("fixture")
}

const MIN_0130: i64 = 1_795_311_000_000; // 2026-11-22T01:30:00Z
const FORMAT: &str = "JobID,JobIDRaw,User,UID,Account,Partition,State,Submit,Start,End,ElapsedRaw,TotalCPU,CPUTimeRAW,AllocCPUS,ReqMem,ReqTRES,AllocTRES,AveRSS,ConsumedEnergyRaw,NodeList";

/// A host whose `run` answers `sacct --version` and window queries; it records every run.
fn host(stdout: String, status: i32, runs: Arc<Mutex<Vec<Value>>>) -> Host {
    Host::from_fn(move |capability, request| {
        assert_eq!(capability, "run", "the plugin only runs programs");
        runs.lock().expect("lock").push(request.clone());
        if request["args"] == json!(["--version"]) {
            return Ok(json!({"status": 0, "stdout": "slurm-wlm 22.05.8\n", "stderr": ""}));
        }
        Ok(
            json!({"status": status, "stdout": stdout, "stderr": if status == 0 { "" } else { "sacct: error: Problem talking to the database: Connection refused" }}),
        )
    })
}

fn source(config: Value, stdout: String, status: i32) -> (SacctSource, Arc<Mutex<Vec<Value>>>) {
    let runs = Arc::new(Mutex::new(Vec::new()));
    let plugin = SacctSource::create(config, host(stdout, status, runs.clone())).expect("valid settings");
    (plugin, runs)
}

fn job_ids(answer: &Value) -> Vec<&str> {
    answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|job| job["job_id"].as_str().expect("id"))
        .collect()
}

#[test]
fn fetch_runs_sacct_with_the_window_and_returns_records() {
    let (mut plugin, runs) = source(json!({"extra_args": ["--clusters=hpcbtest"]}), captured(), 0);
    let answer = plugin
        .call("fetch", json!({"from": MIN_0130, "to": MIN_0130 + 60_000}))
        .expect("fetch");
    let runs = runs.lock().expect("lock");
    assert_eq!(
        runs[0],
        json!({"program": "sacct", "timeout_ms": 120000, "args": [
            "--parsable2", "--noheader", "--noconvert", "--allusers",
            "--starttime", "2026-11-22T01:30:00", "--endtime", "2026-11-22T01:31:00",
            "--format", FORMAT, "--clusters=hpcbtest"]})
    );
    assert_eq!(
        job_ids(&answer),
        ["1", "2", "3", "4", "6", "7", "8", "9+0", "9+1", "5_1", "5_2", "5_3"]
    );
    assert_eq!(answer["warnings"], json!([]));
    let memhog = &answer["jobs"][6];
    assert_eq!(
        memhog,
        &json!({
            "job_id": "8", "user": "dave", "account": "biology", "partition": "debug", "state": "COMPLETED",
            "submit": 1_795_311_024_000_i64, "start": 1_795_311_048_000_i64, "end": 1_795_311_052_000_i64,
            "elapsed_s": 4, "alloc_cpus": 2, "alloc_gpus": 0, "alloc_mem_mb": 200,
            "cpu_used_ms": 134, "cpu_time_raw_s": 8, "mem_used_kib_s": 189_920, "energy_j": 0,
            "nodes": "localhost"
        })
    );
    let pending = &answer["jobs"][7];
    assert_eq!(
        (&pending["state"], &pending["end"], &pending["start"]),
        (&json!("PENDING"), &Value::Null, &Value::Null)
    );
}

#[test]
fn only_jobs_that_ended_in_the_window_or_have_not_ended_are_kept() {
    let (mut plugin, _) = source(Value::Null, captured(), 0);
    // 01:30:35 .. 01:30:45: the array tasks (end :36, :36, :41) and job 6 (end :44), plus the
    // pending heterogeneous components; job 1 ended at :27 and job 7 at :47
    let answer = plugin
        .call("fetch", json!({"from": MIN_0130 + 35_000, "to": MIN_0130 + 45_000}))
        .expect("fetch");
    assert_eq!(job_ids(&answer), ["6", "9+0", "9+1", "5_1", "5_2", "5_3"]);
    let empty = plugin
        .call("fetch", json!({"from": MIN_0130, "to": MIN_0130}))
        .expect("fetch");
    assert_eq!(empty, json!({"jobs": [], "warnings": []}));
}

#[test]
fn times_are_converted_with_the_configured_offset() {
    let (mut plugin, runs) = source(json!({"utc_offset": "+07:00"}), captured(), 0);
    // the same output read as Bangkok time: every instant is 7 hours earlier
    let from = MIN_0130 - 7 * 3_600_000;
    let answer = plugin
        .call("fetch", json!({"from": from, "to": from + 60_000}))
        .expect("fetch");
    assert_eq!(runs.lock().expect("lock")[0]["args"][5], "2026-11-22T01:30:00");
    assert_eq!(answer["jobs"][0]["end"], json!(1_795_311_027_000_i64 - 7 * 3_600_000));
}

#[test]
fn odd_lines_become_warnings_and_the_rest_imports() {
    let mut text = captured();
    text.push_str("garbage without pipes\n10|10|erin|1|x|debug|COMPLETED|2026-11-22T01:30:24|2026-11-22T01:30:25|not-a-time|1|00:00.001|1|1|1M||cpu=1||0|localhost\n");
    let (mut plugin, _) = source(Value::Null, text, 0);
    let answer = plugin
        .call("fetch", json!({"from": MIN_0130, "to": MIN_0130 + 60_000}))
        .expect("fetch");
    assert_eq!(answer["jobs"].as_array().map(Vec::len), Some(12));
    let warnings = answer["warnings"].as_array().expect("warnings");
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].as_str().is_some_and(|w| w.starts_with("line 26: 1 fields")),
        "{warnings:?}"
    );
    assert!(
        warnings[1]
            .as_str()
            .is_some_and(|w| w.starts_with("line 27: job 10: End")),
        "{warnings:?}"
    );
}

#[test]
fn a_failing_sacct_is_an_error_with_its_stderr() {
    let (mut plugin, _) = source(Value::Null, String::new(), 1);
    let err = plugin
        .call("fetch", json!({"from": MIN_0130, "to": MIN_0130 + 1}))
        .expect_err("sacct failed");
    assert!(
        err.message.contains("exit status 1") && err.message.contains("Connection refused"),
        "{err}"
    );
}

#[test]
fn probe_reports_version_and_database() {
    let (mut plugin, _) = source(Value::Null, String::new(), 0);
    let answer = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(
        answer,
        json!({"ok": true, "detail": "slurm-wlm 22.05.8; slurmdbd answers", "api_version": null})
    );
    let (mut broken, _) = source(Value::Null, String::new(), 1);
    let answer = broken.call("probe", json!({})).expect("probe");
    assert_eq!(answer["ok"], false);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Connection refused")),
        "{answer}"
    );
    let denied = Host::from_fn(|_, _| Err(PluginError::new("denied", "run: sacct is not allow-listed")));
    let mut plugin = SacctSource::create(Value::Null, denied).expect("valid settings");
    let answer = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(answer["ok"], false);
    assert!(
        answer["detail"]
            .as_str()
            .is_some_and(|d| d.contains("not allow-listed")),
        "{answer}"
    );
}

#[test]
fn bad_settings_and_requests_are_refused() {
    let host = || Host::from_fn(|_, _| Ok(json!({})));
    for config in [
        json!({"utc_offset": "Asia/Bangkok"}),
        json!({"sacct": ""}),
        json!({"sacct_path": "x"}),
        json!({"timeout_ms": -1}),
        json!([1]),
    ] {
        let err = SacctSource::create(config.clone(), host()).err().expect("refused");
        assert!(err.is("bad_request"), "{config}: {err}");
    }
    let (mut plugin, _) = source(Value::Null, String::new(), 0);
    assert!(plugin
        .call("fetch", json!({"from": 2, "to": 1}))
        .expect_err("inverted")
        .is("bad_request"));
    assert!(plugin
        .call("fetch", json!({"since": 1}))
        .expect_err("no window")
        .is("bad_request"));
    assert!(plugin
        .call("fetch_jobs", json!({}))
        .expect_err("unknown")
        .is("unknown_method"));
}

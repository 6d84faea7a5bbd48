//! The `usage-csv` plugin in-process, against a fake host whose `read_file` serves real sacct
//! files (`--parsable2` with a header).

use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, Value};
use hpcb_plugin_usage_csv::CsvSource;

fn fixture(relative: &str) -> String {
    let path = format!(
        "{}/../slurm-parse/tests/fixtures/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("fixture")
}

/// A host that serves one file at `/srv/usage/jobs.psv` and refuses every other path.
fn host(content: String) -> Host {
    Host::from_fn(
        move |capability, request| match (capability, request["path"].as_str()) {
            ("read_file", Some("/srv/usage/jobs.psv")) => Ok(json!({"content": content})),
            ("read_file", Some(other)) => Err(PluginError::new(
                "denied",
                format!("read_file: {other} is not allow-listed"),
            )),
            _ => Err(PluginError::new("unknown_capability", capability)),
        },
    )
}

fn source(config: Value, content: String) -> CsvSource {
    CsvSource::create(config, host(content)).expect("valid settings")
}

const ALL_TIME: (i64, i64) = (0, 4_102_444_800_000);

fn fetch(plugin: &mut CsvSource, (from, to): (i64, i64)) -> Value {
    plugin.call("fetch", json!({"from": from, "to": to})).expect("fetch")
}

#[test]
fn the_predecessor_format_imports() {
    // the 22.05 "brief" format: User|JobID|Elapsed|TotalCPU|ReqTRES|AllocTRES|End|State|Account|Partition
    let mut plugin = source(
        json!({"path": "/srv/usage/jobs.psv"}),
        fixture("shared-22.05/sacct-brief.header.psv"),
    );
    let answer = fetch(&mut plugin, ALL_TIME);
    assert_eq!(answer["warnings"], json!([]));
    let jobs = answer["jobs"].as_array().expect("jobs");
    assert_eq!(jobs.len(), 10);
    let gpu = jobs.iter().find(|job| job["job_id"] == "7").expect("job 7");
    assert_eq!(
        gpu,
        &json!({
            "job_id": "7", "user": "alice", "account": "physics", "partition": "gpu", "state": "COMPLETED",
            "submit": null, "start": null, "end": 1_795_304_768_000_i64, "elapsed_s": 2,
            "alloc_cpus": 1, "alloc_gpus": 1, "alloc_mem_mb": 1024, "cpu_used_ms": 3,
            "cpu_time_raw_s": null, "mem_used_kib_s": null, "energy_j": null, "nodes": null
        })
    );
}

#[test]
fn default_sacct_units_and_extra_columns_import_like_sacct_itself() {
    // live/sacct-default.header.psv: AveRSS "3212K", extra columns Elapsed, MaxRSS, JobName
    let mut plugin = source(
        json!({"path": "/srv/usage/jobs.psv", "utc_offset": "+00:00"}),
        fixture("live/sacct-default.header.psv"),
    );
    let answer = fetch(&mut plugin, ALL_TIME);
    assert_eq!(answer["warnings"], json!([]));
    let memhog = answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|job| job["job_id"] == "8")
        .expect("job 8");
    assert_eq!(memhog["mem_used_kib_s"], 189_920);
    assert_eq!(memhog["cpu_used_ms"], 134);
}

#[test]
fn bytes_files_need_the_bytes_unit() {
    // a file made with --noconvert (AveRSS in bytes) plus its header
    let header = "JobID|JobIDRaw|User|UID|Account|Partition|State|Submit|Start|End|ElapsedRaw|TotalCPU|CPUTimeRAW|AllocCPUS|ReqMem|ReqTRES|AllocTRES|AveRSS|ConsumedEnergyRaw|NodeList\n";
    let content = format!("{header}{}", fixture("live/sacct-noconvert.noheader.psv"));
    let mut bytes = source(
        json!({"path": "/srv/usage/jobs.psv", "ave_rss_unit": "bytes"}),
        content.clone(),
    );
    let mut kib = source(json!({"path": "/srv/usage/jobs.psv"}), content);
    let memhog = |answer: &Value| {
        answer["jobs"]
            .as_array()
            .expect("jobs")
            .iter()
            .find(|job| job["job_id"] == "8")
            .expect("job 8")["mem_used_kib_s"]
            .clone()
    };
    assert_eq!(memhog(&fetch(&mut bytes, ALL_TIME)), 189_920);
    assert_eq!(memhog(&fetch(&mut kib, ALL_TIME)), 189_920 * 1024);
}

#[test]
fn the_window_filters_on_end_time() {
    let mut plugin = source(
        json!({"path": "/srv/usage/jobs.psv"}),
        fixture("shared-22.05/sacct-full.header.psv"),
    );
    // 2026-11-21T23:46:00Z .. 23:46:06Z: jobs 4 (end :03), 6 (end :05), array task 5_3 (end :01)
    let answer = fetch(&mut plugin, (1_795_304_760_000, 1_795_304_766_000));
    let ids: Vec<&str> = answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|job| job["job_id"].as_str())
        .collect();
    assert_eq!(ids, ["4", "6", "5_3"]);
}

#[test]
fn odd_files_warn_per_line_or_fail_readably() {
    let content = "JobID|User|State|End|Elapsed\n1|alice|COMPLETED|2026-11-21T23:45:43|00:00:02\n2|bob|COMPLETED|2026-11-21T23:45:43\n3|carol|DONE!|2026-11-21T23:45:43|00:00:02\n".to_owned();
    let mut plugin = source(json!({"path": "/srv/usage/jobs.psv"}), content);
    let answer = fetch(&mut plugin, ALL_TIME);
    assert_eq!(answer["jobs"].as_array().map(Vec::len), Some(1));
    assert_eq!(answer["warnings"].as_array().map(Vec::len), Some(2), "{answer}");
    assert!(answer["warnings"][0].as_str().is_some_and(|w| w.starts_with("line 3:")));
    assert!(answer["warnings"][1]
        .as_str()
        .is_some_and(|w| w.starts_with("line 4: job 3: not a job state")));

    let mut headless = source(json!({"path": "/srv/usage/jobs.psv"}), "1|alice|COMPLETED\n".to_owned());
    let err = headless
        .call("fetch", json!({"from": 0, "to": 1}))
        .expect_err("no usable header");
    assert!(
        err.is("bad_request") && err.message.contains("lacks the column"),
        "{err}"
    );
    let probe = headless.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], false);
}

#[test]
fn probe_reads_the_file() {
    let mut plugin = source(
        json!({"path": "/srv/usage/jobs.psv"}),
        fixture("shared-22.05/sacct-full.header.psv"),
    );
    let probe = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(
        probe,
        json!({"ok": true, "detail": "/srv/usage/jobs.psv: 10 job(s), 0 unreadable line(s)", "api_version": null})
    );
    let mut elsewhere = source(json!({"path": "/etc/shadow"}), String::new());
    let probe = elsewhere.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], false);
    assert!(
        probe["detail"].as_str().is_some_and(|d| d.contains("not allow-listed")),
        "{probe}"
    );
}

#[test]
fn bad_settings_are_refused() {
    for config in [
        Value::Null,
        json!({}),
        json!({"path": ""}),
        json!({"path": "/x", "utc_offset": "UTC+7"}),
        json!({"path": "/x", "ave_rss_unit": "MB"}),
        json!({"path": "/x", "delimiter": ","}),
    ] {
        let err = CsvSource::create(config.clone(), host(String::new()))
            .err()
            .expect("refused");
        assert!(err.is("bad_request"), "{config}: {err}");
    }
}

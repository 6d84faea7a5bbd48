//! Requeued jobs: slurmrestd lists every run of a job id (superseded runs first), sacct only the
//! latest; the plugin reports the latest run, within one answer and across window pieces.

use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, Value};
use hpcb_plugin_usage_sacct::SacctSource;
use hpcb_plugin_usage_slurmrestd::RestSource;

use super::{captured, is_probe, FakeRestd, FROM, TO};

/// A file of `tests/fixtures/` (captured on the project's Slurm 22.05 harness).
fn own_fixture(name: &str) -> String {
    let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(path).expect("fixture")
}

/// The jobs of an answer sorted by job id, with its warnings.
fn sorted(answer: &Value) -> Value {
    let mut jobs = answer["jobs"].as_array().expect("jobs").clone();
    jobs.sort_by_key(|j| j["job_id"].as_str().unwrap_or_default().to_owned());
    json!({"jobs": jobs, "warnings": answer["warnings"]})
}

fn job<'a>(answer: &'a Value, id: &str) -> &'a Value {
    let mut found = answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter(|j| j["job_id"] == id);
    let first = found.next().unwrap_or_else(|| panic!("no job {id} in {answer}"));
    assert!(found.next().is_none(), "job {id} reported twice: {answer}");
    first
}

/// `job` as the run Slurm replaced when it requeued the job: it ran 2 s and was requeued at the
/// moment the next run was submitted, and its state is `REQUEUED` in `version`'s shape (a
/// string up to v0.0.39; from v0.0.40 the flag list of the base state `PENDING` plus `REQUEUED`,
/// as the data parser writes a job state of `JOB_REQUEUE`).
fn superseded_run(version: &str, job: &Value) -> Value {
    let mut run = job.clone();
    let next_submitted = job["time"]["submission"].as_i64().expect("submission");
    run["time"]["submission"] = json!(next_submitted - 30);
    run["time"]["eligible"] = json!(next_submitted - 30);
    run["time"]["start"] = json!(next_submitted - 2);
    run["time"]["end"] = json!(next_submitted);
    run["time"]["elapsed"] = json!(2);
    run["state"]["current"] = if version < "v0.0.40" {
        json!("REQUEUED")
    } else {
        json!(["PENDING", "REQUEUED"])
    };
    run
}

/// The captured window of `version` with a superseded run of job 2 listed first: slurmdbd
/// prepends the earlier runs of a job id to the whole list.
fn with_requeued_job_2(version: &str, path: &str) -> (u16, String) {
    let (status, body) = captured(version, path);
    if is_probe(path) {
        return (status, body);
    }
    let mut document: Value = serde_json::from_str(&body).expect("json");
    let jobs = document["jobs"].as_array_mut().expect("jobs");
    let job_2 = jobs.iter().find(|j| j["job_id"] == 2).expect("job 2").clone();
    jobs.insert(0, superseded_run(version, &job_2));
    (status, document.to_string())
}

#[test]
fn every_version_reports_a_requeued_job_by_its_last_run() {
    for version in [
        "v0.0.38", "v0.0.39", "v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45",
    ] {
        let settings = json!({"api_version": version});
        let plain = FakeRestd::new(&[version], captured);
        let expected = RestSource::create(settings.clone(), plain.host())
            .expect("settings")
            .call("fetch", json!({"from": FROM, "to": TO}))
            .expect("fetch");
        let requeued = FakeRestd::new(&[version], with_requeued_job_2);
        let answer = RestSource::create(settings, requeued.host())
            .expect("settings")
            .call("fetch", json!({"from": FROM, "to": TO}))
            .expect("fetch");
        assert_eq!(sorted(&answer), sorted(&expected), "{version}");
        let two = job(&answer, "2");
        assert_eq!(
            (&two["state"], &two["elapsed_s"]),
            (&json!("COMPLETED"), &json!(4)),
            "{version}"
        );
    }
}

/// Piece of a three-hour window, by the `start_time` of its request (v0.0.45: Unix seconds).
const HOUR_S: i64 = 3_600;
/// Job 2's first run ends 61 minutes before `FROM`, in the first piece; its next run becomes
/// eligible two minutes later (Slurm's requeue delay), in the second piece, and ends in the
/// third, as captured.
fn requeued_across_pieces(version: &str, path: &str) -> (u16, String) {
    let (status, body) = captured(version, path);
    let mut document: Value = serde_json::from_str(&body).expect("json");
    let jobs = document["jobs"].as_array_mut().expect("jobs");
    let requeued_at = FROM / 1000 - HOUR_S - 60;
    let job_2 = jobs.iter_mut().find(|j| j["job_id"] == 2).expect("job 2");
    job_2["time"]["submission"] = json!(requeued_at);
    job_2["time"]["eligible"] = json!(requeued_at + 121);
    let next_run = job_2.clone();
    let mut first_run = superseded_run(version, &next_run);
    first_run["time"]["submission"] = json!(requeued_at - 600);
    first_run["time"]["eligible"] = json!(requeued_at - 600);
    let piece_start: i64 = path
        .split("start_time=")
        .nth(1)
        .and_then(|rest| rest.split('&').next())
        .and_then(|s| s.parse().ok())
        .expect("epoch start_time");
    let listed = match (FROM / 1000 - piece_start) / HOUR_S {
        2 => vec![first_run],
        1 => vec![next_run],
        _ => return (status, document.to_string()),
    };
    document["jobs"] = Value::Array(listed);
    (status, document.to_string())
}

#[test]
fn a_run_listed_by_a_later_piece_replaces_the_run_an_earlier_piece_listed() {
    let fake = FakeRestd::new(&["v0.0.45"], requeued_across_pieces);
    let mut plugin =
        RestSource::create(json!({"api_version": "v0.0.45", "window_hours": 1}), fake.host()).expect("settings");
    let answer = plugin
        .call("fetch", json!({"from": FROM - 2 * HOUR_S * 1000, "to": TO}))
        .expect("fetch");
    assert_eq!(fake.urls().len(), 3, "{:?}", fake.urls());
    assert_eq!(answer["jobs"].as_array().map(Vec::len), Some(11), "{answer}");
    let two = job(&answer, "2");
    assert_eq!(two["state"], "COMPLETED");
    assert_eq!(two["end"], 1_795_307_508_000_i64);
    assert_eq!(two["submit"], (FROM / 1000 - HOUR_S - 60) * 1000);
}

// The window of the captures from the harness: 2026-12-06T03:58:00Z .. 04:02:00Z.
const HARNESS_FROM: i64 = 1_796_529_480_000;
const HARNESS_TO: i64 = 1_796_529_720_000;

/// A host that answers every `http` request with `body` and every `run` with `stdout`.
fn replay(body: String, stdout: String) -> Host {
    Host::from_fn(move |capability, _request| match capability {
        "http" => Ok(json!({"status": 200, "headers": {}, "body": body})),
        "run" => Ok(json!({"status": 0, "stdout": stdout, "stderr": ""})),
        "secret" => Ok(json!({"value": "jwt"})),
        "log" => Ok(json!({})),
        other => Err(PluginError::new("denied", other)),
    })
}

#[test]
fn slurmrestd_and_sacct_agree_on_jobs_requeued_on_a_real_22_05_cluster() {
    // jobs 1 and 3 were each requeued once while running (`scontrol requeue`); job 2 was
    // submitted held and cancelled, never eligible, so neither source lists it
    let rest_doc = own_fixture("rest-slurmdb-v0.0.38-jobs.requeued.json");
    let sacct_out = own_fixture("sacct-noconvert.requeued.noheader.psv");
    let listed: Value = serde_json::from_str(&rest_doc).expect("json");
    let runs: Vec<(i64, &str)> = listed["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .map(|j| {
            (
                j["job_id"].as_i64().unwrap_or(0),
                j["state"]["current"].as_str().unwrap_or(""),
            )
        })
        .collect();
    assert_eq!(
        runs,
        [(3, "REQUEUED"), (1, "REQUEUED"), (1, "COMPLETED"), (3, "COMPLETED")],
        "slurmdbd lists the superseded runs first"
    );
    let window = json!({"from": HARNESS_FROM, "to": HARNESS_TO});
    let rest = RestSource::create(
        json!({"api_version": "v0.0.38"}),
        replay(rest_doc.clone(), String::new()),
    )
    .expect("settings")
    .call("fetch", window.clone())
    .expect("fetch");
    let sacct = SacctSource::create(Value::Null, replay(String::new(), sacct_out))
        .expect("settings")
        .call("fetch", window)
        .expect("fetch");
    assert_eq!(sorted(&rest), sorted(&sacct));
    for (id, elapsed) in [("1", 4), ("3", 3)] {
        let run = job(&rest, id);
        assert_eq!(
            (&run["state"], &run["elapsed_s"]),
            (&json!("COMPLETED"), &json!(elapsed)),
            "{id}"
        );
    }
    assert_eq!(rest["jobs"].as_array().map(Vec::len), Some(2), "{rest}");
}

#[test]
fn a_next_run_not_yet_eligible_leaves_the_run_that_ended_in_the_window() {
    // captured two seconds after `scontrol requeue`: the next run waits (BeginTime) until
    // 04:00:35, as Slurm holds a requeued job for two minutes
    let doc = own_fixture("rest-slurmdb-v0.0.38-jobs.requeued-pending.json");
    let fetch = |to: i64| {
        RestSource::create(json!({"api_version": "v0.0.38"}), replay(doc.clone(), String::new()))
            .expect("settings")
            .call("fetch", json!({"from": HARNESS_FROM, "to": to}))
            .expect("fetch")
    };
    // a window ending at 04:00:00: the next run is not in it (sacct would not list it either),
    // so the run that ended in it stays, as the unbillable REQUEUED
    let before = fetch(1_796_529_600_000);
    let first = job(&before, "1");
    assert_eq!(
        (&first["state"], &first["end"]),
        (&json!("REQUEUED"), &json!(1_796_529_514_000_i64))
    );
    // a window ending at 04:01:00 holds the next run, pending: it replaces the superseded one
    let after = fetch(1_796_529_660_000);
    let next = job(&after, "1");
    assert_eq!((&next["state"], &next["end"]), (&json!("PENDING"), &Value::Null));
}

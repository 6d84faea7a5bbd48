//! The `usage-slurmrestd` plugin in-process, against a fake host that plays slurmrestd of a
//! given release with responses captured from real daemons.

#[path = "rest_source/requeued.rs"]
mod requeued;

use std::sync::{Arc, Mutex};

use hpcb_plugin_sdk::{json, Host, Plugin, PluginError, Value};
use hpcb_plugin_usage_slurmrestd::RestSource;

fn fixture(relative: &str) -> String {
    let path = format!(
        "{}/../slurm-parse/tests/fixtures/{relative}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(path).expect("fixture")
}

/// A fake slurmrestd: the versions it serves, and its answer (status, body) to a jobs query of
/// a served version, by version and request path (with its query). Records every request.
struct FakeRestd {
    serves: Vec<&'static str>,
    answer: fn(version: &str, path: &str) -> (u16, String),
    requests: Mutex<Vec<Value>>,
    token: Option<&'static str>,
}

impl FakeRestd {
    fn new(serves: &[&'static str], answer: fn(&str, &str) -> (u16, String)) -> Arc<FakeRestd> {
        Arc::new(FakeRestd {
            serves: serves.to_vec(),
            answer,
            requests: Mutex::new(Vec::new()),
            token: Some("jwt-123"),
        })
    }

    fn host(self: &Arc<FakeRestd>) -> Host {
        let fake = Arc::clone(self);
        Host::from_fn(move |capability, request| match capability {
            "secret" if request["name"] == "slurm_jwt" => match fake.token {
                Some(token) => Ok(json!({"value": token})),
                None => Err(PluginError::new("denied", "secret slurm_jwt is not configured")),
            },
            "log" => Ok(json!({})),
            "http" => {
                fake.requests.lock().expect("lock").push(request.clone());
                let url = request["url"].as_str().unwrap_or_default();
                let path = url.strip_prefix("http://127.0.0.1:6820").expect("configured url");
                let version = path.split('/').nth(2).unwrap_or_default();
                if !fake.serves.contains(&version) {
                    return Ok(
                        json!({"status": 404, "headers": {"content-type": "text/plain"}, "body": "Unable find requested URL. Please view /openapi/v3 for API reference."}),
                    );
                }
                let (status, body) = (fake.answer)(version, path);
                Ok(json!({"status": status, "headers": {"content-type": "application/json"}, "body": body}))
            }
            other => Err(PluginError::new("unknown_capability", other)),
        })
    }

    fn urls(&self) -> Vec<String> {
        self.requests
            .lock()
            .expect("lock")
            .iter()
            .map(|r| r["url"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}

/// Whether a request is the probe's empty query (a second in 2000).
fn is_probe(path: &str) -> bool {
    path.contains("start_time=2000-01-01")
}

/// The captured answers of each version: empty for the probe, the 11-job window otherwise.
fn captured(version: &str, path: &str) -> (u16, String) {
    let kind = if is_probe(path) { "nothing-found" } else { "window" };
    (
        200,
        fixture(&format!("{version}/rest-slurmdb-{version}-jobs.{kind}.json")),
    )
}

// the captured window: jobs submitted 2026-11-22T00:31:38Z, ended by 00:33:08Z
const FROM: i64 = 1_795_307_460_000;
const TO: i64 = 1_795_307_610_000;

fn job_ids(answer: &Value) -> Vec<String> {
    let mut ids: Vec<String> = answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .filter_map(|j| j["job_id"].as_str().map(str::to_owned))
        .collect();
    ids.sort();
    ids
}

#[test]
fn negotiates_the_newest_served_version_and_fetches_with_it() {
    // a 25.05 cluster serves v0.0.40 .. v0.0.43
    let fake = FakeRestd::new(&["v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43"], captured);
    let mut plugin = RestSource::create(json!({"user_name": "hpcbill"}), fake.host()).expect("valid settings");
    let probe = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], true, "{probe}");
    assert_eq!(probe["api_version"], "v0.0.43");
    let urls = fake.urls();
    assert_eq!(urls.len(), 3, "v0.0.45, v0.0.44 (404), v0.0.43: {urls:?}");
    assert!(urls[0].contains("/slurmdb/v0.0.45/jobs?start_time=2000-01-01T00%3A00%3A00"));
    let first = fake.requests.lock().expect("lock")[0].clone();
    assert_eq!(first["method"], "GET");
    assert_eq!(first["headers"]["x-slurm-user-token"], "jwt-123");
    assert_eq!(first["headers"]["x-slurm-user-name"], "hpcbill");
    assert_eq!(first["timeout_ms"], 60000);

    let answer = plugin.call("fetch", json!({"from": FROM, "to": TO})).expect("fetch");
    assert_eq!(
        job_ids(&answer),
        ["1", "10", "2", "3", "4", "5_1", "5_2", "5_3", "6", "7", "8"]
    );
    assert_eq!(answer["warnings"], json!([]));
    // v0.0.42+ take exact epoch seconds
    assert!(
        fake.urls()[3].ends_with("/slurmdb/v0.0.43/jobs?start_time=1795307460&end_time=1795307610"),
        "{:?}",
        fake.urls()
    );
    let six = answer["jobs"]
        .as_array()
        .expect("jobs")
        .iter()
        .find(|j| j["job_id"] == "6")
        .expect("job 6");
    assert_eq!(six["cpu_used_ms"], 51);
    assert_eq!(six["mem_used_kib_s"], (10_440_704 * 2 + 1_703_936 * 2) / 1024);
}

#[test]
fn every_release_gives_the_same_records() {
    let releases: [&[&'static str]; 8] = [
        &["v0.0.38"],
        &["v0.0.38", "v0.0.39"],
        &["v0.0.38", "v0.0.39", "v0.0.40"],
        &["v0.0.39", "v0.0.40", "v0.0.41"],
        &["v0.0.40", "v0.0.41", "v0.0.42"],
        &["v0.0.40", "v0.0.41", "v0.0.42", "v0.0.43"],
        &["v0.0.41", "v0.0.42", "v0.0.43", "v0.0.44"],
        &["v0.0.42", "v0.0.43", "v0.0.44", "v0.0.45"],
    ];
    let mut first: Option<Value> = None;
    for serves in releases {
        let fake = FakeRestd::new(serves, captured);
        let mut plugin = RestSource::create(Value::Null, fake.host()).expect("valid settings");
        let answer = plugin.call("fetch", json!({"from": FROM, "to": TO})).expect("fetch");
        let newest = serves.last().copied().unwrap_or_default();
        assert!(
            fake.urls().last().is_some_and(|u| u.contains(newest)),
            "{serves:?} used {:?}",
            fake.urls()
        );
        let mut jobs = answer["jobs"].as_array().expect("jobs").clone();
        jobs.sort_by_key(|j| j["job_id"].as_str().unwrap_or_default().to_owned());
        match &first {
            None => first = Some(Value::Array(jobs)),
            Some(expected) => assert_eq!(&Value::Array(jobs), expected, "release serving {serves:?}"),
        }
    }
}

#[test]
fn old_versions_get_a_widened_wall_clock_window_and_exact_filtering() {
    let fake = FakeRestd::new(&["v0.0.38"], captured);
    let mut plugin = RestSource::create(json!({"api_version": "v0.0.38"}), fake.host()).expect("valid settings");
    // only 00:32:00 .. 00:32:40Z: jobs 6 (end :32:00) and 7 (end :32:03); 5_3 ended at :31:57
    let answer = plugin
        .call(
            "fetch",
            json!({"from": 1_795_307_520_000_i64, "to": 1_795_307_560_000_i64}),
        )
        .expect("fetch");
    assert_eq!(fake.urls(), ["http://127.0.0.1:6820/slurmdb/v0.0.38/jobs?start_time=2026-11-21T10%3A32%3A00&end_time=2026-11-22T14%3A32%3A40"]);
    assert_eq!(job_ids(&answer), ["6", "7"]);
}

#[test]
fn long_windows_are_fetched_in_pieces_and_merged() {
    let fake = FakeRestd::new(&["v0.0.45"], captured);
    let mut plugin =
        RestSource::create(json!({"api_version": "v0.0.45", "window_hours": 24}), fake.host()).expect("valid settings");
    let day = 86_400_000;
    let answer = plugin
        .call("fetch", json!({"from": FROM - 2 * day, "to": FROM + day / 2}))
        .expect("fetch");
    // three requests, each answering the same 11 jobs: kept once each
    assert_eq!(fake.urls().len(), 3, "{:?}", fake.urls());
    assert_eq!(job_ids(&answer).len(), 11);
}

#[test]
fn a_bad_token_on_22_05_is_a_failure_not_an_empty_result() {
    // 22.05's slurmdbd answers a bad token with HTTP 200 and error 1007
    let fake = FakeRestd::new(&["v0.0.38"], |_, _| {
        (
            200,
            r#"{"meta":{},"errors":[{"error_number":1007,"error":"Protocol authentication error"}],"jobs":[]}"#
                .to_owned(),
        )
    });
    let mut plugin = RestSource::create(Value::Null, fake.host()).expect("valid settings");
    let probe = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], false);
    assert!(
        probe["detail"]
            .as_str()
            .is_some_and(|d| d.contains("Protocol authentication error")),
        "{probe}"
    );
    let err = plugin
        .call("fetch", json!({"from": FROM, "to": TO}))
        .expect_err("bad token");
    assert!(err.message.contains("Protocol authentication error"), "{err}");
    // negotiation stopped at v0.0.38 and said why, instead of "no version served"
    assert!(!err.message.contains("serves none"), "{err}");
}

#[test]
fn newer_releases_report_bad_tokens_with_502() {
    let fake = FakeRestd::new(&["v0.0.45"], |_, _| {
        (502, r#"{"errors":[{"error_number":7000,"error":"Unable to connect to database","description":"Failed to open slurmdbd connection, authentication error"}],"warnings":[]}"#.to_owned())
    });
    let mut plugin = RestSource::create(Value::Null, fake.host()).expect("valid settings");
    let err = plugin
        .call("fetch", json!({"from": FROM, "to": TO}))
        .expect_err("bad token");
    assert!(
        err.message.contains("HTTP 502") && err.message.contains("authentication error"),
        "{err}"
    );
}

#[test]
fn no_supported_version_and_missing_secret_are_readable_failures() {
    let fake = FakeRestd::new(&["v0.0.37"], captured);
    let mut plugin = RestSource::create(Value::Null, fake.host()).expect("valid settings");
    let probe = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], false);
    assert!(
        probe["detail"]
            .as_str()
            .is_some_and(|d| d.contains("serves none of v0.0.38..v0.0.45")),
        "{probe}"
    );
    assert_eq!(fake.urls().len(), 8);

    let fake = Arc::new(FakeRestd {
        serves: vec!["v0.0.45"],
        answer: captured,
        requests: Mutex::new(Vec::new()),
        token: None,
    });
    let mut plugin = RestSource::create(Value::Null, fake.host()).expect("valid settings");
    let err = plugin
        .call("fetch", json!({"from": FROM, "to": TO}))
        .expect_err("no token");
    assert!(err.is("denied"), "{err}");
    assert!(fake.urls().is_empty());
}

#[test]
fn a_fixed_version_the_server_lacks_is_reported() {
    let fake = FakeRestd::new(&["v0.0.38"], captured);
    let mut plugin = RestSource::create(json!({"api_version": "v0.0.41"}), fake.host()).expect("valid settings");
    let probe = plugin.call("probe", json!({})).expect("probe");
    assert_eq!(probe["ok"], false);
    assert!(
        probe["detail"]
            .as_str()
            .is_some_and(|d| d.contains("does not serve v0.0.41")),
        "{probe}"
    );
    let err = plugin
        .call("fetch", json!({"from": FROM, "to": TO}))
        .expect_err("not served");
    assert!(err.message.contains("does not serve v0.0.41"), "{err}");
}

#[test]
fn bad_settings_and_requests_are_refused() {
    let fake = FakeRestd::new(&["v0.0.38"], captured);
    for config in [
        json!({"url": "127.0.0.1:6820"}),
        json!({"url": "http://127.0.0.1:6820/slurmdb"}),
        json!({"url": "http://"}),
        json!({"api_version": "v0.0.37"}),
        json!({"api_version": "latest"}),
        json!({"window_hours": 0}),
        json!({"token_secret": ""}),
        json!({"token": "literal-jwt"}),
    ] {
        let err = RestSource::create(config.clone(), fake.host()).err().expect("refused");
        assert!(err.is("bad_request"), "{config}: {err}");
    }
    let mut plugin =
        RestSource::create(json!({"url": "http://127.0.0.1:6820/"}), fake.host()).expect("trailing slash is fine");
    assert!(plugin
        .call("fetch", json!({"from": "yesterday"}))
        .expect_err("bad request")
        .is("bad_request"));
    assert!(plugin
        .call("fetch_jobs", json!({}))
        .expect_err("unknown")
        .is("unknown_method"));
    let empty = plugin
        .call("fetch", json!({"from": FROM, "to": FROM}))
        .expect("empty window");
    assert_eq!(empty, json!({"jobs": [], "warnings": []}));
    assert!(fake.urls().is_empty(), "an empty window needs no request");
}

//! A real Slurm cluster (brought up by `tests/slurm/up.sh` and fed by `tests/slurm/jobs.sh` in
//! `.ci/run`): the same jobs ingested through `usage-sacct` and through `usage-slurmrestd` must
//! come out identical, hours and prices included; a requeued job is billed on its last run, and
//! a job cancelled while held (never eligible) is not billed at all.

use crate::harness::{binary, Backend, Server, TestDb};
use serde_json::{json, Value};
use std::collections::BTreeMap;

struct Cluster {
    rest_url: String,
    token: String,
    rest_user: String,
    utc_offset: String,
    window: (String, String),
    /// The job `jobs.sh` requeued once (two runs), when its `jobs.env` says.
    requeued: Option<String>,
    /// The job `jobs.sh` cancelled while held.
    held: Option<String>,
}

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339())
        .unwrap_or_default()
}

fn cluster() -> Option<Cluster> {
    let url = std::env::var("HPC_BILLING_TEST_SLURMRESTD_URL").ok();
    let token = std::env::var("HPC_BILLING_TEST_SLURM_TOKEN").ok();
    match (url, token) {
        (Some(rest_url), Some(token)) => {
            let ms =
                |name: &str, default: i64| std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default);
            // The jobs of this run's jobs.sh (a minute of margin each side), or everything.
            let from = ms("HPC_BILLING_TEST_SLURM_FROM_MS", 1_577_836_800_000) - 60_000;
            let to = ms("HPC_BILLING_TEST_SLURM_TO_MS", 2_051_222_400_000) + 60_000;
            Some(Cluster {
                rest_url,
                token,
                rest_user: std::env::var("HPC_BILLING_TEST_SLURM_USER").unwrap_or_else(|_| "hpcbill".into()),
                utc_offset: std::env::var("HPC_BILLING_TEST_SLURM_UTC_OFFSET").unwrap_or_else(|_| "+00:00".into()),
                window: (rfc3339(from), rfc3339(to)),
                requeued: std::env::var("HPC_BILLING_TEST_SLURM_REQUEUED_JOB_ID")
                    .ok()
                    .filter(|id| !id.is_empty()),
                held: std::env::var("HPC_BILLING_TEST_SLURM_HELD_JOB_ID")
                    .ok()
                    .filter(|id| !id.is_empty()),
            })
        }
        _ => {
            crate::harness::skip(
                "slurm",
                "no test cluster: `tests/run.sh` run as root brings it up (tests/slurm/up.sh, jobs.sh, env.sh)",
            );
            None
        }
    }
}

fn build_plugins() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args([
            "build",
            "-q",
            "-p",
            "hpcb-plugin-usage-sacct",
            "-p",
            "hpcb-plugin-usage-slurmrestd",
        ])
        .status()
        .expect("cargo");
    assert!(status.success());
    let _ = binary();
}

type JobFacts = BTreeMap<String, Value>;

async fn jobs_of(s: &Server, cluster: &str) -> JobFacts {
    let admin = s.admin().await;
    let r = admin
        .gql(
            "query($c: String) { usage(first: 1000, filter: {cluster: $c}) { totalCount edges { node { jobKey user account partition state elapsedSeconds allocCpus allocGpus allocMemMb cpuCoreHours gpuHours memGbHours endAt cost { amount currency } } } } }",
            json!({"c": cluster}),
        )
        .await;
    let edges = r["data"]["usage"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("{r}"))
        .clone();
    edges
        .into_iter()
        .map(|e| {
            (
                e["node"]["jobKey"].as_str().unwrap_or_default().to_owned(),
                e["node"].clone(),
            )
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sacct_and_slurmrestd_deliver_the_same_jobs_and_hours() {
    let Some(c) = cluster() else { return };
    build_plugins();
    let db = TestDb::new(Backend::Sqlite).await;
    let config = db.dir.join("slurm.toml");
    let host = c
        .rest_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned();
    std::fs::write(
        &config,
        format!(
            r#"
[[sources]]
name = "rest"
cluster = "via-rest"
interval_secs = 0
[[sources.chain]]
plugin = "usage-slurmrestd"
settings = {{ url = "{url}", api_version = "auto", user_name = "{user}", token_secret = "slurm_jwt" }}
allow_hosts = ["{host}"]
allow_plain_http = true
secrets = {{ slurm_jwt = "env:HPC_BILLING_TEST_SLURM_TOKEN" }}

[[sources]]
name = "sacct"
cluster = "via-sacct"
interval_secs = 0
[[sources.chain]]
plugin = "usage-sacct"
settings = {{ sacct = "sacct", utc_offset = "{offset}" }}
allow_programs = ["sacct"]
"#,
            url = c.rest_url,
            user = c.rest_user,
            offset = c.utc_offset,
        ),
    )
    .expect("config");
    let config = config.display().to_string();
    let s = Server::start_on(
        db,
        &[
            ("HPC_BILLING_CONFIG", config.as_str()),
            ("HPC_BILLING_TEST_SLURM_TOKEN", c.token.as_str()),
        ],
    )
    .await;
    let admin = s.admin().await;
    for source in ["rest", "sacct"] {
        let r = admin
            .gql(
                "mutation($s: String!, $f: DateTime!, $t: DateTime!) { ingestUsage(source: $s, from: $f, to: $t) { fetched inserted rejected warnings sourceUsed } }",
                json!({"s": source, "f": c.window.0, "t": c.window.1}),
            )
            .await;
        assert!(r["errors"].is_null(), "{source}: {r}");
        assert!(
            r["data"]["ingestUsage"]["inserted"].as_i64().unwrap_or(0) > 0,
            "{source}: {r}"
        );
        assert_eq!(r["data"]["ingestUsage"]["rejected"], json!(0), "{source}: {r}");
    }
    let rest = jobs_of(&s, "via-rest").await;
    let sacct = jobs_of(&s, "via-sacct").await;
    assert_eq!(
        rest.keys().collect::<Vec<_>>(),
        sacct.keys().collect::<Vec<_>>(),
        "same jobs"
    );
    for (key, r) in &rest {
        assert_eq!(r, &sacct[key], "job {key} differs between slurmrestd and sacct");
    }
    // The job mix is really there: array tasks, several users, GPU hours, failures.
    assert!(rest.keys().any(|k| k.contains('_')), "array tasks: {:?}", rest.keys());
    let users: std::collections::BTreeSet<&str> = rest.values().filter_map(|j| j["user"].as_str()).collect();
    assert!(users.len() >= 2, "{users:?}");
    assert!(rest.values().any(|j| j["gpuHours"] != json!("0")), "a GPU job");
    assert!(rest.values().any(|j| j["state"] == json!("FAILED")), "a failed job");
    assert!(
        rest.values().any(|j| j["state"] == json!("CANCELLED")),
        "a cancelled job"
    );
    // slurmrestd lists both runs of the requeued job; it is stored (and priced) on the last
    if let Some(id) = &c.requeued {
        let job = rest
            .get(id)
            .unwrap_or_else(|| panic!("requeued job {id}: {:?}", rest.keys()));
        assert_eq!(job["state"], json!("COMPLETED"), "job {id} on its last run: {job}");
        assert!(
            job["elapsedSeconds"].as_i64() >= Some(4),
            "job {id} on its last run: {job}"
        );
    }
    if let Some(id) = &c.held {
        assert!(
            !rest.contains_key(id) && !sacct.contains_key(id),
            "job {id}, cancelled while held, is in no window"
        );
    }
}

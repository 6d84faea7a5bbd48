//! Usage end to end: a sacct-format file ingested through the real `usage-csv` plugin by the
//! real server, then read back through GraphQL and the CSV export.

use crate::both_backends;
use crate::harness::{binary, error_code, run_cli, Backend, Client, Server};
use hpcb_server::demo_data::{generate, DumpSpec};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// Package and plugin id of the CSV usage source.
const CSV_PACKAGE: &str = "hpcb-plugin-usage-csv";
const CSV_PLUGIN: &str = "usage-csv";

/// Builds the CSV plugin (once per run) next to the server binary, where the server looks.
fn build_csv_plugin() {
    build_plugin(CSV_PACKAGE);
}

/// Builds a plugin package (once per run) next to the server binary, where the server looks.
pub(crate) fn build_plugin(package: &str) {
    static BUILT: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|p| p.into_inner());
    if built.iter().any(|b| b == package) {
        return;
    }
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let status = std::process::Command::new(cargo)
        .args(["build", "-q", "-p", package])
        .status()
        .expect("cargo");
    assert!(status.success(), "building {package} failed");
    let _ = binary();
    built.push(package.to_owned());
}

/// Writes a dump and a configuration with one source reading it; returns the config path.
pub(crate) fn setup(dir: &Path, jobs: usize, odd_every: usize) -> PathBuf {
    let data = dir.join("usage");
    std::fs::create_dir_all(&data).expect("dir");
    let dump = data.join("dump.psv");
    let end_s = 1_790_000_000;
    std::fs::write(
        &dump,
        generate(&DumpSpec {
            jobs,
            seed: 11,
            end_s,
            span_s: 90 * 86_400,
            odd_every,
        }),
    )
    .expect("write dump");
    let config = dir.join("hpc-billing.toml");
    std::fs::write(
        &config,
        format!(
            "[[sources]]\nname = \"lab\"\ncluster = \"lab\"\ninterval_secs = 0\n\n[[sources.chain]]\nplugin = \"{CSV_PLUGIN}\"\nsettings = {{ path = \"{}\" }}\nallow_dirs = [\"{}\"]\n",
            dump.display(),
            data.display()
        ),
    )
    .expect("write config");
    config
}

pub(crate) async fn server_with_usage(backend: Backend, jobs: usize, odd_every: usize) -> Server {
    server_with_usage_and(backend, jobs, odd_every, "").await
}

/// A server with generated usage and `extra` appended to its configuration file.
pub(crate) async fn server_with_usage_and(backend: Backend, jobs: usize, odd_every: usize, extra: &str) -> Server {
    let db = crate::harness::TestDb::new(backend).await;
    server_with_usage_on(db, jobs, odd_every, extra, &[]).await
}

/// The same on a given database, with extra environment settings.
pub(crate) async fn server_with_usage_on(
    db: crate::harness::TestDb,
    jobs: usize,
    odd_every: usize,
    extra: &str,
    env: &[(&str, &str)],
) -> Server {
    build_csv_plugin();
    let config = setup(&db.dir, jobs, odd_every);
    let mut text = std::fs::read_to_string(&config).expect("read config");
    text.push_str(extra);
    std::fs::write(&config, text).expect("write config");
    let config = config.display().to_string();
    let mut settings = vec![("HPC_BILLING_CONFIG", config.as_str())];
    settings.extend_from_slice(env);
    Server::start_on(db, &settings).await
}

pub(crate) const INGEST: &str = "mutation { ingestUsage(source: \"lab\", from: \"2020-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\") { fetched inserted updated unchanged rejected warnings sourceUsed } }";

async fn all_pages(c: &Client, query: &str, field: &str) -> Vec<Value> {
    let mut out = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let r = c.gql(query, json!({"after": after})).await;
        let conn = &r["data"][field];
        assert!(conn.is_object(), "{r}");
        for e in conn["edges"].as_array().expect("edges") {
            out.push(e["node"].clone());
            after = e["cursor"].as_str().map(str::to_owned);
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            return out;
        }
    }
}

async fn ingesting_through_the_csv_plugin_is_idempotent_and_scoped(backend: Backend) {
    let s = server_with_usage(backend, 300, 0).await;
    let admin = s.admin().await;
    let first = admin.gql(INGEST, json!({})).await;
    let r = &first["data"]["ingestUsage"];
    assert_eq!(r["fetched"], json!(300), "{first}");
    assert_eq!(
        (r["inserted"].as_i64(), r["rejected"].as_i64()),
        (Some(300), Some(0)),
        "{first}"
    );
    assert_eq!(r["sourceUsed"], json!(CSV_PLUGIN));
    let again = admin.gql(INGEST, json!({})).await;
    assert_eq!(again["data"]["ingestUsage"]["unchanged"], json!(300), "{again}");
    assert_eq!(again["data"]["ingestUsage"]["inserted"], json!(0), "{again}");

    // alice sees her jobs only, and their costs add up to her summary.
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let q = "query($after: String) { myUsage(first: 40, after: $after) { edges { cursor node { user jobKey cost { minor } explain { tier rate { id } arithmetic } } } pageInfo { hasNextPage } } }";
    let jobs = all_pages(&alice, q, "myUsage").await;
    assert!(!jobs.is_empty());
    assert!(jobs.iter().all(|j| j["user"] == json!("alice")));
    let total: i64 = jobs.iter().map(|j| j["cost"]["minor"].as_i64().expect("minor")).sum();
    let summary = alice
        .gql(
            "{ usageSummary(groupBy: MONTH) { key jobs cost { minor currency } } }",
            json!({}),
        )
        .await;
    let rows = summary["data"]["usageSummary"].as_array().expect("rows").clone();
    assert_eq!(
        rows.iter().map(|r| r["jobs"].as_i64().expect("jobs")).sum::<i64>(),
        jobs.len() as i64,
        "{summary}"
    );
    assert_eq!(
        rows.iter()
            .map(|r| r["cost"]["minor"].as_i64().expect("minor"))
            .sum::<i64>(),
        total
    );
    assert!(jobs.iter().all(|j| j["explain"]["rate"]["id"].is_i64()
        && j["explain"]["arithmetic"]
            .as_str()
            .is_some_and(|a| a.contains("core-h"))));
    // alice is priced private by default: every job's tier says so.
    assert!(jobs.iter().all(|j| j["explain"]["tier"] == json!("private")));

    // Other people's usage is refused to users and open to finance.
    let refused = alice
        .gql("{ usage(user: \"bob\", first: 1) { totalCount } }", json!({}))
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));
    let refused = alice
        .gql("{ usageSummary(groupBy: USER, user: \"bob\") { key } }", json!({}))
        .await;
    assert_eq!(error_code(&refused).as_deref(), Some("FORBIDDEN"));
    let finance = s.user_with_role(&admin, "fin", "FINANCE").await;
    let everyone = finance
        .gql(
            "{ usage(first: 1) { totalCount } usageSources { name lastRows lastError lastSourceUsed } }",
            json!({}),
        )
        .await;
    assert_eq!(everyone["data"]["usage"]["totalCount"], json!(300), "{everyone}");
    assert_eq!(everyone["data"]["usageSources"][0]["lastRows"], json!(300));

    // The CSV export carries the same jobs and costs.
    let http = reqwest::Client::new();
    let csv = http
        .get(format!("{}/export/usage.csv", s.base))
        .bearer_auth(alice.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("export")
        .text()
        .await
        .expect("body");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(lines.len(), jobs.len() + 1, "header + one line per job");
    assert!(lines[1..].iter().all(|l| l.split(',').nth(3) == Some("alice")));
    let other = http
        .get(format!("{}/export/usage.csv?user=bob", s.base))
        .bearer_auth(alice.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("export");
    assert_eq!(other.status().as_u16(), 403);
}
both_backends!(ingesting_through_the_csv_plugin_is_idempotent_and_scoped);

async fn odd_lines_are_reported_not_fatal(backend: Backend) {
    let s = server_with_usage(backend, 100, 10).await;
    let admin = s.admin().await;
    let r = admin.gql(INGEST, json!({})).await;
    let report = &r["data"]["ingestUsage"];
    assert_eq!(report["inserted"], json!(100), "{r}");
    let warnings = report["warnings"].as_array().expect("warnings");
    assert!(!warnings.is_empty(), "the odd lines are reported: {r}");
}
both_backends!(odd_lines_are_reported_not_fatal);

async fn the_cli_ingests_a_window(backend: Backend) {
    let s = server_with_usage(backend, 50, 0).await;
    let (code, out, err) = run_cli(
        s.env(),
        &[
            "ingest",
            "--source",
            "lab",
            "--from",
            "2020-01-01",
            "--to",
            "2030-01-01",
        ],
        None,
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("50 records") && out.contains("50 new"), "{out}");
    let (code, _, err) = run_cli(s.env(), &["ingest", "--source", "nope", "--from", "2020-01-01"], None).await;
    assert_eq!(code, 6, "{err}");
    let admin = s.admin().await;
    let log = admin
        .gql(
            "{ auditLog(first: 5, filter: {action: \"usage.ingest\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        log["data"]["auditLog"]["totalCount"],
        json!(1),
        "the run is audited: {log}"
    );
}
both_backends!(the_cli_ingests_a_window);

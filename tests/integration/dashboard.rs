//! The web dashboard in headless Chromium (Debian `chromium` driven by `playwright-core`),
//! against the real server with the dummy gateway and ingested usage, on both databases.
//! Each scenario is one run of `tests/node/dashboard/run.mjs`, which prints one JSON line;
//! between runs this test does what a browser cannot (tampering with the audit table).
//!
//! The accessibility, screenshot and page-speed run (`pages`) writes the screenshots of every
//! page, English and Thai, desktop and phone, to `tests/screenshots/` and prints each page's
//! transferred bytes and times as figures.

use crate::harness::{password_of, Backend, Server, ADMIN_PASSWORD};
use crate::usage::INGEST;
use serde_json::{json, Value};
use std::path::PathBuf;

fn node_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if !dir.join("node_modules").join("playwright-core").exists() || !dir.join("node_modules").join("axe-core").exists()
    {
        crate::harness::skip(
            "npm peers",
            "tests/node/node_modules is missing playwright-core or axe-core; run `npm ci --prefix tests/node`",
        );
        return None;
    }
    let chromium = std::env::var("CHROMIUM").unwrap_or_else(|_| "/usr/bin/chromium".into());
    if !std::path::Path::new(&chromium).exists() {
        crate::harness::skip(
            "chromium",
            "no Chromium at /usr/bin/chromium (apt-get install chromium fonts-thai-tlwg; tests/run.sh does as root)",
        );
        return None;
    }
    Some(dir)
}

/// Runs one scenario and returns its report; fails the test with the scenario's own account
/// of what went wrong.
async fn scenario(dir: &std::path::Path, name: &str, args: Value) -> Value {
    let out = tokio::process::Command::new("node")
        .arg(dir.join("dashboard").join("run.mjs"))
        .arg(name)
        .arg(args.to_string())
        .output()
        .await
        .expect("run node");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let report: Value = stdout
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("scenario {name} printed no report\n{stdout}\n{stderr}"));
    assert!(
        out.status.success() && report["ok"] == json!(true),
        "scenario {name} failed: {}\n{stderr}",
        serde_json::to_string_pretty(&report).unwrap_or_default()
    );
    for step in report["steps"].as_array().into_iter().flatten() {
        eprintln!("{name}: {}", step.as_str().unwrap_or_default());
    }
    report
}

/// A server with usage, the dummy gateway, and the accounts the scenarios use.
async fn prepared(backend: Backend) -> (Server, Value) {
    let s = crate::payments::server(backend).await;
    let admin = s.admin().await;
    let r = admin.gql(INGEST, json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let _alice = s.user_with_role(&admin, "alice", "USER").await;
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let _fin = s.user_with_role(&admin, "fin", "FINANCE").await;
    // Bob's receipt: its URL must be "not found" for alice.
    let (bob_receipt, _) = crate::payments::receipt_of(&bob).await;
    let args = json!({
        "base": s.base,
        "admin": {"username": "admin", "password": ADMIN_PASSWORD},
        "user": {"username": "alice", "password": password_of("alice")},
        "finance": {"username": "fin", "password": password_of("fin")},
        "otherReceipt": bob_receipt,
    });
    (s, args)
}

async fn dashboard_end_to_end_in_chromium(backend: Backend) {
    let Some(dir) = node_dir() else { return };
    let (s, args) = prepared(backend).await;
    scenario(&dir, "user", args.clone()).await;
    scenario(&dir, "finance", args.clone()).await;
    scenario(&dir, "rates", args.clone()).await;
    scenario(&dir, "audit-ok", args.clone()).await;

    // An intruder with database access edits one entry: Verify must name it.
    let admin = s.admin().await;
    let target = admin
        .gql(
            "{ auditLog(first: 1, filter: {action: \"rates.update\"}) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    let id = target["data"]["auditLog"]["edges"][0]["node"]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("a rates.update entry: {target}"));
    let db = s.db.connect().await;
    use sea_orm::ConnectionTrait;
    db.execute_unprepared(&format!(
        "UPDATE audit_log SET details = '{{\"after\":{{\"cpu\":\"0.01\"}}}}' WHERE id = {id}"
    ))
    .await
    .expect("tamper");
    let mut broken = args.clone();
    broken["brokenId"] = json!(id);
    scenario(&dir, "audit-broken", broken).await;
    scenario(&dir, "lockout", args).await;
}
crate::both_backends!(dashboard_end_to_end_in_chromium);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_in_both_languages_with_screenshots_and_timings() {
    let Some(dir) = node_dir() else { return };
    let (_s, mut args) = prepared(Backend::Sqlite).await;
    let shots = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("screenshots");
    let _ = std::fs::remove_dir_all(&shots);
    std::fs::create_dir_all(&shots).expect("screenshots dir");
    args["screenshots"] = json!(shots.display().to_string());
    let report = scenario(&dir, "pages", args).await;
    let pages = report["pages"].as_array().expect("pages");
    assert!(pages.len() >= 17, "every route was visited: {report}");
    for p in pages {
        hpcb_tests::figure(&format!(
            "page {:<22} {:>7} bytes transferred ({:>3} requests), first paint {:>4} ms, data shown {:>4} ms",
            p["route"].as_str().unwrap_or("?"),
            p["bytes"],
            p["requests"],
            p["firstPaintMs"],
            p["dataShownMs"]
        ));
        assert!(
            p["bytes"].as_u64().unwrap_or(u64::MAX) <= 200 * 1024,
            "over 200 KB: {p}"
        );
    }
    let written = std::fs::read_dir(&shots).expect("screenshots").count();
    assert!(
        written >= pages.len() * 4,
        "EN and TH, desktop and phone for every page: {written}"
    );
}

//! Independent clients: the `graphql-http` conformance audit and the `graphql-ws` subscription
//! client (both from npm, installed by `.ci/run` into `tests/node`).

use crate::both_backends;
use crate::harness::{Backend, Server};
use serde_json::json;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

fn node_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if dir.join("node_modules").join("graphql-http").exists() {
        return Some(dir);
    }
    crate::harness::skip(
        "npm peers",
        "tests/node/node_modules is missing; run `npm ci --prefix tests/node`",
    );
    None
}

async fn the_graphql_http_audit_passes_every_must(backend: Backend) {
    let Some(dir) = node_dir() else { return };
    let s = Server::start(backend).await;
    let out = tokio::process::Command::new("node")
        .arg(dir.join("audit.mjs"))
        .arg(format!("{}/graphql", s.base))
        .output()
        .await
        .expect("run node");
    let text = String::from_utf8_lossy(&out.stdout);
    eprintln!("{text}");
    assert!(
        out.status.success(),
        "graphql-http audit failed:\n{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.lines().any(|l| l.starts_with("ERROR")), "{text}");
    let warnings: Vec<&str> = text.lines().filter(|l| l.starts_with("WARN")).collect();
    assert!(warnings.is_empty(), "SHOULD audits failing: {warnings:#?}");
}
both_backends!(the_graphql_http_audit_passes_every_must);

/// Runs the graphql-ws client until it prints a result, triggering audit entries meanwhile.
async fn subscribe(s: &Server, token: &str, query: &str, trigger: bool) -> String {
    let dir = node_dir().expect("node peers");
    let ws_url = format!("{}/graphql/ws", s.base.replace("http://", "ws://"));
    let mut child = tokio::process::Command::new("node")
        .arg(dir.join("subscribe.mjs"))
        .args([ws_url.as_str(), token, query])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let admin = s.admin().await;
    loop {
        tokio::select! {
            line = lines.next_line() => {
                let line = line.expect("read").unwrap_or_default();
                if line == "CONNECTED" { continue; }
                return line;
            }
            _ = tokio::time::sleep(Duration::from_millis(200)), if trigger => {
                admin.gql("mutation { setTierOverride(username: \"watched\", tier: \"gov\") { tier } }", json!({})).await;
            }
        }
    }
}

async fn subscriptions_authenticate_in_connection_init(backend: Backend) {
    if node_dir().is_none() {
        return;
    }
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let token = admin.token.clone().expect("token");
    let line = subscribe(
        &s,
        &token,
        "subscription { auditAppended { action actor target } }",
        true,
    )
    .await;
    let v: serde_json::Value = serde_json::from_str(&line).unwrap_or_else(|_| panic!("not JSON: {line}"));
    assert_eq!(
        v["data"]["auditAppended"],
        json!({"action": "tier.override.set", "actor": "admin", "target": "user:watched"}),
        "{v}"
    );

    let anon = subscribe(&s, "-", "subscription { auditAppended { action } }", false).await;
    assert!(anon.contains("UNAUTHENTICATED") || anon.starts_with("ERROR"), "{anon}");
    let user = s.user_with_role(&admin, "watcher", "USER").await;
    let refused = subscribe(
        &s,
        user.token.as_deref().expect("token"),
        "subscription { auditAppended { action } }",
        false,
    )
    .await;
    assert!(refused.contains("FORBIDDEN"), "{refused}");
    let bad = subscribe(
        &s,
        "forged.token.value",
        "subscription { auditAppended { action } }",
        false,
    )
    .await;
    assert!(bad.starts_with("ERROR") || bad.contains("UNAUTHENTICATED"), "{bad}");
}
both_backends!(subscriptions_authenticate_in_connection_init);

//! Health, readiness, metrics, limits, configuration errors and graceful shutdown.

use crate::both_backends;
use crate::harness::{base_env, binary, error_code, Backend, Server, TestDb};
use serde_json::json;

async fn health_readiness_and_metrics_answer(backend: Backend) {
    let s = Server::start(backend).await;
    let http = reqwest::Client::new();
    let h = http.get(format!("{}/healthz", s.base)).send().await.expect("healthz");
    assert_eq!(h.status().as_u16(), 200);
    let r = http.get(format!("{}/readyz", s.base)).send().await.expect("readyz");
    assert_eq!(r.status().as_u16(), 200);
    assert!(r.headers().contains_key("x-request-id"));
    // Generate some traffic worth counting.
    s.client()
        .gql(
            "mutation { login(username: \"admin\", password: \"nope-nope\") { token } }",
            json!({}),
        )
        .await;
    s.admin().await;
    let m = http
        .get(format!("{}/metrics", s.base))
        .send()
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for name in [
        "http_requests_total{method=\"POST\",route=\"/graphql\",status=\"200\"}",
        "http_request_duration_seconds_bucket",
        "graphql_operations_total",
        "auth_login_success_total 1",
        "auth_login_failure_total 1",
        "auth_lockout_start_total 0",
        "audit_appends_total{action=\"auth.login.success\"}",
    ] {
        assert!(m.contains(name), "metrics lack {name}:\n{m}");
    }
}
both_backends!(health_readiness_and_metrics_answer);

async fn readiness_fails_with_a_reason_when_the_database_goes_away(backend: Backend) {
    if backend == Backend::Sqlite {
        // An open SQLite file cannot be taken away from a running process; PostgreSQL can.
        return;
    }
    let s = Server::start(backend).await;
    s.db.drop_database().await;
    let r = reqwest::get(format!("{}/readyz", s.base)).await.expect("readyz");
    assert_eq!(r.status().as_u16(), 503);
    let body: serde_json::Value = r.json().await.expect("json");
    assert_eq!(body["status"], json!("unavailable"));
    assert!(
        body["reason"].as_str().is_some_and(|s| s.contains("database")),
        "{body}"
    );
    let h = reqwest::get(format!("{}/healthz", s.base)).await.expect("healthz");
    assert_eq!(h.status().as_u16(), 200, "the process itself is alive");
    let q = s
        .client()
        .gql(
            "mutation { login(username: \"admin\", password: \"whatever-1\") { token } }",
            json!({}),
        )
        .await;
    // Retryable, and said so; the driver's own words stay in the log.
    assert_eq!(error_code(&q).as_deref(), Some("UNAVAILABLE"), "{q}");
    let msg = q["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(
        !msg.contains("postgres") && !msg.contains("hpcb_t_") && !msg.contains("does not exist"),
        "internal details leaked: {msg}"
    );
}
both_backends!(readiness_fails_with_a_reason_when_the_database_goes_away);

async fn hostile_queries_are_refused_by_the_limits(backend: Backend) {
    let s = Server::start_with(
        backend,
        &[
            ("HPC_BILLING_GRAPHQL_MAX_DEPTH", "3"),
            ("HPC_BILLING_GRAPHQL_MAX_BODY_BYTES", "2048"),
            ("HPC_BILLING_GRAPHQL_INTROSPECTION", "false"),
        ],
    )
    .await;
    let c = s.client();
    let deep = c.gql("{ __typename a: __typename }", json!({})).await;
    assert!(deep["errors"].is_null(), "{deep}");
    let admin = s.admin().await;
    let too_deep = admin
        .gql(
            "{ auditLog(first: 1) { edges { node { details } } pageInfo { hasNextPage } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        error_code(&too_deep).as_deref(),
        Some("GRAPHQL_VALIDATION_FAILED"),
        "{too_deep}"
    );
    let intro = c.gql("{ __schema { types { name } } }", json!({})).await;
    assert!(intro["data"]["__schema"].is_null(), "introspection is off: {intro}");
    let big = "x".repeat(4096);
    let resp = reqwest::Client::new()
        .post(format!("{}/graphql", s.base))
        .header("content-type", "application/json")
        .body(format!(
            "{{\"query\":\"{{ __typename }}\",\"variables\":{{\"pad\":\"{big}\"}}}}"
        ))
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 413);
    let get_mutation = reqwest::get(format!("{}/graphql?query=mutation%20%7B%20logout%20%7D", s.base))
        .await
        .expect("get");
    assert_eq!(get_mutation.status().as_u16(), 405);
    let malformed = reqwest::Client::new()
        .post(format!("{}/graphql", s.base))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("send");
    assert_eq!(malformed.status().as_u16(), 400);
    let body: serde_json::Value = malformed.json().await.expect("json");
    assert_eq!(error_code(&body).as_deref(), Some("BAD_REQUEST"));
}
both_backends!(hostile_queries_are_refused_by_the_limits);

async fn sigterm_shuts_down_gracefully(backend: Backend) {
    let mut s = Server::start(backend).await;
    let status = s.terminate().await;
    assert!(status.success(), "exit status {status:?}");
}
both_backends!(sigterm_shuts_down_gracefully);

#[tokio::test]
async fn invalid_configuration_fails_fast_naming_the_key() {
    let db = TestDb::new(Backend::Sqlite).await;
    let cases: [(&str, &str, &str); 4] = [
        ("HPC_BILLING_GRAPHQL_MAX_DEPTH", "deep", "graphql.max_depth"),
        ("HPC_BILLING_LISTEN", "not-an-address", "server.listen"),
        ("HPC_BILLING_DATABASE_URL", "mysql://x", "database.url"),
        (
            "HPC_BILLING_AUTH_THROTTLE_LOCKSECS",
            "5",
            "HPC_BILLING_AUTH_THROTTLE_LOCKSECS",
        ),
    ];
    for (key, value, named) in cases {
        let mut env = base_env(&db, 1);
        env.retain(|(k, _)| k != key);
        env.push((key.into(), value.into()));
        let out = std::process::Command::new(binary())
            .arg("serve")
            .env_clear()
            .envs(env)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(3), "{key}: {out:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(named), "{key}: {err}");
    }
    let file = db.dir.join("bad.toml");
    std::fs::write(&file, "[auth]\ntoken_ttl_secs = \"soon\"\n").expect("write");
    let out = std::process::Command::new(binary())
        .args(["--config", &file.display().to_string(), "migrate"])
        .env_clear()
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("auth.token_ttl_secs"));
    let help = std::process::Command::new(binary())
        .args(["user", "--help"])
        .output()
        .expect("run");
    assert!(help.status.success());
    assert!(String::from_utf8_lossy(&help.stdout).contains("set-role"));
    let usage = std::process::Command::new(binary())
        .args(["no-such-command"])
        .output()
        .expect("run");
    assert_eq!(usage.status.code(), Some(2));
}

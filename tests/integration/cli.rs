//! The `user` and `migrate` subcommands against a real database, and their exit codes.

use crate::both_backends;
use crate::harness::{error_code, run_cli, Backend, Server};
use serde_json::json;

async fn the_cli_manages_accounts_with_audited_changes(backend: Backend) {
    let s = Server::start(backend).await;
    let env = s.env().to_vec();
    let (code, out, err) = run_cli(&env, &["migrate"], None).await;
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = run_cli(
        &env,
        &["user", "add", "erin", "--role", "finance"],
        Some("erin-password-1\n"),
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("created erin (finance)"), "{out}");
    let (code, _, err) = run_cli(&env, &["user", "add", "erin"], Some("erin-password-1\n")).await;
    assert_eq!(code, 6, "duplicate: {err}");
    let (code, _, err) = run_cli(&env, &["user", "add", "frank"], Some("")).await;
    assert_eq!(code, 6, "no password: {err}");
    let erin = s.login("erin", "erin-password-1").await;
    assert_eq!(
        erin.gql("{ me { role } }", json!({})).await["data"]["me"]["role"],
        json!("FINANCE")
    );
    let (code, out, _) = run_cli(&env, &["user", "set-role", "erin", "user"], None).await;
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        erin.gql("{ me { role } }", json!({})).await["data"]["me"]["role"],
        json!("USER")
    );
    let (code, out, _) = run_cli(&env, &["user", "list"], None).await;
    assert_eq!(code, 0);
    assert!(out.contains("erin") && out.contains("admin"), "{out}");
    let (code, _, _) = run_cli(&env, &["user", "passwd", "erin"], Some("erin-password-2\n")).await;
    assert_eq!(code, 0);
    assert_eq!(
        error_code(&erin.gql("{ me { role } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED"),
        "passwd ends sessions"
    );
    let erin = s.login("erin", "erin-password-2").await;
    let (code, _, _) = run_cli(&env, &["user", "disable", "erin"], None).await;
    assert_eq!(code, 0);
    assert_eq!(
        error_code(&erin.gql("{ me { role } }", json!({})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    let (code, _, err) = run_cli(&env, &["user", "disable", "nobody"], None).await;
    assert_eq!(code, 6, "{err}");
    let admin = s.admin().await;
    let log = admin
        .gql(
            "{ auditLog(first: 50, filter: {actor: \"cli\"}) { edges { node { action target } } } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = log["data"]["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        vec!["user.disable", "user.password", "user.role", "user.create"],
        "{log}"
    );
}
both_backends!(the_cli_manages_accounts_with_audited_changes);

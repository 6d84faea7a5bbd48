//! The audit chain: tampering is detected and located, concurrent writers never fork it, and it
//! exports to CSV.

use crate::both_backends;
use crate::harness::{error_code, run_cli, Backend, Server};
use sea_orm::ConnectionTrait;
use serde_json::json;

async fn tampering_with_one_row_is_detected_and_located(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    for tier in ["mu", "gov", "private"] {
        let r = admin
            .gql(
                "mutation($t: String!) { updateRates(tier: $t, cpu: \"2\", gpu: \"2\", mem: \"2\") { id } }",
                json!({"t": tier}),
            )
            .await;
        assert!(r["errors"].is_null(), "{r}");
    }
    let ok = admin
        .gql("{ auditVerify { ok checked firstBrokenId } }", json!({}))
        .await;
    assert_eq!(ok["data"]["auditVerify"]["ok"], json!(true), "{ok}");
    let checked = ok["data"]["auditVerify"]["checked"].as_i64().expect("checked");
    assert!(checked >= 5, "{ok}");
    let (code, out, _) = run_cli(s.env(), &["audit", "verify"], None).await;
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("entries verified"), "{out}");

    // Edit one entry's details directly in the database, as an intruder with DB access would.
    let db = s.db.connect().await;
    let target = admin.gql("{ auditLog(first: 1, filter: {action: \"rates.update\", target: \"tier:gov\"}) { edges { node { id } } } }", json!({})).await;
    let id = target["data"]["auditLog"]["edges"][0]["node"]["id"]
        .as_i64()
        .expect("id");
    db.execute_unprepared(&format!(
        "UPDATE audit_log SET details = '{{\"after\":{{\"cpu\":\"0.01\"}}}}' WHERE id = {id}"
    ))
    .await
    .expect("tamper");
    let broken = admin
        .gql("{ auditVerify { ok firstBrokenId reason } }", json!({}))
        .await;
    assert_eq!(broken["data"]["auditVerify"]["ok"], json!(false), "{broken}");
    assert_eq!(broken["data"]["auditVerify"]["firstBrokenId"], json!(id), "{broken}");
    let (code, _, err) = run_cli(s.env(), &["audit", "verify"], None).await;
    assert_eq!(code, 5, "{err}");
    assert!(err.contains(&format!("entry id {id}")), "{err}");

    // Recomputing the hash without the key is not enough, and deleting a row is caught too.
    let fresh = crate::harness::Server::start(backend).await;
    let a2 = fresh.admin().await;
    for _ in 0..3 {
        a2.gql(
            "mutation { setTierOverride(username: \"x\", tier: \"mu\") { tier } }",
            json!({}),
        )
        .await;
    }
    let db2 = fresh.db.connect().await;
    let mid = a2
        .gql("{ auditLog(first: 2) { edges { node { id } } } }", json!({}))
        .await;
    let second_newest = mid["data"]["auditLog"]["edges"][1]["node"]["id"].as_i64().expect("id");
    db2.execute_unprepared(&format!("DELETE FROM audit_log WHERE id = {second_newest}"))
        .await
        .expect("delete");
    let v = a2.gql("{ auditVerify { ok firstBrokenId reason } }", json!({})).await;
    assert_eq!(v["data"]["auditVerify"]["ok"], json!(false), "{v}");
    let first_broken = v["data"]["auditVerify"]["firstBrokenId"].as_i64().expect("id");
    assert!(
        first_broken > second_newest,
        "the entry after the deleted one is named: {v}"
    );
}
both_backends!(tampering_with_one_row_is_detected_and_located);

async fn two_hundred_concurrent_audited_operations_leave_a_chain_that_verifies(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    let before = admin.gql("{ auditLog(first: 1) { totalCount } }", json!({})).await["data"]["auditLog"]["totalCount"]
        .as_i64()
        .expect("count");
    let mut tasks = Vec::new();
    for i in 0..200 {
        let c = admin.clone();
        tasks.push(tokio::spawn(async move {
            let user = format!("u{}", i % 50);
            let tier = ["mu", "gov", "private"][i % 3];
            c.gql(
                "mutation($u: String!, $t: String!) { setTierOverride(username: $u, tier: $t) { tier } }",
                json!({"u": user, "t": tier}),
            )
            .await
        }));
    }
    for t in tasks {
        let r = t.await.expect("task");
        assert!(r["errors"].is_null(), "{r}");
    }
    let v = admin
        .gql(
            "{ auditVerify { ok checked firstBrokenId } auditLog(first: 1) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(v["data"]["auditVerify"]["ok"], json!(true), "{v}");
    let total = v["data"]["auditLog"]["totalCount"].as_i64().expect("count");
    assert_eq!(total, before + 200, "{v}");
    assert_eq!(v["data"]["auditVerify"]["checked"].as_i64(), Some(total));
}
both_backends!(two_hundred_concurrent_audited_operations_leave_a_chain_that_verifies);

async fn the_audit_log_pages_filters_and_exports(backend: Backend) {
    let s = Server::start(backend).await;
    let admin = s.admin().await;
    for i in 0..7 {
        admin
            .gql(
                "mutation($u: String!) { setTierOverride(username: $u, tier: \"gov\") { tier } }",
                json!({"u": format!("p{i}")}),
            )
            .await;
    }
    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let page = admin
            .gql(
                "query($a: String) { auditLog(first: 3, after: $a, filter: {action: \"tier.override.set\"}) { totalCount edges { cursor node { target } } pageInfo { hasNextPage } } }",
                json!({"a": after}),
            )
            .await;
        let conn = &page["data"]["auditLog"];
        assert_eq!(conn["totalCount"], json!(7), "{page}");
        for e in conn["edges"].as_array().expect("edges") {
            seen.push(e["node"]["target"].as_str().expect("target").to_owned());
            after = e["cursor"].as_str().map(str::to_owned);
        }
        if conn["pageInfo"]["hasNextPage"] != json!(true) {
            break;
        }
    }
    let want: Vec<String> = (0..7).rev().map(|i| format!("user:p{i}")).collect();
    assert_eq!(seen, want, "newest first, each once");
    let bad = admin.gql("{ auditLog(first: 0) { totalCount } }", json!({})).await;
    assert_eq!(error_code(&bad).as_deref(), Some("BAD_USER_INPUT"));

    let http = reqwest::Client::new();
    let csv_url = format!("{}/export/audit.csv?action=tier.override.set", s.base);
    let anon = http.get(&csv_url).send().await.expect("send");
    assert_eq!(anon.status().as_u16(), 401);
    let finance = s.user_with_role(&admin, "fin", "FINANCE").await;
    let refused = http
        .get(&csv_url)
        .bearer_auth(finance.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("send");
    assert_eq!(refused.status().as_u16(), 403);
    let resp = http
        .get(&csv_url)
        .bearer_auth(admin.token.as_deref().unwrap_or_default())
        .send()
        .await
        .expect("send");
    assert_eq!(resp.status().as_u16(), 200);
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap_or_default()
        .starts_with("text/csv"));
    let text = resp.text().await.expect("body");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("id,seq,at,actor"), "{}", lines[0]);
    assert_eq!(lines.len(), 8, "{text}");
    assert!(
        lines[1].contains("user:p0") && lines[7].contains("user:p6"),
        "chain order: {text}"
    );
    let after_export = admin
        .gql(
            "{ auditLog(first: 1, filter: {action: \"audit.export\"}) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        after_export["data"]["auditLog"]["totalCount"],
        json!(1),
        "exports are audited"
    );
}
both_backends!(the_audit_log_pages_filters_and_exports);

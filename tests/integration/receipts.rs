//! Receipts over HTTP: created from real ingested usage, read back, printed, exported, paid and
//! voided, with who-may-do-what checked, and 200 concurrent requests billing each job once.

use crate::both_backends;
use crate::harness::{error_code, Backend};
use crate::usage::{server_with_usage, INGEST};
use serde_json::{json, Value};

const CREATE: &str = "mutation($u: String) { createReceipt(user: $u) { id number user status subtotal { minor } tax { minor } total { minor currency } lines { jobKey amount { minor } cpuRate explain } } }";

async fn receipts_flow_end_to_end_with_authorization(backend: Backend) {
    let s = server_with_usage(backend, 200, 0).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let fin = s.user_with_role(&admin, "fin", "FINANCE").await;

    let preview = alice
        .gql("{ previewReceipt { total { minor } lines { jobKey } } }", json!({}))
        .await;
    let preview_total = preview["data"]["previewReceipt"]["total"]["minor"]
        .as_i64()
        .expect("preview");
    let r = alice.gql(CREATE, json!({})).await;
    let receipt = &r["data"]["createReceipt"];
    assert_eq!(receipt["user"], json!("alice"), "{r}");
    assert_eq!(
        receipt["total"]["minor"].as_i64(),
        Some(preview_total),
        "preview shows what create bills"
    );
    let lines = receipt["lines"].as_array().expect("lines");
    let sum: i64 = lines
        .iter()
        .map(|l| l["amount"]["minor"].as_i64().expect("minor"))
        .sum();
    assert_eq!(receipt["subtotal"]["minor"].as_i64(), Some(sum));
    assert_eq!(
        receipt["subtotal"]["minor"].as_i64().unwrap_or(0) + receipt["tax"]["minor"].as_i64().unwrap_or(0),
        receipt["total"]["minor"].as_i64().unwrap_or(-1)
    );
    assert!(lines
        .iter()
        .all(|l| l["explain"].as_str().is_some_and(|e| e.contains("core-h"))));
    let id = receipt["id"].as_str().expect("id").to_owned();

    // Billing again finds nothing; naming an already billed job is a CONFLICT naming it.
    let again = alice.gql(CREATE, json!({})).await;
    assert_eq!(error_code(&again).as_deref(), Some("CONFLICT"), "{again}");
    let job = lines[0]["jobKey"].as_str().expect("key").to_owned();
    let named = alice
        .gql(
            "mutation($j: [String!]) { createReceipt(jobs: $j) { id } }",
            json!({"j": [job.clone()]}),
        )
        .await;
    assert_eq!(error_code(&named).as_deref(), Some("CONFLICT"), "{named}");
    assert!(
        named["errors"][0]["message"].as_str().is_some_and(|m| m.contains(&job)),
        "{named}"
    );

    // Who may see it.
    let q = "query($id: ID!) { receipt(id: $id) { number } }";
    assert!(alice.gql(q, json!({"id": id})).await["errors"].is_null());
    assert!(fin.gql(q, json!({"id": id})).await["errors"].is_null());
    assert_eq!(
        error_code(&bob.gql(q, json!({"id": id})).await).as_deref(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        error_code(&s.client().gql(q, json!({"id": id})).await).as_deref(),
        Some("UNAUTHENTICATED")
    );
    assert_eq!(
        bob.gql("{ myReceipts { totalCount } }", json!({})).await["data"]["myReceipts"]["totalCount"],
        json!(0)
    );
    assert_eq!(
        error_code(&bob.gql("{ receipts { totalCount } }", json!({})).await).as_deref(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(
            &bob.gql(
                "mutation($u: String) { createReceipt(user: $u) { id } }",
                json!({"u": "alice"})
            )
            .await
        )
        .as_deref(),
        Some("FORBIDDEN")
    );
    for m in [
        "mutation($id: ID!) { markReceiptPaid(id: $id, method: \"cash\") { status } }",
        "mutation($id: ID!) { voidReceipt(id: $id, reason: \"x\") { status } }",
        "mutation($id: ID!) { revertReceiptToPending(id: $id) { status } }",
    ] {
        assert_eq!(
            error_code(&alice.gql(m, json!({"id": id})).await).as_deref(),
            Some("FORBIDDEN"),
            "{m}"
        );
    }
    assert_eq!(
        error_code(
            &alice
                .gql(
                    "mutation { createMonthlyReceipts(month: \"2026-09\") { month } }",
                    json!({})
                )
                .await
        )
        .as_deref(),
        Some("FORBIDDEN")
    );
    assert_eq!(
        error_code(&alice.gql("{ billingAdjustments { line { jobKey } } }", json!({})).await).as_deref(),
        Some("FORBIDDEN")
    );

    // The printable page, in English and Thai, for the owner only.
    let http = reqwest::Client::new();
    let page = |token: Option<String>, lang: &'static str| {
        let mut r = http.get(format!("{}/receipts/{id}?lang={lang}", s.base));
        if let Some(t) = token {
            r = r.bearer_auth(t);
        }
        async move { r.send().await.expect("page") }
    };
    let en = page(alice.token.clone(), "en").await;
    assert_eq!(en.status().as_u16(), 200);
    let en = en.text().await.expect("html");
    assert!(
        en.contains(receipt["number"].as_str().expect("number"))
            && en.contains("Subtotal")
            && en.contains("@media print")
    );
    let th = page(alice.token.clone(), "th").await.text().await.expect("html");
    assert!(th.contains("ใบเสร็จรับเงิน") && th.contains("ยอดรวมทั้งสิ้น"), "Thai labels");
    assert_eq!(page(bob.token.clone(), "en").await.status().as_u16(), 404);
    assert_eq!(page(None, "en").await.status().as_u16(), 401);

    // Paid, exported, reverted, voided and rebilled.
    let paid = fin.gql("mutation($id: ID!) { markReceiptPaid(id: $id, method: \"bank-transfer\", reference: \"TX-42\") { status paidMethod } }", json!({"id": id})).await;
    assert_eq!(paid["data"]["markReceiptPaid"]["status"], json!("PAID"), "{paid}");
    let csv = |path: &'static str, token: Option<String>| {
        let r = http
            .get(format!("{}{path}", s.base))
            .bearer_auth(token.unwrap_or_default());
        async move { r.send().await.expect("csv").text().await.expect("text") }
    };
    let paid_csv = csv("/export/paid.csv", fin.token.clone()).await;
    assert_eq!(paid_csv.lines().count(), 2, "{paid_csv}");
    assert!(paid_csv.contains("TX-42"));
    assert_eq!(
        csv("/export/receipts.csv", bob.token.clone()).await.lines().count(),
        1,
        "bob sees only the header"
    );
    let mine = csv("/export/my-usage.csv", alice.token.clone()).await;
    assert!(mine.lines().skip(1).all(|l| l.split(',').nth(3) == Some("alice")));
    let voided = fin
        .gql(
            "mutation($id: ID!) { voidReceipt(id: $id, reason: \"wrong\") { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(
        error_code(&voided).as_deref(),
        Some("CONFLICT"),
        "paid receipts cannot be voided: {voided}"
    );
    fin.gql(
        "mutation($id: ID!) { revertReceiptToPending(id: $id) { status } }",
        json!({"id": id}),
    )
    .await;
    let voided = fin
        .gql(
            "mutation($id: ID!) { voidReceipt(id: $id, reason: \"wrong\") { status } }",
            json!({"id": id}),
        )
        .await;
    assert_eq!(voided["data"]["voidReceipt"]["status"], json!("VOID"), "{voided}");
    let rebill = alice.gql(CREATE, json!({})).await;
    assert_eq!(
        rebill["data"]["createReceipt"]["lines"].as_array().map(Vec::len),
        Some(lines.len()),
        "voiding released the jobs: {rebill}"
    );
    let log = admin
        .gql(
            "{ auditLog(first: 20, filter: {action: \"receipt.*\"}) { edges { node { action } } } auditVerify { ok } }",
            json!({}),
        )
        .await;
    let actions: Vec<&str> = log["data"]["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .filter_map(|e| e["node"]["action"].as_str())
        .collect();
    for a in ["receipt.create", "receipt.paid", "receipt.revert", "receipt.void"] {
        assert!(actions.contains(&a), "{a} in {actions:?}");
    }
    assert_eq!(log["data"]["auditVerify"]["ok"], json!(true));
}
both_backends!(receipts_flow_end_to_end_with_authorization);

async fn two_hundred_concurrent_requests_bill_each_job_once(backend: Backend) {
    let s = server_with_usage(backend, 300, 0).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let total_jobs = alice.gql("{ myUsage(first: 1) { totalCount } }", json!({})).await["data"]["myUsage"]
        ["totalCount"]
        .as_i64()
        .expect("count");
    let mut tasks = Vec::new();
    for _ in 0..200 {
        let c = alice.clone();
        tasks.push(tokio::spawn(async move { c.gql(CREATE, json!({})).await }));
    }
    let mut created: Vec<Value> = Vec::new();
    for t in tasks {
        let r = t.await.expect("join");
        match error_code(&r).as_deref() {
            None => created.push(r["data"]["createReceipt"].clone()),
            Some("CONFLICT") => {}
            Some(other) => panic!("unexpected {other}: {r}"),
        }
    }
    let mut keys: Vec<String> = created
        .iter()
        .flat_map(|r| r["lines"].as_array().cloned().unwrap_or_default())
        .filter_map(|l| l["jobKey"].as_str().map(str::to_owned))
        .collect();
    let n = keys.len();
    keys.sort();
    keys.dedup();
    assert_eq!(keys.len(), n, "no job on two receipts");
    assert_eq!(n as i64, total_jobs.min(n as i64));
    for r in &created {
        let sum: i64 = r["lines"]
            .as_array()
            .expect("lines")
            .iter()
            .map(|l| l["amount"]["minor"].as_i64().expect("minor"))
            .sum();
        assert_eq!(r["subtotal"]["minor"].as_i64(), Some(sum));
    }
    let v = admin.gql("{ auditVerify { ok } }", json!({})).await;
    assert_eq!(v["data"]["auditVerify"]["ok"], json!(true));
}
both_backends!(two_hundred_concurrent_requests_bill_each_job_once);

//! Payments over HTTP with the real `dummy` gateway plugin: a checkout paid on the gateway's
//! page reaches the server as a signed webhook and a `graphql-ws` subscriber sees it; forged,
//! mismatched and repeated webhooks change nothing; validly signed deliveries that are no
//! event, or are dated too far ahead, are refused for good and audited; 1,000 concurrent
//! deliveries settle once; on PostgreSQL a subscriber on one replica hears a webhook handled by
//! another.

use crate::both_backends;
use crate::harness::{error_code, Backend, Client, Server};
use crate::usage::{build_plugin, server_with_usage_and, INGEST};
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};

const DUMMY_PACKAGE: &str = "hpcb-plugin-pay-dummy";
const DUMMY_SECRET: &str = "dummy-webhook-secret-for-tests";
const START: &str = "mutation($r: ID!, $p: String!) { startPayment(receiptId: $r, provider: $p) { id status checkoutUrl externalId amount { minor currency } } }";

fn config() -> String {
    format!(
        "\n[payments]\njanitor_interval_secs = 1\ncheck_schedule_secs = [1, 2, 4]\n\n[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = {{ webhook_secret = \"{DUMMY_SECRET}\" }}\n"
    )
}

pub(crate) async fn server(backend: Backend) -> Server {
    build_plugin(DUMMY_PACKAGE);
    server_with_usage_and(backend, 200, 0, &config()).await
}

fn node_dir() -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("node");
    if dir.join("node_modules").join("graphql-ws").exists() {
        return Some(dir);
    }
    crate::harness::skip(
        "npm peers",
        "tests/node/node_modules is missing; run `npm ci --prefix tests/node`",
    );
    None
}

/// A receipt for `user` with a total; returns (id, total minor units).
pub(crate) async fn receipt_of(c: &Client) -> (String, i64) {
    let r = c
        .gql("mutation { createReceipt { id total { minor } } }", json!({}))
        .await;
    let id = r["data"]["createReceipt"]["id"]
        .as_str()
        .expect("receipt id")
        .to_owned();
    (
        id,
        r["data"]["createReceipt"]["total"]["minor"].as_i64().expect("total"),
    )
}

/// A webhook body of the dummy gateway, signed now as the protocol specifies.
pub(crate) fn signed(event_id: &str, payment: &str, amount: i64, secret: &str) -> (String, String) {
    signed_at(chrono::Utc::now().timestamp(), event_id, payment, amount, secret)
}

/// The same, signed at Unix time `t`.
fn signed_at(t: i64, event_id: &str, payment: &str, amount: i64, secret: &str) -> (String, String) {
    let body = json!({"id": event_id, "type": "payment.succeeded", "created": t,
        "data": {"payment_id": payment, "external_id": format!("dummy_{payment}"), "amount_minor": amount, "currency": "THB"}})
    .to_string();
    let signature = signature(t, &body, secret);
    (body, signature)
}

/// `X-Dummy-Signature` of any body: `t=<t>,v1=<hex HMAC-SHA256(secret, "t.body")>`.
fn signature(t: i64, body: &str, secret: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes()))
}

async fn deliver(http: &reqwest::Client, base: &str, body: &str, sig: &str) -> (u16, Value) {
    let r = http
        .post(format!("{base}/payments/webhook/dummy"))
        .header("content-type", "application/json")
        .header("x-dummy-signature", sig)
        .body(body.to_owned())
        .send()
        .await
        .expect("deliver");
    let status = r.status().as_u16();
    let text = r.text().await.unwrap_or_default();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

pub(crate) async fn audit_total(admin: &Client, action: &str) -> i64 {
    let r = admin
        .gql(
            "query($a: String) { auditLog(first: 1, filter: {action: $a}) { totalCount } auditVerify { ok } }",
            json!({"a": action}),
        )
        .await;
    assert_eq!(r["data"]["auditVerify"]["ok"], json!(true), "{r}");
    r["data"]["auditLog"]["totalCount"].as_i64().expect("count")
}

/// A `paymentStatus` subscription through the graphql-ws client; waits for the first payload.
struct Watcher {
    child: tokio::process::Child,
    lines: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
    seen: Vec<String>,
}

impl Watcher {
    async fn start(dir: &std::path::Path, base: &str, token: &str, payment: &str) -> Watcher {
        let ws = format!("{}/graphql/ws", base.replace("http://", "ws://"));
        let query =
            format!("subscription {{ paymentStatus(paymentId: \"{payment}\") {{ status amount {{ minor }} }} }}");
        let mut child = tokio::process::Command::new("node")
            .arg(dir.join("watch.mjs"))
            .args([ws.as_str(), token, query.as_str(), "SUCCEEDED"])
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn node");
        let lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
        let mut w = Watcher {
            child,
            lines,
            seen: Vec::new(),
        };
        w.next_payload().await;
        w
    }

    async fn next_payload(&mut self) -> String {
        loop {
            let line = tokio::time::timeout(Duration::from_secs(30), self.lines.next_line())
                .await
                .expect("a subscription line within 30 s")
                .expect("read")
                .unwrap_or_default();
            if line == "CONNECTED" {
                continue;
            }
            self.seen.push(line.clone());
            return line;
        }
    }

    async fn until_exit(mut self) -> (i32, Vec<String>) {
        while let Ok(Some(line)) = self.lines.next_line().await {
            self.seen.push(line);
        }
        let status = self.child.wait().await.expect("node exit");
        (status.code().unwrap_or(-1), self.seen)
    }
}

async fn the_dummy_gateway_pays_through_a_signed_webhook(backend: Backend) {
    let Some(node) = node_dir() else { return };
    let s = server(backend).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let fin = s.user_with_role(&admin, "fin", "FINANCE").await;
    let providers = alice.gql("{ paymentProviders }", json!({})).await;
    assert_eq!(providers["data"]["paymentProviders"], json!(["dummy"]), "{providers}");

    let (rid, total) = receipt_of(&alice).await;
    let vars = json!({"r": rid, "p": "dummy"});
    assert_eq!(
        error_code(&bob.gql(START, vars.clone()).await).as_deref(),
        Some("NOT_FOUND")
    );
    assert_eq!(
        error_code(&fin.gql(START, vars.clone()).await).as_deref(),
        Some("FORBIDDEN")
    );
    let unknown = alice.gql(START, json!({"r": rid, "p": "paypal"})).await;
    assert_eq!(error_code(&unknown).as_deref(), Some("BAD_USER_INPUT"), "{unknown}");
    let r = alice.gql(START, vars.clone()).await;
    let pay = &r["data"]["startPayment"];
    let id = pay["id"].as_str().expect("payment id").to_owned();
    assert_eq!(pay["status"], json!("PENDING"), "{r}");
    assert_eq!(pay["amount"]["minor"].as_i64(), Some(total));
    let checkout = pay["checkoutUrl"].as_str().expect("checkout url").to_owned();
    assert_eq!(checkout, format!("{}/payments/dummy/checkout/{id}", s.base));
    assert_eq!(pay["externalId"], json!(format!("dummy_{id}")));

    // Other users cannot watch it.
    let bob_token = bob.token.clone().expect("token");
    let ws = format!("{}/graphql/ws", s.base.replace("http://", "ws://"));
    let out = tokio::process::Command::new("node")
        .arg(node.join("watch.mjs"))
        .args([
            ws.as_str(),
            bob_token.as_str(),
            &format!("subscription {{ paymentStatus(paymentId: \"{id}\") {{ status }} }}"),
            "SUCCEEDED",
        ])
        .output()
        .await
        .expect("node");
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{text}");
    assert!(text.contains("NOT_FOUND") || text.contains("not found"), "{text}");

    let watcher = Watcher::start(&node, &s.base, alice.token.as_deref().expect("token"), &id).await;
    assert!(watcher.seen[0].contains("PENDING"), "{:?}", watcher.seen);

    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    // Forged and mismatched deliveries change nothing.
    let (body, _) = signed("evt_forged", &id, total, DUMMY_SECRET);
    let (_, forged_sig) = signed("evt_forged", &id, total, "not-the-secret");
    assert_eq!(deliver(&http, &s.base, &body, &forged_sig).await.0, 400);
    let (body, sig) = signed("evt_short", &id, total - 1, DUMMY_SECRET);
    let (status, answer) = deliver(&http, &s.base, &body, &sig).await;
    assert_eq!(status, 409, "{answer}");
    let unknown_gateway = http
        .post(format!("{}/payments/webhook/paypal", s.base))
        .body("{}")
        .send()
        .await
        .expect("send");
    assert_eq!(unknown_gateway.status().as_u16(), 404);
    let r = alice
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": rid}))
        .await;
    assert_eq!(r["data"]["receipt"]["status"], json!("PENDING"), "{r}");

    // The gateway's page: Pay sends a signed webhook to our endpoint, then the return page.
    let page = http.get(&checkout).send().await.expect("checkout page");
    assert_eq!(page.status().as_u16(), 200);
    assert!(page.text().await.expect("html").contains("id=\"pay\""));
    let paid = http.post(format!("{checkout}/pay")).send().await.expect("pay");
    assert_eq!(paid.status().as_u16(), 303);
    let back = paid.headers()["location"].to_str().expect("location").to_owned();
    assert_eq!(back, format!("/payments/return/{id}"));
    let (code, seen) = watcher.until_exit().await;
    assert_eq!(code, 0, "{seen:?}");
    assert!(seen.last().is_some_and(|l| l.contains("SUCCEEDED")), "{seen:?}");
    let ret = http.get(format!("{}{back}", s.base)).send().await.expect("return page");
    assert!(ret.text().await.expect("html").contains("data-status=\"succeeded\""));
    let r = alice
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": rid}))
        .await;
    assert_eq!(r["data"]["receipt"]["status"], json!("PAID"), "{r}");

    // Audited once; a gateway payment is refunded, never reverted.
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);
    assert_eq!(audit_total(&admin, "payment.webhook_rejected").await, 1);
    assert_eq!(audit_total(&admin, "payment.mismatch").await, 1);
    let revert = fin
        .gql(
            "mutation($r: ID!) { revertReceiptToPending(id: $r) { status } }",
            json!({"r": rid}),
        )
        .await;
    assert_eq!(error_code(&revert).as_deref(), Some("CONFLICT"), "{revert}");
    let refund = "mutation($p: ID!, $a: Int) { refundPayment(id: $p, amountMinor: $a, reason: \"goodwill\") { payment { status refunded { minor } } refund { status amount { minor } } } }";
    let denied = alice.gql(refund, json!({"p": id, "a": 100})).await;
    assert_eq!(error_code(&denied).as_deref(), Some("FORBIDDEN"), "{denied}");
    let r = fin.gql(refund, json!({"p": id, "a": 100})).await;
    assert_eq!(
        r["data"]["refundPayment"]["refund"]["status"],
        json!("succeeded"),
        "{r}"
    );
    assert_eq!(
        r["data"]["refundPayment"]["payment"]["refunded"]["minor"],
        json!(100),
        "{r}"
    );
    let mine = alice
        .gql("{ payments { totalCount nodes { id status } } }", json!({}))
        .await;
    assert_eq!(mine["data"]["payments"]["totalCount"], json!(1), "{mine}");
    let theirs = bob.gql("{ payments { totalCount } }", json!({})).await;
    assert_eq!(theirs["data"]["payments"]["totalCount"], json!(0), "{theirs}");
}
both_backends!(the_dummy_gateway_pays_through_a_signed_webhook);

/// The `details` of the newest audit entry with this action.
async fn last_audit_details(admin: &Client, action: &str) -> Value {
    let r = admin
        .gql(
            "query($a: String) { auditLog(first: 1, filter: {action: $a}) { nodes { status target details } } }",
            json!({"a": action}),
        )
        .await;
    let entry = &r["data"]["auditLog"]["nodes"][0];
    assert_eq!(entry["status"], json!("denied"), "{r}");
    assert_eq!(entry["target"], json!("gateway:dummy"), "{r}");
    entry["details"].clone()
}

async fn signed_deliveries_that_are_no_event_or_dated_ahead_are_refused_and_audited(backend: Backend) {
    let s = server(backend).await;
    let admin = s.admin().await;
    let http = reqwest::Client::new();
    let rejected = "payment.webhook_rejected";
    let now = chrono::Utc::now().timestamp();

    // Validly signed, but not an event: no retry can help, so 400 (not 503) with the reason,
    // and one audit entry, as for a forged signature.
    let body = r#"{"id": "dev_cut_short", "type": "payment.succee"#;
    let (status, answer) = deliver(&http, &s.base, body, &signature(now, body, DUMMY_SECRET)).await;
    assert_eq!(status, 400, "{answer}");
    let error = answer["error"].as_str().unwrap_or_default();
    assert!(
        error.starts_with("webhook rejected: signature valid, but the body is unusable: not a dummy gateway event"),
        "{answer}"
    );
    assert_eq!(audit_total(&admin, rejected).await, 1);
    let details = last_audit_details(&admin, rejected).await;
    assert_eq!(
        details["reason"].as_str(),
        error.strip_prefix("webhook rejected: "),
        "{details}"
    );
    // the same bytes again get the same answer, and another entry
    let (status, _) = deliver(&http, &s.base, body, &signature(now, body, DUMMY_SECRET)).await;
    assert_eq!(status, 400);
    assert_eq!(audit_total(&admin, rejected).await, 2);

    // Signed ten minutes ahead of our clock (tolerance 300 s): refused like a stale one.
    let (body, sig) = signed_at(now + 600, "dev_ahead", "pay_unknown", 100, DUMMY_SECRET);
    let (status, answer) = deliver(&http, &s.base, &body, &sig).await;
    assert_eq!(status, 400, "{answer}");
    assert!(
        answer["error"].as_str().is_some_and(|e| e
            .starts_with("webhook rejected: timestamp outside the tolerance zone (")
            && e.ends_with(" s in the future, tolerance 300 s)")),
        "{answer}"
    );
    assert_eq!(audit_total(&admin, rejected).await, 3);
    // A gateway clock a little fast is fine: verified, and unmatched (no such payment).
    let (body, sig) = signed_at(now + 240, "dev_slightly_ahead", "pay_unknown", 100, DUMMY_SECRET);
    let (status, answer) = deliver(&http, &s.base, &body, &sig).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("unmatched")), "{answer}");
    assert_eq!(audit_total(&admin, rejected).await, 3);
}
both_backends!(signed_deliveries_that_are_no_event_or_dated_ahead_are_refused_and_audited);

async fn a_thousand_concurrent_deliveries_settle_once(backend: Backend) {
    // A gateway delivers from many addresses (or through a trusted proxy); from this one test
    // address the per-address connection bound is raised to let all 1,000 in at once.
    build_plugin(DUMMY_PACKAGE);
    let s = crate::usage::server_with_usage_on(
        crate::harness::TestDb::new(backend).await,
        200,
        0,
        &config(),
        &[
            ("HPC_BILLING_SERVER_MAX_CONNECTIONS", "2000"),
            ("HPC_BILLING_SERVER_MAX_CONNECTIONS_PER_ADDRESS", "1500"),
        ],
    )
    .await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let (rid, total) = receipt_of(&bob).await;
    let r = bob.gql(START, json!({"r": rid, "p": "dummy"})).await;
    let id = r["data"]["startPayment"]["id"].as_str().expect("id").to_owned();
    let http = reqwest::Client::new();
    let mut deliveries = Vec::new();
    for i in 0..1000 {
        // Half are one event delivered again and again, half distinct events for the payment.
        let event = if i % 2 == 0 {
            "evt_same".to_owned()
        } else {
            format!("evt_{i}")
        };
        let (body, sig) = signed(&event, &id, total, DUMMY_SECRET);
        let (http, base) = (http.clone(), s.base.clone());
        deliveries.push(tokio::spawn(async move { deliver(&http, &base, &body, &sig).await }));
    }
    let mut applied = 0;
    for d in deliveries {
        let (status, answer) = d.await.expect("join");
        assert_eq!(status, 200, "{answer}");
        if answer["outcome"] == json!("applied") {
            applied += 1;
        } else {
            assert!(
                answer["outcome"] == json!("duplicate") || answer["outcome"] == json!("no_change"),
                "{answer}"
            );
        }
    }
    assert_eq!(applied, 1);
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);
    let r = bob
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": rid}))
        .await;
    assert_eq!(r["data"]["receipt"]["status"], json!("PAID"), "{r}");
}
both_backends!(a_thousand_concurrent_deliveries_settle_once);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscriber_on_one_replica_hears_a_webhook_handled_by_another() {
    if !crate::harness::postgres_available().await {
        return;
    }
    let Some(node) = node_dir() else { return };
    let a = server(Backend::Postgres).await;
    let b = a.replica().await;
    let admin = a.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let carol = a.user_with_role(&admin, "carol", "USER").await;
    let (rid, total) = receipt_of(&carol).await;
    let r = carol.gql(START, json!({"r": rid, "p": "dummy"})).await;
    let id = r["data"]["startPayment"]["id"].as_str().expect("id").to_owned();
    // Carol's session is in the shared database, so her token works on both replicas.
    let watcher = Watcher::start(&node, &b.base, carol.token.as_deref().expect("token"), &id).await;
    let (body, sig) = signed("evt_replica", &id, total, DUMMY_SECRET);
    let (status, answer) = deliver(&reqwest::Client::new(), &a.base, &body, &sig).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("applied")), "{answer}");
    let (code, seen) = watcher.until_exit().await;
    assert_eq!(code, 0, "{seen:?}");
    assert!(seen.last().is_some_and(|l| l.contains("SUCCEEDED")), "{seen:?}");
}

// ---------------------------------------------------------------------------------------------
// One open checkout per receipt, duplicates refunded, a dead gateway reported by readiness

/// Rows of `table` matching `filter` (SQL), straight from the server's database.
async fn count_rows(s: &Server, table: &str, filter: &str) -> i64 {
    use sea_orm::ConnectionTrait;
    let conn = s.db.connect().await;
    let row = conn
        .query_one(sea_orm::Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT COUNT(*) AS n FROM {table} WHERE {filter}"),
        ))
        .await
        .expect("count")
        .expect("a row");
    row.try_get::<i64>("", "n").expect("n")
}

async fn ten_concurrent_starts_open_one_checkout(backend: Backend) {
    let s = server(backend).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let (rid, total) = receipt_of(&alice).await;
    // Half by the owner, half by an admin (each account may run a few operations at once).
    let starts: Vec<_> = (0..10)
        .map(|i| {
            let client = if i % 2 == 0 { alice.clone() } else { admin.clone() };
            let rid = rid.clone();
            tokio::spawn(async move { client.gql(START, json!({"r": rid, "p": "dummy"})).await })
        })
        .collect();
    let mut ids = std::collections::BTreeSet::new();
    let mut checkouts = std::collections::BTreeSet::new();
    for start in starts {
        let r = start.await.expect("join");
        let pay = &r["data"]["startPayment"];
        assert_eq!(pay["status"], json!("PENDING"), "{r}");
        assert_eq!(pay["amount"]["minor"].as_i64(), Some(total), "{r}");
        ids.insert(pay["id"].as_str().expect("id").to_owned());
        checkouts.insert(pay["checkoutUrl"].as_str().expect("checkout").to_owned());
    }
    assert_eq!(ids.len(), 1, "{ids:?}");
    assert_eq!(checkouts.len(), 1, "{checkouts:?}");
    assert_eq!(count_rows(&s, "payments", "username = 'alice'").await, 1);
    assert_eq!(audit_total(&admin, "payment.started").await, 1);
}
both_backends!(ten_concurrent_starts_open_one_checkout);

async fn a_second_payment_for_a_paid_receipt_is_refunded_through_the_gateway(backend: Backend) {
    use sea_orm::ConnectionTrait;
    let s = server(backend).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let dave = s.user_with_role(&admin, "dave", "USER").await;
    let (rid, total) = receipt_of(&dave).await;
    let r = dave.gql(START, json!({"r": rid, "p": "dummy"})).await;
    let paid = r["data"]["startPayment"]["id"].as_str().expect("id").to_owned();
    // A second open checkout of the same receipt, as a server before this fix could make.
    let early = format!("pay_{}", hex::encode(rand::random::<[u8; 12]>()));
    let conn = s.db.connect().await;
    let now = chrono::Utc::now().timestamp_millis();
    conn.execute(sea_orm::Statement::from_string(
        conn.get_database_backend(),
        format!(
            "INSERT INTO payments (public_id, receipt_id, username, provider, status, amount_minor, currency, \
             refunded_minor, disputed, external_id, idempotency_key, created_by, created_at, updated_at, \
             expires_at, check_attempts) \
             SELECT '{early}', receipt_id, username, provider, 'pending', amount_minor, currency, 0, disputed, \
             'dummy_{early}', '{early}', created_by, {now}, {now}, expires_at, 0 FROM payments WHERE public_id = '{paid}'"
        ),
    ))
    .await
    .expect("insert the second payment");

    let http = reqwest::Client::new();
    let (body, sig) = signed("evt_paid", &paid, total, DUMMY_SECRET);
    assert_eq!(deliver(&http, &s.base, &body, &sig).await.0, 200);
    // The gateway took the money on the other checkout as well.
    let (body, sig) = signed("evt_early", &early, total, DUMMY_SECRET);
    let (status, answer) = deliver(&http, &s.base, &body, &sig).await;
    assert_eq!((status, &answer["outcome"]), (200, &json!("applied")), "{answer}");

    let fin = s.user_with_role(&admin, "fin", "FINANCE").await;
    let q = "query($p: ID!) { payment(id: $p) { status refunded { minor } refunds { status amount { minor } reason createdBy } } }";
    let r = fin.gql(q, json!({"p": early})).await;
    let dup = &r["data"]["payment"];
    assert_eq!(dup["status"], json!("REFUNDED"), "{r}");
    assert_eq!(dup["refunded"]["minor"].as_i64(), Some(total), "{r}");
    assert_eq!(dup["refunds"].as_array().map(Vec::len), Some(1), "{r}");
    assert_eq!(dup["refunds"][0]["status"], json!("succeeded"), "{r}");
    assert!(
        dup["refunds"][0]["reason"]
            .as_str()
            .is_some_and(|why| why.contains("duplicate")),
        "{r}"
    );
    let r = fin.gql(q, json!({"p": paid})).await;
    assert_eq!(r["data"]["payment"]["status"], json!("SUCCEEDED"), "{r}");
    let r = dave
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": rid}))
        .await;
    assert_eq!(r["data"]["receipt"]["status"], json!("PAID"), "{r}");
    assert_eq!(audit_total(&admin, "payment.succeeded").await, 1);
    assert_eq!(audit_total(&admin, "payment.duplicate").await, 1);
    assert_eq!(audit_total(&admin, "payment.refund").await, 1);
}
both_backends!(a_second_payment_for_a_paid_receipt_is_refunded_through_the_gateway);

/// `GET /readyz`: (HTTP status, JSON body).
async fn readiness(base: &str) -> (u16, Value) {
    let r = reqwest::get(format!("{base}/readyz")).await.expect("readyz");
    let status = r.status().as_u16();
    (status, r.json().await.expect("json"))
}

async fn readiness_reports_a_gateway_whose_plugin_hangs_until_it_recovers(backend: Backend) {
    build_plugin(DUMMY_PACKAGE);
    // Status checks take 6 s, calls may take 1 s: each check strands its thread for 5 s more.
    let config = format!(
        "\n[payments]\njanitor_interval_secs = 0\n\n[[payments.gateways]]\nplugin = \"dummy\"\n\
         settings = {{ status_delay_ms = 6000 }}\ntimeout_secs = 1\nsecrets = {{ webhook_secret = \"{DUMMY_SECRET}\" }}\n"
    );
    let s = server_with_usage_and(backend, 200, 0, &config).await;
    let admin = s.admin().await;
    assert!(admin.gql(INGEST, json!({})).await["errors"].is_null());
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let (rid, _) = receipt_of(&bob).await;
    let r = bob.gql(START, json!({"r": rid, "p": "dummy"})).await;
    let id = r["data"]["startPayment"]["id"].as_str().expect("id").to_owned();
    let (status, body) = readiness(&s.base).await;
    assert_eq!((status, &body["gateways"]["dummy"]), (200, &json!("ok")), "{body}");

    let reconcile = "mutation($p: ID!) { reconcilePayment(id: $p) { status } }";
    for _ in 0..2 {
        let r = admin.gql(reconcile, json!({"p": id})).await;
        assert!(error_code(&r).is_some(), "the check times out: {r}");
    }
    // Two calls are stuck in the plugin, the most the host allows: the gateway is down.
    let (status, body) = readiness(&s.base).await;
    assert_eq!(status, 503, "{body}");
    assert_eq!(body["gateways"]["dummy"], json!("down"), "{body}");
    assert!(body["reason"].as_str().is_some_and(|r| r.contains("dummy")), "{body}");
    let started = std::time::Instant::now();
    let r = admin.gql(reconcile, json!({"p": id})).await;
    assert!(error_code(&r).is_some(), "{r}");
    assert!(
        started.elapsed() < Duration::from_millis(900),
        "refused at once, not run"
    );

    // The stuck calls return; the gateway is served again.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = readiness(&s.base).await;
        if status == 200 {
            assert_ne!(body["gateways"]["dummy"], json!("down"), "{body}");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "still not ready: {body}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}
both_backends!(readiness_reports_a_gateway_whose_plugin_hangs_until_it_recovers);

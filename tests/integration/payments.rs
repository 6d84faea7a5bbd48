//! Payments over HTTP with the real `dummy` gateway plugin: a checkout paid on the gateway's
//! page reaches the server as a signed webhook and a `graphql-ws` subscriber sees it; forged,
//! mismatched and repeated webhooks change nothing; 1,000 concurrent deliveries settle once;
//! on PostgreSQL a subscriber on one replica hears a webhook handled by another.

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

async fn server(backend: Backend) -> Server {
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

/// A webhook body of the dummy gateway, signed as the protocol specifies.
fn signed(event_id: &str, payment: &str, amount: i64, secret: &str) -> (String, String) {
    let t = chrono::Utc::now().timestamp();
    let body = json!({"id": event_id, "type": "payment.succeeded", "created": t,
        "data": {"payment_id": payment, "external_id": format!("dummy_{payment}"), "amount_minor": amount, "currency": "THB"}})
    .to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(format!("{t}.{body}").as_bytes());
    (body, format!("t={t},v1={}", hex::encode(mac.finalize().into_bytes())))
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

async fn a_thousand_concurrent_deliveries_settle_once(backend: Backend) {
    let s = server(backend).await;
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

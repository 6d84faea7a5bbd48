//! Crash consistency: the server is killed with SIGKILL at random moments while it ingests,
//! bills users, takes payments (signed webhooks, some delivered twice) and voids receipts,
//! then started again on the same database, round after round. Afterwards, on SQLite and on
//! PostgreSQL (a private cluster): no job is billed twice, invoice numbers are gapless,
//! receipts add up to their lines, every paid receipt has exactly one succeeded payment and
//! one `payment.succeeded` entry, and the audit chain verifies.
//!
//! Rounds: `HPC_BILLING_TEST_CRASH_ROUNDS` (default 50 per database, 100 in all; the documented long run
//! uses 500 per database).

use crate::harness::{password_of, run_cli, Backend, Client, TestDb};
use rand::Rng as _;
use sea_orm::{ConnectionTrait as _, DatabaseConnection, Statement};
use serde_json::json;
use std::time::Duration;

const SECRET: &str = "crash-webhook-secret";
const USERS: [&str; 8] = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

fn rounds() -> usize {
    std::env::var("HPC_BILLING_TEST_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50)
}

async fn webhook(http: &reqwest::Client, base: &str, payment: &str, amount: i64) {
    let event = format!("evt_{}", hex::encode(rand::random::<[u8; 6]>()));
    let (body, sig) = crate::payments::signed(&event, payment, amount, SECRET);
    let _ = http
        .post(format!("{base}/payments/webhook/dummy"))
        .header("content-type", "application/json")
        .header("x-dummy-signature", sig)
        .body(body)
        .send()
        .await;
}

/// Signs in over HTTP; `None` when the server does not answer (it may be being killed).
async fn sign_in(base: &str, user: &str, password: &str) -> Option<Client> {
    let http = reqwest::Client::new();
    let url = format!("{base}/graphql");
    let r: serde_json::Value = http
        .post(&url)
        .json(&json!({"query": "mutation($u: String!, $p: String!) { login(username: $u, password: $p) { token } }", "variables": {"u": user, "p": password}}))
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    let token = r["data"]["login"]["token"].as_str()?.to_owned();
    Some(Client {
        http,
        url,
        token: Some(token),
        headers: Vec::new(),
    })
}

/// One user's work for a round: bill, pay (the webhook sometimes twice).
async fn user_work(base: String, user: &'static str) {
    let Some(c) = sign_in(&base, user, &password_of(user)).await else {
        return;
    };
    let s = Target { base };
    let http = reqwest::Client::new();
    let month = rand::thread_rng().gen_range(1..=12);
    let made = call(
        &c,
        "mutation($e: DateTime) { createReceipt(endedBefore: $e) { id total { minor } } }",
        json!({"e": format!("2026-{month:02}-01T00:00:00Z")}),
    )
    .await;
    let Some(id) = made["data"]["createReceipt"]["id"].as_str().map(str::to_owned) else {
        return;
    };
    let total = made["data"]["createReceipt"]["total"]["minor"].as_i64().unwrap_or(0);
    let started = call(
        &c,
        "mutation($r: ID!) { startPayment(receiptId: $r, provider: \"dummy\") { id } }",
        json!({"r": id}),
    )
    .await;
    if let Some(p) = started["data"]["startPayment"]["id"].as_str() {
        webhook(&http, &s.base, p, total).await;
        if rand::thread_rng().gen_bool(0.3) {
            webhook(&http, &s.base, p, total).await;
        }
    }
}

/// A GraphQL call that tolerates a server killed under it (`null` then).
async fn call(c: &Client, query: &str, variables: serde_json::Value) -> serde_json::Value {
    let Some(token) = &c.token else {
        return serde_json::Value::Null;
    };
    let sent = c
        .http
        .post(&c.url)
        .bearer_auth(token)
        .json(&json!({"query": query, "variables": variables}))
        .send()
        .await;
    match sent {
        Ok(r) => r.json().await.unwrap_or(serde_json::Value::Null),
        Err(_) => serde_json::Value::Null,
    }
}

/// The server a round works against.
struct Target {
    base: String,
}

/// The admin's work for a round: ingest, the monthly run, voiding some pending receipts.
async fn admin_work(base: String) {
    let Some(admin) = sign_in(&base, "admin", crate::harness::ADMIN_PASSWORD).await else {
        return;
    };
    call(&admin, crate::usage::INGEST, json!({})).await;
    call(
        &admin,
        "mutation { createMonthlyReceipts(month: \"2026-06\") { created { id } } }",
        json!({}),
    )
    .await;
    let list = call(
        &admin,
        "{ receipts(first: 5) { edges { node { id status } } } }",
        json!({}),
    )
    .await;
    for e in list["data"]["receipts"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default()
    {
        if e["node"]["status"] == "PENDING" && rand::thread_rng().gen_bool(0.3) {
            call(
                &admin,
                "mutation($r: ID!) { voidReceipt(id: $r, reason: \"crash test\") { id } }",
                json!({"r": e["node"]["id"]}),
            )
            .await;
        }
    }
}

async fn count(db: &DatabaseConnection, sql: &str) -> i64 {
    let row = db
        .query_one(Statement::from_string(db.get_database_backend(), sql))
        .await
        .expect("query")
        .expect("row");
    row.try_get("", "n").expect("n")
}

async fn crash_rounds_keep_every_invariant(backend: Backend, db: TestDb, _keep: Option<crate::private_pg::PrivatePg>) {
    crate::usage::build_plugin("hpcb-plugin-pay-dummy");
    let config = format!(
        "\n[payments]\njanitor_interval_secs = 0\n\n[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = {{ webhook_secret = \"{SECRET}\" }}\n"
    );
    let first = crate::usage::server_with_usage_on(db, 600, 0, &config, &[]).await;
    let admin = first.admin().await;
    for u in USERS {
        admin
            .gql(
                "mutation($u: String!, $p: String!) { createUser(username: $u, password: $p) { username } }",
                json!({"u": u, "p": password_of(u)}),
            )
            .await;
    }
    let mut server = first;
    let rounds = rounds();
    for _ in 0..rounds {
        // Work in flight, then SIGKILL at a random moment of it, then a fresh process.
        let mut work = Vec::new();
        for u in USERS {
            work.push(tokio::spawn(user_work(server.base.clone(), u)));
        }
        work.push(tokio::spawn(admin_work(server.base.clone())));
        let wait = Duration::from_millis(rand::thread_rng().gen_range(30..1500));
        tokio::time::sleep(wait).await;
        server.kill_now().await;
        for w in work {
            w.abort();
        }
        server = server.replica().await;
    }
    // The last start on what the crashes left, then the invariants.
    let last = server;
    let db = last.db.connect().await;
    let twice = count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT i.cluster, i.job_key FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id \
         WHERE r.status <> 'void' GROUP BY i.cluster, i.job_key HAVING COUNT(*) > 1) x",
    )
    .await;
    let unguarded = count(
        &db,
        "SELECT COUNT(*) AS n FROM receipt_items i JOIN receipts r ON r.id = i.receipt_id \
         LEFT JOIN billed_jobs b ON b.cluster = i.cluster AND b.job_key = i.job_key AND b.receipt_id = r.id \
         WHERE r.status <> 'void' AND b.receipt_id IS NULL",
    )
    .await;
    let receipts = count(&db, "SELECT COUNT(*) AS n FROM receipts").await;
    let numbers_max = count(
        &db,
        "SELECT CAST(COALESCE(SUM(last), 0) AS BIGINT) AS n FROM invoice_counters",
    )
    .await;
    let wrong_sums = count(
        &db,
        "SELECT COUNT(*) AS n FROM receipts r LEFT JOIN (SELECT receipt_id, SUM(cost_minor) AS s FROM receipt_items GROUP BY receipt_id) x \
         ON x.receipt_id = r.id WHERE r.subtotal_minor <> COALESCE(x.s, 0) OR r.subtotal_minor + r.tax_minor <> r.total_minor \
         AND r.tax_inclusive = FALSE",
    )
    .await;
    let paid_without_payment = count(
        &db,
        "SELECT COUNT(*) AS n FROM receipts r WHERE r.status = 'paid' AND r.paid_method <> 'cash' AND \
         (SELECT COUNT(*) FROM payments p WHERE p.receipt_id = r.id AND p.status IN ('succeeded', 'refunded')) = 0",
    )
    .await;
    let settled_twice = count(
        &db,
        "SELECT COUNT(*) AS n FROM (SELECT target FROM audit_log WHERE action = 'payment.succeeded' GROUP BY target HAVING COUNT(*) > 1) x",
    )
    .await;
    let succeeded = count(&db, "SELECT COUNT(*) AS n FROM payments WHERE status = 'succeeded'").await;
    let (code, out, err) = run_cli(last.env(), &["audit", "verify"], None).await;
    hpcb_tests::figure(&format!(
        "{backend:?}: {rounds} SIGKILLs under load; {receipts} receipts ({numbers_max} numbers issued), {succeeded} payments succeeded; \
         jobs billed twice {twice}, items without guard {unguarded}, receipts not adding up {wrong_sums}, paid without a payment {paid_without_payment}, \
         settled twice {settled_twice}; audit verify exit {code}"
    ));
    assert_eq!(twice, 0);
    assert_eq!(unguarded, 0);
    assert_eq!(receipts, numbers_max, "invoice numbers are gapless: one per receipt");
    assert_eq!(wrong_sums, 0);
    assert_eq!(paid_without_payment, 0);
    assert_eq!(settled_twice, 0);
    assert_eq!(code, 0, "{out}{err}");
}

#[tokio::test]
async fn sigkill_rounds_on_sqlite_keep_every_invariant() {
    let db = TestDb::new(Backend::Sqlite).await;
    crash_rounds_keep_every_invariant(Backend::Sqlite, db, None).await;
}

#[tokio::test]
async fn sigkill_rounds_on_postgres_keep_every_invariant() {
    let Some(pg) = crate::private_pg::PrivatePg::start() else {
        return;
    };
    let db = TestDb::external(&pg.url());
    crash_rounds_keep_every_invariant(Backend::Postgres, db, Some(pg)).await;
}

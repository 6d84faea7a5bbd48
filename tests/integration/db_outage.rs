//! PostgreSQL stopped under load (a private cluster of this test's own): while it is down the
//! server says so honestly (`/readyz` 503, webhooks 503 so gateways retry, GraphQL errors with
//! a code and no internal text, no other 5xx), and once it is back the server recovers without
//! a restart and loses nothing (the webhook retried after the outage settles the payment; the
//! audit chain verifies).

use crate::harness::{error_code, TestDb};
use crate::private_pg::PrivatePg;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const SECRET: &str = "outage-webhook-secret";

/// Seconds the database stays down (`HPC_BILLING_TEST_OUTAGE_SECS`, default 30).
fn outage() -> Duration {
    Duration::from_secs(
        std::env::var("HPC_BILLING_TEST_OUTAGE_SECS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(30),
    )
}

/// A dummy-gateway success for `payment`, signed now; one event id per payment, so the retry
/// after the outage is the same event.
fn signed_webhook(payment: &str, amount: i64) -> (String, String) {
    crate::payments::signed(&format!("evt_outage_{payment}"), payment, amount, SECRET)
}

/// Words that must never reach a client: driver and pool errors.
const INTERNAL_TEXT: [&str; 5] = ["pool timed out", "sqlx", "Connection refused", "database:", "os error"];

#[tokio::test]
async fn a_database_outage_is_reported_honestly_and_recovered_from_without_loss() {
    let Some(pg) = PrivatePg::start() else { return };
    crate::usage::build_plugin("hpcb-plugin-pay-dummy");
    let config = format!(
        "\n[payments]\njanitor_interval_secs = 0\n\n[[payments.gateways]]\nplugin = \"dummy\"\nsecrets = {{ webhook_secret = \"{SECRET}\" }}\n"
    );
    let s = crate::usage::server_with_usage_on(
        TestDb::external(&pg.url()),
        200,
        0,
        &config,
        &[("HPC_BILLING_DATABASE_ACQUIRE_TIMEOUT_SECS", "2")],
    )
    .await;
    let admin = s.admin().await;
    let r = admin.gql(crate::usage::INGEST, json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let (receipt, total) = crate::payments::receipt_of(&alice).await;
    let started = alice
        .gql(
            "mutation($r: ID!) { startPayment(receiptId: $r, provider: \"dummy\") { id } }",
            json!({"r": receipt}),
        )
        .await;
    let payment = started["data"]["startPayment"]["id"]
        .as_str()
        .expect("payment")
        .to_owned();

    // Load: queries from a signed-in user, answers counted by status and code.
    let stop = Arc::new(AtomicBool::new(false));
    let seen: Arc<Mutex<BTreeMap<String, u64>>> = Arc::default();
    let leaks: Arc<Mutex<Vec<String>>> = Arc::default();
    let mut load = Vec::new();
    for _ in 0..4 {
        let (stop, seen, leaks, client) = (stop.clone(), seen.clone(), leaks.clone(), alice.clone());
        load.push(tokio::spawn(async move {
            while !stop.load(Ordering::Relaxed) {
                let resp = client
                    .http
                    .post(&client.url)
                    .bearer_auth(client.token.as_deref().unwrap_or_default())
                    .json(&json!({"query": "{ me { username } myReceipts(first: 5) { totalCount } }"}))
                    .send()
                    .await;
                let key = match resp {
                    Err(_) => "no answer".to_owned(),
                    Ok(r) => {
                        let status = r.status().as_u16();
                        let text = r.text().await.unwrap_or_default();
                        if INTERNAL_TEXT.iter().any(|w| text.contains(w)) {
                            leaks.lock().expect("lock").push(text.clone());
                        }
                        let code = serde_json::from_str::<Value>(&text).ok().and_then(|v| error_code(&v));
                        format!("{status} {}", code.unwrap_or_else(|| "ok".into()))
                    }
                };
                *seen.lock().expect("lock").entry(key).or_default() += 1;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }));
    }
    tokio::time::sleep(Duration::from_secs(1)).await;

    let http = reqwest::Client::new();
    let ready = |http: reqwest::Client, base: String| async move {
        http.get(format!("{base}/readyz"))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .unwrap_or(0)
    };
    assert_eq!(ready(http.clone(), s.base.clone()).await, 200);

    pg.ctl_stop();
    let down_at = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let readiness_down = ready(http.clone(), s.base.clone()).await;
    let (body, sig) = signed_webhook(&payment, total);
    let deliver = |body: String, sig: String| {
        let http = http.clone();
        let base = s.base.clone();
        async move {
            let r = http
                .post(format!("{base}/payments/webhook/dummy"))
                .header("content-type", "application/json")
                .header("x-dummy-signature", sig)
                .body(body)
                .send()
                .await
                .expect("deliver");
            let status = r.status().as_u16();
            (status, r.text().await.unwrap_or_default())
        }
    };
    let (webhook_down, webhook_text) = deliver(body.clone(), sig.clone()).await;
    tokio::time::sleep(outage().saturating_sub(down_at.elapsed())).await;
    pg.ctl_start();
    let up_at = Instant::now();
    let mut recovered = None;
    while up_at.elapsed() < Duration::from_secs(60) {
        if ready(http.clone(), s.base.clone()).await == 200 {
            recovered = Some(up_at.elapsed());
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    // Queries work again on the same process.
    tokio::time::sleep(Duration::from_secs(1)).await;
    stop.store(true, Ordering::Relaxed);
    for t in load {
        let _ = t.await;
    }
    // The gateway's retry after the outage settles the payment, once.
    let (body, sig) = signed_webhook(&payment, total);
    let (webhook_up, answer) = deliver(body, sig).await;
    let paid = alice
        .gql("query($r: ID!) { receipt(id: $r) { status } }", json!({"r": receipt}))
        .await;
    let verify = admin.gql("{ auditVerify { ok } }", json!({})).await;
    let seen = seen.lock().expect("lock").clone();
    hpcb_tests::figure(&format!(
        "PostgreSQL down {:?} under load: /readyz {readiness_down} while down, webhook {webhook_down} while down and {webhook_up} after, ready again {:?} after restart; answers by status and code: {seen:?}",
        outage(),
        recovered
    ));
    assert_eq!(readiness_down, 503);
    assert_eq!(webhook_down, 503, "{webhook_text}");
    assert!(recovered.is_some(), "the server did not become ready again");
    assert_eq!(webhook_up, 200, "{answer}");
    assert_eq!(paid["data"]["receipt"]["status"], "PAID", "{paid}");
    assert_eq!(verify["data"]["auditVerify"]["ok"], true, "{verify}");
    let leaks = leaks.lock().expect("lock");
    assert!(
        leaks.is_empty(),
        "internal text reached a client: {:?}",
        &leaks[..leaks.len().min(3)]
    );
    assert!(
        seen.keys().all(|k| !k.starts_with('5') || k.starts_with("503")),
        "a 5xx other than 503: {seen:?}"
    );
    assert!(seen.keys().any(|k| k.ends_with(" ok")), "{seen:?}");
    drop(pg);
}

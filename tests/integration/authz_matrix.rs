//! The authorization matrix: every query, mutation and subscription field of the schema, called
//! by anonymous, user A (who owns a receipt and a payment), user B, finance and admin, over
//! HTTP and over WebSocket, against one table of expected outcomes. The table's fields are
//! compared with the schema's (read by introspection): a new field without a row fails.

use crate::hardening_ws::{next, open, send};
use crate::harness::{password_of, Backend, Client, Server};
use serde_json::{json, Value};
use std::collections::BTreeSet;
use std::time::Duration;

/// What a caller gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Want {
    /// No authorization error (the operation may still fail on its input or state).
    Ok,
    /// `UNAUTHENTICATED`.
    Unauth,
    /// `FORBIDDEN`.
    Forbidden,
    /// `NOT_FOUND`: another user's object, indistinguishable from none.
    Hidden,
}
use Want::{Forbidden as F, Hidden as H, Ok as O, Unauth as U};

/// Callers, in the order of each row's outcomes.
const CALLERS: [&str; 5] = ["anonymous", "alice", "bob", "finance1", "admin"];

/// Anyone signed in.
const SIGNED_IN: [Want; 5] = [U, O, O, O, O];
/// Finance and admin.
const MONEY: [Want; 5] = [U, F, F, O, O];
/// Admin only.
const ADMIN: [Want; 5] = [U, F, F, F, O];
/// Alice's object: alice, finance and admin; bob cannot see it.
const ALICES: [Want; 5] = [U, O, H, O, O];
/// Alice's object, and only she may act on it (payments are started by their owner or admin).
const ALICES_OWNER: [Want; 5] = [U, O, H, F, O];

/// The table: field, document (`$r` alice's receipt, `$p` alice's payment, `$who` the caller),
/// outcomes per caller. Rows run in order; state-changing rows come after the reads they would
/// disturb, and `logout` last.
fn table() -> Vec<(&'static str, &'static str, [Want; 5])> {
    vec![
        ("me", "{ me { username } }", SIGNED_IN),
        ("users", "{ users { username } }", ADMIN),
        ("rates", "{ rates { tier } }", SIGNED_IN),
        ("rateHistory", "{ rateHistory { id } }", SIGNED_IN),
        ("tierOverrides", "{ tierOverrides { username } }", MONEY),
        ("auditLog", "{ auditLog(first: 3) { totalCount } }", MONEY),
        ("auditVerify", "{ auditVerify { ok } }", MONEY),
        ("myUsage", "{ myUsage(first: 3) { totalCount } }", SIGNED_IN),
        ("usage", "{ usage(first: 3) { totalCount } }", MONEY),
        ("usageSummary", "{ usageSummary(groupBy: MONTH) { key } }", SIGNED_IN),
        ("usageSources", "{ usageSources { name } }", MONEY),
        ("myReceipts", "{ myReceipts(first: 3) { totalCount } }", SIGNED_IN),
        ("receipt", "query($r: ID!) { receipt(id: $r) { id } }", ALICES),
        ("receipts", "{ receipts(first: 3) { totalCount } }", MONEY),
        ("previewReceipt", "{ previewReceipt { total { minor } } }", SIGNED_IN),
        ("billingAdjustments", "{ billingAdjustments { receipt { id } } }", MONEY),
        ("payment", "query($p: ID!) { payment(id: $p) { id } }", ALICES),
        ("payments", "{ payments(first: 3) { totalCount } }", SIGNED_IN),
        ("paymentProviders", "{ paymentProviders }", SIGNED_IN),
        ("quote", "{ quote(cpus: 1, memGb: \"1\", hours: \"1\") { cost { minor } } }", SIGNED_IN),
        ("billingOverview", "{ billingOverview { paid { minor } } }", MONEY),
        ("plugins", "{ plugins { name } }", MONEY),
        ("setLanguage", "mutation { setLanguage(language: TH) }", SIGNED_IN),
        ("auditAppended", "subscription { auditAppended { id } }", MONEY),
        ("paymentStatus", "subscription($p: ID!) { paymentStatus(paymentId: $p) { status } }", ALICES),
        ("receiptUpdated", "subscription($r: ID!) { receiptUpdated(receiptId: $r) { id } }", ALICES),
        (
            "createUser",
            "mutation($who: String!) { createUser(username: $who, password: \"created-pass-1\") { username } }",
            ADMIN,
        ),
        ("setUserRole", "mutation { setUserRole(username: \"target\", role: FINANCE) { role } }", ADMIN),
        ("disableUser", "mutation { disableUser(username: \"target\") { disabled } }", ADMIN),
        ("enableUser", "mutation { enableUser(username: \"target\") { disabled } }", ADMIN),
        ("unlockUser", "mutation { unlockUser(username: \"target\") }", ADMIN),
        (
            "setUserPassword",
            "mutation { setUserPassword(username: \"target\", password: \"target-pass-2\") }",
            ADMIN,
        ),
        (
            "changePassword",
            "mutation($pw: String!) { changePassword(currentPassword: $pw, newPassword: $pw) }",
            SIGNED_IN,
        ),
        (
            "updateRates",
            "mutation { updateRates(tier: \"gov\", cpu: \"3\", gpu: \"10\", mem: \"1\") { id } }",
            MONEY,
        ),
        ("setTierOverride", "mutation { setTierOverride(username: \"someone\", tier: \"mu\") { tier } }", MONEY),
        ("clearTierOverride", "mutation { clearTierOverride(username: \"someone\") }", MONEY),
        (
            "ingestUsage",
            "mutation { ingestUsage(source: \"lab\", from: \"2020-01-01T00:00:00Z\", to: \"2020-01-02T00:00:00Z\") { fetched } }",
            ADMIN,
        ),
        // Nothing ended before 2000: refused for its input, not its caller.
        ("createReceipt", "mutation { createReceipt(endedBefore: \"2000-01-01T00:00:00Z\") { id } }", SIGNED_IN),
        ("createMonthlyReceipts", "mutation { createMonthlyReceipts(month: \"2019-01\") { created { id } } }", MONEY),
        ("reconcilePayment", "mutation($p: ID!) { reconcilePayment(id: $p) { status } }", MONEY),
        ("startPayment", "mutation($r: ID!) { startPayment(receiptId: $r, provider: \"dummy\") { id } }", ALICES_OWNER),
        (
            "refundPayment",
            "mutation($p: ID!) { refundPayment(id: $p, reason: \"matrix\") { refund { id } } }",
            MONEY,
        ),
        (
            "markReceiptPaid",
            "mutation($r: ID!) { markReceiptPaid(id: $r, method: \"cash\") { status } }",
            MONEY,
        ),
        ("revertReceiptToPending", "mutation($r: ID!) { revertReceiptToPending(id: $r) { status } }", MONEY),
        ("voidReceipt", "mutation($r: ID!) { voidReceipt(id: $r, reason: \"matrix\") { status } }", MONEY),
        (
            "login",
            "mutation($lp: String!) { login(username: \"matrix-login\", password: $lp) { token } }",
            [O; 5],
        ),
        ("logout", "mutation { logout }", SIGNED_IN),
    ]
}

/// What an answer says about authorization (`None`: nothing against the caller).
fn refusal(answer: &Value) -> Option<Want> {
    let errors = answer
        .get("errors")
        .or_else(|| answer.get("payload").filter(|p| p.is_array()));
    let code = errors
        .and_then(|e| e.as_array())
        .and_then(|e| e.first())
        .and_then(|e| e["extensions"]["code"].as_str());
    match code {
        Some("UNAUTHENTICATED") => Some(U),
        Some("FORBIDDEN") => Some(F),
        Some("NOT_FOUND") => Some(H),
        _ => None,
    }
}

fn outcome(answer: &Value) -> Want {
    refusal(answer).unwrap_or(O)
}

/// The root fields of the schema, by introspection.
async fn schema_fields(c: &Client) -> BTreeSet<String> {
    let r = c
        .gql(
            "{ __schema { queryType { fields { name } } mutationType { fields { name } } subscriptionType { fields { name } } } }",
            json!({}),
        )
        .await;
    let mut out = BTreeSet::new();
    for root in ["queryType", "mutationType", "subscriptionType"] {
        for f in r["data"]["__schema"][root]["fields"].as_array().expect("fields") {
            out.insert(f["name"].as_str().expect("name").to_owned());
        }
    }
    out
}

/// Runs `doc` over a socket of `token` (or anonymous): the first answer, or `None` for a
/// subscription that is live and quiet (nothing refused it).
async fn over_socket(s: &Server, token: Option<&str>, doc: &str, vars: &Value) -> Option<Value> {
    let mut ws = open(s, &[]).await;
    let payload = token.map_or(json!({}), |t| json!({"authorization": format!("Bearer {t}")}));
    send(&mut ws, json!({"type": "connection_init", "payload": payload})).await;
    let ack = next(&mut ws).await.expect("ack");
    assert_eq!(ack["type"], "connection_ack", "{ack}");
    send(
        &mut ws,
        json!({"type": "subscribe", "id": "m", "payload": {"query": doc, "variables": vars}}),
    )
    .await;
    let answer = tokio::time::timeout(Duration::from_millis(1500), next(&mut ws)).await;
    match answer {
        Err(_) => None,
        Ok(Ok(v)) if v["type"] == "next" => Some(v["payload"].clone()),
        Ok(Ok(v)) => Some(v),
        Ok(Err(code)) => Some(json!({"errors": [{"extensions": {"code": format!("closed {code}")}}]})),
    }
}

async fn the_matrix_holds_over_http_and_websocket(backend: Backend) {
    let s = crate::payments::server(backend).await;
    let admin = s.admin().await;
    let r = admin.gql(crate::usage::INGEST, json!({})).await;
    assert!(r["errors"].is_null(), "{r}");
    let alice = s.user_with_role(&admin, "alice", "USER").await;
    let bob = s.user_with_role(&admin, "bob", "USER").await;
    let finance = s.user_with_role(&admin, "finance1", "FINANCE").await;
    for name in ["target", "matrix-login"] {
        admin
            .gql(
                "mutation($u: String!, $p: String!) { createUser(username: $u, password: $p) { username } }",
                json!({"u": name, "p": password_of(name)}),
            )
            .await;
    }
    let (receipt, _) = crate::payments::receipt_of(&alice).await;
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

    let rows = table();
    let listed: BTreeSet<String> = rows.iter().map(|(f, _, _)| (*f).to_owned()).collect();
    let fields = schema_fields(&admin).await;
    let missing: Vec<&String> = fields.difference(&listed).collect();
    let stale: Vec<&String> = listed.difference(&fields).collect();
    assert!(missing.is_empty(), "fields without a row in the matrix: {missing:?}");
    assert!(stale.is_empty(), "rows for fields the schema does not have: {stale:?}");

    let clients = [s.client(), alice, bob, finance, admin];
    let mut checked = 0;
    let mut failures = Vec::new();
    // WebSocket first: its rows change nothing the HTTP pass relies on except through the
    // same operations, and `logout` (last) must run over HTTP last of all.
    for transport in ["ws", "http"] {
        for (field, doc, wants) in &rows {
            let is_subscription = doc.starts_with("subscription");
            if transport == "http" && is_subscription {
                continue;
            }
            if transport == "ws" && *field == "logout" {
                continue;
            }
            for (i, client) in clients.iter().enumerate() {
                let who = CALLERS[i];
                let pw = if who == "admin" {
                    crate::harness::ADMIN_PASSWORD.to_owned()
                } else {
                    password_of(who)
                };
                let vars = json!({
                    "r": receipt,
                    "p": payment,
                    "who": format!("made-by-{who}-{transport}"),
                    "pw": pw,
                    "lp": password_of("matrix-login"),
                });
                let got = if transport == "http" {
                    outcome(&client.gql(doc, vars).await)
                } else {
                    match over_socket(&s, client.token.as_deref(), doc, &vars).await {
                        None => O,
                        Some(answer) => outcome(&answer),
                    }
                };
                if got != wants[i] {
                    failures.push(format!(
                        "{field} as {who} over {transport}: got {got:?}, want {:?}",
                        wants[i]
                    ));
                }
                checked += 1;
            }
        }
    }
    hpcb_tests::figure(&format!(
        "{} fields x 5 callers over HTTP and WebSocket: {checked} calls checked, {} mismatches",
        rows.len(),
        failures.len()
    ));
    assert!(failures.is_empty(), "{failures:#?}");
}
crate::both_backends!(the_matrix_holds_over_http_and_websocket);
